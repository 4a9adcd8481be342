// pickle::to_json and pickle::from_json (pickle/json.hpp), timed in-process with warm
// memory; scripts/bench-json.py runs it beside CPython's json and pickle on the same
// files.
//
//   pickle_json_bench PICKLE [JSON...] [--repeat R] [--protocol P] [--only WHAT]
//                     [--no-pool] [--out DIR]
//
// For the first pickle in PICKLE it times (a) loads + to_json lossless, (b) loads +
// to_json plain (JsonOptions::plain), and for each JSON file (c) from_json + dumps at
// protocol P (4 by default). Each is timed two ways, as `pickle bench` times loads
// (DESIGN.md, "Speed figures"): into a fresh Graph each time (`ns`, the figure compared
// with CPython; the graph and the output string are freed untimed, as the result of
// CPython's call outlives the call) and into one Graph cleared and reused, with the
// output string's capacity kept (`reuse_ns`, the fast path of a program that converts
// again and again). The reused runs also time their two phases apart (`reuse_*_cpu_ns`).
// Graphs, the unpickler's tables and the pickler's buffers draw from one MemoryPool
// unless --no-pool. Every figure is the median of R runs after one warm-up run, wall
// time (`*ns`) and this thread's CPU time (`*cpu_ns`). --only to_json|plain|from_json
// runs one part (for a profiler); --out DIR writes what was made (to_json.json,
// plain.json, from_json_<i>.pkl) so the script can compare it with CPython's.
//
// Prints one JSON object on standard output.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "pickle/pickle.hpp"

namespace {

// Wall time and this thread's CPU time, as `pickle bench` (cli/bench.cpp) takes them.
struct Timer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  uint64_t cpu = cpu_now();
  static uint64_t cpu_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
  }
  uint64_t wall_ns() const {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - wall)
                                     .count());
  }
  uint64_t cpu_ns() const { return cpu_now() - cpu; }
};

struct Samples {
  std::vector<uint64_t> wall, cpu;
  void add(const Timer& t) {
    uint64_t c = t.cpu_ns();  // the CPU clock first: it is the figure the ratios use
    wall.push_back(t.wall_ns());
    cpu.push_back(c);
  }
};

unsigned long long median(std::vector<uint64_t> xs) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "pickle_json_bench: cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
  if (!f) {
    std::fprintf(stderr, "pickle_json_bench: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

// A JSON string of s (paths only: no control characters expected, but escaped anyway).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct Config {
  int repeat = 7;
  int protocol = 4;
  pickle::MemoryPool* pool = nullptr;
};

// The two phases of one conversion, and what to do with its output.
struct Figures {
  Samples fresh, reuse, reuse_first, reuse_second;
  size_t out_bytes = 0;
  std::string output;  // of the last run

  // A reused run, timed from t, whose second phase started at second: the first phase
  // is the whole run less the second.
  void add_reuse(const Timer& t, const Timer& second) {
    reuse.add(t);
    reuse_second.add(second);
    reuse_first.wall.push_back(reuse.wall.back() - reuse_second.wall.back());
    reuse_first.cpu.push_back(reuse.cpu.back() - reuse_second.cpu.back());
  }

  void print(const char* first_phase, const char* second_phase) const {
    std::printf(
        "\"out_bytes\": %zu, \"ns\": %llu, \"cpu_ns\": %llu, \"reuse_ns\": %llu, "
        "\"reuse_cpu_ns\": %llu, \"reuse_%s_cpu_ns\": %llu, \"reuse_%s_cpu_ns\": %llu",
        out_bytes, median(fresh.wall), median(fresh.cpu), median(reuse.wall), median(reuse.cpu),
        first_phase, median(reuse_first.cpu), second_phase, median(reuse_second.cpu));
  }
};

// Pickle bytes -> JSON text: loads then to_json.
Figures time_to_json(const std::string& bytes, const pickle::JsonOptions& json_options,
                     const Config& cfg) {
  pickle::LoadOptions load_options;
  load_options.pool = cfg.pool;
  Figures f;
  // A fresh graph and a fresh string each time; freeing them is not timed.
  for (int i = -1; i < cfg.repeat; ++i) {  // run -1 warms the pool and the allocator
    auto g = std::make_unique<pickle::Graph>(cfg.pool);
    std::string out;
    Timer t;
    pickle::Value v = pickle::loads(bytes, *g, load_options);
    pickle::to_json(out, v, json_options);
    if (i >= 0) f.fresh.add(t);
    f.out_bytes = out.size();
    g.reset();
  }
  // One graph cleared and one string emptied each time: their memory is touched.
  pickle::Graph graph(cfg.pool);
  std::string out;
  for (int i = -1; i < cfg.repeat; ++i) {
    graph.clear();
    out.clear();
    Timer t;
    pickle::Value v = pickle::loads(bytes, graph, load_options);
    Timer second;
    pickle::to_json(out, v, json_options);
    if (i >= 0) f.add_reuse(t, second);
  }
  f.output = std::move(out);
  return f;
}

// JSON text -> pickle bytes: from_json then dumps.
Figures time_from_json(const std::string& text, const Config& cfg) {
  pickle::DumpOptions dump_options;
  dump_options.protocol = cfg.protocol;
  dump_options.pool = cfg.pool;
  Figures f;
  for (int i = -1; i < cfg.repeat; ++i) {
    auto g = std::make_unique<pickle::Graph>(cfg.pool);
    Timer t;
    pickle::Value v = pickle::from_json(text, *g);
    std::string out = pickle::dumps(v, dump_options);
    if (i >= 0) f.fresh.add(t);
    f.out_bytes = out.size();
    g.reset();
  }
  pickle::Graph graph(cfg.pool);
  for (int i = -1; i < cfg.repeat; ++i) {
    graph.clear();
    Timer t;
    pickle::Value v = pickle::from_json(text, graph);
    Timer second;
    std::string out = pickle::dumps(v, dump_options);
    if (i >= 0) f.add_reuse(t, second);
    f.output = std::move(out);
  }
  return f;
}

// The process's peak resident memory in KiB (VmHWM), or 0 when unknown.
unsigned long long peak_rss_kib() {
  std::FILE* file = std::fopen("/proc/self/status", "r");
  if (!file) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, file))
    if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) break;
  std::fclose(file);
  return kib;
}

