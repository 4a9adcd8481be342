// pickle json [--plain] IN [OUT]: each pickle of IN as one JSON document per line.
// pickle from-json IN OUT [--protocol N]: each JSON document of IN as a pickle.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/pickle.hpp"

namespace pickle::cli {
namespace {

// The whole of a file, or of standard input for "-".
std::string read_all(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) throw OSError(std::error_code(errno, std::generic_category()), path);
  std::string text;
  char buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f);
  int err = errno;
  if (f != stdin) std::fclose(f);
  if (failed) throw OSError(std::error_code(err, std::generic_category()), path);
  return text;
}

}  // namespace

std::function<int()> add_json(CLI::App& app) {
  struct Args {
    std::string in, out = "-";
    bool plain = false, utf8 = false;
    int indent = -1;
    std::string color = "auto";
    LoadArgs load{.encoding = "bytes"};  // as convert loads them, for the same bytes
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "json", "Write every pickle in IN as JSON, one document per line (docs/json.md)");
  cmd->add_option("IN", args->in, "Input pickle file, or - for standard input")->required();
  cmd->add_option("OUT", args->out, "Output file, or - for standard output (the default)");
  cmd->add_flag("--plain", args->plain,
                "Write what Python's json.dumps writes for the loaded object, and a readable "
                "form for the rest, instead of the lossless mapping");
  cmd->add_option("--indent", args->indent,
                  "Indent nested values by N spaces, one element per line (default: one line)")
      ->type_name("N")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--utf8", args->utf8,
                "With --plain: write non-ASCII text as UTF-8 rather than \\u escapes");
  cmd->add_option("--color", args->color,
                  "With --plain: colour the output: auto (on a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  add_load_options(*cmd, args->load,
                   "How to load Python 2 str: bytes (the default, as convert: base64 in JSON), "
                   "or latin1 (every byte kept, ASCII text readable), ASCII, utf-8");
  return [args]() -> int {
    if (same_file(args->in, args->out)) return kUsage;
    LoadOptions load_options = args->load.options();
    JsonOptions options;
    options.plain = args->plain;
    options.indent = args->indent;
    options.ensure_ascii = !args->utf8;
    options.color =
        args->plain && (args->color == "always" ||
                        (args->color == "auto" && args->out == "-" && isatty(STDOUT_FILENO)));
    return with_input(args->in, [&](Source& source) {
      OutputFile out(args->out);
      Unpickler unpickler(source, load_options);
      Graph graph;
      std::string text;
      do {
        graph.clear();
        unpickler.clear_memo();
        Value v = unpickler.load(graph);
        text.clear();
        to_json(text, v, options);
        text += '\n';
        out.sink().write(text.data(), text.size());
      } while (!unpickler.at_end());
      out.commit();
      return kOk;
    });
  };
}

std::function<int()> add_from_json(CLI::App& app) {
  struct Args {
    std::string in, out;
    int protocol = DEFAULT_PROTOCOL;
    std::string py2_str = "keep";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "from-json", "Write every JSON document in IN as a pickle to OUT (docs/json.md)");
  cmd->add_option("IN", args->in, "Input JSON file, or - for standard input")->required();
  cmd->add_option("OUT", args->out, "Output file, or - for standard output")->required();
  add_protocol_option(*cmd, args->protocol,
                      "Protocol to write, 0-5; negative means the highest (default: 4)");
  cmd->add_option("--py2-str", args->py2_str,
                  "How to write Python 2 str: keep (as Python 2 str, the default), text or "
                  "bytes (as convert --py2-str)")
      ->check(CLI::IsMember({"keep", "text", "bytes"}))
      ->capture_default_str();
  return [args]() -> int {
    if (same_file(args->in, args->out)) return kUsage;
    DumpOptions dump_options;
    dump_options.protocol = args->protocol;
    dump_options.py2_str = args->py2_str == "text"    ? Py2Str::text
                           : args->py2_str == "bytes" ? Py2Str::bytes
                                                      : Py2Str::keep;
    return with_errors(args->in, "", [&] {
      std::string text = read_all(args->in);
      JsonReader reader(text);
      OutputFile out(args->out);
      Pickler pickler(out.sink(), dump_options);
      Graph graph;
      size_t documents = 0;
      for (Value v; reader.next(graph, v); graph.clear()) {
        pickler.clear_memo();
        pickler.dump(v);
        ++documents;
      }
      if (documents == 0) throw JsonError(0, "no JSON document");
      out.commit();
      return kOk;
    });
  };
}

}  // namespace pickle::cli
