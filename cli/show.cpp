// pickle show FILE: prints the repr of every pickle in FILE, one line each.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/pickle.hpp"

namespace pickle::cli {

namespace {
// [NOTE show-budget] Printing is a tree walk, so a value shared through the memo is
// printed once per reference: a few hundred bytes can describe 10^18 values. An
// honest pickle prints a few bytes per input byte (escapes make a byte at most four;
// shared keys and small shared values add a little), so `show` allows 64 of each per
// input byte on top of a fixed allowance: per pickle, 2^20 values plus 64 per byte of
// that pickle (of the whole input so far with --shared-memo, whose pickles may refer
// to earlier ones); per file, 64 MiB of output plus 64 bytes per input byte read so
// far. Past that it stops with an error instead of filling memory or the terminal.
constexpr uint64_t kPerInputByte = 64;

size_t scaled(uint64_t base, uint64_t input_bytes, uint64_t cap) {
  uint64_t n = input_bytes > (uint64_t(1) << 40) ? cap : base + kPerInputByte * input_bytes;
  return static_cast<size_t>(std::min(n, cap));
}
}  // namespace

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
      uint64_t printed = 0;  // bytes of repr printed so far, for the per-file budget
      do {
        if (!args->shared_memo) unpickler.clear_memo();
        line.clear();
        uint64_t start = source.offset();
        Value v = unpickler.load(graph);
        uint64_t end = source.offset();
        ReprOptions budget;  // See [NOTE show-budget].
        budget.max_visits =
            scaled(uint64_t(1) << 20, args->shared_memo ? end : end - start, budget.max_visits);
        budget.max_bytes = scaled(uint64_t(1) << 26, end, budget.max_bytes + printed) - printed;
        try {
          repr_to(line, v, budget);
        } catch (const std::length_error& e) {
          std::fflush(stdout);
          std::fprintf(stderr, "pickle: %s: the pickle at byte %llu is too large to show: %s\n",
                       args->file.c_str(), static_cast<unsigned long long>(start), e.what());
          return kBadInput;
        }
        printed += line.size();
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
      } while (!unpickler.at_end());
      return kOk;
    });
  };
}

}  // namespace pickle::cli
