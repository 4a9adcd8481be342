// The security scanner: what loading a file would import and call, judged against an
// allow-list, on the machine that loads (never a second parser), failing closed, inside
// every container a loader opens. See docs/security.md ("Scanning").
//
//   pickle::ScanReport r = pickle::scan_file("model.pt");
//   for (const pickle::Finding& f : r.findings)
//     std::printf("%llu %s %s\n", (unsigned long long)f.offset, f.callable.c_str(),
//                 f.why.c_str());
//   bool ok = r.verdict == pickle::Verdict::safe;
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/container.hpp"
#include "pickle/load.hpp"
#include "pickle/registry.hpp"
#include "pickle/zip.hpp"

namespace pickle {

/// What a scan says of a callable, a pickle or a file, from best to worst but for
/// `error`, which ranks between unknown and unsafe for a file (see ScanReport).
enum class Verdict : uint8_t {
  safe,     ///< on the allow-list: harmless when called as a pickle calls it
  unknown,  ///< not known to be harmless (a user's class, a library function)
  error,    ///< the input could not be scanned to its end (fail closed)
  unsafe,   ///< known to be dangerous: runs code, imports, touches files, processes
            ///< or the network, or loads a nested pickle
};
std::string_view verdict_name(Verdict v) noexcept;

/// The names a scan trusts. The default list is the one docs/security.md reasons name
/// by name; `strict()` keeps only the builtin data types.
class AllowList {
 public:
  /// The default list.
  AllowList();
  /// Only the builtin data types (and the reconstructors of builtins that load as
  /// native values, [NOTE strict-natives]).
  static AllowList strict();

  /// Trusts `dotted` too: `module.qualname` as the pickle names it after fix_imports
  /// (`mypkg.models.Net`), or `module.*` for every name of that exact module. Throws
  /// UsageError when it is empty or ends in a dot.
  void allow(std::string_view dotted);

  /// The verdict on the global module.name, and why.
  Verdict judge(std::string_view module, std::string_view name, std::string& why) const;

 private:
  bool builtin_types_only_ = false;
  std::vector<std::string> names_;    // the caller's, sorted
  std::vector<std::string> modules_;  // the caller's `module.*`, sorted
};

struct ScanOptions {
  AllowList allow;
  /// The limits of each load (Limits) and of the containers opened.
  Limits limits;
  ContainerLimits containers;
  ZipLimits zip;
  /// Extension codes (copyreg.add_extension) the loading program has registered;
  /// without them an EXT opcode cannot be resolved and fails the scan (as it fails
  /// CPython's load, whose registry is empty until a program fills it).
  Registry extensions;
  /// How deep pickles nested in pickles (bytes given to pickle.loads) and archives
  /// nested in archives are followed; deeper ones fail the scan.
  unsigned max_nesting = 8;
  /// Read the bytes after each joblib NumpyArrayWrapper as joblib.load does (the
  /// array's data, skipped, or a nested pickle, scanned); false: as pickle.load would,
  /// as the pickle's next opcodes.
  bool joblib_arrays = true;
  /// Memory to draw from and give back to (pickle/pool.hpp): one pool kept across the
  /// files of a scan keeps their memory warm. nullptr: the system's.
  MemoryPool* pool = nullptr;

  /// Reads a policy file's text, a JSON object with either key or both:
  ///   {"allow": ["module.qualname", "module.*", ...],
  ///    "extensions": [["module", "qualname", code], ...]}
  /// `allow` as AllowList::allow; `extensions` as copyreg.add_extension in the loading
  /// program. Throws UsageError naming what is wrong.
  void add_policy(std::string_view json_text);
};

/// One thing a scan reports.
struct Finding {
  /// Where, inside the file: the members of the containers, outermost first (a zip
  /// member's name, `pickle.loads@123` for bytes a pickle gives a nested loader at
  /// byte 123); empty for the file itself.
  std::vector<std::string> member;
  /// The offset in the innermost bytes: of the opcode, or where the input went wrong.
  uint64_t offset = 0;
  /// The opcode's name (`STACK_GLOBAL`), or empty.
  std::string opcode;
  Verdict verdict = Verdict::unknown;
  /// The dotted name of the callable (`posix.system`), or empty (an error).
  std::string callable;
  std::string why;
};

struct ScanReport {
  /// unsafe when a finding is unsafe; else error when the file could not be scanned
  /// to its end; else unknown when a finding is unknown; else safe.
  Verdict verdict = Verdict::safe;
  std::vector<Finding> findings;
  /// Pickles decoded (whole or in part) and globals looked up, nested ones included.
  size_t pickles = 0;
  size_t globals = 0;
};

/// Scans the file at `path` ("-": standard input). Never throws for bad input (an
/// error finding says what went wrong); throws OSError when the file cannot be read.
ScanReport scan_file(const std::string& path, const ScanOptions& options = {});
/// Scans bytes held in memory.
ScanReport scan_bytes(std::span<const uint8_t> bytes, const ScanOptions& options = {});

}  // namespace pickle

#pragma GCC visibility pop
