// pickle scan [--json|--sarif] [--allow NAME]... [--policy FILE]... [--strict] [--jobs N]
// PATH...: the security scanner over files and folders (recursively), in parallel.
// Exit 0 when every file is safe, 1 when any is not (or cannot be scanned), 2 for a
// usage error. See docs/cli.md and docs/security.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "json_text.hpp"
#include "pickle/pickle.hpp"
#include "pickle/scan.hpp"

namespace pickle::cli {

namespace {

struct Args {
  std::vector<std::string> paths;
  bool json = false;
  bool sarif = false;
  std::vector<std::string> allow;
  std::vector<std::string> policies;
  bool strict = false;
  unsigned jobs = 0;
};

struct Result {
  std::string path;
  ScanReport report;
};

// The files under the paths given: a folder's regular files, recursively, in name
// order; other paths as they are (a missing one fails its scan).
std::vector<std::string> list_files(const std::vector<std::string>& paths,
                                    std::vector<Result>& unreadable) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (p != "-" && fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec);
      for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->is_regular_file(ec)) found.push_back(it->path().string());
      if (ec) {
        Result r{p, {}};
        r.report.verdict = Verdict::error;
        r.report.findings.push_back({{}, 0, "", Verdict::error, "", ec.message()});
        unreadable.push_back(std::move(r));
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(p);
    }
  }
  return files;
}

ScanReport scan_one(const std::string& path, const ScanOptions& options) {
  try {
    return scan_file(path, options);
  } catch (const std::exception& e) {
    ScanReport r;
    r.verdict = Verdict::error;
    std::string why = e.what();
    // OSError's message names the path already.
    if (why.rfind(path, 0) == 0 && why.size() > path.size() + 2) why = why.substr(path.size() + 2);
    r.findings.push_back({{}, 0, "", Verdict::error, "", why});
    return r;
  }
}

std::string location(const std::string& path, const Finding& f) {
  std::string s = path;
  for (const std::string& m : f.member) s += "[" + m + "]";
  return s;
}

