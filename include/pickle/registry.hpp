// A Registry the caller owns and passes in (LoadOptions::registry,
// DumpOptions::registry): the C++ analogue of copyreg's extension registry
// (add_extension), and the caller's entries of the reductions table (how a call of a
// global loads; see docs/reductions.md). No process-wide state.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "pickle/value.hpp"

namespace pickle {

class Registry {
 public:
  /// Registers `code` (1..0x7fffffff) for the global module.name, as
  /// copyreg.add_extension. Throws UsageError on a conflicting entry.
  void add_extension(std::string module, std::string name, int32_t code);
  /// Removes a registration (copyreg.remove_extension).
  void remove_extension(std::string_view module, std::string_view name, int32_t code);
  /// The global registered for code, if any.
  const std::pair<std::string, std::string>* extension(int32_t code) const;
  /// The code registered for module.name, if any.
  std::optional<int32_t> extension_code(std::string_view module, std::string_view name) const;

  /// How a call module.name(*args) loads (REDUCE): sets `out` to the value it makes in
  /// `graph` and returns true, or returns false to keep the generic Object. An
  /// exception it throws fails the load with an UnpicklingError at the REDUCE.
  using LoadReduction = std::function<bool(Graph& graph, std::span<const Value> args, Value& out)>;
  /// Adds (or replaces) the caller's entry for module.name, which takes precedence over
  /// a builtin entry of the same name (builtins.set, copyreg._reconstructor, ...). The
  /// value it makes is written back as what it is: a caller that wants the call
  /// written again keeps it an Object. Strict mode still refuses the global unless it
  /// is on the allow-list.
  void add_reduction(std::string module, std::string name, LoadReduction load);
  void remove_reduction(std::string_view module, std::string_view name);
  /// The caller's entry for module.name, if any.
  const LoadReduction* reduction(std::string_view module, std::string_view name) const;
  bool has_reductions() const noexcept { return !reductions_.empty(); }

 private:
  std::map<std::string, std::map<std::string, LoadReduction, std::less<>>, std::less<>> reductions_;
  std::map<int32_t, std::pair<std::string, std::string>> by_code_;
  std::map<std::pair<std::string, std::string>, int32_t, std::less<>> by_name_;
};

}  // namespace pickle
#pragma GCC visibility pop
