// A Buffer node points into the caller's bytes: a temporary (or moved-from) owning
// range passed to Graph::buffer is freed at the end of the statement, so the node would
// dangle at once; it must not compile ([NOTE dangling-views]). The control names the
// bytes first.
#include <cstddef>
#include <utility>
#include <vector>

#include "pickle/value.hpp"

int main() {
  pickle::Graph g;
#ifdef PICKLE_CONTROL
  std::vector<std::byte> bytes(4);
  pickle::Value v = g.buffer(bytes, false);
#elif defined(PICKLE_MOVED)
  std::vector<std::byte> bytes(4);
  pickle::Value v = g.buffer(std::move(bytes), false);
#else
  pickle::Value v = g.buffer(std::vector<std::byte>(4), false);
#endif
  return v.buffer().data.size() == 4 ? 0 : 1;
}
