// pickle bench FILE [--repeat K] [--protocol N] [--no-dump] [--no-pool] [load options]:
// loads every pickle in FILE K times and dumps the result K times (after one untimed
// dump), then prints the medians as one JSON object. Graphs and dumps draw from
// MemoryPool::shared() unless --no-pool: the comparison with CPython is with both
// sides' memory warm, and CPython's allocator keeps freed memory too.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "input.hpp"
#include "pickle/pickle.hpp"
#include "pickle/tools/ops.hpp"

namespace pickle::cli {

namespace {

// Wall time and this thread's CPU time (on a shared machine the CPU time is the
// steadier figure: it leaves out the time other processes had the core).
struct Timer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  uint64_t cpu = cpu_now();
  static uint64_t cpu_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
  }
  void stop(std::vector<uint64_t>& wall_ns, std::vector<uint64_t>& cpu_ns) const {
    uint64_t c = cpu_now();
    wall_ns.push_back(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::steady_clock::now() - wall)
                                                .count()));
    cpu_ns.push_back(c - cpu);
  }
};

unsigned long long median(std::vector<uint64_t> xs) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

// The protocol a pickle was written with: PROTO's argument, or for protocols 0 and 1
// (which have no PROTO) the highest protocol among its opcodes, as pickletools does.
int input_protocol(std::span<const uint8_t> data) {
  if (data.size() >= 2 && data[0] == static_cast<uint8_t>(Op::proto)) return data[1];
  MemorySource source(data);
  tools::OpcodeWalker walker(source);
  tools::Instruction ins;
  int proto = 0;
  while (walker.next(ins)) proto = std::max<int>(proto, ins.info().proto);
  return proto;
}

// The process's peak resident memory in KiB (VmHWM; Linux), or 0 when unknown. Unlike
// getrusage's ru_maxrss it does not include what a parent had when it started us.
unsigned long long peak_rss_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

// Loads every pickle of data into g, each with a fresh memo (as pickle.loads on each).
void load_all(std::span<const uint8_t> data, const LoadOptions& options, Graph& g,
              std::vector<Value>& roots) {
  roots.clear();
  MemorySource source(data);
  Unpickler unpickler(source, options);
  do {
    unpickler.clear_memo();
    roots.push_back(unpickler.load(g));
  } while (!unpickler.at_end());
}

}  // namespace

std::function<int()> add_bench(CLI::App& app) {
  struct Args {
    std::string file;
    int repeat = 5;
    int protocol = HIGHEST_PROTOCOL;  // when given; else each pickle's own
    bool no_dump = false;
    bool no_pool = false;
    LoadArgs load;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Time loading and dumping every pickle in FILE; print medians as JSON");
  cmd->add_option("FILE", args->file, "Pickle file, or - for standard input")->required();
  cmd->add_option("-r,--repeat", args->repeat, "Timed iterations of each phase (median)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  CLI::Option* protocol =
      add_protocol_option(*cmd, args->protocol,
                          "Protocol to dump with, 0-5, negative for the highest (default: the "
                          "protocol each pickle was written with)");
  cmd->add_flag("--no-dump", args->no_dump,
                "Only load (to measure the memory a load takes, e.g. with /usr/bin/time)");
  cmd->add_flag("--no-pool", args->no_pool,
                "Use no MemoryPool: every graph and dump takes fresh memory from the system "
                "(the library's default)");
  add_load_options(*cmd, args->load,
                   "How to decode Python 2 str: ASCII, latin1, utf-8 or bytes (as CPython 3)");
  return [args, protocol]() -> int {
    const bool own_protocol = protocol->count() == 0;
    MemoryPool* pool = args->no_pool ? nullptr : &MemoryPool::shared();
    LoadOptions options = args->load.options();
    options.pool = pool;
    return with_input(args->file, [&](Source& source) {
      // The whole input in memory first (a mapped file is already), so that timing
      // covers decoding only, as pickle.loads on a bytes object does.
      while (source.ensure(source.window().size() + 1)) {
      }
      std::span<const uint8_t> data = source.window();
      const int repeat = args->repeat;

      // Fresh graph each time: the figure compared with CPython's pickle.loads.
      std::vector<Value> roots;
      std::vector<uint64_t> load_ns, reuse_ns, dump_ns, load_cpu, reuse_cpu, dump_cpu;
      for (int i = 0; i < repeat; ++i) {
        auto g = std::make_unique<Graph>(pool);
        Timer t;
        load_all(data, options, *g, roots);
        t.stop(load_ns, load_cpu);
        g.reset();  // freeing is not timed (pickle.loads' result outlives the call too)
      }
      // One graph, cleared and reused: its memory is already touched.
      Graph graph(pool);
      for (int i = 0; i <= repeat; ++i) {
        graph.clear();
        Timer t;
        load_all(data, options, graph, roots);
        if (i > 0) t.stop(reuse_ns, reuse_cpu);  // the first one warms the graph
      }
      size_t objects = graph.node_count();

      std::vector<int> protocols;
      size_t dump_bytes = 0;
      if (!args->no_dump) {
        MemorySource source_again(data);
        Unpickler walker(source_again, options);
        Graph scratch;
        uint64_t start = 0;
        for (size_t k = 0; k < roots.size(); ++k) {
          // Each pickle's own protocol unless one was asked for.
          walker.clear_memo();
          walker.noload();
          uint64_t end = source_again.offset();
          protocols.push_back(own_protocol ? input_protocol(data.subspan(start, end - start))
                                           : args->protocol);
          start = end;
        }
        // One untimed dump first: the first dumps of a process pay for fresh memory
        // (the output and the memo table, page by page, and the allocator's first
        // large blocks), as pickle.dumps would in a fresh interpreter; CPython's side of
        // the comparison runs warm, in the process that just made the data.
        for (int i = -1; i < repeat; ++i) {
          size_t total = 0;
          Timer t;
          for (size_t k = 0; k < roots.size(); ++k) {
            DumpOptions options;
            options.protocol = protocols[k];
            options.pool = pool;
            std::string out = dumps(roots[k], options);
            total += out.size();
          }
          if (i >= 0) t.stop(dump_ns, dump_cpu);
          dump_bytes = total;
        }
      }

      int protocol = protocols.empty() ? -1 : protocols.front();
      std::printf(
          "{\"bytes\": %zu, \"pickles\": %zu, \"objects\": %zu, \"graph_bytes\": %zu, "
          "\"repeat\": %d, \"load_ns\": %llu, \"load_reuse_ns\": %llu, \"load_cpu_ns\": %llu, "
          "\"load_reuse_cpu_ns\": %llu",
          data.size(), roots.size(), objects, graph.bytes_allocated(), repeat, median(load_ns),
          median(reuse_ns), median(load_cpu), median(reuse_cpu));
      if (!args->no_dump)
        std::printf(
            ", \"dump_ns\": %llu, \"dump_cpu_ns\": %llu, \"dump_bytes\": %zu, \"protocol\": %d",
            median(dump_ns), median(dump_cpu), dump_bytes, protocol);
      std::printf(", \"peak_rss_kib\": %llu}\n", peak_rss_kib());
      return kOk;
    });
  };
}

}  // namespace pickle::cli
