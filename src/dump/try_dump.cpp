// try_dumps: dumps() for callers that ban exceptions.
#include "core/current_error.hpp"
#include "pickle/dump.hpp"

namespace pickle {

Result<std::string> try_dumps(Value v, const DumpOptions& options) noexcept {
  try {
    return dumps(v, options);
  } catch (...) {
    return detail::current_error();
  }
}

}  // namespace pickle
