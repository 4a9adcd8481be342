// try_loads: loads() for callers that ban exceptions.
#include "core/current_error.hpp"
#include "pickle/load.hpp"

namespace pickle {

namespace {
std::span<const uint8_t> as_bytes(std::string_view data) noexcept {
  return {reinterpret_cast<const uint8_t*>(data.data()), data.size()};
}
}  // namespace

Result<Document> try_loads(std::span<const uint8_t> data, const LoadOptions& options) noexcept {
  try {
    return loads(data, options);
  } catch (...) {
    return detail::current_error();
  }
}

Result<Document> try_loads(std::span<const uint8_t> data) noexcept {
  try {
    return loads(data);
  } catch (...) {
    return detail::current_error();
  }
}

Result<Value> try_loads(std::span<const uint8_t> data, Graph& g,
                        const LoadOptions& options) noexcept {
  try {
    return loads(data, g, options);
  } catch (...) {
    return detail::current_error();
  }
}

Result<Value> try_loads(std::span<const uint8_t> data, Graph& g) noexcept {
  try {
    return loads(data, g);
  } catch (...) {
    return detail::current_error();
  }
}

Result<Document> try_loads(std::string_view data) noexcept {
  return try_loads(as_bytes(data));
}
Result<Document> try_loads(std::string_view data, const LoadOptions& options) noexcept {
  return try_loads(as_bytes(data), options);
}
Result<Value> try_loads(std::string_view data, Graph& g) noexcept {
  return try_loads(as_bytes(data), g);
}
Result<Value> try_loads(std::string_view data, Graph& g, const LoadOptions& options) noexcept {
  return try_loads(as_bytes(data), g, options);
}

}  // namespace pickle
