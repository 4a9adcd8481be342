// A Value taken from a temporary Document outlives the graph that owns its node:
// `Value v = loads(bytes).root();` must not compile ([NOTE dangling-views]). The control
// names the Document first.
#include <string>
#include <utility>

#include "pickle/load.hpp"

int main() {
  const std::string bytes = "\x80\x02K\x07.";
#ifdef PICKLE_CONTROL
  pickle::Document doc = pickle::loads(bytes);
  pickle::Value v = doc.root();
#elif defined(PICKLE_MOVED)
  pickle::Document doc = pickle::loads(bytes);
  pickle::Value v = std::move(doc).root();
#else
  pickle::Value v = pickle::loads(bytes).root();
#endif
  return v.as_int() == 7 ? 0 : 1;
}
