// The typed binding (pickle/typed.hpp): round trips of every codec at every protocol,
// typed dumps against the graph walk's bytes for the same Python values (which the
// dump_interop suite holds to CPython's), errors with their paths, shared and
// recursive pointers, and the entry points. The bytes against CPython itself:
// tests/pickletests/typed_interop.py.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "pickle/pickle.hpp"

namespace typed_test {

struct Record {
  int64_t id = 0;
  std::string name;
  double score = 0;
  std::vector<std::string> tags;
  std::optional<double> balance;
  bool operator==(const Record&) const = default;
};
PICKLE_DICT(Record, id, name, score, tags, balance);

struct Point {
  double x = 0, y = 0;
  bool operator==(const Point&) const = default;
};
PICKLE_OBJECT(Point, "geometry", "Point", x, y);

struct Node {
  std::string name;
  std::vector<std::shared_ptr<Node>> next;
};
PICKLE_OBJECT(Node, "graphs", "Node", name, next);

// Writes {'ab': 1, 'cd': 2} with names made in one buffer.
struct BufferNames {};

// Reaches itself through a tuple.
struct TupleLoop {
  std::shared_ptr<TupleLoop> self;
};

// A codec that announces `announce` items and writes `write`.
struct Liar {
  size_t announce, write;
};
// Written as a persistent id (as PyTorch writes a tensor's storage).
struct StorageRef {
  std::string key;
};

// A class with __getnewargs__: bank.Account(number) then its __dict__ (docs/typed.md).
struct Account {
  int64_t number = 0;
  std::string owner;
  bool operator==(const Account&) const = default;
};

// A list of lists of ... of ints, as deep as the data.
struct LaughNode {
  std::vector<LaughNode> items;
  std::optional<int> leaf;
};

struct Holder {
  std::string label;
  pickle::Value extra;
};
PICKLE_DICT(Holder, label, extra);

// A class Python pickles through __reduce__: fractions.Fraction(numerator, denominator)
// (CPython 3.12+; older ones write Fraction('n/d'), which load() also reads).
struct Fraction {
  int64_t num = 0, den = 1;
  bool operator==(const Fraction&) const = default;
};

}  // namespace typed_test

template <>
struct pickle::codec<typed_test::Fraction> {
  static void dump(Writer& w, const typed_test::Fraction& f) {
    w.reduce("fractions", "Fraction", f.num, f.den);
  }
  static void load(const Reader& r, typed_test::Fraction& f) {
    r.object_of("fractions", "Fraction");
    if (r.arg_count() == 2) {
      f.num = r.arg(0).as_integer<int64_t>();
      f.den = r.arg(1).as_integer<int64_t>();
      return;
    }
    Reader text = r.arg(0);
    std::string s(text.as_str());
    size_t slash = s.find('/');
    f.num = std::stoll(s.substr(0, slash));
    f.den = slash == std::string::npos ? 1 : std::stoll(s.substr(slash + 1));
  }
};

template <>
struct pickle::codec<typed_test::Account> {
  static void dump(Writer& w, const typed_test::Account& a) {
    w.instance("bank", "Account", a.number);  // the class and __getnewargs__()
    Writer::Items d = w.begin_dict(2);        // the state: __dict__
    w.next(d);
    w.name("number");
    w.next(d);
    w.integer(a.number);
    w.next(d);
    w.name("owner");
    w.next(d);
    w.str(a.owner);
    w.end(d);
    w.build();
  }
  static void load(const Reader& r, typed_test::Account& a) {
    r.object_of("bank", "Account");
    a.number = r.attribute("number").value().as_integer<int64_t>();
    a.owner = r.attribute("owner").value().read<std::string>();
  }
};

template <>
struct pickle::codec<typed_test::LaughNode> {
  static void load(const Reader& r, typed_test::LaughNode& n) {
    if (r.kind() == Kind::Int) {
      n.leaf = r.as_integer<int>();
      return;
    }
    size_t count = r.items({Kind::List}, "list");
    n.items.resize(count);
    for (size_t i = 0; i < count; ++i) r.item(i).read(n.items[i]);
  }
};

