// pickle show FILE: prints the repr of every pickle in FILE, one line each.
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/pickle.hpp"

namespace pickle::cli {

std::function<int()> add_show(CLI::App& app) {
  struct Args {
    std::string file;
    std::string encoding = "ASCII";
    std::string errors = "strict";
    bool shared_memo = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "show", "Print each pickle in FILE as Python's repr() would, one line per pickle");
  cmd->add_option("FILE", args->file, "Pickle file, or - for standard input")->required();
  cmd->add_option("--encoding", args->encoding,
                  "How to decode Python 2 str: ASCII, latin1, utf-8 or bytes (as CPython 3)")
      ->capture_default_str();
  cmd->add_option("--errors", args->errors,
                  "Decoding errors: strict, ignore, replace, surrogateescape, backslashreplace")
      ->capture_default_str();
  cmd->add_flag("--shared-memo", args->shared_memo,
                "Keep the memo from one pickle to the next, for files written by one Pickler "
                "with several dump() calls (default: each pickle starts afresh, as with "
                "repeated pickle.load(f))");
  return [args]() -> int {
    LoadOptions options;
    options.py2_str.encoding = args->encoding;
    options.py2_str.errors = args->errors;
    // A viewer shows an undecodable Python 2 str as bytes rather than failing.
    options.py2_str.undecodable_as_bytes = true;
    return with_input(args->file, [&](Source& source) {
      Unpickler unpickler(source, options);
      Graph graph;  // one graph for the file, as --shared-memo may refer back
      std::string line;
      do {
        if (!args->shared_memo) unpickler.clear_memo();
        line.clear();
        repr_to(line, unpickler.load(graph));
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
      } while (!unpickler.at_end());
      return kOk;
    });
  };
}

}  // namespace pickle::cli
