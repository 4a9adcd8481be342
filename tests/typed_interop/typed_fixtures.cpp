// The typed-interop fixtures: C++ values of the typed binding (pickle/typed.hpp),
// dumped at every protocol for CPython to compare byte for byte with its own pickle of
// the equivalent Python object, and CPython's pickles read back into the C++ types
// (pickletests/typed_interop.py drives it; cpython/typed_objects.py holds the
// equivalent Python objects, under the same names).
//
//   pickle_typed_fixtures dump OUTDIR       OUTDIR/NAME.pN.pkl per fixture and protocol
//                                           0-5, OUTDIR/fixtures.txt ("NAME N" per
//                                           file) and OUTDIR/refusals.txt (one NAME a
//                                           line)
//   pickle_typed_fixtures load NAME FILE    FILE read with pickle::loads<T> into the
//                                           fixture's type must equal its value: "ok"
//   pickle_typed_fixtures refuse NAME FILE  FILE read into the refusal's type must
//                                           throw TypedError saying what it expects:
//                                           "refused: MESSAGE"
//
// Exit status 0 when so, 1 when not (with a message), 2 on a usage error.
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <deque>
#include <exception>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "pickle/pickle.hpp"

namespace typed_fixtures {

// PICKLE_DICT: a dict with str keys, the field names (interned, so memoized once).
struct Record {
  int64_t id = 0;
  std::string name;
  double score = 0;
  std::vector<std::string> tags;
  std::optional<double> balance;
  bool operator==(const Record&) const = default;
};
PICKLE_DICT(Record, id, name, score, tags, balance);

// PICKLE_OBJECT: instances of classes of the module typed_classes, which the CPython
// side makes at run time.
struct Point {
  double x = 0, y = 0;
  bool operator==(const Point&) const = default;
};
PICKLE_OBJECT(Point, "typed_classes", "Point", x, y);

struct Inner {  // a nested class: typed_classes.Outer.Inner
  int64_t v = 0;
  std::string s;
  bool operator==(const Inner&) const = default;
};
PICKLE_OBJECT(Inner, "typed_classes", "Outer.Inner", v, s);

struct Shape {
  std::string kind;
  std::vector<Point> points;
  Record owner;
  std::map<std::string, int> meta;
  std::optional<Point> origin;
  bool operator==(const Shape&) const = default;
};
PICKLE_OBJECT(Shape, "typed_classes", "Shape", kind, points, owner, meta, origin);

struct Node {
  std::string name;
  std::vector<std::shared_ptr<Node>> next;
};
PICKLE_OBJECT(Node, "typed_classes", "Node", name, next);

// A dict holding an untyped part (a pickle::Value).
struct Holder {
  std::string label;
  pickle::Value extra;
};
PICKLE_DICT(Holder, label, extra);

// A dict of str keys written as interned names from a buffer of its own (a codec may
// make a name at run time): {'ab': 1, 'cd': 2}.
struct BufferNames {
  std::map<std::string, int> items;
  bool operator==(const BufferNames&) const = default;
};

}  // namespace typed_fixtures

template <>
struct pickle::codec<typed_fixtures::BufferNames> {
  static void dump(Writer& w, const typed_fixtures::BufferNames& b) {
    Writer::Items d = w.begin_dict(b.items.size());
    for (const auto& [k, v] : b.items) {
      char name[32];  // the same buffer for each name
      std::snprintf(name, sizeof name, "%s", k.c_str());
      w.next(d);
      w.name(name);
      w.next(d);
      w.write(v);
    }
    w.end(d);
  }
  static void load(const Reader& r, typed_fixtures::BufferNames& b) { r.read(b.items); }
};

