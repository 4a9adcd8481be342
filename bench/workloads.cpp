#include "workloads.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace pickle::bench {

namespace {

// splitmix64: a tiny deterministic generator (the sequence is the same everywhere).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

size_t scaled(double base, double scale) {
  return static_cast<size_t>(std::max(1.0, std::round(base * scale)));
}

std::string word(Rng& r, size_t min_len, size_t max_len) {
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_";
  size_t n = min_len + r.below(max_len - min_len + 1);
  std::string s(n, ' ');
  for (char& c : s) c = kAlphabet[r.below(kAlphabet.size())];
  return s;
}

// pyperformance-like: dicts, tuples and lists of mixed builtins, nested a little.
Value mixed(Graph& g, double scale) {
  Rng r(1);
  std::vector<Value> top;
  for (size_t i = 0, n = scaled(2000, scale); i < n; ++i) {
    std::vector<Value> ints, strs;
    for (int k = 0; k < 10; ++k) ints.push_back(static_cast<long long>(r.below(100000)) - 500);
    for (int k = 0; k < 5; ++k) strs.push_back(g.str(word(r, 3, 12)));
    Value d = g.dict();
    DictNode& dn = d.dict();
    dn.set(g.str("ints"), g.list(ints));
    dn.set(g.str("strs"), g.tuple(strs));
    dn.set(g.str("float"), r.unit() * 1e6);
    dn.set(g.str("pair"), g.tuple({static_cast<long long>(i), g.str(word(r, 1, 8))}));
    dn.set(g.str("flag"), r.below(2) == 1);
    dn.set(g.str("nothing"), Value());
    dn.set(g.str("nested"), g.dict({{g.str("a"), g.list({1, 2.5, g.str("x")})},
                                    {g.str("b"), g.bytes(word(r, 4, 16))}}));
    top.push_back(d);
  }
  return g.list(top);
}

// JSON-like records: a dict of ints, floats, short strs and a nested list.
Value records(Graph& g, double scale) {
  Rng r(2);
  static constexpr std::array<std::string_view, 8> kCities = {"Zurich", "Paris", "Lagos", "Lima",
                                                              "Osaka",  "Perth", "Oslo",  "Quito"};
  std::vector<Value> xs;
  for (size_t i = 0, n = scaled(20000, scale); i < n; ++i) {
    Value d = g.dict();
    DictNode& dn = d.dict();
    dn.set(g.str("id"), static_cast<long long>(i));
    dn.set(g.str("name"), g.str(word(r, 5, 14)));
    dn.set(g.str("city"), g.str(kCities[r.below(kCities.size())]));
    dn.set(g.str("score"), r.unit() * 100);
    dn.set(g.str("balance"), (r.unit() - 0.5) * 1e4);
    dn.set(g.str("visits"), static_cast<long long>(r.below(1000000)));
    dn.set(g.str("active"), r.below(2) == 1);
    dn.set(g.str("tags"), g.list({g.str(word(r, 3, 8)), g.str(word(r, 3, 8)),
                                  static_cast<long long>(r.below(100))}));
    xs.push_back(d);
  }
  return g.list(xs);
}

Value short_strings(Graph& g, double scale) {
  Rng r(3);
  std::vector<Value> xs;
  for (size_t i = 0, n = scaled(100000, scale); i < n; ++i) xs.push_back(g.str(word(r, 4, 20)));
  return g.list(xs);
}

// Ints of every size: one byte, two, four, eight, and big ones (9 to 40 bytes).
Value mixed_ints(Graph& g, double scale) {
  Rng r(4);
  std::vector<Value> xs;
  for (size_t i = 0, n = scaled(200000, scale); i < n; ++i) {
    uint64_t pick = r.below(100);
    if (pick < 30) {
      xs.push_back(static_cast<long long>(r.below(256)));
    } else if (pick < 50) {
      xs.push_back(static_cast<long long>(r.below(65536)));
    } else if (pick < 75) {
      xs.push_back(static_cast<long long>(r.below(uint64_t(1) << 32)) - (1LL << 31));
    } else if (pick < 95) {
      xs.push_back(static_cast<long long>(r.next()));
    } else {
      std::vector<uint8_t> le(9 + r.below(32));
      for (uint8_t& b : le) b = static_cast<uint8_t>(r.next());
      xs.push_back(g.integer(le));
    }
  }
  return g.list(xs);
}

Value floats(Graph& g, double scale) {
  Rng r(5);
  std::vector<Value> xs;
  for (size_t i = 0, n = scaled(200000, scale); i < n; ++i) xs.push_back((r.unit() - 0.5) * 1e9);
  return g.list(xs);
}

// A few large bytes objects; scale 1 gives three of 8 MiB (docs: three of 64 MiB).
Value blobs(Graph& g, double scale) {
  Rng r(6);
  std::vector<Value> xs;
  size_t size = scaled(8.0 * 1024 * 1024, scale);
  for (int k = 0; k < 3; ++k) {
    std::string b(size, '\0');
    for (size_t i = 0; i + 8 <= b.size(); i += 8) {
      uint64_t w = r.next();
      std::memcpy(b.data() + i, &w, 8);
    }
    xs.push_back(g.bytes(b));
  }
  return g.list(xs);
}

// Class instances as protocol 2+ writes them: NEWOBJ of a class, BUILD with a dict.
Value instances(Graph& g, double scale) {
  Rng r(7);
  Value cls = g.global("__main__", "Point");
  Value no_args = g.tuple({});
  std::vector<Value> xs;
  for (size_t i = 0, n = scaled(10000, scale); i < n; ++i) {
    Value o = g.object(cls, no_args, BuildKind::newobj);
    Value state = g.dict();
    state.dict().set(g.str("x"), static_cast<long long>(r.below(1000)));
    state.dict().set(g.str("y"), r.unit());
    state.dict().set(g.str("label"), g.str(word(r, 2, 10)));
    o.object().states.push_back(state);
    xs.push_back(o);
  }
  return g.list(xs);
}

// Shared references and cycles: members point to their group, groups list their
// members, and every member refers to itself and to a shared tag tuple.
Value shared_graph(Graph& g, double scale) {
  Rng r(8);
  std::vector<Value> tags;
  for (int k = 0; k < 64; ++k) tags.push_back(g.tuple({g.str(word(r, 3, 9)), k}));
  std::vector<Value> groups, members;
  for (size_t i = 0, n = scaled(1000, scale); i < n; ++i) {
    Value grp = g.dict();
    grp.dict().set(g.str("gid"), static_cast<long long>(i));
    grp.dict().set(g.str("members"), g.list());
    groups.push_back(grp);
  }
  for (size_t i = 0, n = scaled(20000, scale); i < n; ++i) {
    Value m = g.dict();
    Value grp = groups[r.below(groups.size())];
    m.dict().set(g.str("id"), static_cast<long long>(i));
    m.dict().set(g.str("group"), grp);
    m.dict().set(g.str("self"), m);
    m.dict().set(g.str("tag"), tags[r.below(tags.size())]);
    grp["members"].list().items.push_back(m);
    members.push_back(m);
  }
  return g.list(members);
}

// An ndarray as numpy pickles it: _reconstruct(ndarray, (0,), b'b') and BUILD with
// (version, shape, dtype, fortran, raw bytes); float64, scale 1 gives 8 MiB.
Value ndarray(Graph& g, double scale) {
  size_t n = scaled(1024 * 1024, scale);
  std::string raw(n * 8, '\0');
  for (size_t i = 0; i < n; ++i) {
    double d = std::sin(static_cast<double>(i)) * 1000;
    std::memcpy(raw.data() + 8 * i, &d, 8);
  }
  Value dtype = g.object(g.global("numpy", "dtype"), g.tuple({g.str("f8"), false, true}));
  dtype.object().states.push_back(g.tuple({3, g.str("<"), Value(), Value(), Value(), -1, -1, 0}));
  Value arr = g.object(g.global("numpy.core.multiarray", "_reconstruct"),
                       g.tuple({g.global("numpy", "ndarray"), g.tuple({0}), g.bytes("b")}));
  arr.object().states.push_back(
      g.tuple({1, g.tuple({static_cast<long long>(n)}), dtype, false, g.bytes(raw)}));
  return arr;
}

}  // namespace

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> all = {
      {"pyperf_mixed", true, mixed},
      {"records", true, records},
      {"short_strs", true, short_strings},
      {"mixed_ints", true, mixed_ints},
      {"floats", true, floats},
      {"blobs", true, blobs},
      {"instances", false, instances},
      {"shared_graph", true, shared_graph},
      {"ndarray", false, ndarray},
  };
  return all;
}

}  // namespace pickle::bench