template <>
struct pickle::codec<typed_test::BufferNames> {
  static void dump(Writer& w, const typed_test::BufferNames&) {
    char buffer[2];
    Writer::Items d = w.begin_dict(2);
    for (int i = 0; i < 2; ++i) {
      buffer[0] = static_cast<char>('a' + 2 * i);
      buffer[1] = static_cast<char>('b' + 2 * i);
      w.next(d);
      w.name(std::string_view(buffer, 2));
      w.next(d);
      w.integer(int64_t{i + 1});
    }
    w.end(d);
  }
};

template <>
struct pickle::codec<typed_test::TupleLoop> {
  static void dump(Writer& w, const typed_test::TupleLoop& t) { w.tuple(t.self); }
};
template <>
struct pickle::codec<typed_test::Liar> {
  static void dump(Writer& w, const typed_test::Liar& l) {
    Writer::Items items = w.begin_list(l.announce);
    for (size_t i = 0; i < l.write; ++i) {
      w.next(items);
      w.integer(static_cast<int64_t>(i));
    }
    w.end(items);
  }
};
template <>
struct pickle::codec<typed_test::StorageRef> {
  static void dump(Writer& w, const typed_test::StorageRef& s) { w.persistent_id(s.key); }
};

namespace {

using namespace typed_test;
using pickle::Graph;
using pickle::Value;

std::string dumps_at(const auto& x, int protocol) {
  return pickle::dumps(x, {.protocol = protocol});
}

// x round-trips at every protocol, and its bytes are those the graph walk writes for
// the values it loads into (the same Python values).
template <class T>
void round_trip(const T& x) {
  for (int p = 0; p <= pickle::HIGHEST_PROTOCOL; ++p) {
    SCOPED_TRACE("protocol " + std::to_string(p));
    std::string b = dumps_at(x, p);
    T back = pickle::loads<T>(b);
    EXPECT_TRUE(back == x);
    pickle::Document d = pickle::loads(b);
    EXPECT_EQ(pickle::dumps(d.root(), {.protocol = p}), b);
  }
}

TEST(Typed, Scalars) {
  round_trip(true);
  round_trip(false);
  round_trip(int8_t{-128});
  round_trip(uint8_t{255});
  round_trip(int16_t{-32768});
  round_trip(uint16_t{65535});
  round_trip(int32_t{INT32_MIN});
  round_trip(uint32_t{UINT32_MAX});
  round_trip(int64_t{INT64_MIN});
  round_trip(int64_t{INT64_MAX});
  round_trip(uint64_t{UINT64_MAX});
  round_trip(0.0);
  round_trip(-0.0);
  round_trip(1e300);
  round_trip(std::numeric_limits<double>::infinity());
  round_trip(1.5f);
  round_trip(std::complex<double>(1.5, -2));
  round_trip(std::string(""));
  round_trip(std::string("é"));
  round_trip(std::string("Zürich \xF0\x9F\x98\x80"));
  round_trip(std::string(300, 'x'));
  round_trip(pickle::Bytes{""});
  round_trip(pickle::Bytes{"\x01"});
  round_trip(pickle::Bytes{std::string(300, '\xff')});
  round_trip(pickle::ByteArray{"abc"});
  round_trip(std::vector<std::byte>{std::byte{0}, std::byte{255}});
  double nan = pickle::loads<double>(dumps_at(std::nan(""), 2));
  EXPECT_TRUE(std::isnan(nan));
}

TEST(Typed, BigInts) {
  round_trip(pickle::BigInt::from_decimal("123456789012345678901234567890"));
  round_trip(pickle::BigInt::from_decimal("-123456789012345678901234567890"));
  round_trip(pickle::BigInt(0));
  EXPECT_EQ(pickle::BigInt::from_decimal("-98765432109876543210").to_decimal(),
            "-98765432109876543210");
#ifdef __SIZEOF_INT128__
  using pickle::detail::int128;
  using pickle::detail::uint128;
  round_trip(static_cast<int128>(-1) << 100);
  round_trip(~static_cast<uint128>(0));
  EXPECT_EQ(pickle::loads<int128>(dumps_at(int64_t{-5}, 2)), -5);
#endif
  // A uint64 above INT64_MAX is one int of Python, written as CPython writes it.
  Graph g;
  Value v = g.integer(UINT64_MAX);
  for (int p = 0; p <= 5; ++p)
    EXPECT_EQ(dumps_at(uint64_t{UINT64_MAX}, p), pickle::dumps(v, {.protocol = p}));
  EXPECT_THROW(pickle::BigInt::from_decimal("12a"), pickle::UsageError);
}

TEST(Typed, Containers) {
  round_trip(std::vector<int>{});
  round_trip(std::vector<int>{1});
  round_trip(std::vector<double>(2500, 0.5));  // three batches
  round_trip(std::deque<std::string>{"a", "b"});
  round_trip(std::list<int>{1, 2, 3});
  round_trip(std::array<int, 3>{1, 2, 3});
  round_trip(std::pair<int, std::string>{1, "one"});
  round_trip(std::tuple<>{});
  round_trip(std::tuple<int>{1});
  round_trip(std::tuple<int, int, int>{1, 2, 3});
  round_trip(std::tuple<int, int, int, int>{1, 2, 3, 4});
  round_trip(std::map<std::string, std::vector<double>>{{"a", {1, 2}}, {"b", {}}});
  std::map<int, int> big;
  for (int i = 0; i < 1000; ++i) big[i] = -i;  // exactly one full batch, then an empty one
  round_trip(big);
  round_trip(std::unordered_map<std::string, int>{{"x", 1}});
  round_trip(std::set<int>{});
  round_trip(std::set<int>{1, 2, 3});
  std::set<int> many;
  for (int i = 0; i < 1500; ++i) many.insert(i);
  round_trip(many);
  round_trip(std::unordered_set<std::string>{"a"});
  round_trip(std::optional<int>{});
  round_trip(std::optional<int>{4});
  round_trip(std::variant<int, std::string>{"s"});
  round_trip(std::variant<int, std::string>{3});
}

TEST(Typed, NamesAndSingletons) {
  // A one-character field name is the one-character str singleton: one object.
  for (int p = 0; p <= 5; ++p) {
    std::string b = dumps_at(
        std::tuple(std::vector<std::string>{"y"}, Point{1, 2}, std::vector<std::string>{"x", "y"}),
        p);
    pickle::Document d = pickle::loads(b);
    EXPECT_TRUE(d.root()[0][0].is(d.root()[2][1]));
    EXPECT_EQ(pickle::dumps(d.root(), {.protocol = p}), b);
  }
  // Names a codec builds in one buffer it reuses are told apart by their text.
  EXPECT_EQ((pickle::loads<std::map<std::string, int>>(dumps_at(BufferNames{}, 4))),
            (std::map<std::string, int>{{"ab", 1}, {"cd", 2}}));
  // std::vector<bool> (whose elements are proxies) loads too.
  round_trip(std::vector<bool>{true, false, true});
}

TEST(Typed, Structs) {
  std::vector<Record> rs{{1, "Ada", 97.25, {"admin", "math"}, std::nullopt},
                         {2, "Bob", -1, {}, 12.5}};
  round_trip(rs);
  round_trip(std::vector<Point>{{1, 2}, {3, 4}});
  // Field names are interned: the second record's keys are memo references.
  std::string b = dumps_at(rs, 4);
  EXPECT_NE(b.find("score"), std::string::npos);
  EXPECT_EQ(b.find("score", b.find("score") + 1), std::string::npos);
}

TEST(Typed, StructBytesAreTheGraphs) {
  // The same Python values built by hand as a graph: a dict, and an instance written
  // as object.__reduce_ex__ writes it.
  for (int p = 0; p <= 5; ++p) {
    Graph g;
    Value tags = g.list({g.str("admin")});
    Value rec = g.dict({{g.str("id"), 7},
                        {g.str("name"), g.str("Ada")},
                        {g.str("score"), 1.5},
                        {g.str("tags"), tags},
                        {g.str("balance"), nullptr}});
    EXPECT_EQ(dumps_at(Record{7, "Ada", 1.5, {"admin"}, std::nullopt}, p),
              pickle::dumps(rec, {.protocol = p}));
  }
  // An instance: CPython's own bytes for geometry.Point with x=1.0, y=2.0 (protocol 2
  // and 0), as `pickle.dumps(p, 2)` writes them.
  EXPECT_EQ(dumps_at(Point{1, 2}, 2),
            std::string("\x80\x02"
                        "cgeometry\nPoint\nq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03"
                        "G?\xf0\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00yq\x04G@\x00\x00\x00"
                        "\x00\x00\x00\x00ub.",
                        65));
  EXPECT_EQ(dumps_at(Point{1, 2}, 0),
            "ccopy_reg\n_reconstructor\np0\n(cgeometry\nPoint\np1\nc__builtin__\nobject\np2\n"
            "Ntp3\nRp4\n(dp5\nVx\np6\nF1.0\nsVy\np7\nF2.0\nsb.");
}

TEST(Typed, PythonTypes) {
  using namespace std::chrono;
  round_trip(pickle::Decimal{"1.10"});
  round_trip(pickle::Decimal{"-Infinity"});
  round_trip(pickle::Uuid::parse("12345678-1234-5678-1234-567812345678"));
  EXPECT_EQ(pickle::Uuid::parse("12345678123456781234567812345678").str(),
            "12345678-1234-5678-1234-567812345678");
  round_trip(microseconds(-1));
  round_trip(hours(24 * 365));
  round_trip(seconds(86399));
  round_trip(sys_time<microseconds>(microseconds(1700000000123456)));
  round_trip(sys_time<microseconds>(microseconds(-62135596800000000)));  // 0001-01-01
  round_trip(year_month_day(year(2024), month(2), day(29)));
  // Rounding to microseconds, half to even, as timedelta rounds.
  EXPECT_EQ(pickle::loads<nanoseconds>(dumps_at(nanoseconds(1500), 4)), nanoseconds(2000));
  EXPECT_EQ(pickle::loads<nanoseconds>(dumps_at(nanoseconds(2500), 4)), nanoseconds(2000));
  EXPECT_EQ(pickle::loads<nanoseconds>(dumps_at(nanoseconds(-1500), 4)), nanoseconds(-2000));
  // A duration type too coarse for the value is an error, not a truncation.
  EXPECT_THROW(pickle::loads<seconds>(dumps_at(milliseconds(1500), 4)), pickle::TypedError);
  EXPECT_THROW(dumps_at(year_month_day(year(0), month(1), day(1)), 4), pickle::PicklingError);
  EXPECT_THROW(dumps_at(year_month_day(year(2023), month(2), day(29)), 4), pickle::PicklingError);
}

TEST(Typed, ReductionCodec) {
  round_trip(Fraction{3, 4});
  round_trip(std::vector<Fraction>{{1, 2}, {-5, 3}});
  // Python 3.11's form, Fraction('3/4'), reads too.
  Graph g;
  Value old = g.object(g.global("fractions", "Fraction"), g.tuple({g.str("3/4")}));
  EXPECT_EQ(pickle::from_value<Fraction>(old), (Fraction{3, 4}));
}

TEST(Typed, GetnewargsCodec) {
  // CPython 3.11's pickle.dumps(bank.Account(12, 'Ada'), protocol) for a class whose
  // __getnewargs__ returns (self.number,).
  Account a{12, "Ada"};
  EXPECT_EQ(dumps_at(a, 0),
            "ccopy_reg\n_reconstructor\np0\n(cbank\nAccount\np1\nc__builtin__\nobject\np2\nNtp3"
            "\nRp4\n(dp5\nVnumber\np6\nI12\nsVowner\np7\nVAda\np8\nsb.");
  EXPECT_EQ(dumps_at(a, 2),
            std::string("\x80\x02"
                        "cbank\nAccount\nq\x00K\x0c\x85q\x01\x81q\x02}q\x03(X"
                        "\x06\x00\x00\x00numberq\x04K\x0cX\x05\x00\x00\x00ownerq\x05X"
                        "\x03\x00\x00\x00"
                        "Adaq\x06ub.",
                        70));
  EXPECT_EQ(dumps_at(a, 4),
            std::string("\x80\x04\x95"
                        "8\x00\x00\x00\x00\x00\x00\x00\x8c\x04"
                        "bank\x94\x8c\x07"
                        "Account\x94\x93\x94K\x0c\x85\x94\x81\x94}\x94(\x8c\x06number\x94K\x0c\x8c"
                        "\x05owner\x94\x8c\x03"
                        "Ada\x94ub.",
                        67));
  round_trip(a);
}

TEST(Typed, ValuesInsideTypes) {
  Graph g;
  Holder h{"raw", g.list({1, g.str("two")})};
  for (int p = 0; p <= 5; ++p) {
    std::string b = dumps_at(h, p);
    Graph back;
    Holder r = pickle::loads<Holder>(b, back);
    EXPECT_EQ(r.label, "raw");
    EXPECT_EQ(pickle::repr(r.extra), "[1, 'two']");
  }
  // Without a graph that outlives it, a Value cannot be read.
  EXPECT_THROW(pickle::loads<Holder>(dumps_at(h, 4)), pickle::UsageError);
}

TEST(Typed, SharedPointers) {
  auto p = std::make_shared<Point>(Point{1, 2});
  std::vector<std::shared_ptr<Point>> two{p, p, nullptr};
  for (int proto = 0; proto <= 5; ++proto) {
    std::string b = dumps_at(two, proto);
    pickle::Document d = pickle::loads(b);
    EXPECT_TRUE(d.root()[0].is(d.root()[1]));
    EXPECT_EQ(pickle::dumps(d.root(), {.protocol = proto}), b);
    auto back = pickle::loads<std::vector<std::shared_ptr<Point>>>(b);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0], back[1]);  // one object again
    EXPECT_EQ(*back[0], (Point{1, 2}));
    EXPECT_EQ(back[2], nullptr);
  }
  // A shared str and a shared list are one object too.
  auto s = std::make_shared<std::string>("shared text");
  auto l = std::make_shared<std::vector<int>>(std::vector<int>{1, 2});
  std::string b = dumps_at(std::tuple(s, s, l, l), 4);
  pickle::Document d = pickle::loads(b);
  EXPECT_TRUE(d.root()[0].is(d.root()[1]));
  EXPECT_TRUE(d.root()[2].is(d.root()[3]));
  // unique_ptr: each its own object.
  std::vector<std::unique_ptr<int>> u;
  u.push_back(std::make_unique<int>(5));
  u.push_back(nullptr);
  auto ub = pickle::loads<std::vector<std::unique_ptr<int>>>(dumps_at(u, 4));
  EXPECT_EQ(*ub[0], 5);
  EXPECT_EQ(ub[1], nullptr);
}

