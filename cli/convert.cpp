// pickle convert [--protocol N] IN OUT: loads every pickle in IN and dumps each again.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/pickle.hpp"

namespace pickle::cli {

std::function<int()> add_convert(CLI::App& app) {
  struct Args {
    std::string in, out;
    int protocol = DEFAULT_PROTOCOL;
    LoadArgs load{.encoding = "bytes"};
    std::string py2_str = "keep";
    bool shared_memo = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Load every pickle in IN and write it to OUT with another protocol");
  cmd->add_option("IN", args->in, "Input pickle file, or - for standard input")->required();
  cmd->add_option("OUT", args->out, "Output file, or - for standard output")->required();
  add_protocol_option(*cmd, args->protocol,
                      "Protocol to write, 0-5; negative means the highest (default: 4)");
  add_load_options(*cmd, args->load,
                   "How to load Python 2 str: bytes keeps them exactly (--py2-str says how they "
                   "are written), or ASCII, latin1, utf-8");
  cmd->add_option("--py2-str", args->py2_str,
                  "How to write Python 2 str: keep (as Python 2 str, the default), text (as "
                  "Python 3 str: their decoded text, see --encoding) or bytes (as Python 3 "
                  "bytes)")
      ->check(CLI::IsMember({"keep", "text", "bytes"}))
      ->capture_default_str();
  cmd->add_flag("--shared-memo", args->shared_memo,
                "Keep the memo between the pickles of a file, reading and writing (for files "
                "written by one Pickler with several dump() calls)");
  return [args]() -> int {
    if (same_file(args->in, args->out)) return kUsage;
    LoadOptions load_options = args->load.options();
    DumpOptions dump_options;
    dump_options.protocol = args->protocol;
    dump_options.py2_str = args->py2_str == "text"    ? Py2Str::text
                           : args->py2_str == "bytes" ? Py2Str::bytes
                                                      : Py2Str::keep;
    return with_input(args->in, [&](Source& source) {
      OutputFile out(args->out);
      Unpickler unpickler(source, load_options);
      Graph graph;  // one graph for the file, as --shared-memo may refer back
      Pickler pickler(out.sink(), dump_options);
      do {
        if (!args->shared_memo) {
          unpickler.clear_memo();
          pickler.clear_memo();
        }
        pickler.dump(unpickler.load(graph));
      } while (!unpickler.at_end());
      out.commit();
      return kOk;
    });
  };
}

}  // namespace pickle::cli
