// pickle optimize IN OUT: each pickle of IN as pickletools.optimize returns it, into
// OUT (through a temporary file renamed at the end).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/tools/optimize.hpp"

namespace pickle::cli {

std::function<int()> add_optimize(CLI::App& app) {
  struct Args {
    std::string in, out;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "optimize",
      "Write each pickle of IN to OUT without unused PUTs, as pickletools.optimize does");
  cmd->add_option("IN", args->in, "Input pickle file, or - for standard input")->required();
  cmd->add_option("OUT", args->out, "Output file, or - for standard output")->required();
  return [args]() -> int {
    if (same_file(args->in, args->out)) return kUsage;
    return with_input(args->in, [&](Source& source) {
      // The optimizer copies opcodes by offset: it needs the whole input at once. A
      // FileSource already holds it (mapped); a stream is read to its end.
      std::span<const uint8_t> data;
      std::vector<uint8_t> whole;
      if (dynamic_cast<FileSource*>(&source)) {
        data = source.window();
      } else {
        while (!source.at_end()) {
          auto w = source.window();
          whole.insert(whole.end(), w.begin(), w.end());
          source.consume(w.size());
        }
        data = whole;
      }
      OutputFile out(args->out);
      tools::optimize_each(
          data, [&](std::string_view pickle) { out.sink().write(pickle.data(), pickle.size()); });
      out.commit();
      return kOk;
    });
  };
}

}  // namespace pickle::cli
