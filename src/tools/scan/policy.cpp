// ScanOptions::add_policy: a policy file's names to trust and extension codes.
#include <string>

#include "pickle/scan.hpp"
#include "text/literal_parse.hpp"

namespace pickle {

namespace {

[[noreturn]] void bad(const std::string& what) {
  throw UsageError("policy: " + what);
}

}  // namespace

// The file is JSON; the Python-literal reader reads the part of JSON a policy uses
// (objects, arrays, strings, integers), with an explicit stack.
void ScanOptions::add_policy(std::string_view json_text) {
  Graph g;
  Value v;
  detail::LiteralError error;
  if (!detail::parse_literal(json_text, g, v, error))
    bad("at byte " + std::to_string(error.offset) + ": " + error.what);
  if (!v.is_dict()) bad("not a JSON object of the form {\"allow\": [...]}");
  for (const auto& [key, value] : v.dict().entries) {
    if (key.is_str() && key.as_str() == "allow") {
      if (!value.is_list()) bad("\"allow\" is not a list of names");
      for (Value name : value.items()) {
        if (!name.is_str()) bad("\"allow\" holds something that is not a name");
        allow.allow(name.as_str());
      }
    } else if (key.is_str() && key.as_str() == "extensions") {
      if (!value.is_list()) bad("\"extensions\" is not a list of [module, name, code]");
      for (Value e : value.items()) {
        if (!e.is_list() || e.size() != 3 || !e[0].is_str() || !e[1].is_str() || !e[2].is_int() ||
            e[2].is_bigint())
          bad("an extension that is not [\"module\", \"qualname\", code]");
        int64_t code = e[2].raw_int();
        if (code < 1 || code > 0x7fffffff)
          bad("extension code " + std::to_string(code) + " is not in 1..2147483647");
        extensions.add_extension(std::string(e[0].as_str()), std::string(e[1].as_str()),
                                 static_cast<int32_t>(code));
      }
    } else {
      bad("unknown key (a policy has \"allow\" and \"extensions\")");
    }
  }
}

}  // namespace pickle
