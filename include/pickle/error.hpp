// Exceptions of pickle++, rooted at PickleError as in Python's pickle module, their
// codes, and the Result that the non-throwing entry points (try_loads, try_dumps)
// return instead.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace pickle {

/// Why an error happened: one code for every exception of the library (docs/errors.md
/// lists them with the class that uses each). Truncation is its own code, as yyjson
/// keeps UNEXPECTED_END apart from other errors. Names live in one table (error.cpp).
/// The numeric values are stable: new codes are added at the end.
enum class ErrorCode : uint8_t {
  // UnpicklingError: malformed, truncated or hostile input.
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
  limit_exceeded,   ///< a limit was reached (Limits; LimitError: a dict of 2^32 entries)
  unhashable,       ///< a list, dict or set used as a dict key or set member (also TypeError)
  container,        ///< a zip, gzip, ... or .npy file, not a pickle (pickle::Container)
  // The other exceptions.
  other,        ///< a PickleError made from a message alone (a codec's, a callback's)
  pickling,     ///< PicklingError: a value that cannot be written
  type_error,   ///< TypeError: a checked accessor used on a value of another kind
  key_error,    ///< KeyError: `v["key"]` on a dict without that key
  index_error,  ///< IndexError: `v[i]` past the end of a tuple or list, or negative
  overflow,     ///< OverflowError: an int that does not fit the type asked for
  usage,        ///< UsageError: an argument or option the API refuses
  repr_limit,   ///< LimitError: repr() passed ReprOptions::max_bytes or max_visits
  io,           ///< OSError: a file that cannot be opened or read
  memory,       ///< out of memory (std::bad_alloc), as try_loads and try_dumps report it
  internal,     ///< an invariant of pickle++ itself did not hold (a bug: please report it)
  bad_container,  ///< ContainerError: a malformed archive or compressed stream
  bad_value,      ///< a numpy array or tensor whose parts do not fit (pickle/array.hpp)
  bad_json,       ///< JsonError: JSON that is malformed or describes no value (pickle/json.hpp)
};

/// A short name for a code, e.g. "truncated".
std::string_view error_code_name(ErrorCode code) noexcept;

/// Base of every exception this library throws (Python's pickle.PickleError). Catch it
/// to catch them all; code() tells them apart. The one exception that is not a
/// PickleError is std::bad_alloc.
class PickleError : public std::runtime_error {
 public:
  /// An error with the code `other`.
  explicit PickleError(const std::string& what) : PickleError(ErrorCode::other, what) {}
  explicit PickleError(const char* what) : PickleError(ErrorCode::other, what) {}
  PickleError(ErrorCode code, const std::string& what) : std::runtime_error(what), code_(code) {}

  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

/// A value could not be written (Python's pickle.PicklingError). Code `pickling`.
class PicklingError : public PickleError {
 public:
  explicit PicklingError(const std::string& what) : PickleError(ErrorCode::pickling, what) {}
};

/// Malformed, truncated or hostile input (Python's pickle.UnpicklingError).
///
/// what() reads `UnpicklingError at byte 57 (BINUNICODE): length 4294967295 exceeds
/// the 12 bytes left`; the parts are also available separately.
class UnpicklingError : public PickleError {
 public:
  UnpicklingError(ErrorCode code, uint64_t offset, std::optional<uint8_t> opcode,
                  std::string detail);

  /// Absolute offset in the input of the opcode that failed (or where one should start).
  uint64_t offset() const noexcept { return offset_; }
  /// The failing opcode byte; empty when the input ended where an opcode should start.
  std::optional<uint8_t> opcode() const noexcept { return opcode_; }
  /// What was expected and what was found, without the location prefix.
  const std::string& detail() const noexcept { return detail_; }

