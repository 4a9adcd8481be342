// Text needs a Graph: Value("text") must not compile (it would be a pointer).
#include "pickle/value.hpp"

int main() {
  pickle::Graph g;
#ifdef PICKLE_CONTROL
  pickle::Value v = g.str("text");
#else
  pickle::Value v = "text";
#endif
  return v.is_str() ? 0 : 1;
}
