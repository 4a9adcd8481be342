// The `pickle` command-line tool: parses arguments and runs one subcommand.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "pickle/pickle.hpp"

int main(int argc, char** argv) {
  CLI::App app{"pickle: read Python pickles (protocols 0-5) without Python"};
  app.set_version_flag("--version", std::string("pickle ") + pickle::version());
  app.require_subcommand(1);
  auto run_show = pickle::cli::add_show(app);
  auto run_convert = pickle::cli::add_convert(app);
  auto run_dis = pickle::cli::add_dis(app);
  auto run_optimize = pickle::cli::add_optimize(app);
  auto run_bench = pickle::cli::add_bench(app);
  auto run_tensors = pickle::cli::add_tensors(app);
  auto run_safetensors = pickle::cli::add_safetensors(app);
  auto run_scan = pickle::cli::add_scan(app);
  auto run_json = pickle::cli::add_json(app);
  auto run_from_json = pickle::cli::add_from_json(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return pickle::cli::kOk;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e);
    return pickle::cli::kOk;
  } catch (const CLI::CallForVersion& e) {
    app.exit(e);
    return pickle::cli::kOk;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return pickle::cli::kUsage;
  }
  if (app.got_subcommand("show")) return run_show();
  if (app.got_subcommand("convert")) return run_convert();
  if (app.got_subcommand("dis")) return run_dis();
  if (app.got_subcommand("optimize")) return run_optimize();
  if (app.got_subcommand("bench")) return run_bench();
  if (app.got_subcommand("tensors")) return run_tensors();
  if (app.got_subcommand("safetensors")) return run_safetensors();
  if (app.got_subcommand("scan")) return run_scan();
  if (app.got_subcommand("json")) return run_json();
  if (app.got_subcommand("from-json")) return run_from_json();
  return pickle::cli::kUsage;
}