TEST(Typed, RecursiveSharedPointers) {
  // A node that reaches itself: written as CPython writes the recursion (the object
  // is memoized before its state), and read back as the same cycle.
  auto a = std::make_shared<Node>();
  a->name = "a";
  auto b = std::make_shared<Node>();
  b->name = "b";
  a->next = {b, a};
  b->next = {a};
  for (int p = 0; p <= 5; ++p) {
    std::string bytes = dumps_at(a, p);
    pickle::Document d = pickle::loads(bytes);
    EXPECT_EQ(pickle::dumps(d.root(), {.protocol = p}), bytes);
    EXPECT_THROW(pickle::loads<std::shared_ptr<Node>>(bytes), pickle::TypedError);
    pickle::LoadOptions cycles;
    cycles.typed.allow_shared_cycles = true;
    auto back = pickle::loads<std::shared_ptr<Node>>(bytes, cycles);
    ASSERT_EQ(back->next.size(), 2u);
    EXPECT_EQ(back->next[1], back);
    EXPECT_EQ(back->next[0]->next[0], back);
    back->next.clear();  // break the cycles so they are freed
  }
  a->next.clear();
  b->next.clear();
  // A shared object inside tuples is fine (memoized before the tuple is).
  using Pair = std::tuple<std::shared_ptr<std::string>, int>;
  auto s = std::make_shared<std::string>("x");
  pickle::Document d = pickle::loads(dumps_at(std::vector<Pair>{{s, 1}, {s, 2}}, 4));
  EXPECT_TRUE(d.root()[0][0].is(d.root()[1][0]));
  // Reaching itself through a tuple, which is memoized only after its items: no pickle
  // can express it, so it is an error, not a loop.
  auto loop = std::make_shared<TupleLoop>();
  loop->self = loop;
  EXPECT_THROW(dumps_at(loop, 4), pickle::PicklingError);
  loop->self.reset();
}

