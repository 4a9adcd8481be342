// AllowList: the verdict on one global. See [NOTE scan-verdicts].
#include <algorithm>
#include <string>

#include "pickle/scan.hpp"
#include "tools/scan/names.hpp"

namespace pickle {

using detail::scan::Group;

// [NOTE scan-verdicts] A global is safe when the caller allowed it (--allow, a policy
// file) or it is on the default allow-list (names.cpp; with --strict, only its builtin
// group); a member of a trusted standard library enum (`http.HTTPStatus.OK`, as
// getattr or a dotted name reaches it) is safe too. Otherwise it is unsafe when the
// danger table knows what harm it does, and unknown when nothing is known of it:
// both fail the scan, so the danger table only explains; it never decides.
std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::safe: return "safe";
    case Verdict::unknown: return "unknown";
    case Verdict::error: return "error";
    case Verdict::unsafe: return "unsafe";
  }
  return "unknown";
}

AllowList::AllowList() = default;

AllowList AllowList::strict() {
  AllowList a;
  a.builtin_types_only_ = true;
  return a;
}

void AllowList::allow(std::string_view dotted) {
  if (dotted.empty() || dotted.front() == '.' || dotted.back() == '.' ||
      dotted.find("..") != std::string_view::npos)
    throw UsageError("not a dotted name to allow: '" + std::string(dotted) + "'");
  std::vector<std::string>& into = dotted.ends_with(".*") ? modules_ : names_;
  std::string name(dotted.ends_with(".*") ? dotted.substr(0, dotted.size() - 2) : dotted);
  if (name.empty() || name.back() == '.')
    throw UsageError("not a dotted name to allow: '" + std::string(dotted) + "'");
  auto at = std::lower_bound(into.begin(), into.end(), name);
  if (at == into.end() || *at != name) into.insert(at, std::move(name));
}

Verdict AllowList::judge(std::string_view module, std::string_view name, std::string& why) const {
  std::string dotted;
  dotted.reserve(module.size() + 1 + name.size());
  dotted.append(module).append(".").append(name);
  if (std::binary_search(names_.begin(), names_.end(), dotted) ||
      std::binary_search(modules_.begin(), modules_.end(), std::string(module))) {
    why = "allowed by the caller";
    return Verdict::safe;
  }
  if (const auto* t = detail::scan::find_trusted(module, name);
      t && (!builtin_types_only_ || t->group == Group::builtin)) {
    why = detail::scan::group_reason(t->group);
    return Verdict::safe;
  }
  if (size_t dot = name.rfind('.'); dot != std::string_view::npos && !builtin_types_only_) {
    std::string_view member = name.substr(dot + 1);
    const auto* t = detail::scan::find_trusted(module, name.substr(0, dot));
    if (t && t->group == Group::enum_class && !member.empty() && member.front() != '_') {
      why = "a member of a standard library enum";
      return Verdict::safe;
    }
  }
  if (std::string_view h = detail::scan::harm(module, name); !h.empty()) {
    why = h;
    return Verdict::unsafe;
  }
  why = builtin_types_only_ ? "not a builtin data type (strict)" : "not on the allow-list";
  return Verdict::unknown;
}

}  // namespace pickle
