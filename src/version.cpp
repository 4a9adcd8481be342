#include "pickle/pickle.hpp"
#include "pickle/version.hpp"

namespace pickle {
const char* version() noexcept { return PICKLE_VERSION_STRING; }
}  // namespace pickle
