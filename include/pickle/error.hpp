// Exceptions of pickle++, rooted at PickleError as in Python's pickle module.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pickle {

/// Base of every error this library throws for bad data (Python's pickle.PickleError).
class PickleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A value could not be written (Python's pickle.PicklingError).
class PicklingError : public PickleError {
 public:
  using PickleError::PickleError;
};

/// Why an UnpicklingError happened. Truncation is its own code, as yyjson keeps
/// UNEXPECTED_END apart from other errors. Messages live in one table (error.cpp).
enum class ErrorCode : uint8_t {
  truncated,        ///< the input ended inside an opcode or before STOP
  empty_input,      ///< nothing to load at all
  bad_opcode,       ///< a byte that is not an opcode
  bad_argument,     ///< an opcode argument that does not parse (text number, quotes, escape)
  bad_encoding,     ///< text that is not valid UTF-8 / ASCII / escapes
  stack_underflow,  ///< an opcode needed more items than the stack holds above the mark
  missing_mark,     ///< an opcode needed a MARK and there is none
  bad_type,         ///< an operand of the wrong kind (APPEND to a tuple, ...)
  memo_missing,     ///< GET of a memo index that was never stored
  bad_frame,        ///< FRAME longer than the data, or an opcode crossing a frame end
  unsupported,      ///< protocol too new, out-of-band buffers not given, unknown extension code
  refused_global,   ///< strict mode: a global not on the allow-list
  limit_exceeded,   ///< a configured limit (Limits) was reached
  unhashable,       ///< a list, dict or set used as a dict key or set member
  container,        ///< a zip, gzip, ... or .npy file, not a pickle (pickle::Container)
};

/// A short name for a code, e.g. "truncated".
std::string_view error_code_name(ErrorCode code) noexcept;

/// Malformed, truncated or hostile input (Python's pickle.UnpicklingError).
///
/// what() reads `UnpicklingError at byte 57 (BINUNICODE): length 4294967295 exceeds
/// the 12 bytes left`; the parts are also available separately.
class UnpicklingError : public PickleError {
 public:
  UnpicklingError(ErrorCode code, uint64_t offset, std::optional<uint8_t> opcode,
                  std::string detail);

  ErrorCode code() const noexcept { return code_; }
  /// Absolute offset in the input of the opcode that failed (or where one should start).
  uint64_t offset() const noexcept { return offset_; }
  /// The failing opcode byte; empty when the input ended where an opcode should start.
  std::optional<uint8_t> opcode() const noexcept { return opcode_; }
  /// What was expected and what was found, without the location prefix.
  const std::string& detail() const noexcept { return detail_; }

 private:
  ErrorCode code_;
  uint64_t offset_;
  std::optional<uint8_t> opcode_;
  std::string detail_;
};

}  // namespace pickle
#pragma GCC visibility pop
