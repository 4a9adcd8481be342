// A MemorySource over a temporary owning range would point into freed memory at the
// end of the statement: it must not compile ([NOTE dangling-views]). PICKLE_RANGE is
// the temporary's type; the control reads the same bytes from a named lvalue.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pickle/load.hpp"

int main() {
  PICKLE_RANGE bytes(4, {});
#ifdef PICKLE_CONTROL
  pickle::MemorySource source(bytes);
#elif defined(PICKLE_MOVED)
  pickle::MemorySource source(std::move(bytes));
#else
  pickle::MemorySource source(PICKLE_RANGE(4, {}));
#endif
  return source.at_end() ? 1 : 0;
}
