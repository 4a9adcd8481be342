// DictNode::find('k') must not compile: a character is neither a str nor an int key.
#include "pickle/value.hpp"

int main() {
  pickle::Graph g;
  pickle::Value d = g.dict({{g.str("k"), 1}});
#ifdef PICKLE_CONTROL
  return d.dict().find("k") ? 0 : 1;
#else
  return d.dict().find('k') ? 0 : 1;
#endif
}
