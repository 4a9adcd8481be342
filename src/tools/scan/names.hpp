// The scanner's knowledge of names: the globals trusted by default, each in a group
// whose reason docs/security.md gives, and the ones known to be dangerous, each with
// the harm. names.cpp holds the tables.
#pragma once

#include <span>
#include <string_view>

namespace pickle::detail::scan {

/// Why a trusted name is harmless when a pickle calls it (docs/security.md, "The
/// allow-list"). `builtin` alone is what --strict keeps.
enum class Group : unsigned char {
  builtin,     ///< builtins data types, and the reconstructors that rebuild them
  stdlib,      ///< the standard library's plain data types
  enum_class,  ///< a standard library enum: also its members, by name
  numpy,
  pandas,
  sklearn,
  scipy,
  joblib,
  timezone,
  torch,
};
std::string_view group_reason(Group g) noexcept;

struct Trusted {
  std::string_view module, name;
  Group group;
};

/// The default allow-list, sorted by (module, name).
std::span<const Trusted> trusted_names() noexcept;
/// The trusted entry module.name, or null.
const Trusted* find_trusted(std::string_view module, std::string_view name) noexcept;

/// Why a global is known to be dangerous, or an empty view. Matches a whole module
/// (and its submodules) or one name of it.
std::string_view harm(std::string_view module, std::string_view name) noexcept;

/// Whether module.name loads a nested pickle (or a file that may hold one) from its
/// arguments: pickle.loads, torch.load ... (the scanner scans the bytes it is given).
bool nested_loader(std::string_view module, std::string_view name) noexcept;

}  // namespace pickle::detail::scan
