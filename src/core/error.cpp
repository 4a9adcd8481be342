#include "pickle/error.hpp"

#include <new>

#include "core/current_error.hpp"
#include "pickle/opcodes.hpp"

namespace pickle {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::truncated: return "truncated";
    case ErrorCode::empty_input: return "empty input";
    case ErrorCode::bad_opcode: return "bad opcode";
    case ErrorCode::bad_argument: return "bad argument";
    case ErrorCode::bad_encoding: return "bad encoding";
    case ErrorCode::stack_underflow: return "stack underflow";
    case ErrorCode::missing_mark: return "missing mark";
    case ErrorCode::bad_type: return "bad type";
    case ErrorCode::memo_missing: return "memo missing";
    case ErrorCode::bad_frame: return "bad frame";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::refused_global: return "refused global";
    case ErrorCode::limit_exceeded: return "limit exceeded";
    case ErrorCode::unhashable: return "unhashable";
    case ErrorCode::container: return "container";
    case ErrorCode::other: return "other";
    case ErrorCode::pickling: return "pickling";
    case ErrorCode::type_error: return "type error";
    case ErrorCode::key_error: return "key error";
    case ErrorCode::index_error: return "index error";
    case ErrorCode::overflow: return "overflow";
    case ErrorCode::usage: return "usage";
    case ErrorCode::repr_limit: return "repr limit";
    case ErrorCode::io: return "io";
    case ErrorCode::memory: return "memory";
    case ErrorCode::internal: return "internal";
    case ErrorCode::bad_container: return "bad container";
    case ErrorCode::bad_value: return "bad value";
    case ErrorCode::bad_json: return "bad json";
  }
  return "?";
}

namespace {
std::string compose(uint64_t offset, std::optional<uint8_t> opcode, const std::string& detail) {
  std::string s = "UnpicklingError at byte " + std::to_string(offset);
  if (opcode) {
    const OpInfo& info = op_info(*opcode);
    s += " (";
    if (info.valid()) {
      s += info.name;
    } else {
      static const char kHex[] = "0123456789abcdef";
      s += "0x";
      s += kHex[*opcode >> 4];
      s += kHex[*opcode & 15];
    }
    s += ")";
  }
  s += ": ";
  s += detail;
  return s;
}
}  // namespace

UnpicklingError::UnpicklingError(ErrorCode code, uint64_t offset, std::optional<uint8_t> opcode,
                                 std::string detail)
    : PickleError(code, compose(offset, opcode, detail)),
      offset_(offset),
      opcode_(opcode),
      detail_(std::move(detail)) {}

namespace {
// Copying a message allocates; without memory the ErrorInfo keeps its code alone.
void copy_message(ErrorInfo& info, const char* what) noexcept {
  try {
    info.message = what;
  } catch (...) {
  }
}
}  // namespace

ErrorInfo detail::current_error() noexcept {
  ErrorInfo info;
  try {
    throw;
  } catch (const UnpicklingError& e) {
    info.code = e.code();
    info.offset = e.offset();
    info.opcode = e.opcode();
    copy_message(info, e.what());
  } catch (const PickleError& e) {
    info.code = e.code();
    copy_message(info, e.what());
  } catch (const std::bad_alloc& e) {
    info.code = ErrorCode::memory;
    copy_message(info, e.what());
  } catch (const std::exception& e) {  // not the library's: a callback's own
    info.code = ErrorCode::other;
    copy_message(info, e.what());
  } catch (...) {
    info.code = ErrorCode::other;
  }
  return info;
}

}  // namespace pickle
