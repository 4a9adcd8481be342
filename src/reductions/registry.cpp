#include "pickle/registry.hpp"

#include <string>

#include "pickle/error.hpp"

namespace pickle {

void Registry::add_extension(std::string module, std::string name, int32_t code) {
  if (code <= 0) throw UsageError("extension code out of range");
  auto key = std::make_pair(std::move(module), std::move(name));
  auto by_code = by_code_.find(code);
  auto by_name = by_name_.find(key);
  if (by_code != by_code_.end() && by_name != by_name_.end() && by_name->second == code) return;
  if (by_name != by_name_.end())
    throw UsageError("global is already registered with code " + std::to_string(by_name->second));
  if (by_code != by_code_.end())
    throw UsageError("code " + std::to_string(code) + " is already in use");
  by_code_.emplace(code, key);
  by_name_.emplace(std::move(key), code);
}

void Registry::remove_extension(std::string_view module, std::string_view name, int32_t code) {
  auto it = by_code_.find(code);
  if (it == by_code_.end() || it->second.first != module || it->second.second != name)
    throw UsageError("global is not registered with code " + std::to_string(code));
  by_name_.erase(it->second);
  by_code_.erase(it);
}

const std::pair<std::string, std::string>* Registry::extension(int32_t code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? nullptr : &it->second;
}

std::optional<int32_t> Registry::extension_code(std::string_view module,
                                                std::string_view name) const {
  auto it = by_name_.find(std::make_pair(std::string(module), std::string(name)));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

void Registry::add_reduction(std::string module, std::string name, LoadReduction load) {
  if (module.empty() || name.empty())
    throw UsageError("a reduction needs a module name and a name");
  if (!load) throw UsageError("a reduction needs a load function");
  reductions_[std::move(module)][std::move(name)] = std::move(load);
}

void Registry::remove_reduction(std::string_view module, std::string_view name) {
  auto m = reductions_.find(module);
  if (m == reductions_.end()) return;
  if (auto n = m->second.find(name); n != m->second.end()) m->second.erase(n);
  if (m->second.empty()) reductions_.erase(m);
}

const Registry::LoadReduction* Registry::reduction(std::string_view module,
                                                   std::string_view name) const {
  auto m = reductions_.find(module);
  if (m == reductions_.end()) return nullptr;
  auto n = m->second.find(name);
  return n == m->second.end() ? nullptr : &n->second;
}

}  // namespace pickle
