// fix_imports: the Python 2 -> 3 renames the Decoder applies to the globals it reads
// below protocol 3 (CPython's _compat_pickle tables, in reductions/compat_names.inc).
#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>

#include "load/decoder.hpp"

namespace pickle::detail {

namespace {

struct Rename2 {
  std::string_view from, to;
};
struct Rename4 {
  std::string_view from_module, from_name, to_module, to_name;
};
#define PICKLE_IMPORT_2TO3(...) constexpr Rename2 kImport2to3[] = {__VA_ARGS__};
#define PICKLE_NAME_2TO3(...) constexpr Rename4 kName2to3[] = {__VA_ARGS__};
#define PICKLE_IMPORT_3TO2(...)
#define PICKLE_NAME_3TO2(...)
#include "reductions/compat_names.inc"
#undef PICKLE_IMPORT_2TO3
#undef PICKLE_NAME_2TO3
#undef PICKLE_IMPORT_3TO2
#undef PICKLE_NAME_3TO2

}  // namespace

void fix_import(std::string_view& module, std::string_view& name) {
  // The tables are sorted by (module, name); see scripts/gen_compat_names.py.
  auto n = std::lower_bound(
      std::begin(kName2to3), std::end(kName2to3), std::pair(module, name),
      [](const Rename4& r, const std::pair<std::string_view, std::string_view>& k) {
        return std::pair(r.from_module, r.from_name) < k;
      });
  if (n != std::end(kName2to3) && n->from_module == module && n->from_name == name) {
    module = n->to_module;
    name = n->to_name;
    return;
  }
  auto m = std::lower_bound(std::begin(kImport2to3), std::end(kImport2to3), module,
                            [](const Rename2& r, std::string_view k) { return r.from < k; });
  if (m != std::end(kImport2to3) && m->from == module) module = m->to;
}

}  // namespace pickle::detail