 private:
  uint64_t offset_;
  std::optional<uint8_t> opcode_;
  std::string detail_;
};

/// A checked accessor used on a Value of another kind (code `type_error`), or an
/// unhashable dict key or set member (code `unhashable`). As Python's TypeError.
class TypeError : public PickleError {
 public:
  explicit TypeError(const std::string& what) : PickleError(ErrorCode::type_error, what) {}
  TypeError(ErrorCode code, const std::string& what) : PickleError(code, what) {}
};

/// `v["key"]` on a dict that has no such key (code `key_error`).
class KeyError : public PickleError {
 public:
  explicit KeyError(const std::string& what) : PickleError(ErrorCode::key_error, what) {}
};

/// `v[i]` past the end of a tuple or list, or a negative i (code `index_error`).
class IndexError : public PickleError {
 public:
  explicit IndexError(const std::string& what) : PickleError(ErrorCode::index_error, what) {}
};

/// An int that does not fit the type asked for: `as_int()` of an int beyond 64 bits,
/// `as_float()` beyond the range of double, `Value(uint64_t)` above INT64_MAX
/// (code `overflow`).
class OverflowError : public PickleError {
 public:
  explicit OverflowError(const std::string& what) : PickleError(ErrorCode::overflow, what) {}
};

/// An argument or option the API refuses (code `usage`): a protocol above
/// HIGHEST_PROTOCOL, an unknown `encoding` or `errors`, an extension code already
/// taken.
class UsageError : public PickleError {
 public:
  explicit UsageError(const std::string& what) : PickleError(ErrorCode::usage, what) {}
};

/// A bound on work or size was reached outside loading: repr() past its ReprOptions
/// limits (code `repr_limit`), a dict or set of 2^32 entries, a comparison nested
/// past 10000 levels of unequal candidates (code `limit_exceeded`). Loading reports
/// its limits as UnpicklingError.
class LimitError : public PickleError {
 public:
  LimitError(ErrorCode code, const std::string& what) : PickleError(code, what) {}
};

/// A file could not be opened or read (code `io`); what() reads `path: reason`, as
/// std::system_error's does.
class OSError : public PickleError {
 public:
  OSError(std::error_code error, const std::string& path)
      : PickleError(ErrorCode::io, path + ": " + error.message()), error_(error) {}
  /// The system's reason (an errno value in std::generic_category()).
  const std::error_code& error() const noexcept { return error_; }

 private:
  std::error_code error_;
};

/// What went wrong, as the non-throwing entry points report it: the parts of the
/// exception the throwing function would have thrown.
struct ErrorInfo {
  ErrorCode code = ErrorCode::internal;
  /// The exception's what() (may be empty if memory ran out while copying it).
  std::string message;
  /// For an UnpicklingError: offset() and opcode(); else 0 and empty.
  uint64_t offset = 0;
  std::optional<uint8_t> opcode;
};

/// A value or the ErrorInfo of why there is none, for callers that ban exceptions
/// (C++23's std::expected, in small):
///
///   pickle::Result<pickle::Document> r = pickle::try_loads(bytes);
///   if (!r) return log(r.error().message);
///   use(r->root());
template <class T>
class Result {
 public:
  Result(T value) noexcept(std::is_nothrow_move_constructible_v<T>) : v_(std::move(value)) {}
  Result(ErrorInfo error) noexcept : v_(std::move(error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The value; only when has_value().
  T& value() & noexcept { return *std::get_if<0>(&v_); }
  const T& value() const& noexcept { return *std::get_if<0>(&v_); }
  T&& value() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  /// Of a temporary Result: the value moved out, as std::optional does.
  T&& operator*() && noexcept { return std::move(*this).value(); }
  T* operator->() & noexcept { return &value(); }
  const T* operator->() const& noexcept { return &value(); }
  /// Not of a temporary: `try_loads(bytes)->root()` would keep a Value of a graph
  /// freed at the end of the statement ([NOTE dangling-views]). Name the Result first,
  /// or move the value out with `*` or value().
  T* operator->() && = delete;
  /// The error; only when !has_value().
  const ErrorInfo& error() const noexcept { return *std::get_if<1>(&v_); }

 private:
  std::variant<T, ErrorInfo> v_;
};

}  // namespace pickle
#pragma GCC visibility pop
