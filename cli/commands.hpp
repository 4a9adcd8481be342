// Subcommands of the `pickle` tool. Each registers its options on the app and
// returns the exit status through the shared runner.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace pickle::cli {

/// Exit statuses of the tool (DESIGN.md): 0 success, 1 bad input or I/O, 2 usage.
enum Exit : int { kOk = 0, kBadInput = 1, kUsage = 2 };

/// Adds `show` to app; the returned callback runs it after parsing.
std::function<int()> add_show(CLI::App& app);
/// Adds `convert`.
std::function<int()> add_convert(CLI::App& app);
/// Adds `dis`.
std::function<int()> add_dis(CLI::App& app);
/// Adds `optimize`.
std::function<int()> add_optimize(CLI::App& app);
/// Adds `bench`.
std::function<int()> add_bench(CLI::App& app);
/// Adds `tensors`.
std::function<int()> add_tensors(CLI::App& app);
/// Adds `safetensors`.
std::function<int()> add_safetensors(CLI::App& app);
/// Adds `scan`.
std::function<int()> add_scan(CLI::App& app);
/// Adds `json`.
std::function<int()> add_json(CLI::App& app);
/// Adds `from-json`.
std::function<int()> add_from_json(CLI::App& app);

}  // namespace pickle::cli
