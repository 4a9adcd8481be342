// repr(): what Python 3.13's repr() prints for the same object, for builtin-typed
// data; Globals as module.qualname; Objects in a readable constructor form.
#pragma once

#include <cstddef>
#include <string>

#include "pickle/value.hpp"

namespace pickle {

struct ReprOptions {
  /// Stop with std::length_error once the output would pass this many bytes. Blocks
  /// the expansion a small pickle can cause through shared references (a list that
  /// holds itself a thousand times, a thousand times over) in a tree-walking printer.
  size_t max_bytes = size_t(1) << 30;
  /// Ints with more decimal digits than this print in hex (`0x…`, `-0x…`): decimal
  /// conversion is quadratic, and a 1 MB LONG4 would take minutes. CPython's repr()
  /// refuses ints past 4300 digits outright (int_max_str_digits).
  size_t max_int_digits = 100000;
};

/// The repr of v. Recursion prints as [...], {...}, (...) or ... as CPython does.
/// Sets print in insertion order. No recursion on the depth of the data.
///
/// Objects: `module.Name(arg, ..., key=value)`, then `.__setstate__(state)` per BUILD
/// state, `.extend([...])` for appended items, `.update({...})` for set items.
/// PersistentRefs: `persistent_id(<repr of id>)`.
std::string repr(Value v, const ReprOptions& options = {});

/// Appends repr(v) to out.
void repr_to(std::string& out, Value v, const ReprOptions& options = {});

}  // namespace pickle
