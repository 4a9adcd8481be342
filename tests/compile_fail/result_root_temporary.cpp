// The root of a temporary Result<Document> outlives the graph that owns its node, as
// `loads(bytes).root()` does: reading it through `*` or `->` of the temporary must not
// compile ([NOTE dangling-views]). The control names the Result first.
#include <string>
#include <utility>

#include "pickle/load.hpp"

int main() {
  const std::string bytes = "\x80\x02K\x07.";
#ifdef PICKLE_CONTROL
  pickle::Result<pickle::Document> r = pickle::try_loads(bytes);
  pickle::Value v = r->root();
  pickle::Value w = (*r).root();
  pickle::Document moved_out = *pickle::try_loads(bytes);  // a Document moved out is fine
  (void)w;
  (void)moved_out;
#elif defined(PICKLE_ARROW)
  pickle::Value v = pickle::try_loads(bytes)->root();
#elif defined(PICKLE_VALUE)
  pickle::Value v = pickle::try_loads(bytes).value().root();
#else
  pickle::Value v = (*pickle::try_loads(bytes)).root();
#endif
  return v.as_int() == 7 ? 0 : 1;
}
