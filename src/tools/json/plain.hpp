// Plain JSON (docs/json.md, "Plain JSON"): what Python's json.dumps writes for the
// loaded object where JSON has a type for it, a readable form for the rest.
#pragma once

#include <string>

#include "pickle/json.hpp"
#include "pickle/value.hpp"

namespace pickle::detail {

void write_plain_json(std::string& out, Value v, const JsonOptions& options);

}  // namespace pickle::detail
