// An OutOfBandBuffer points into the caller's bytes: made from a temporary (or
// moved-from) owning range it would dangle at once, so it must not compile
// ([NOTE dangling-views]). The control names the bytes first.
#include <cstddef>
#include <utility>
#include <vector>

#include "pickle/load.hpp"

int main() {
#ifdef PICKLE_CONTROL
  std::vector<std::byte> bytes(4);
  pickle::OutOfBandBuffer b{bytes, true};
  b.data = bytes;
#elif defined(PICKLE_MOVED)
  std::vector<std::byte> bytes(4);
  pickle::OutOfBandBuffer b{std::move(bytes), true};
#elif defined(PICKLE_ASSIGN)
  pickle::OutOfBandBuffer b;
  b.data = std::vector<std::byte>(4);
#else
  pickle::OutOfBandBuffer b{std::vector<std::byte>(4), true};
#endif
  return b.data.size() == 4 ? 0 : 1;
}
