// fix_imports' renames in both directions, over the tables of compat_names.inc.
#include "reductions/names.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

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
#define PICKLE_IMPORT_3TO2(...) constexpr Rename2 kImport3to2[] = {__VA_ARGS__};
#define PICKLE_NAME_3TO2(...) constexpr Rename4 kName3to2[] = {__VA_ARGS__};
#include "reductions/compat_names.inc"
#undef PICKLE_IMPORT_2TO3
#undef PICKLE_NAME_2TO3
#undef PICKLE_IMPORT_3TO2
#undef PICKLE_NAME_3TO2

// The tables are sorted by (module, name), without duplicates; see
// scripts/gen_compat_names.py.
constexpr auto by_name = [](const Rename4& a, const Rename4& b) {
  return std::pair(a.from_module, a.from_name) < std::pair(b.from_module, b.from_name);
};
constexpr auto by_module = [](const Rename2& a, const Rename2& b) { return a.from < b.from; };
static_assert(std::is_sorted(std::begin(kName2to3), std::end(kName2to3), by_name));
static_assert(std::is_sorted(std::begin(kName3to2), std::end(kName3to2), by_name));
static_assert(std::is_sorted(std::begin(kImport2to3), std::end(kImport2to3), by_module));
static_assert(std::is_sorted(std::begin(kImport3to2), std::end(kImport3to2), by_module));

template <size_t N4, size_t N2>
void rename(const Rename4 (&names)[N4], const Rename2 (&modules)[N2], std::string_view& module,
            std::string_view& name) {
  auto n = std::lower_bound(
      std::begin(names), std::end(names), std::pair(module, name),
      [](const Rename4& r, const std::pair<std::string_view, std::string_view>& k) {
        return std::pair(r.from_module, r.from_name) < k;
      });
  if (n != std::end(names) && n->from_module == module && n->from_name == name) {
    module = n->to_module;
    name = n->to_name;
    return;
  }
  auto m = std::lower_bound(std::begin(modules), std::end(modules), module,
                            [](const Rename2& r, std::string_view k) { return r.from < k; });
  if (m != std::end(modules) && m->from == module) module = m->to;
}

}  // namespace

void fix_import(std::string_view& module, std::string_view& name) {
  rename(kName2to3, kImport2to3, module, name);
}

void reverse_fix_import(std::string_view& module, std::string_view& name) {
  rename(kName3to2, kImport3to2, module, name);
}

}  // namespace pickle::detail
