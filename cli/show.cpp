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
// far. Such a pickle is well formed, so past that the printout is cut: the line ends
// with "...", standard error says where and why, and the exit status is 0 (DESIGN.md,
// "show of a huge printout"). `--max-output BYTES` replaces both: the output is cut
// at BYTES in all, and values are not counted (every value but an empty name prints
// at least one byte of its own or of a separator, so the bytes bound the work too).
constexpr uint64_t kPerInputByte = 64;
constexpr uint64_t kBaseValues = uint64_t(1) << 20;
constexpr uint64_t kBaseBytes = uint64_t(1) << 26;

size_t scaled(uint64_t base, uint64_t input_bytes, uint64_t cap) {
  uint64_t n = input_bytes > (uint64_t(1) << 40) ? cap : base + kPerInputByte * input_bytes;
  return static_cast<size_t>(std::min(n, cap));
}

// The line on standard error for a printout cut at a limit.
void report_cut(const std::string& file, ReprCut cut, uint64_t pickle_start, size_t kept,
                const ReprOptions& budget, uint64_t limit, bool explicit_limit, bool more) {
  std::string why;
  if (cut == ReprCut::max_visits) {
    why = "it prints more than " + std::to_string(budget.max_visits) +
          " values (2^20 plus 64 per input byte of the pickle; a value shared through the "
          "memo prints once per reference); --max-output BYTES sets the limit";
  } else if (explicit_limit) {
    why = "the output reached --max-output " + std::to_string(limit);
  } else {
    why = "the output reached the limit of " + std::to_string(limit) +
          " bytes (64 MiB plus 64 per input byte; a value shared through the memo prints "
          "once per reference); --max-output BYTES sets it";
  }
  std::fprintf(stderr,
               "pickle: %s: the printout of the pickle at byte %llu is cut after %zu bytes "
               "and ends with '...': %s%s\n",
               file.c_str(), static_cast<unsigned long long>(pickle_start), kept, why.c_str(),
               more ? "; the pickles after it are not shown" : "");
}
}  // namespace

std::function<int()> add_show(CLI::App& app) {
  struct Args {
    std::string file;
    LoadArgs load;
    bool shared_memo = false;
    uint64_t max_output = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "show", "Print each pickle in FILE as Python's repr() would, one line per pickle");
  cmd->add_option("FILE", args->file, "Pickle file, or - for standard input")->required();
  add_load_options(*cmd, args->load,
                   "How to decode Python 2 str: ASCII, latin1, utf-8 or bytes (as CPython 3)");
  cmd->add_flag("--shared-memo", args->shared_memo,
                "Keep the memo from one pickle to the next, for files written by one Pickler "
                "with several dump() calls (default: each pickle starts afresh, as with "
                "repeated pickle.load(f))");
  CLI::Option* max_output =
      cmd->add_option("--max-output", args->max_output,
                      "Cut the printout at this many bytes in all, ending it with '...' "
                      "(suffixes k, M, G: powers of 1024; default: 64 MiB plus 64 per input "
                      "byte, and 2^20 values plus 64 per input byte of each pickle)")
          ->check(CLI::Validator(
              [](const std::string& s) {
                return s.find('-') == std::string::npos ? std::string() : "must not be negative";
              },
              "", "not negative"))
          ->transform(CLI::AsSizeValue(false))
          ->type_name("BYTES");
  return [args, max_output]() -> int {
    LoadOptions options = args->load.options();
    // A viewer shows an undecodable Python 2 str as bytes rather than failing.
    options.py2_str.undecodable_as_bytes = true;
    const bool explicit_limit = max_output->count() > 0;
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
        if (explicit_limit) {
          budget.max_bytes =
              static_cast<size_t>(std::min<uint64_t>(args->max_output - printed, SIZE_MAX));
          budget.max_visits = SIZE_MAX;
        } else {
          budget.max_visits =
              scaled(kBaseValues, args->shared_memo ? end : end - start, budget.max_visits);
          budget.max_bytes = scaled(kBaseBytes, end, budget.max_bytes + printed) - printed;
        }
        budget.cut_at_limit = true;
        ReprCut cut = repr_to(line, v, budget);
        size_t kept = line.size() - (cut == ReprCut::none ? 0 : 3);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
        if (cut != ReprCut::none) {
          std::fflush(stdout);
          report_cut(args->file, cut, start, kept, budget, printed + budget.max_bytes,
                     explicit_limit, !unpickler.at_end());
          return kOk;
        }
        printed += kept;
      } while (!unpickler.at_end());
      return kOk;
    });
  };
}

}  // namespace pickle::cli