namespace {

using namespace typed_fixtures;
using namespace std::literals;
using pickle::BigInt;
using pickle::ByteArray;
using pickle::Bytes;
using pickle::Decimal;
using pickle::Uuid;
namespace chr = std::chrono;

#ifdef __SIZEOF_INT128__
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;
#endif

// ---- deep equality --------------------------------------------------------------------
// same(a, b): the values a typed load must give back. Floats by value with NaN equal to
// NaN and -0.0 apart from 0.0; pointers by what they point to; Values by their repr.

template <class T>
struct Eq {
  static bool eq(const T& a, const T& b) { return a == b; }
};
template <class T>
bool same(const T& a, const T& b) {
  return Eq<T>::eq(a, b);
}

bool same_double(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return a == b && std::signbit(a) == std::signbit(b);
}
template <>
struct Eq<double> {
  static bool eq(double a, double b) { return same_double(a, b); }
};
template <>
struct Eq<float> {
  static bool eq(float a, float b) { return same_double(a, b); }
};
template <class F>
struct Eq<std::complex<F>> {
  static bool eq(const std::complex<F>& a, const std::complex<F>& b) {
    return same_double(a.real(), b.real()) && same_double(a.imag(), b.imag());
  }
};

template <class R>
bool same_range(const R& a, const R& b) {
  if (std::size(a) != std::size(b)) return false;
  auto i = std::begin(b);
  for (const auto& x : a)
    if (!same(x, *i++)) return false;
  return true;
}
template <class T, class A>
struct Eq<std::vector<T, A>> {
  static bool eq(const std::vector<T, A>& a, const std::vector<T, A>& b) {
    return same_range(a, b);
  }
};
template <class T, class A>
struct Eq<std::deque<T, A>> {
  static bool eq(const std::deque<T, A>& a, const std::deque<T, A>& b) { return same_range(a, b); }
};
template <class T, class A>
struct Eq<std::list<T, A>> {
  static bool eq(const std::list<T, A>& a, const std::list<T, A>& b) { return same_range(a, b); }
};
template <class T, size_t N>
struct Eq<std::array<T, N>> {
  static bool eq(const std::array<T, N>& a, const std::array<T, N>& b) { return same_range(a, b); }
};
template <class M>
bool same_map(const M& a, const M& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || !same(v, it->second)) return false;
  }
  return true;
}
template <class K, class V, class C, class A>
struct Eq<std::map<K, V, C, A>> {
  static bool eq(const std::map<K, V, C, A>& a, const std::map<K, V, C, A>& b) {
    return same_map(a, b);
  }
};
template <class K, class V, class H, class E, class A>
struct Eq<std::unordered_map<K, V, H, E, A>> {
  static bool eq(const std::unordered_map<K, V, H, E, A>& a,
                 const std::unordered_map<K, V, H, E, A>& b) {
    return same_map(a, b);
  }
};
template <class T>
struct Eq<std::optional<T>> {
  static bool eq(const std::optional<T>& a, const std::optional<T>& b) {
    return a.has_value() == b.has_value() && (!a || same(*a, *b));
  }
};
template <class... T>
struct Eq<std::variant<T...>> {
  static bool eq(const std::variant<T...>& a, const std::variant<T...>& b) {
    if (a.index() != b.index()) return false;
    return std::visit(
        [&](const auto& x) { return same(x, *std::get_if<std::remove_cvref_t<decltype(x)>>(&b)); },
        a);
  }
};
template <class... T>
struct Eq<std::tuple<T...>> {
  static bool eq(const std::tuple<T...>& a, const std::tuple<T...>& b) {
    return [&]<size_t... I>(std::index_sequence<I...>) {
      return (same(std::get<I>(a), std::get<I>(b)) && ...);
    }
    (std::index_sequence_for<T...>());
  }
};
template <class A, class B>
struct Eq<std::pair<A, B>> {
  static bool eq(const std::pair<A, B>& a, const std::pair<A, B>& b) {
    return same(a.first, b.first) && same(a.second, b.second);
  }
};
template <class T, class D>
struct Eq<std::unique_ptr<T, D>> {
  static bool eq(const std::unique_ptr<T, D>& a, const std::unique_ptr<T, D>& b) {
    return (a == nullptr) == (b == nullptr) && (!a || same(*a, *b));
  }
};
template <class T>
struct Eq<std::shared_ptr<T>> {
  static bool eq(const std::shared_ptr<T>& a, const std::shared_ptr<T>& b) {
    return (a == nullptr) == (b == nullptr) && (!a || same(*a, *b));
  }
};
template <>
struct Eq<pickle::Value> {
  static bool eq(pickle::Value a, pickle::Value b) { return pickle::repr(a) == pickle::repr(b); }
};
template <>
struct Eq<Holder> {
  static bool eq(const Holder& a, const Holder& b) {
    return a.label == b.label && same(a.extra, b.extra);
  }
};
// Nodes reach themselves: the two graphs must have the same shape (a bijection of
// nodes), not merely the same values.
template <>
struct Eq<std::shared_ptr<Node>> {
  static bool eq(const std::shared_ptr<Node>& a, const std::shared_ptr<Node>& b) {
    std::map<const Node*, const Node*> fwd, back;
    std::vector<std::pair<const Node*, const Node*>> todo{{a.get(), b.get()}};
    while (!todo.empty()) {
      auto [x, y] = todo.back();
      todo.pop_back();
      if ((x == nullptr) != (y == nullptr)) return false;
      if (!x) continue;
      auto [f, fresh] = fwd.emplace(x, y);
      auto [g, fresh2] = back.emplace(y, x);
      if (f->second != y || g->second != x) return false;
      if (!fresh) continue;
      if (x->name != y->name || x->next.size() != y->next.size()) return false;
      for (size_t i = 0; i < x->next.size(); ++i)
        todo.emplace_back(x->next[i].get(), y->next[i].get());
    }
    return true;
  }
};

// Frees the cycles of a fixture's value (the nodes reach themselves).
template <class T>
void unlink(T&) {}
void unlink(std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> all, todo{root};
  std::set<Node*> seen;
  while (!todo.empty()) {
    std::shared_ptr<Node> n = todo.back();
    todo.pop_back();
    if (!n || !seen.insert(n.get()).second) continue;
    all.push_back(n);
    todo.insert(todo.end(), n->next.begin(), n->next.end());
  }
  for (auto& n : all) n->next.clear();
}

// What a value holds, for a message: Python's repr of what it pickles as.
template <class T>
std::string describe(const T& x) {
  try {
    pickle::Document d = pickle::loads(pickle::dumps(x, {.protocol = 4}));
    std::string r = pickle::repr(d.root());
    if (r.size() > 1500) r = r.substr(0, 1500) + "... (" + std::to_string(r.size()) + " chars)";
    return r;
  } catch (const std::exception& e) {
    return std::string("(not shown: ") + e.what() + ")";
  }
}

// ---- the fixtures ---------------------------------------------------------------------

struct Fixture {
  std::string name;
  // The pickle at a protocol.
  std::function<std::string(int protocol)> dump;
  // Reads CPython's pickle: "" when it gave the fixture's value, else why not.
  std::function<std::string(std::string_view bytes)> load;
};
struct Refusal {
  std::string name;
  // "" and the error's message when the typed load threw TypedError with `expect` in
  // its message; else why not.
  std::function<std::string(std::string_view bytes, std::string& message)> load;
};

