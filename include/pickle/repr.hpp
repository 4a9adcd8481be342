// repr(): what Python 3.13's repr() prints for the same object, for builtin-typed
// data; Globals as module.qualname; Objects in a readable constructor form.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <functional>
#include <string>

#include "pickle/value.hpp"

namespace pickle {

struct ReprOptions {
  /// Stop with a LimitError (code repr_limit) once the output would pass this many bytes. Blocks
  /// the expansion a small pickle can cause through shared references (a list that
  /// holds itself a thousand times, a thousand times over) in a tree-walking printer.
  size_t max_bytes = size_t(1) << 30;
  /// Stop with a LimitError once more than this many values would be printed
  /// (every element, key, value, argument and state counts one). Blocks the same
  /// expansion measured in work rather than output: a value shared through the memo
  /// is printed once per reference, so a few hundred bytes of pickle (lists of a
  /// thousand references to lists of a thousand references ...) describe 10^18
  /// values. Each value prints at least one byte, so by default max_bytes binds
  /// first; a caller that knows the input size should set both in proportion to it,
  /// as `pickle show` does (docs/security.md).
  size_t max_visits = size_t(1) << 30;
  /// Ints with more decimal digits than this print in hex (`0x…`, `-0x…`): decimal
  /// conversion is quadratic, and a 1 MB LONG4 would take minutes. CPython's repr()
  /// refuses ints past 4300 digits outright (int_max_str_digits).
  size_t max_int_digits = 100000;
  /// What reaching max_bytes or max_visits does. false (default): LimitError,
  /// and `out` is left as it was. true: the printout is cut there, as a viewer wants
  /// it: what was printed is kept (at most max_bytes bytes, ending on a whole UTF-8
  /// character), "..." is appended, and repr_to says which limit cut it.
  bool cut_at_limit = false;
  /// Prints an Object or a PersistentRef in a form of the caller's: called for each
  /// one about to be printed, it appends that form to `out` and returns true, or returns false (and
  /// appends nothing) for the usual form. `pickle show` prints numpy arrays and
  /// tensors so (`numpy.ndarray(shape=(2, 3), dtype=int32)`, array_summary() in
  /// pickle/array.hpp), without their data.
  std::function<bool(Value object, std::string& out)> object_form;
};

/// Which limit cut a printout short (ReprOptions::cut_at_limit); none when it is whole.
enum class ReprCut { none, max_bytes, max_visits };

/// The repr of v. Recursion prints as [...], {...}, (...) or ... as CPython does.
/// Sets print in insertion order. No recursion on the depth of the data.
///
/// Objects: `module.Name(arg, ..., key=value)`, then `.__setstate__(state)` per BUILD
/// state, `.extend([...])` for appended items, `.update({...})` for set items.
/// PersistentRefs: `persistent_id(<repr of id>)`. Names (modules, qualified names,
/// keyword names) print as they are where printable; a character str.isprintable()
/// rejects is escaped as repr(str) escapes it, without quotes, so the output is one
/// line.
std::string repr(Value v, const ReprOptions& options = {});

/// Appends repr(v) to out. Returns ReprCut::none, or with ReprOptions::cut_at_limit
/// the limit that cut the printout (then out ends with "...").
ReprCut repr_to(std::string& out, Value v, const ReprOptions& options = {});

}  // namespace pickle
#pragma GCC visibility pop