TEST(Typed, DepthLimit) {
  // A recursive C++ structure stops at the limit with an error, on both sides.
  std::optional<std::vector<std::vector<std::vector<int>>>> deep{{{{1}}}};
  EXPECT_NO_THROW(dumps_at(deep, 4));
  EXPECT_THROW(pickle::dumps(deep, {.typed_max_depth = 3}), pickle::PicklingError);
  pickle::LoadOptions lo;
  lo.typed.max_depth = 3;
  try {
    pickle::loads<std::vector<std::vector<std::vector<int>>>>(dumps_at(deep, 4), lo);
    FAIL();
  } catch (const pickle::TypedError& e) {
    EXPECT_EQ(e.code(), pickle::ErrorCode::limit_exceeded);
    EXPECT_STREQ(e.what(),
                 "at [0][0][0]: values nest deeper than 3 levels (LoadOptions::typed.max_depth)");
  }
}

TEST(Typed, SharedReferencesDoNotExpandWithoutBound) {
  // A billion laughs: each level a list of the level below twice, 40 levels deep. The
  // graph holds 40 lists; read into C++ types, every reference is a copy (2^40 leaves).
  Graph g;
  Value level = g.list({1, 2});
  for (int i = 0; i < 40; ++i) level = g.list({level, level});
  std::string bytes = pickle::dumps(level);
  EXPECT_LT(bytes.size(), 600u);
  // Read six levels deep, the rest as Values: 64 handles of one shared node.
  using Deep = std::vector<pickle::Value>;
  Graph back;
  auto six = pickle::loads<std::vector<std::vector<std::vector<std::vector<std::vector<Deep>>>>>>(
      bytes, back);
  ASSERT_EQ(six.size(), 2u);
  EXPECT_TRUE(six[0][0][0][0][0][0].is(six[1][1][1][1][1][1]));
  // A recursive type that follows every level: stopped by the budget, not the memory.
  try {
    pickle::loads<std::shared_ptr<LaughNode>>(bytes);
    FAIL() << "no limit";
  } catch (const pickle::TypedError& e) {
    EXPECT_EQ(e.code(), pickle::ErrorCode::limit_exceeded) << e.what();
  }
  // An explicit budget, and from_value's (none unless set).
  pickle::LoadOptions small;
  small.typed.max_values = 10;
  EXPECT_THROW(pickle::loads<std::vector<int>>(dumps_at(std::vector<int>(20, 1), 4), small),
               pickle::TypedError);
  EXPECT_EQ(pickle::loads<std::vector<int>>(dumps_at(std::vector<int>(9, 1), 4), small).size(), 9u);
}