struct Options {
  bool fast = false;          // DumpOptions::fast (CPython's Pickler.fast)
  bool with_graph = false;    // loads<T>(bytes, graph): T holds Values
  bool allow_cycles = false;  // TypedLoadOptions::allow_shared_cycles
  bool stream = false;        // two dump() calls of one Pickler (the memo shared)
  bool clear_memo = false;    // ... with clear_memo() between them
};

// The fixture's pickle at a protocol.
template <class T>
std::string dump_one(const std::function<T()>& make, const Options& o, int protocol) {
  T x = make();
  pickle::DumpOptions d{.protocol = protocol};
  d.fast = o.fast;
  std::string out;
  if (o.stream) {
    // The value, then the value again: the second dump's memo references are to the
    // first's (unless the memo is cleared between them).
    pickle::StringSink sink(out);
    pickle::Pickler p(sink, d);
    p.dump(x);
    if (o.clear_memo) p.clear_memo();
    p.dump(x);
  } else {
    out = pickle::dumps(x, d);
  }
  unlink(x);
  return out;
}

// Reads CPython's pickle as a T: "" when it is the value `loaded` makes and passes
// `check`, else why not.
template <class T>
std::string load_one(const std::function<T()>& loaded,
                     const std::function<std::string(const T&)>& check, const Options& o,
                     std::string_view bytes) {
  pickle::LoadOptions lo;
  lo.typed.allow_shared_cycles = o.allow_cycles;
  T want = loaded();
  pickle::Graph graph;
  std::string why;
  auto compare = [&](T& got) {
    if (!same(want, got))
      why = "the loaded value differs from the fixture's\n  expected: " + describe(want) +
            "\n  loaded:   " + describe(got);
    else if (check)
      why = check(got);
    unlink(got);
  };
  if (o.stream) {
    // Two pickles of the value, the second with references into the first.
    pickle::MemorySource src(bytes);
    pickle::Unpickler u(src, lo);
    for (int i = 0; i < 2 && why.empty(); ++i) {
      T got = u.load<T>();
      compare(got);
      if (!why.empty()) why = "pickle " + std::to_string(i + 1) + ": " + why;
    }
  } else {
    T got = o.with_graph ? pickle::loads<T>(bytes, graph, lo) : pickle::loads<T>(bytes, lo);
    compare(got);
  }
  unlink(want);
  return why;
}

// Reads a pickle that T must refuse: "" (and the message) when a TypedError whose
// message holds `expect` refused it, else why not.
template <class T>
std::string refuse_one(const std::string& expect, bool allow_cycles, std::string_view bytes,
                       std::string& message) {
  pickle::LoadOptions lo;
  lo.typed.allow_shared_cycles = allow_cycles;
  try {
    T got = pickle::loads<T>(bytes, lo);
    std::string r = "loaded, though it must be refused: " + describe(got);
    unlink(got);
    return r;
  } catch (const pickle::TypedError& e) {
    message = e.what();
    if (message.find(expect) == std::string::npos)
      return "refused, but the message lacks \"" + expect + "\": " + message;
    return "";
  }
}

class Fixtures {
 public:
  // A fixture whose value `make` makes afresh each time; `loaded` (when not the same)
  // makes what a load of CPython's pickle must give; `check` adds checks of the loaded
  // value (identity), returning "" or why not.
  template <class T>
  void add(std::string name, std::function<T()> make, Options o = {},
           std::function<std::string(const T&)> check = nullptr,
           std::function<T()> loaded = nullptr) {
    if (!loaded) loaded = make;
    auto dump = [make, o](int protocol) { return dump_one<T>(make, o, protocol); };
    auto load = [loaded, check, o](std::string_view bytes) {
      return load_one<T>(loaded, check, o, bytes);
    };
    fixtures.push_back({std::move(name), dump, load});
  }

  // A Python object that T must refuse with a TypedError whose message holds `expect`.
  template <class T>
  void refuse(std::string name, std::string expect, bool allow_cycles = true) {
    auto load = [expect, allow_cycles](std::string_view bytes, std::string& message) {
      return refuse_one<T>(expect, allow_cycles, bytes, message);
    };
    refusals.push_back({std::move(name), load});
  }

  std::vector<Fixture> fixtures;
  std::vector<Refusal> refusals;
};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <class I>
std::vector<I> limits_and(std::initializer_list<I> middle) {
  std::vector<I> v;
  v.reserve(middle.size() + 2);
  v.push_back(std::numeric_limits<I>::min());
  for (I i : middle) v.push_back(i);
  v.push_back(std::numeric_limits<I>::max());
  return v;
}

