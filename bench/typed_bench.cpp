// Typed dump and load (pickle/typed.hpp) of the two workloads of docs/typed.md, timed
// with warm memory; scripts/bench-typed.py runs it beside CPython on the same data.
//
//   pickle_typed_bench [--records N] [--keys K] [--floats F] [--repeat R] [--out DIR]
//
// Prints one JSON object: per workload, the median seconds of a typed dump, a typed
// load (a fresh graph each time, and one drawing on a MemoryPool), and a dump of the
// same values from a prebuilt Graph; with --out, writes DIR/NAME.pkl (protocol 4) so
// the script can compare the bytes with CPython's.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pickle/pickle.hpp"

namespace {

struct Record {
  int64_t id;
  std::string name;
  double score;
  std::vector<std::string> tags;
  std::optional<double> balance;
};
PICKLE_DICT(Record, id, name, score, tags, balance);

using Series = std::map<std::string, std::vector<double>>;

// The data, made as scripts/bench-typed.py makes it.
std::vector<Record> make_records(size_t n) {
  std::vector<Record> rs;
  rs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    auto k = static_cast<int64_t>(i);
    std::optional<double> balance;
    if (i % 3 != 0) balance = static_cast<double>(k) * 0.25 - 1000;
    rs.push_back({k,
                  "user_" + std::to_string(i),
                  static_cast<double>(k % 1000) * 0.5,
                  {"tag" + std::to_string(i % 7), "group" + std::to_string(i % 11)},
                  balance});
  }
  return rs;
}

Series make_series(size_t keys, size_t floats) {
  Series s;
  for (size_t k = 0; k < keys; ++k) {
    std::vector<double> v(floats);
    for (size_t j = 0; j < floats; ++j) v[j] = static_cast<double>(k * floats + j) * 0.001;
    s["series_" + std::to_string(k)] = std::move(v);
  }
  return s;
}

using Clock = std::chrono::steady_clock;

template <class F>
double median_seconds(int repeat, F&& f) {
  f();  // warm-up: the memory the timed runs reuse is touched once
  std::vector<double> t;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

template <class T>
void run(const char* name, const T& data, int repeat, const char* out_dir, bool& first) {
  pickle::MemoryPool pool;
  std::string bytes = pickle::dumps(data);
  size_t sink = 0;
  double dump = median_seconds(repeat, [&] { sink += pickle::dumps(data).size(); });
  double dump_pool =
      median_seconds(repeat, [&] { sink += pickle::dumps(data, {.pool = &pool}).size(); });
  double load = median_seconds(repeat, [&] { sink += pickle::loads<T>(bytes).size(); });
  pickle::LoadOptions with_pool;
  with_pool.pool = &pool;
  double load_pool =
      median_seconds(repeat, [&] { sink += pickle::loads<T>(bytes, with_pool).size(); });
  pickle::Document doc = pickle::loads(bytes, with_pool);
  double graph_dump =
      median_seconds(repeat, [&] { sink += pickle::dumps(doc.root(), {.pool = &pool}).size(); });
  if (pickle::dumps(doc.root()) != bytes) {
    std::fprintf(stderr, "%s: the graph's dump differs from the typed dump\n", name);
    std::exit(1);
  }
  if (out_dir) {
    std::ofstream f(std::string(out_dir) + "/" + name + ".pkl", std::ios::binary);
    f << bytes;
  }
  std::printf(
      "%s\"%s\": {\"bytes\": %zu, \"typed_dump_s\": %.6g, \"typed_dump_pool_s\": %.6g, "
      "\"typed_load_s\": %.6g, \"typed_load_pool_s\": %.6g, \"graph_dump_s\": %.6g, \"check\": "
      "%zu}",
      first ? "" : ", ", name, bytes.size(), dump, dump_pool, load, load_pool, graph_dump,
      sink % 7);
  first = false;
}

}  // namespace

int main(int argc, char** argv) {
  size_t records = 200000, keys = 1000, floats = 1000;
  int repeat = 7;
  const char* out_dir = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--records")
      records = std::strtoull(v, nullptr, 10);
    else if (a == "--keys")
      keys = std::strtoull(v, nullptr, 10);
    else if (a == "--floats")
      floats = std::strtoull(v, nullptr, 10);
    else if (a == "--repeat")
      repeat = std::atoi(v);
    else if (a == "--out")
      out_dir = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  bool first = true;
  std::printf("{");
  run("records", make_records(records), repeat, out_dir, first);
  run("series", make_series(keys, floats), repeat, out_dir, first);
  std::printf("}\n");
}
