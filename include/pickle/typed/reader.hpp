// The Reader: what a codec's load() reads a C++ value from. It is a loaded Python
// value with the path that led to it, so every error says where it happened:
//
//   TypedError: at ['series']['a'][2]: expected float, found str
//
// Typed loads go through the Graph (the pickle is loaded as values first, then read
// into the C++ types); see docs/typed.md. A Reader made from another (item(), at(),
// arg(), ...) refers to it for its path: keep it no longer than that one. Those
// calls are refused on a temporary Reader, which would be gone at once.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "pickle/error.hpp"
#include "pickle/typed/writer.hpp"
#include "pickle/value.hpp"

namespace pickle {

/// A typed load that met what the C++ type cannot hold: the wrong kind (code
/// type_error), a missing or unexpected dict key (key_error), an int out of the
/// type's range (overflow). path() is where, in Python's subscript notation.
class TypedError : public PickleError {
 public:
  TypedError(ErrorCode code, std::string path, const std::string& detail)
      : PickleError(code, "at " + (path.empty() ? std::string("the top") : path) + ": " + detail),
        path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

namespace detail {
struct ReaderState;
#ifdef __SIZEOF_INT128__
__extension__ typedef __int128 int128;  // __extension__: GCC's and Clang's, not ISO C++
__extension__ typedef unsigned __int128 uint128;
#endif
}  // namespace detail

class Reader {
 public:
  /// The value read (a handle into the Graph the pickle was loaded into).
  Value value() const noexcept { return v_; }
  Kind kind() const noexcept { return v_.kind(); }

  /// A T read through its codec. Throws TypedError when the value does not fit.
  template <class T>
  T read() const {
    static_assert(loadable<T>,
                  "pickle::codec<T> has no load(const Reader&, T&) nor load(const "
                  "Reader&): specialise pickle::codec for this type, or bind it "
                  "with PICKLE_DICT or PICKLE_OBJECT (docs/typed.md)");
    if constexpr (requires { codec<T>::load(*this); }) {
      return codec<T>::load(*this);
    } else {
      T out{};
      read(out);
      return out;
    }
  }
  template <class T>
  void read(T& out) const {
    static_assert(loadable<T>,
                  "pickle::codec<T> has no load(const Reader&, T&) nor load(const "
                  "Reader&): specialise pickle::codec for this type, or bind it "
                  "with PICKLE_DICT or PICKLE_OBJECT (docs/typed.md)");
    if constexpr (requires { codec<T>::load(*this, out); }) {
      codec<T>::load(*this, out);
    } else {
      out = read<T>();
    }
  }

  // ---- leaves: each checks the kind, or throws TypedError -----------------------
  void expect_none() const;
  bool as_bool() const;
  /// An int that fits I (else TypedError with code overflow).
  template <class I>
  requires(std::is_integral_v<I> || sizeof(I) == 16) I as_integer()
  const {
    if constexpr (std::is_same_v<I, bool>) {
      return as_bool();
    } else if constexpr (sizeof(I) <= 8) {
      if constexpr (std::is_signed_v<I>) {
        constexpr int64_t lo = std::numeric_limits<I>::min(), hi = std::numeric_limits<I>::max();
        if (v_.is_int() && !v_.is_bigint() && v_.raw_int() >= lo && v_.raw_int() <= hi)
          return static_cast<I>(v_.raw_int());  // the common case, inline
        return static_cast<I>(signed_int(lo, hi));
      } else {
        return static_cast<I>(unsigned_int(std::numeric_limits<I>::max()));
      }
    } else {
#ifdef __SIZEOF_INT128__
      // 128-bit integers: from the two's complement bytes.
      constexpr bool is_signed = static_cast<I>(-1) < static_cast<I>(0);
      std::string bytes = int_bytes(16, is_signed);
      detail::uint128 u = 0;
      for (size_t i = 0; i < 16; ++i)
        u |= static_cast<detail::uint128>(static_cast<uint8_t>(bytes[i])) << (8 * i);
      return static_cast<I>(u);
#endif
    }
  }
  /// An int of any size, as its minimal two's complement bytes, little-endian.
  std::string as_int_bytes() const;
  /// A float, or an int that a double holds exactly.
  double as_float() const {
    if (v_.is_float()) return v_.raw_float();
    return float_of_int();
  }
  /// A complex, or a float or an int.
  std::pair<double, double> as_complex() const;
  std::string_view as_str() const {
    if (!v_.is_str()) fail("str");
    return static_cast<const StrNode*>(v_.node())->text;
  }
  std::string_view as_bytes() const;
  std::string_view as_bytearray() const;
  /// A Global's names.
  std::pair<std::string_view, std::string_view> as_global() const;

  // ---- containers ----------------------------------------------------------------
  /// How many items this list, tuple, set or frozenset holds, when it is one of
  /// `kinds` (else TypedError: "expected <expected>, found ..."); item(i) reads them.
  size_t items(std::initializer_list<Kind> kinds, std::string_view expected) const {
    for (Kind k : kinds)
      if (v_.kind() == k) return v_.items().size();
    fail(expected);
  }
  /// Item i of a list, tuple, set or frozenset ("[i]" in paths); IndexError past the end.
  Reader item(size_t i) const& {
    std::span<const Value> items = v_.items();
    if (i >= items.size()) out_of_range(i);
    return child(items[i], Step::index, i, Value(), {});
  }
  Reader item(size_t) const&& = delete;
  /// How many entries this dict holds (else TypedError); entry_key(i) and entry_value(i)
  /// read them.
  size_t entries() const;
  /// The key of entry i ("<key K>" in paths), and its value ("[K]").
  Reader entry_key(size_t i) const&;
  Reader entry_key(size_t) const&& = delete;
  Reader entry_value(size_t i) const&;
  Reader entry_value(size_t) const&& = delete;
  /// The value of a str key of a dict (this Reader must be a dict), or nothing.
  std::optional<Reader> find(std::string_view key) const&;
  std::optional<Reader> find(std::string_view) const&& = delete;
  /// The same, looked at first in entry `hint` (where a struct's field usually is: a
  /// dict written from one keeps the fields' order), then by hashing.
  std::optional<Reader> find(std::string_view key, size_t hint) const& {
    if (v_.is_dict()) {
      const auto& e = static_cast<const DictNode*>(v_.node())->entries;
      if (hint < e.size() && e[hint].first.is_str() &&
          static_cast<const StrNode*>(e[hint].first.node())->text == key)
        return child(e[hint].second, Step::key, 0, Value(), key);
    }
    return find(key);
  }
  std::optional<Reader> find(std::string_view, size_t) const&& = delete;
  /// The value of a str key, else TypedError (code key_error) naming the key.
  Reader at(std::string_view key) const&;
  Reader at(std::string_view) const&& = delete;

