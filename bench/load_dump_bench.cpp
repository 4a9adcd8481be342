// Google Benchmark suites: loading and dumping each workload shape at protocols 2, 4
// and 5 (bytes/s of pickle data, items/s in nodes). Each benchmark first checks that
// loading gives back the value and dumping gives back the same bytes; a failed check
// marks the benchmark as an error instead of timing it.
//
//   build/release/bench/pickle_benchmarks --benchmark_filter=records
//   PICKLE_BENCH_SCALE=10 build/release/bench/pickle_benchmarks   # the sizes of the docs
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "pickle/pickle.hpp"
#include "workloads.hpp"

namespace {

using pickle::bench::Workload;

double scale_from_env() {
  const char* s = std::getenv("PICKLE_BENCH_SCALE");
  double v = s ? std::atof(s) : 1.0;
  return v > 0 ? v : 1.0;
}

// A workload's pickle at one protocol, made once and checked.
struct Case {
  pickle::Graph graph;
  pickle::Value value;
  std::string bytes;
  size_t nodes = 0;
  std::string error;  // why the check failed, empty when it passed
};

std::unique_ptr<Case> make_case(const Workload& w, int protocol) {
  auto c = std::make_unique<Case>();
  c->value = w.make(c->graph, scale_from_env());
  c->bytes = pickle::dumps(c->value, {.protocol = protocol});
  pickle::Document doc = pickle::loads(c->bytes);
  c->nodes = doc.graph.node_count();
  if (w.comparable && !pickle::equal(doc.root(), c->value))
    c->error = "the loaded value differs from the dumped one";
  else if (pickle::dumps(doc.root(), {.protocol = protocol}) != c->bytes)
    c->error = "dumping the loaded value gives other bytes";
  return c;
}

// Cases are made on first use, so a filtered run builds only what it times.
Case& case_for(const Workload& w, int protocol) {
  static std::map<std::pair<std::string_view, int>, std::unique_ptr<Case>> cases;
  auto& c = cases[{w.name, protocol}];
  if (!c) c = make_case(w, protocol);
  return *c;
}

void set_rates(benchmark::State& state, const Case& c) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.nodes));
  state.counters["pickle_bytes"] = static_cast<double>(c.bytes.size());
}

// The memory the suites draw from (see [NOTE memory-pool]): CPython's allocator keeps
// freed memory too, so the load/ and dump/ figures compare both sides warm; the
// load_nopool/ and dump_nopool/ suites take fresh memory each time, the default.
pickle::MemoryPool& pool() {
  return pickle::MemoryPool::shared();
}

// Into a fresh graph each time: what pickle.loads does.
void load_fresh(benchmark::State& state, const Workload* w, int protocol, pickle::MemoryPool* p) {
  Case& c = case_for(*w, protocol);
  if (!c.error.empty()) return state.SkipWithError(c.error.c_str());
  for (auto _ : state) {
    pickle::Graph g(p);
    benchmark::DoNotOptimize(pickle::loads(c.bytes, g));
  }
  set_rates(state, c);
}

// Into one graph, cleared between loads: its memory is already touched.
void load_reuse(benchmark::State& state, const Workload* w, int protocol) {
  Case& c = case_for(*w, protocol);
  if (!c.error.empty()) return state.SkipWithError(c.error.c_str());
  pickle::Graph g;
  for (auto _ : state) {
    g.clear();
    benchmark::DoNotOptimize(pickle::loads(c.bytes, g));
  }
  set_rates(state, c);
}

void dump(benchmark::State& state, const Workload* w, int protocol, pickle::MemoryPool* p) {
  Case& c = case_for(*w, protocol);
  if (!c.error.empty()) return state.SkipWithError(c.error.c_str());
  pickle::Document doc = pickle::loads(c.bytes);
  for (auto _ : state)
    benchmark::DoNotOptimize(pickle::dumps(doc.root(), {.protocol = protocol, .pool = p}));
  set_rates(state, c);
}

}  // namespace

int main(int argc, char** argv) {
  for (const Workload& w : pickle::bench::workloads()) {
    for (int protocol : {2, 4, 5}) {
      std::string suffix = std::string(w.name) + "/p" + std::to_string(protocol);
      benchmark::RegisterBenchmark(("load/" + suffix).c_str(), load_fresh, &w, protocol, &pool())
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("load_nopool/" + suffix).c_str(), load_fresh, &w, protocol,
                                   nullptr)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("load_reuse/" + suffix).c_str(), load_reuse, &w, protocol)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("dump/" + suffix).c_str(), dump, &w, protocol, &pool())
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("dump_nopool/" + suffix).c_str(), dump, &w, protocol, nullptr)
          ->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