int usage() {
  std::fprintf(stderr,
               "usage: pickle_json_bench PICKLE [JSON...] [--repeat R] [--protocol P] "
               "[--only to_json|plain|from_json] [--no-pool] [--out DIR]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  bool use_pool = true;
  std::string only, out_dir;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--repeat" && has_value) {
      cfg.repeat = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--protocol" && has_value) {
      cfg.protocol = std::atoi(argv[++i]);
    } else if (a == "--only" && has_value) {
      only = argv[++i];
      if (only != "to_json" && only != "plain" && only != "from_json") return usage();
    } else if (a == "--out" && has_value) {
      out_dir = argv[++i];
    } else if (a == "--no-pool") {
      use_pool = false;
    } else if (a.starts_with("--")) {
      return usage();
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage();
  pickle::MemoryPool pool;
  if (use_pool) cfg.pool = &pool;
  const std::string bytes = read_file(files[0]);
  auto runs = [&](const char* what) { return only.empty() || only == what; };

  try {
    std::printf("{\"pickle\": %s, \"pickle_bytes\": %zu, \"repeat\": %d, \"pool\": %s",
                quoted(files[0]).c_str(), bytes.size(), cfg.repeat, use_pool ? "true" : "false");
    if (runs("to_json")) {
      Figures f = time_to_json(bytes, pickle::JsonOptions{}, cfg);
      std::printf(", \"to_json\": {");
      f.print("load", "write");
      std::printf("}");
      if (!out_dir.empty()) write_file(out_dir + "/to_json.json", f.output);
    }
    if (runs("plain")) {
      pickle::JsonOptions plain;
      plain.plain = true;
      Figures f = time_to_json(bytes, plain, cfg);
      std::printf(", \"plain\": {");
      f.print("load", "write");
      std::printf("}");
      if (!out_dir.empty()) write_file(out_dir + "/plain.json", f.output);
    }
    if (runs("from_json")) {
      std::printf(", \"from_json\": [");
      for (size_t k = 1; k < files.size(); ++k) {
        const std::string text = read_file(files[k]);
        Figures f = time_from_json(text, cfg);
        std::printf("%s{\"json\": %s, \"json_bytes\": %zu, ", k > 1 ? ", " : "",
                    quoted(files[k]).c_str(), text.size());
        f.print("parse", "dump");
        std::printf("}");
        if (!out_dir.empty())
          write_file(out_dir + "/from_json_" + std::to_string(k - 1) + ".pkl", f.output);
      }
      std::printf("]");
    }
    std::printf(", \"peak_rss_kib\": %llu}\n", peak_rss_kib());
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "\npickle_json_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
