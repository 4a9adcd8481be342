// pickle dis [--annotate] [--memo] [--indentlevel N] FILE: the disassembly of every
// pickle in FILE, as python3.13 -m pickletools prints it for each pickle alone.
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/tools/dis.hpp"

namespace pickle::cli {

std::function<int()> add_dis(CLI::App& app) {
  struct Args {
    std::string file;
    bool annotate = false;
    bool memo = false;
    int indentlevel = 4;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd =
      app.add_subcommand("dis", "Disassemble each pickle in FILE as python -m pickletools does");
  cmd->add_option("FILE", args->file, "Pickle file, or - for standard input")->required();
  cmd->add_flag("-a,--annotate", args->annotate,
                "Annotate each line with a short opcode description");
  cmd->add_flag("-m,--memo,--shared-memo", args->memo,
                "Keep the memo from one pickle to the next, for files written by one Pickler "
                "with several dump() calls (default: each pickle is checked alone)");
  cmd->add_option("-l,--indentlevel", args->indentlevel,
                  "The number of blanks by which to indent a new MARK level")
      ->capture_default_str();
  return [args]() -> int {
    tools::DisOptions options;
    options.annotate = args->annotate ? 30 : 0;  // pickletools' column hint for -a
    options.indentlevel = args->indentlevel;
    return with_input(args->file, [&](Source& source) {
      tools::OpcodeWalker walker(source);
      tools::DisMemo memo;
      do {
        if (!args->memo) memo.entries.clear();
        tools::dis(walker, std::cout, options, &memo);
      } while (!walker.at_end());
      std::cout.flush();
      return kOk;
    });
  };
}

}  // namespace pickle::cli
