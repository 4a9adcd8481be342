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
    bool data = false;
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
  cmd->add_flag("--data", args->data,
                "Print numpy arrays and tensors with their data, in the constructor form of "
                "other objects (default: a short form, numpy.ndarray(shape=(2, 3), "
                "dtype=int32))");
  return [args, max_output]() -> int {
    LoadOptions options = args->load.options();
    // A viewer shows an undecodable Python 2 str as bytes rather than failing.
    options.py2_str.undecodable_as_bytes = true;
    const bool explicit_limit = max_output->count() > 0;
    const TorchStorages* storages = nullptr;
    ReprOptions form;
    if (!args->data) {
      // Arrays and tensors in short. One whose parts do not fit prints as any object.
      form.object_form = [&storages](Value v, std::string& out) {
        try {
          std::optional<ArrayView> a = as_array(v, storages);
          if (!a) return false;
          out += array_summary(*a);
          return true;
        } catch (const PickleError&) {
          return false;
        }
      };
    }
    uint64_t printed = 0;  // bytes of repr printed so far, for the per-file budget
    // Prints v, the pickle at input bytes [start, end) (`scope` bytes of it count for
    // its value budget); false when the printout was cut (then nothing more is shown).
    auto print = [&](Value v, uint64_t start, uint64_t end, uint64_t scope, bool more) {
      std::string line;
      ReprOptions budget = form;  // See [NOTE show-budget].
      if (explicit_limit) {
        budget.max_bytes =
            static_cast<size_t>(std::min<uint64_t>(args->max_output - printed, SIZE_MAX));
        budget.max_visits = SIZE_MAX;
      } else {
        budget.max_visits = scaled(kBaseValues, scope, budget.max_visits);
        budget.max_bytes = scaled(kBaseBytes, end, budget.max_bytes + printed) - printed;
      }
      budget.cut_at_limit = true;
      ReprCut cut = repr_to(line, v, budget);
      size_t kept = line.size() - (cut == ReprCut::none ? 0 : 3);
      line.push_back('\n');
      std::fwrite(line.data(), 1, line.size(), stdout);
      if (cut != ReprCut::none) {
        std::fflush(stdout);
        report_cut(args->file, cut, start, kept, budget, printed + budget.max_bytes, explicit_limit,
                   more);
        return false;
      }
      printed += kept;
      return true;
    };
    return with_input(args->file, [&](Source& source) {
      source.ensure(512);
      std::span<const uint8_t> head = source.window();
      Container kind = detect_container(head.first(std::min<size_t>(head.size(), 16)));
      if (kind == Container::zip || kind == Container::npy || TarArchive::looks_like_tar(head)) {
        // A checkpoint (zip or tar), .npz or .npy: read whole (a mapped file is not copied) and
        // opened as a TensorFile; its roots print with their tensors' storages.
        std::vector<uint8_t> copy;
        std::span<const uint8_t> bytes = source.window();
        source.consume(bytes.size());
        if (source.ensure(1)) {
          copy.assign(bytes.begin(), bytes.end());
          source.append_rest(copy);
          bytes = copy;
        }
        TensorFileOptions file_options;
        file_options.load = options;
        TensorFile file(bytes, file_options);
        storages = file.storages();
        std::span<const Value> roots = file.roots();
        for (size_t i = 0; i < roots.size(); ++i)
          if (!print(roots[i], 0, bytes.size(), bytes.size(), i + 1 < roots.size())) break;
        return kOk;
      }
      Unpickler unpickler(source, options);
      Graph graph;  // one graph for the file, as --shared-memo may refer back
      size_t count = 0;
      bool legacy = false;
      do {
        if (!args->shared_memo) unpickler.clear_memo();
        uint64_t start = source.offset();
        Value v;
        if (legacy && count == 3) {
          // A legacy checkpoint's object: its module classes are persistent ids.
          LoadOptions object_options = options;
          object_options.persistent_load = torch_legacy_persistent_load;
          v = Unpickler(source, object_options).load(graph);
        } else {
          v = unpickler.load(graph);
        }
        uint64_t end = source.offset();
        // A legacy torch.save file: five pickles (the magic number, the protocol, the
        // sys_info, the object, the storage keys), then the storages' raw bytes.
        if (count++ == 0) legacy = is_torch_legacy_magic(v);
        bool last = legacy && count == 5;
        if (!print(v, start, end, args->shared_memo ? end : end - start,
                   !last && !unpickler.at_end()) ||
            last)
          return kOk;
      } while (!unpickler.at_end());
      return kOk;
    });
  };
}

}  // namespace pickle::cli