  // ---- objects -------------------------------------------------------------------
  /// This must be an object made by calling module.qualname (REDUCE, NEWOBJ, INST,
  /// OBJ or copyreg._reconstructor), else TypedError.
  void object_of(std::string_view module, std::string_view qualname) const;
  /// The i-th argument of that call ("…args[i]" in paths), else TypedError.
  Reader arg(size_t i) const&;
  Reader arg(size_t) const&& = delete;
  size_t arg_count() const;
  /// Its BUILD state (the last one), if any.
  std::optional<Reader> state() const&;
  std::optional<Reader> state() const&& = delete;
  /// An attribute of an instance: the value of `name` in its state dict (the state
  /// of BUILD, or the two dicts of a (dict, slots) state); ".name" in paths.
  std::optional<Reader> attribute(std::string_view name) const&;
  std::optional<Reader> attribute(std::string_view) const&& = delete;
  /// The same, looked at first in entry `hint` of the state dict.
  std::optional<Reader> attribute(std::string_view name, size_t hint) const&;
  std::optional<Reader> attribute(std::string_view, size_t) const&& = delete;
  /// The attributes its state holds (0 when it has none).
  size_t attribute_count() const;

  /// Whether extra dict keys and attributes are ignored (LoadOptions::typed).
  bool ignore_extra_keys() const noexcept;
  /// Throws TypedError with code type_error: "at PATH: expected <what>, found <kind>".
  [[noreturn]] void fail(std::string_view expected) const;
  /// Throws TypedError with this code and message (the path is put before it).
  [[noreturn]] void fail(ErrorCode code, const std::string& detail) const;
  /// Where this value is, in Python's subscript notation ("['a'][2]"; "" at the top).
  std::string path() const;
  /// What an error calls this value's kind: "str", "int", "fractions.Fraction object".
  std::string found() const;

  /// For shared_ptr's codec: the object already read from this node as T, or a new
  /// one from `make`, filled by `fill` after it is remembered, so that a node read
  /// twice is one shared object. A node reached again inside itself (a cycle) is a
  /// TypedError unless TypedLoadOptions::allow_shared_cycles (the cycle of shared_ptrs
  /// it makes is never freed unless the caller breaks it).
  template <class T, class Make, class Fill>
  std::shared_ptr<T> shared(Make make, Fill fill) const {
    static constexpr char tag = 0;
    if (std::shared_ptr<void> p = find_shared(&tag)) return std::static_pointer_cast<T>(p);
    std::shared_ptr<T> p = make();
    remember_shared(&tag, p);
    fill(*p);
    filled_shared(&tag);
    return p;
  }
  /// The state of a typed load (the entry points make it).
  Reader(detail::ReaderState& s, Value v) noexcept;

 private:
  friend struct codec<Value>;
  enum class Step : uint8_t { top, index, key, dict_key, attribute, arg };
  Reader(const Reader& parent, Value v, Step step, size_t index, Value key,
         std::string_view name) noexcept
      : s_(parent.s_),
        v_(v),
        parent_(&parent),
        step_(step),
        depth_(parent.depth_ + 1),
        max_depth_(parent.max_depth_),
        values_left_(parent.values_left_),
        index_(index),
        key_(key),
        name_(name) {}
  // A Reader of v below this one; TypedError (limit_exceeded) past
  // TypedLoadOptions::max_depth levels.
  Reader child(Value v, Step step, size_t index, Value key, std::string_view name) const {
    Reader c(*this, v, step, index, key, name);
    if (c.depth_ > max_depth_) [[unlikely]]
      c.too_deep();
    if ((*values_left_)-- == 0) [[unlikely]]
      c.too_many();
    return c;
  }
  [[noreturn]] void too_deep() const;
  [[noreturn]] void too_many() const;
  [[noreturn]] void out_of_range(size_t i) const;
  int64_t signed_int(int64_t lo, int64_t hi) const;
  double float_of_int() const;
  uint64_t unsigned_int(uint64_t hi) const;
  std::string int_bytes(size_t width, bool is_signed) const;
  const ObjectNode& object() const;
  std::shared_ptr<void> find_shared(const void* tag) const;
  void remember_shared(const void* tag, std::shared_ptr<void> p) const;
  void filled_shared(const void* tag) const;

  detail::ReaderState* s_;
  Value v_;
  const Reader* parent_ = nullptr;
  Step step_ = Step::top;
  uint32_t depth_ = 1;   // the top is level 1
  uint32_t max_depth_;   // TypedLoadOptions::max_depth
  size_t* values_left_;  // TypedLoadOptions::max_values
  size_t index_ = 0;
  Value key_;
  std::string_view name_;
};

}  // namespace pickle
#pragma GCC visibility pop
