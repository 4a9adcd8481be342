// Opening inputs for subcommands, and mapping errors to exit statuses.
#pragma once

#include <functional>
#include <string>

#include "commands.hpp"
#include "pickle/load.hpp"

namespace pickle::cli {

/// Opens path ("-" for standard input) and runs body on it. Maps errors to the
/// tool's exit statuses: UnpicklingError and unreadable files print one line on
/// standard error and give kBadInput; bad option values give kUsage.
int with_input(const std::string& path, const std::function<int(Source&)>& body);

}  // namespace pickle::cli