void print_text(const Result& r) {
  std::string out;
  for (const Finding& f : r.report.findings) {
    out += location(r.path, f) + ":" + std::to_string(f.offset) + ": ";
    out += verdict_name(f.verdict);
    out += ": ";
    if (!f.callable.empty()) {
      out += f.callable;
      if (!f.opcode.empty()) out += " (" + f.opcode + ")";
      out += ": ";
    }
    out += f.why + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void append_finding_json(std::string& out, const Finding& f) {
  out += "{\"member\": [";
  for (size_t i = 0; i < f.member.size(); ++i) {
    if (i) out += ", ";
    append_json_string(out, f.member[i]);
  }
  out += "], \"offset\": " + std::to_string(f.offset) + ", \"opcode\": ";
  if (f.opcode.empty())
    out += "null";
  else
    append_json_string(out, f.opcode);
  out += ", \"verdict\": ";
  append_json_string(out, verdict_name(f.verdict));
  out += ", \"callable\": ";
  if (f.callable.empty())
    out += "null";
  else
    append_json_string(out, f.callable);
  out += ", \"why\": ";
  append_json_string(out, f.why);
  out += "}";
}

struct Tally {
  size_t safe = 0, unsafe = 0, unknown = 0, error = 0;
  void add(Verdict v) {
    switch (v) {
      case Verdict::safe: ++safe; break;
      case Verdict::unsafe: ++unsafe; break;
      case Verdict::unknown: ++unknown; break;
      case Verdict::error: ++error; break;
    }
  }
};

std::string json_report(const std::vector<Result>& results, const Tally& t) {
  std::string out = "{\"files\": [";
  for (size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    out += i ? ", {\"path\": " : "{\"path\": ";
    append_json_string(out, r.path);
    out += ", \"verdict\": ";
    append_json_string(out, verdict_name(r.report.verdict));
    out += ", \"pickles\": " + std::to_string(r.report.pickles);
    out += ", \"globals\": " + std::to_string(r.report.globals) + ", \"findings\": [";
    for (size_t k = 0; k < r.report.findings.size(); ++k) {
      if (k) out += ", ";
      append_finding_json(out, r.report.findings[k]);
    }
    out += "]}";
  }
  out += "], \"summary\": {\"files\": " + std::to_string(results.size()) +
         ", \"safe\": " + std::to_string(t.safe) + ", \"unsafe\": " + std::to_string(t.unsafe) +
         ", \"unknown\": " + std::to_string(t.unknown) + ", \"error\": " + std::to_string(t.error) +
         "}}\n";
  return out;
}

// SARIF 2.1.0, for code-scanning tools: one rule per verdict, one result per finding.
std::string sarif_report(const std::vector<Result>& results) {
  std::string out =
      "{\"version\": \"2.1.0\", "
      "\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", "
      "\"runs\": [{\"tool\": {\"driver\": {\"name\": \"pickle scan\", \"version\": ";
  append_json_string(out, version());
  out +=
      ", \"rules\": ["
      "{\"id\": \"unsafe\", \"shortDescription\": {\"text\": \"A global known to be dangerous "
      "(code execution, imports, files, processes, network, nested loaders)\"}}, "
      "{\"id\": \"unknown\", \"shortDescription\": {\"text\": \"A global that is not on the "
      "allow-list\"}}, "
      "{\"id\": \"error\", \"shortDescription\": {\"text\": \"Input that could not be scanned "
      "to its end (the scan fails closed)\"}}]}}, \"results\": [";
  bool first = true;
  for (const Result& r : results) {
    for (const Finding& f : r.report.findings) {
      out += first ? "{" : ", {";
      first = false;
      out += "\"ruleId\": ";
      append_json_string(out, verdict_name(f.verdict));
      out += ", \"level\": ";
      append_json_string(out, f.verdict == Verdict::unknown ? "warning" : "error");
      std::string text;
      for (const std::string& m : f.member) text += "[" + m + "]";
      if (!text.empty()) text += " ";
      text += "byte " + std::to_string(f.offset) + ": ";
      if (!f.callable.empty())
        text += f.callable + (f.opcode.empty() ? "" : " (" + f.opcode + ")") + ": ";
      text += f.why;
      out += ", \"message\": {\"text\": ";
      append_json_string(out, text);
      out += "}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ";
      append_json_string(out, r.path);
      out += "}";
      if (f.member.empty())
        out += ", \"region\": {\"byteOffset\": " + std::to_string(f.offset) + "}";
      out += "}}]}";
    }
  }
  out += "]}]}\n";
  return out;
}

int run(const Args& a) {
  ScanOptions options;
  if (a.strict) options.allow = AllowList::strict();
  try {
    for (const std::string& name : a.allow) options.allow.allow(name);
    for (const std::string& path : a.policies) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "pickle: %s: cannot read the policy file\n", path.c_str());
        return kUsage;
      }
      std::stringstream text;
      text << in.rdbuf();
      options.add_policy(text.str());
    }
  } catch (const UsageError& e) {
    std::fprintf(stderr, "pickle scan: %s\n", e.what());
    return kUsage;
  }

  std::vector<Result> results;
  std::vector<std::string> files = list_files(a.paths, results);
  size_t first_file = results.size();
  results.resize(first_file + files.size());
  for (size_t i = 0; i < files.size(); ++i) results[first_file + i].path = files[i];

  // Workers take files in order; the main thread prints each text result as soon as
  // every earlier one is printed, so the output is in order whatever the jobs.
  unsigned jobs = a.jobs ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<size_t>(jobs, std::max<size_t>(files.size(), 1)));
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::condition_variable done_cv;
  std::vector<char> done(files.size(), 0);
  auto work = [&] {
    // A worker's files reuse one another's memory (a first touch of a fresh page costs
    // more than scanning what fills it); a pool per worker, so none waits for another.
    MemoryPool pool;
    ScanOptions mine = options;
    mine.pool = &pool;
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      ScanReport r = scan_one(files[i], mine);
      std::lock_guard lock(mutex);
      results[first_file + i].report = std::move(r);
      done[i] = 1;
      done_cv.notify_all();
    }
  };
  std::vector<std::thread> workers;
  for (unsigned j = 0; j < jobs; ++j) workers.emplace_back(work);

  bool text = !a.json && !a.sarif;
  bool progress = isatty(STDERR_FILENO) && files.size() > 1;
  if (text)
    for (size_t i = 0; i < first_file; ++i) print_text(results[i]);
  for (size_t i = 0; i < files.size(); ++i) {
    {
      std::unique_lock lock(mutex);
      done_cv.wait(lock, [&] { return done[i] != 0; });
    }
    if (text && !results[first_file + i].report.findings.empty()) {
      if (progress) std::fprintf(stderr, "\r\033[K");  // the progress line, cleared
      print_text(results[first_file + i]);
    }
    if (progress) {
      if (text) std::fflush(stdout);
      std::fprintf(stderr, "\rscanned %zu/%zu files", i + 1, files.size());
    }
  }
  for (std::thread& w : workers) w.join();
  if (progress) std::fprintf(stderr, "\r\033[K");

  Tally tally;
  for (const Result& r : results) tally.add(r.report.verdict);
  std::string out;
  if (a.json) {
    out = json_report(results, tally);
  } else if (a.sarif) {
    out = sarif_report(results);
  } else {
    out = "scanned " + std::to_string(results.size()) +
          (results.size() == 1 ? " file: " : " files: ") + std::to_string(tally.safe) + " safe, " +
          std::to_string(tally.unsafe) + " unsafe, " + std::to_string(tally.unknown) +
          " unknown, " + std::to_string(tally.error) +
          (tally.error == 1 ? " error\n" : " errors\n");
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return tally.safe == results.size() ? kOk : kBadInput;
}

}  // namespace

std::function<int()> add_scan(CLI::App& app) {
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "scan",
      "Scan pickles, checkpoints and archives for what loading them would import and call: "
      "exit 0 when every file is safe (every global on the allow-list), 1 when any is unsafe, "
      "unknown or cannot be scanned, 2 for a usage error");
  cmd->add_option("PATH", args->paths,
                  "Files or folders (scanned recursively); - for standard input")
      ->required();
  auto* json = cmd->add_flag("--json", args->json, "Print the report as JSON");
  auto* sarif = cmd->add_flag("--sarif", args->sarif, "Print the report as SARIF 2.1.0");
  json->excludes(sarif);
  cmd->add_option("--allow", args->allow,
                  "Also trust this global: module.qualname as the pickle names it, or module.* "
                  "(repeatable)");
  cmd->add_option("--policy", args->policies,
                  "A policy file, JSON {\"allow\": [names...], \"extensions\": [[module, "
                  "name, code]...]} (repeatable)");
  cmd->add_flag("--strict", args->strict,
                "Trust only the builtin data types (and their reconstructors)");
  cmd->add_option("--jobs,-j", args->jobs, "Files scanned at once (default: the number of cores)")
      ->check(CLI::Range(1u, 4096u));
  return [args]() -> int { return run(*args); };
}

}  // namespace pickle::cli