std::vector<int> iota(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

Record record(int64_t id, std::string name, double score, std::vector<std::string> tags,
              std::optional<double> balance) {
  return {id, std::move(name), score, std::move(tags), balance};
}

std::vector<Record> records() {
  return {record(1, "alice", 9.5, {"admin", "ops"}, 12.25),
          record(2, "bob", -0.5, {}, std::nullopt), record(3, "carol", 0.0, {"x", "ops"}, -1e300)};
}

// +-2**bit as a BigInt.
BigInt power_of_two(int bit, bool negative) {
  std::string le(static_cast<size_t>(bit / 8 + 2), '\0');
  le[static_cast<size_t>(bit / 8)] = static_cast<char>(1u << (bit % 8));
  if (negative) {
    for (auto& b : le) b = static_cast<char>(~static_cast<unsigned char>(b));
    for (auto& b : le)
      if (static_cast<char>(++b) != 0) break;
  }
  return BigInt::from_le_twos(le);
}

chr::sys_time<chr::microseconds> at_us(int64_t us) {
  return chr::sys_time<chr::microseconds>(chr::microseconds(us));
}

Fixtures make_fixtures() {
  Fixtures f;
  using chr::microseconds;

  // ---- None, bool, ints ---------------------------------------------------------------
  f.add<std::tuple<std::nullptr_t, bool, bool, std::monostate>>(
      "none_bool", [] { return std::tuple(nullptr, true, false, std::monostate{}); });
  f.add<std::vector<int8_t>>("int8", [] { return limits_and<int8_t>({-1, 0, 1}); });
  f.add<std::vector<uint8_t>>("uint8", [] { return limits_and<uint8_t>({1, 127, 128}); });
  f.add<std::vector<int16_t>>("int16", [] { return limits_and<int16_t>({-256, -1, 255, 256}); });
  f.add<std::vector<uint16_t>>("uint16", [] { return limits_and<uint16_t>({255, 256}); });
  f.add<std::vector<int32_t>>("int32", [] {
    return limits_and<int32_t>({-65536, -1, 65535, 65536});
  });
  f.add<std::vector<uint32_t>>("uint32", [] {
    return limits_and<uint32_t>({65535, 65536, 2147483647u, 2147483648u});
  });
  f.add<std::vector<int64_t>>("int64", [] {
    return limits_and<int64_t>(
        {-2147483649LL, -2147483648LL, -1, 0, 255, 2147483647LL, 2147483648LL, 1LL << 40});
  });
  // Not the one-call list of int64_t: the element by element one.
  f.add<std::deque<long long>>("long_long", [] {
    return std::deque<long long>{std::numeric_limits<long long>::min(), -1, 0, 65536,
                                 std::numeric_limits<long long>::max()};
  });
  f.add<std::vector<uint64_t>>("uint64", [] {
    return limits_and<uint64_t>(
        {255, 4294967295u, 4294967296u, 9223372036854775807u, 9223372036854775808u});
  });
  f.add<std::vector<unsigned long long>>("ulong_long", [] {
    return std::vector<unsigned long long>{0, 18446744073709551615u};
  });
#ifdef __SIZEOF_INT128__
  f.add<std::vector<i128>>("int128", [] {
    i128 two64 = static_cast<i128>(1) << 64;
    i128 max = static_cast<i128>(~static_cast<u128>(0) >> 1);
    return std::vector<i128>{
        -max - 1, -two64, static_cast<i128>(std::numeric_limits<int64_t>::min()) - 1,
        -1,       0,      static_cast<i128>(std::numeric_limits<int64_t>::max()) + 1,
        two64,    max};
  });
  f.add<std::vector<u128>>("uint128", [] {
    return std::vector<u128>{0, static_cast<u128>(std::numeric_limits<uint64_t>::max()),
                             static_cast<u128>(1) << 64, ~static_cast<u128>(0)};
  });
#endif
  f.add<std::vector<BigInt>>("bigint", [] {
    return std::vector<BigInt>{BigInt(0),
                               BigInt(-1),
                               BigInt(std::numeric_limits<int64_t>::min()),
                               power_of_two(64, false),
                               power_of_two(100, true),
                               BigInt::from_decimal("1000000000000000000000000000000"),
                               BigInt::from_decimal("-123456789012345678901234567890123"),
                               power_of_two(2031, false),  // 255 bytes: LONG1
                               power_of_two(2039, false),  // 256 bytes: LONG4
                               power_of_two(2100, true)};
  });

  // ---- floats, complex ----------------------------------------------------------------
  f.add<std::vector<double>>("floats", [] {
    return std::vector<double>{0.0,  -0.0, 1.5,   0.1,  -2.5e-10, 1e300, 5e-324,
                               1e16, kInf, -kInf, kNaN, 123.0,    -1.0};
  });
  // Not the one-call list of doubles, and floats widened to doubles.
  f.add<std::deque<float>>("float32", [] {
    return std::deque<float>{0.1f, -0.0f, 3.4028235e38f, std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::quiet_NaN()};
  });
  f.add<std::vector<std::complex<double>>>("complex", [] {
    return std::vector<std::complex<double>>{{1, 2}, {-0.0, kInf}, {0, 0}, {1.5, -2.5}, {kNaN, 1}};
  });
  f.add<std::tuple<std::complex<float>>>("complex_float",
                                         [] { return std::tuple(std::complex<float>(0.5f, -4)); });

  // ---- str, bytes, bytearray ----------------------------------------------------------
  f.add<std::vector<std::string>>("strs", [] {
    std::string long_text;
    for (int i = 0; i < 110; ++i) long_text += "\xc3\xa9t\xe2\x82\xac";  // 300+ bytes
    return std::vector<std::string>{"",
                                    "",
                                    "a",
                                    "a",  // the 1-char singleton again: a memo reference
                                    "\xc3\xa9",
                                    "\xc3\xa9",  // é: a singleton too (< 256)
                                    "\xe2\x82\xac",
                                    "\xe2\x82\xac",  // €: not one
                                    "abc",
                                    "abc",  // two objects
                                    "caf\xc3\xa9",
                                    "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
                                    "a\\b\nc\r\0\x1a\"'\\u0041 \x7f"s,
                                    std::string(255, 'm'),  // the longest SHORT_BINUNICODE
                                    std::string(256, 'n'),  // the shortest BINUNICODE above it
                                    long_text};
  });
  // A 1-char str and the same 1-char attribute names (the names are interned, the
  // 1-char strs singletons: in CPython 3.13 they are one object).
  f.add<std::tuple<std::vector<std::string>, Point, std::vector<std::string>>>(
      "single_char_names", [] {
        return std::tuple(std::vector<std::string>{"y"}, Point{1, 2},
                          std::vector<std::string>{"x", "y"});
      });
  f.add<std::vector<Bytes>>("bytes", [] {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    return std::vector<Bytes>{{""},      {""},     {"\x00"s},
                              {"\x00"s}, {"\xff"}, {"ab"},
                              {"ab"},    {all},    {std::string(300, 'q')},
                              {"\x80"}};
  });
  f.add<std::vector<std::vector<std::byte>>>("byte_vectors", [] {
    return std::vector<std::vector<std::byte>>{
        {}, {std::byte{0x41}}, {std::byte{0}, std::byte{0xff}, std::byte{0x80}}};
  });
  f.add<std::vector<ByteArray>>("bytearray", [] {
    return std::vector<ByteArray>{{""}, {"b"}, {"ba"}, {"\x00\xff"s}, {std::string(300, 'z')}};
  });
  // Large values: frames of protocol 4 and 5 (large bytes and str outside them).
  f.add<std::vector<std::variant<std::string, Bytes>>>("frames", [] {
    std::vector<std::variant<std::string, Bytes>> v;
    for (int i = 0; i < 3000; ++i) {
      v.emplace_back(std::to_string(i) + std::string(40, 's'));
      if (i == 1500) v.emplace_back(Bytes{std::string(100000, 'b')});
      if (i == 2000) v.emplace_back(std::string(70000, 'u'));
    }
    return v;
  });

  // ---- lists, tuples, dicts, sets -----------------------------------------------------
  f.add<std::tuple<std::vector<int>, std::vector<std::vector<int>>,
                   std::deque<std::list<std::string>>, std::array<int, 3>,
                   std::vector<std::array<double, 2>>, std::vector<int64_t>>>("lists", [] {
    return std::tuple(std::vector<int>{}, std::vector<std::vector<int>>{{1}, {2, 3}, {}},
                      std::deque<std::list<std::string>>{{"ab", "c"}, {}},
                      std::array<int, 3>{1, 2, 3},
                      std::vector<std::array<double, 2>>{{1, 2}, {3, 4}}, std::vector<int64_t>{});
  });
  f.add<std::vector<int>>("list_1000", [] { return iota(1000); });
  f.add<std::vector<int>>("list_1001", [] { return iota(1001); });
  f.add<std::vector<std::string>>("list_2001_str", [] {
    std::vector<std::string> v;
    for (int i = 0; i < 2001; ++i) v.push_back("s" + std::to_string(i));
    return v;
  });
  f.add<std::vector<int64_t>>("list_2500_int64", [] {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < 2500; ++i) v.push_back(i * i * 1000 - 70000);
    return v;
  });
  f.add<std::vector<double>>("list_1001_double", [] {
    std::vector<double> v;
    for (int i = 0; i < 1001; ++i) v.push_back(i / 8.0);
    return v;
  });
  f.add<std::tuple<std::tuple<>, std::tuple<int>, std::pair<int, std::string>,
                   std::tuple<int, int, int>, std::tuple<int, std::string, double, bool>,
                   std::tuple<std::tuple<std::tuple<>>, std::pair<std::string, std::string>>>>(
      "tuples", [] {
        return std::tuple(std::tuple<>(), std::tuple<int>(1), std::pair<int, std::string>(2, "xy"),
                          std::tuple(3, 4, 5), std::tuple(6, "seven"s, 8.5, true),
                          std::tuple(std::tuple(std::tuple<>()), std::pair("a"s, "bc"s)));
      });
  f.add<std::vector<std::tuple<int, int>>>("tuple_list", [] {
    return std::vector<std::tuple<int, int>>{{1, 2}, {1, 2}};
  });
  f.add<std::map<std::string, int>>("dict_small", [] {
    return std::map<std::string, int>{{"a", 1}, {"bc", 2}};
  });
  f.add<std::map<int, int>>("dict_1000", [] {
    std::map<int, int> m;
    for (int i = 0; i < 1000; ++i) m[i] = -i;
    return m;
  });
  f.add<std::map<int, std::string>>("dict_1001", [] {
    std::map<int, std::string> m;
    for (int i = 0; i < 1001; ++i) m[i] = "v" + std::to_string(i);
    return m;
  });
  f.add<std::map<int64_t, int64_t>>("dict_2345", [] {
    std::map<int64_t, int64_t> m;
    for (int64_t i = 0; i < 2345; ++i) m[i * 3] = i;
    return m;
  });
  f.add<std::map<std::string, std::map<int, std::vector<std::string>>>>("dict_nested", [] {
    return std::map<std::string, std::map<int, std::vector<std::string>>>{
        {"one", {{1, {"a", "bb"}}, {2, {}}}}, {"two", {}}};
  });
  f.add<std::map<std::pair<int, int>, std::string>>("dict_tuple_keys", [] {
    return std::map<std::pair<int, int>, std::string>{{{1, 2}, "x"}, {{3, 4}, "yz"}};
  });
  f.add<std::map<std::string, std::vector<double>>>("series", [] {
    return std::map<std::string, std::vector<double>>{
        {"a", {1.0, 2.5, -0.0}}, {"b", {}}, {"c", {kNaN, kInf}}, {"temperature", {21.5}}};
  });
  // Orders of their own: compared by what loads, not byte for byte.
  f.add<std::tuple<std::unordered_map<std::string, int>, std::unordered_set<std::string>,
                   std::set<std::string>, std::unordered_set<int>>>("unordered", [] {
    return std::tuple(std::unordered_map<std::string, int>{{"k1", 1}, {"k2", 2}, {"k3", 3}},
                      std::unordered_set<std::string>{"p", "qq", "rrr"},
                      std::set<std::string>{"ant", "bee", "cat"},
                      std::unordered_set<int>{-5, 70000, 3});
  });
  f.add<std::unordered_map<std::string, int>>("unordered_one", [] {
    return std::unordered_map<std::string, int>{{"only", 1}};
  });
  // Small non-negative ints in ascending order: CPython's set order too.
  f.add<std::tuple<std::set<int>, std::set<int>, std::set<int>, std::unordered_set<int>>>(
      "sets", [] {
        return std::tuple(std::set<int>{}, std::set<int>{1, 2, 3}, std::set<int>{5},
                          std::unordered_set<int>{7});
      });
  f.add<std::set<int>>("set_1001", [] {
    std::vector<int> v = iota(1001);
    return std::set<int>(v.begin(), v.end());
  });
  f.add<std::set<int64_t>>("set_2001", [] {
    std::set<int64_t> s;
    for (int64_t i = 0; i < 2001; ++i) s.insert(i);
    return s;
  });

  // ---- optional, variant, pointers ----------------------------------------------------
  f.add<std::tuple<std::vector<std::optional<int>>, std::optional<std::string>,
                   std::optional<std::string>>>("optional", [] {
    return std::tuple(std::vector<std::optional<int>>{1, std::nullopt, 3},
                      std::optional<std::string>("some"), std::optional<std::string>());
  });
  using Var =
      std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<int>, Point>;
  f.add<std::vector<Var>>("variant", [] {
    return std::vector<Var>{std::monostate{},       true,          int64_t{7}, 3.5, "text"s, false,
                            std::vector<int>{4, 5}, Point{0.5, -1}};
  });
  f.add<std::vector<std::unique_ptr<Point>>>("unique_ptr", [] {
    std::vector<std::unique_ptr<Point>> v;
    v.push_back(std::make_unique<Point>(Point{1, 2}));
    v.push_back(nullptr);
    v.push_back(std::make_unique<Point>(Point{1, 2}));  // equal, yet another object
    return v;
  });
  f.add<std::tuple<std::unique_ptr<std::string>, std::unique_ptr<int>>>("unique_ptr_leaves", [] {
    return std::tuple(std::make_unique<std::string>("u"), std::unique_ptr<int>());
  });

  using SharedList = std::vector<std::shared_ptr<std::vector<int>>>;
  f.add<SharedList>(
      "shared_list",
      [] {
        auto p = std::make_shared<std::vector<int>>(std::vector<int>{1, 2});
        auto q = std::make_shared<std::vector<int>>(std::vector<int>{1, 2});
        return SharedList{p, p, nullptr, q};
      },
      {},
      [](const SharedList& v) -> std::string {
        if (v[0] != v[1]) return "[0] and [1] are not one object";
        if (v[0] == v[3]) return "[0] and [3] are one object";
        return "";
      });
  using SharedStr = std::vector<std::shared_ptr<std::string>>;
  f.add<SharedStr>(
      "shared_str",
      [] {
        auto s = std::make_shared<std::string>("shared text");
        return SharedStr{s, std::make_shared<std::string>("shared text"), s};
      },
      {},
      [](const SharedStr& v) -> std::string {
        if (v[0] != v[2]) return "[0] and [2] are not one object";
        if (v[0] == v[1]) return "[0] and [1] are one object";
        return "";
      });
  using SharedPoint = std::vector<std::shared_ptr<Point>>;
  f.add<SharedPoint>(
      "shared_point",
      [] {
        auto p = std::make_shared<Point>(Point{3, 4});
        return SharedPoint{p, p};
      },
      {},
      [](const SharedPoint& v) -> std::string {
        return v[0] == v[1] ? "" : "[0] and [1] are not one object";
      });
  // An int is no memoized object in CPython: written twice.
  f.add<std::vector<std::shared_ptr<int64_t>>>("shared_int", [] {
    auto p = std::make_shared<int64_t>(70000);
    return std::vector<std::shared_ptr<int64_t>>{p, p};
  });
  using SharedInTuples = std::vector<std::tuple<std::shared_ptr<std::string>, int>>;
  f.add<SharedInTuples>(
      "shared_in_tuples",
      [] {
        auto s = std::make_shared<std::string>("in tuples");
        return SharedInTuples{{s, 1}, {s, 2}};
      },
      {},
      [](const SharedInTuples& v) -> std::string {
        return std::get<0>(v[0]) == std::get<0>(v[1]) ? "" : "the strs are not one object";
      });
  using SharedTuple =
      std::tuple<std::shared_ptr<std::vector<int>>, std::shared_ptr<std::vector<int>>>;
  f.add<SharedTuple>(
      "shared_tuple",
      [] {
        auto p = std::make_shared<std::vector<int>>(std::vector<int>{1});
        return SharedTuple{p, p};
      },
      {},
      [](const SharedTuple& t) -> std::string {
        return std::get<0>(t) == std::get<1>(t) ? "" : "the lists are not one object";
      });
  // A tuple is memoized after its items: the second is a memo reference all the same.
  using SharedPair = std::vector<std::shared_ptr<std::pair<int, std::string>>>;
  f.add<SharedPair>(
      "shared_tuple_twice",
      [] {
        auto p = std::make_shared<std::pair<int, std::string>>(1, "one");
        return SharedPair{p, p};
      },
      {},
      [](const SharedPair& v) -> std::string {
        return v[0] == v[1] ? "" : "the tuples are not one object";
      });
  // Values CPython reduces (memoized after the call), each shared.
  using SharedReduced =
      std::tuple<std::shared_ptr<Decimal>, std::shared_ptr<Decimal>, std::shared_ptr<Bytes>,
                 std::shared_ptr<Bytes>, std::shared_ptr<chr::sys_time<microseconds>>,
                 std::shared_ptr<chr::sys_time<microseconds>>,
                 std::shared_ptr<std::complex<double>>, std::shared_ptr<std::complex<double>>,
                 std::shared_ptr<ByteArray>, std::shared_ptr<ByteArray>>;
  f.add<SharedReduced>(
      "shared_reduced",
      [] {
        auto d = std::make_shared<Decimal>(Decimal{"3.14"});
        auto b = std::make_shared<Bytes>(Bytes{"shared"});
        auto t = std::make_shared<chr::sys_time<microseconds>>(at_us(86400000000));
        auto c = std::make_shared<std::complex<double>>(1, 1);
        auto a = std::make_shared<ByteArray>(ByteArray{"ba"});
        return SharedReduced{d, d, b, b, t, t, c, c, a, a};
      },
      {},
      [](const SharedReduced& t) -> std::string {
        if (std::get<0>(t) != std::get<1>(t)) return "the Decimals are not one object";
        if (std::get<2>(t) != std::get<3>(t)) return "the bytes are not one object";
        if (std::get<4>(t) != std::get<5>(t)) return "the datetimes are not one object";
        if (std::get<6>(t) != std::get<7>(t)) return "the complexes are not one object";
        if (std::get<8>(t) != std::get<9>(t)) return "the bytearrays are not one object";
        return "";
      });
  using NodePtr = std::shared_ptr<Node>;
  f.add<NodePtr>(
      "node_self",
      [] {
        auto n = std::make_shared<Node>();
        n->name = "self";
        n->next = {n};
        return n;
      },
      {.allow_cycles = true},
      [](const NodePtr& n) -> std::string {
        return n->next.size() == 1 && n->next[0] == n ? "" : "the node is not its own next";
      });
  f.add<NodePtr>(
      "node_pair",
      [] {
        auto a = std::make_shared<Node>(), b = std::make_shared<Node>();
        a->name = "a";
        b->name = "b";
        a->next = {b, a, nullptr};
        b->next = {a};
        return a;
      },
      {.allow_cycles = true},
      [](const NodePtr& a) -> std::string {
        return a->next[1] == a && a->next[0]->next[0] == a ? "" : "the cycles are not kept";
      });
  f.add<NodePtr>("node_shared_child", [] {
    auto root = std::make_shared<Node>(), leaf = std::make_shared<Node>();
    root->name = "root";
    leaf->name = "leaf";
    root->next = {leaf, leaf};
    return root;
  });

  // ---- structs --------------------------------------------------------------------------
  f.add<std::vector<Record>>("records", records);
  // Field names shared by a dict and an object ('name'), and strs equal to field names
  // (other objects: written again).
  f.add<std::tuple<Record, NodePtr>>("shared_field_names", [] {
    auto n = std::make_shared<Node>();
    n->name = "node";
    return std::tuple(record(7, "name", 1, {"id", "tags"}, std::nullopt), n);
  });
  f.add<Record>("record_one", [] { return record(42, "solo", 1.25, {"t"}, std::nullopt); });
  f.add<std::vector<Point>>("points", [] {
    return std::vector<Point>{{1, 2}, {-0.0, 1e300}, {0.5, 0.25}};
  });
  f.add<std::vector<Inner>>("nested_class", [] {
    return std::vector<Inner>{{1, "one"}, {2, "two"}};
  });
  f.add<std::vector<Shape>>("shapes", [] {
    Shape tri{
        "triangle", {{0, 0}, {1, 0}, {0, 1}}, records()[0], {{"sides", 3}, {"z", -1}}, Point{0, 0}};
    Shape dot{"dot", {}, records()[1], {}, std::nullopt};
    return std::vector<Shape>{tri, dot};
  });
  f.add<std::vector<Record>>("fast_records", records, {.fast = true});
  f.add<std::vector<Record>>("stream_records", records, {.stream = true});
  f.add<std::vector<Record>>("stream_clear_memo", records, {.stream = true, .clear_memo = true});
  f.add<BufferNames>("names_from_buffer", [] { return BufferNames{{{"ab", 1}, {"cd", 2}}}; });
  f.add<Holder>("value",
                [] {
                  static pickle::Graph g;
                  pickle::Value extra =
                      g.list({1, g.str("two"), g.dict({{g.str("k"), g.tuple({nullptr, 2.5})}})});
                  return Holder{"raw", extra};
                },
                {.with_graph = true});

  // ---- Python's types ---------------------------------------------------------------------
  f.add<std::vector<Decimal>>("decimal", [] {
    return std::vector<Decimal>{{"1.10"}, {"-Infinity"}, {"NaN"}, {"0"}, {"-1.5E+20"}, {"1.10"}};
  });
  f.add<std::vector<Uuid>>("uuid", [] {
    return std::vector<Uuid>{Uuid::parse("12345678-1234-5678-1234-567812345678"), Uuid{},
                             Uuid::parse("ffffffff-ffff-4fff-bfff-ffffffffffff")};
  });
  f.add<std::vector<microseconds>>("timedelta", [] {
    return std::vector<microseconds>{
        microseconds(0),
        chr::days(1) + chr::hours(2) + microseconds(3),
        microseconds(-1),
        -chr::days(5),
        chr::hours(-36) + chr::seconds(7),
        chr::days(106000) + chr::seconds(86399) + microseconds(999999)};
  });
  f.add<std::tuple<chr::seconds, chr::milliseconds, chr::duration<double>, chr::nanoseconds>>(
      "timedelta_units", [] {
        return std::tuple(chr::seconds(-90061), chr::milliseconds(1500),
                          chr::duration<double>(0.25), chr::nanoseconds(2000));
      });
  f.add<std::vector<chr::sys_time<microseconds>>>("datetime", [] {
    return std::vector<chr::sys_time<microseconds>>{
        at_us(0), at_us(1700000000123456), at_us(-62135596800000000),  // 0001-01-01
        at_us(253402300799999999),                                     // 9999-12-31 23:59:59.999999
        at_us(951782400000001)};                                       // 2000-02-29 00:00:00.000001
  });
  // Nanoseconds rounded to microseconds (half to even), as timedelta rounds.
  f.add<std::vector<chr::sys_time<chr::nanoseconds>>>(
      "datetime_ns",
      [] {
        using T = chr::sys_time<chr::nanoseconds>;
        return std::vector<T>{T(chr::nanoseconds(1500)), T(chr::nanoseconds(2500)),
                              T(chr::nanoseconds(1000000000))};
      },
      {}, nullptr,
      [] {
        using T = chr::sys_time<chr::nanoseconds>;
        return std::vector<T>{T(chr::nanoseconds(2000)), T(chr::nanoseconds(2000)),
                              T(chr::nanoseconds(1000000000))};
      });
  f.add<std::vector<chr::sys_seconds>>("datetime_seconds", [] {
    return std::vector<chr::sys_seconds>{chr::sys_seconds(chr::seconds(1000000000))};
  });
  f.add<std::vector<chr::year_month_day>>("date", [] {
    using namespace std::chrono;
    return std::vector<year_month_day>{2024y / February / 29, 1y / January / 1,
                                       9999y / December / 31, 1970y / January / 1};
  });
  // The Python types together: their module names, memoized or not.
  f.add<std::tuple<chr::sys_time<microseconds>, chr::year_month_day, microseconds, Decimal, Uuid,
                   chr::year_month_day, Decimal>>("python_types", [] {
    using namespace std::chrono;
    return std::tuple(at_us(1700000000123456), 2023y / November / 14, microseconds(5),
                      Decimal{"2.5"}, Uuid::parse("00000000-0000-0000-0000-000000000001"),
                      2000y / January / 2, Decimal{"-0"});
  });

  // ---- what the types refuse --------------------------------------------------------------
  f.refuse<std::vector<int8_t>>("refuse_int8_range", "at [1]: expected an int from -128 to 127");
  f.refuse<uint64_t>("refuse_uint64_negative", "from 0 to 18446744073709551615, found -1");
  f.refuse<uint64_t>("refuse_uint64_range", "found 18446744073709551616");
  f.refuse<int64_t>("refuse_str_as_int", "expected int, found str");
  f.refuse<std::string>("refuse_bytes_as_str", "expected str, found bytes");
  f.refuse<std::pair<int, int>>("refuse_tuple_size", "2 items, found 3");
  f.refuse<Record>("refuse_missing_key", "missing key 'name'");
  f.refuse<Record>("refuse_extra_key", "unexpected key 'extra'");
  f.refuse<Point>("refuse_other_class", "found typed_classes.Other object");
  f.refuse<std::vector<Record>>("refuse_field_type", "at [1]['score']: expected float, found str");
  f.refuse<NodePtr>("refuse_cycle_by_default", "allow_shared_cycles", false);
  f.refuse<std::array<int, 2>>("refuse_array_size", "2 items, found 3");
  f.refuse<chr::year_month_day>("refuse_datetime_as_date", "found datetime.datetime object");
  return f;
}

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s dump OUTDIR\n"
               "       %s load NAME FILE\n"
               "       %s refuse NAME FILE\n",
               argv0, argv0, argv0);
  return 2;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return static_cast<bool>(in);
}

