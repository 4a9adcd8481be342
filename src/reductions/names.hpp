// The Python 2 <-> 3 names of CPython's _compat_pickle, as fix_imports applies them:
// the one place that knows them (the tables are generated into compat_names.inc).
#pragma once

#include <string_view>

namespace pickle::detail {

/// Python 2 -> 3: the name a global read below protocol 3 goes under (`__builtin__`
/// `long` -> `builtins` `int`). Unchanged when no rename applies.
void fix_import(std::string_view& module, std::string_view& name);

/// Python 3 -> 2: the name a global is written under below protocol 3. Not the inverse
/// of fix_import: both directions are many-to-one (CPython's tables, as they are).
void reverse_fix_import(std::string_view& module, std::string_view& name);

}  // namespace pickle::detail
