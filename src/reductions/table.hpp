// [NOTE reductions] The reductions table: the globals that, called in a pickle, make a
// value the object model holds natively, each with both directions in one entry.
//
//   load   how a call module.name(*args) (REDUCE) becomes a native value, when its
//          arguments have the shape CPython writes; anything else stays a lossless
//          generic Object.
//   lower  how the native form is written again as that call, at the protocols that
//          lack an opcode for it (`native_from`: the first protocol that has one).
//
// Builtins are the default entries (builtins.cpp). A caller's entries live in their
// Registry (pickle/registry.hpp) and are looked up first. The loader finds an entry by
// name at REDUCE; the Encoder finds the entry of a native form with lowering().
// One form is written by the Encoder itself: a dotted name below protocol 4 that was
// not loaded from getattr is a chain of getattr calls with one memo entry
// (Encoder::global_path_step), which no single call describes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "pickle/value.hpp"

namespace pickle::detail {

/// What a load function may use of the builder that calls it (the value builder).
class Rebuild {
 public:
  virtual Graph& graph() = 0;
  /// Adds items to a set, or pairs to a dict, as SETITEMS and ADDITEMS do: refusing
  /// unhashable keys and the max_container_items limit with the loader's errors.
  virtual void add_all(SetNode& set, std::span<Value> items) = 0;
  virtual void set_all(DictNode& dict, std::span<Value> pairs) = 0;
  /// The text of a str, or of a Python 2 str loaded as bytes (which serves as text).
  virtual bool text_of(Value v, std::string_view& out) = 0;

 protected:
  ~Rebuild() = default;
};

/// What a lower function makes its nodes with (the Encoder's scratch graph).
class Lowerer {
 public:
  virtual Value global(std::string_view module, std::string_view name) = 0;
  virtual Value tuple(std::span<const Value> items) = 0;
  virtual Value list(std::span<const Value> items) = 0;
  virtual Value str(std::string_view text) = 0;
  virtual Value bytes(std::string_view data) = 0;
  /// One str node per text for the whole dump, as CPython's interned constants (the
  /// codec name 'latin1' is memoized once however many bytes name it).
  virtual Value constant_str(std::string_view text) = 0;
  /// The str whose code points are these bytes (bytes.decode('latin-1')).
  virtual Value latin1_str(std::string_view bytes) = 0;

 protected:
  ~Lowerer() = default;
};

/// The native forms that are written as a reduction at some protocol.
enum class Form : uint8_t {
  set,            ///< Set, below protocol 4
  frozenset,      ///< FrozenSet, below protocol 4
  bytes,          ///< Bytes, below protocol 3
  bytearray,      ///< ByteArray, below protocol 5
  complex,        ///< Complex, at every protocol
  ordered_dict,   ///< Dict with kOrderedDict, at every protocol
  newobj,         ///< Object built by NEWOBJ, below protocol 2
  reconstructed,  ///< Object built by copyreg._reconstructor, at every protocol
  newobj_ex,      ///< Object built by NEWOBJ_EX with keyword arguments, below protocol 4
  getattr,        ///< Global loaded from an explicit getattr(Outer, 'name'), every protocol
  count
};

/// A call to write: callable(*args). (An OrderedDict's items follow as SETITEMS, written
/// by the Encoder from the dict itself.)
struct Lowered {
  Value callable;
  Value args;
};

struct Reduction {
  std::string_view module, name;
  /// Loading: sets `out` to the native value of module.name(*args) and returns true,
  /// or returns false to keep the call as a generic Object. Null for a name the
  /// table only knows as an argument (builtins.object, _reconstructor's base).
  bool (*load)(Rebuild& b, std::span<const Value> args, Value& out);
  /// Strict mode accepts this global unlisted where the call rebuilds a native value
  /// (see [NOTE strict-natives]).
  bool strict_unlisted;
  /// Lowering: the form this entry writes, from which protocol the form has opcodes of
  /// its own (lowered below it; past HIGHEST_PROTOCOL: at every protocol), and the
  /// call that writes v. Null for a name that only loads (builtins.bytes: the empty
  /// bytes are written by _codecs.encode's entry as `bytes()`).
  Form form;
  int native_from;
  Lowered (*lower)(Lowerer& s, Value v);
};

/// The builtin entry named module.name, or null.
const Reduction* builtin_reduction(std::string_view module, std::string_view name) noexcept;

/// The builtin entry that writes `form`.
const Reduction& lowering(Form form) noexcept;

/// Whether v is the global module.name.
inline bool is_global(Value v, std::string_view module, std::string_view name) {
  return v.kind() == Kind::Global && v.global().module == module && v.global().name == name;
}

}  // namespace pickle::detail