int dump_all(const Fixtures& f, const std::string& dir) {
  std::ofstream list(dir + "/fixtures.txt");
  for (const Fixture& fx : f.fixtures) {
    for (int p = 0; p <= pickle::HIGHEST_PROTOCOL; ++p) {
      std::string bytes = fx.dump(p);
      std::string path = dir + "/" + fx.name + ".p" + std::to_string(p) + ".pkl";
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      list << fx.name << ' ' << p << '\n';
    }
  }
  std::ofstream refusals(dir + "/refusals.txt");
  for (const Refusal& r : f.refusals) refusals << r.name << '\n';
  return list && refusals ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(argv[0]);
  std::string mode = argv[1];
  try {
    Fixtures f = make_fixtures();
    if (mode == "dump" && argc == 3) return dump_all(f, argv[2]);
    if ((mode == "load" || mode == "refuse") && argc == 4) {
      std::string name = argv[2], bytes;
      if (!read_file(argv[3], bytes)) {
        std::fprintf(stderr, "cannot read %s\n", argv[3]);
        return 1;
      }
      if (mode == "load") {
        for (const Fixture& fx : f.fixtures) {
          if (fx.name != name) continue;
          std::string why = fx.load(bytes);
          if (!why.empty()) {
            std::printf("FAIL %s: %s\n", argv[3], why.c_str());
            return 1;
          }
          std::printf("ok\n");
          return 0;
        }
      } else {
        for (const Refusal& r : f.refusals) {
          if (r.name != name) continue;
          std::string message;
          std::string why = r.load(bytes, message);
          if (!why.empty()) {
            std::printf("FAIL %s: %s\n", argv[3], why.c_str());
            return 1;
          }
          std::printf("refused: %s\n", message.c_str());
          return 0;
        }
      }
      std::fprintf(stderr, "no %s fixture named %s\n", mode.c_str(), name.c_str());
      return 2;
    }
    return usage(argv[0]);
  } catch (const std::exception& e) {
    std::printf("FAIL %s: %s\n", argc == 4 ? argv[3] : mode.c_str(), e.what());
    return 1;
  }
}
