#include "pickle/version.hpp"
#include "pickle/pickle.hpp"

namespace pickle {
const char* version() noexcept {
  return PICKLE_VERSION_STRING;
}
}  // namespace pickle
