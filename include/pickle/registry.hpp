// A Registry the caller owns and passes in: the C++ analogue of copyreg's extension
// registry (add_extension). No process-wide state.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

 private:
  std::map<int32_t, std::pair<std::string, std::string>> by_code_;
  std::map<std::pair<std::string, std::string>, int32_t, std::less<>> by_name_;
};

}  // namespace pickle
#pragma GCC visibility pop