template <class T>
std::string load_error(const std::string& bytes, const pickle::LoadOptions& o = {}) {
  try {
    pickle::loads<T>(bytes, o);
  } catch (const pickle::TypedError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Typed, ErrorsSayWhere) {
  using Series = std::map<std::string, std::vector<double>>;
  Graph g;
  Value v = g.dict({{g.str("series"), g.dict({{g.str("a"), g.list({1.0, 2.0, g.str("x")})}})}});
  std::string b = pickle::dumps(v);
  EXPECT_EQ((load_error<std::map<std::string, Series>>(b)),
            "at ['series']['a'][2]: expected float, found str");
  EXPECT_EQ((load_error<std::vector<int>>(pickle::dumps(g.dict()))),
            "at the top: expected list, found dict");
  EXPECT_EQ((load_error<std::vector<uint8_t>>(dumps_at(std::vector<int>{1, 300}, 4))),
            "at [1]: expected an int from 0 to 255, found 300");
  EXPECT_EQ(
      (load_error<int64_t>(dumps_at(pickle::BigInt::from_decimal("99999999999999999999"), 4))),
      "at the top: expected an int from -9223372036854775808 to 9223372036854775807, found "
      "99999999999999999999");
  EXPECT_EQ((load_error<uint32_t>(dumps_at(-1, 4))),
            "at the top: expected an int from 0 to 4294967295, found -1");
  EXPECT_EQ((load_error<double>(dumps_at(int64_t{(1LL << 53) + 1}, 4))),
            "at the top: expected a float, found 9007199254740993, an int that a float does not "
            "hold exactly");
  EXPECT_EQ(pickle::loads<double>(dumps_at(3, 4)), 3.0);  // an int a float holds
  EXPECT_EQ((load_error<bool>(dumps_at(1, 4))), "at the top: expected bool, found int 1");
  EXPECT_EQ((load_error<std::array<int, 2>>(dumps_at(std::vector<int>{1}, 4))),
            "at the top: expected a list of 2 items, found 1");
  EXPECT_EQ((load_error<std::map<int, int>>(dumps_at(std::map<std::string, int>{{"k", 1}}, 4))),
            "at <key 'k'>: expected int, found str");
  EXPECT_EQ((load_error<std::variant<int, std::string>>(dumps_at(2.5, 4))),
            "at the top: no alternative of the variant accepts float (the first said: at the "
            "top: expected int, found float)");
  // Structs: a missing key, a missing optional one (empty), an unexpected one.
  Value rec = g.dict({{g.str("id"), 1},
                      {g.str("name"), g.str("n")},
                      {g.str("score"), 2.0},
                      {g.str("tags"), g.list()}});
  EXPECT_EQ(pickle::loads<Record>(pickle::dumps(rec)).balance, std::nullopt);
  rec.dict().set(g.str("extra"), 1);
  EXPECT_EQ((load_error<Record>(pickle::dumps(rec))), "at the top: unexpected key 'extra'");
  pickle::LoadOptions lenient;
  lenient.typed.ignore_extra_keys = true;
  EXPECT_EQ(pickle::loads<Record>(pickle::dumps(rec), lenient).name, "n");
  Value partial = g.dict({{g.str("id"), 1}});
  EXPECT_EQ((load_error<Record>(pickle::dumps(partial))), "at the top: missing key 'name'");
  Value list_of = g.list({g.dict({{g.str("id"), g.str("one")}})});
  EXPECT_EQ((load_error<std::vector<Record>>(pickle::dumps(list_of))),
            "at [0]['id']: expected int, found str");
  // Objects: the wrong class, a wrong attribute.
  EXPECT_EQ((load_error<Point>(dumps_at(Fraction{1, 2}, 4))),
            "at the top: expected geometry.Point object, found fractions.Fraction object");
  Value pt = g.object(g.global("geometry", "Point"), g.tuple({}), pickle::BuildKind::newobj);
  pt.object().states.push_back(g.dict({{g.str("x"), 1.0}, {g.str("y"), g.str("no")}}));
  EXPECT_EQ((load_error<std::vector<Point>>(pickle::dumps(g.list({pt})))),
            "at [0].y: expected float, found str");
  pt.object().states.back().dict().set(g.str("y"), 2.0);
  pt.object().states.back().dict().set(g.str("z"), 1);
  EXPECT_EQ((load_error<Point>(pickle::dumps(pt))), "at the top: unexpected attribute 'z'");
  // Codes.
  try {
    pickle::loads<Record>(pickle::dumps(partial));
  } catch (const pickle::TypedError& e) {
    EXPECT_EQ(e.code(), pickle::ErrorCode::key_error);
    EXPECT_EQ(e.path(), "");
  }
  try {
    pickle::loads<std::vector<int8_t>>(dumps_at(std::vector<int>{1, 1000}, 4));
  } catch (const pickle::TypedError& e) {
    EXPECT_EQ(e.code(), pickle::ErrorCode::overflow);
    EXPECT_EQ(e.path(), "[1]");
  }
  // A bad pickle is still an UnpicklingError, with its offset.
  EXPECT_THROW(pickle::loads<int>(std::string("\x80\x04K")), pickle::UnpicklingError);
}

TEST(Typed, DumpErrors) {
  EXPECT_THROW(dumps_at(std::string("\xff"), 4), pickle::PicklingError);
  EXPECT_THROW(dumps_at(std::string("ok"), 7), pickle::UsageError);
  // A codec that writes more or fewer items than it began its container with.
  EXPECT_NO_THROW(dumps_at(Liar{2, 2}, 4));
  try {
    dumps_at(Liar{2, 1}, 4);
    FAIL();
  } catch (const pickle::PicklingError& e) {
    EXPECT_STREQ(e.what(), "a codec wrote 1 items where it began its container with 2");
  }
  EXPECT_THROW(dumps_at(Liar{1, 2}, 4), pickle::PicklingError);
  // The Pickler carries on after a failed dump, with no memo of it.
  std::ostringstream out;
  pickle::StreamSink sink(out);
  pickle::Pickler p(sink);
  EXPECT_THROW(p.dump(Liar{3, 1}), pickle::PicklingError);
  p.dump(Record{1, "a", 0, {}, {}});
  EXPECT_EQ(pickle::loads<Record>(out.str()).name, "a");
}

TEST(Typed, PicklerAndUnpickler) {
  // Several typed dumps in one stream share the memo, as CPython's Pickler does; the
  // Unpickler reads them back in order.
  std::ostringstream out;
  pickle::StreamSink sink(out);
  pickle::Pickler p(sink, {.protocol = 2});
  Record r{1, "x", 2, {}, std::nullopt};
  p.dump(r);
  p.dump(r);
  Graph g;
  p.dump(g.str("a graph's value, between them"), g);
  p.dump(std::vector<int>{1, 2});
  std::string bytes = out.str();
  // The second record's keys are memo references to the first's.
  EXPECT_LT(bytes.size(), 2 * dumps_at(r, 2).size());
  pickle::MemorySource src(bytes);
  pickle::Unpickler u(src);
  EXPECT_EQ(u.load<Record>(), r);
  EXPECT_EQ(u.load<Record>(), r);
  EXPECT_EQ(u.load<std::string>(), "a graph's value, between them");
  EXPECT_EQ(u.load<std::vector<int>>(), (std::vector<int>{1, 2}));
  EXPECT_TRUE(u.at_end());
  // dump() to a stream, load<T>() from one.
  std::ostringstream s;
  pickle::dump(std::vector<int>{1}, s);
  EXPECT_EQ(s.str(), pickle::dumps(std::vector<int>{1}));
  std::istringstream in(s.str() + s.str());
  EXPECT_EQ(pickle::load<std::vector<int>>(in), (std::vector<int>{1}));
}

TEST(Typed, FastMode) {
  auto p = std::make_shared<std::vector<int>>(std::vector<int>{1});
  pickle::DumpOptions fast{.protocol = 4, .fast = true};
  std::string b = pickle::dumps(std::vector{p, p}, fast);
  pickle::Document d = pickle::loads(b);
  EXPECT_FALSE(d.root()[0].is(d.root()[1]));     // no memo: written twice
  EXPECT_EQ(b.find('\x94'), std::string::npos);  // no MEMOIZE
}

TEST(Typed, PersistentIds) {
  // A codec may write a persistent id in place of a value: PERSID at protocol 0,
  // BINPERSID after it.
  std::vector<StorageRef> refs{{"0"}, {"1"}};
  EXPECT_EQ(dumps_at(refs, 0), "(lp0\nP0\naP1\na.");
  for (int proto = 1; proto <= 5; ++proto) {
    pickle::Document d = pickle::loads(dumps_at(refs, proto));
    ASSERT_EQ(d.root()[1].kind(), pickle::Kind::PersistentRef);
    EXPECT_EQ(d.root()[1].persistent_ref().pid.as_str(), "1");
  }
  EXPECT_THROW(dumps_at(StorageRef{"a\nb"}, 0), pickle::PicklingError);
}

}  // namespace
