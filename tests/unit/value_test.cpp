// The object model: makers, accessors, identity, Python equality and dict keys.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <typeinfo>

#include "pickle/value.hpp"

namespace pickle {
namespace {

TEST(Value, ImmediatesAndAccessors) {
  Value none, b(true), i(42), f(2.5);
  EXPECT_TRUE(none.is_none());
  EXPECT_TRUE(b.as_bool());
  EXPECT_EQ(i.as_int(), 42);
  EXPECT_EQ(f.as_float(), 2.5);
  EXPECT_EQ(i.as_float(), 42.0);
  EXPECT_THROW(f.as_int(), TypeError);
  EXPECT_THROW(i.as_str(), TypeError);
  EXPECT_FALSE(i.is_node());
}

// Issue 12 item 14: every integer type converts, each to the int it holds; the
// character types do not (tests/compile_fail/ checks that they do not compile).
template <class T>
void expect_int_value(T x, int64_t expected) {
  Value v = x;
  EXPECT_TRUE(v.is_int()) << typeid(T).name();
  EXPECT_EQ(v.as_int(), expected) << typeid(T).name();
  Value w(x);
  EXPECT_EQ(w.as_int(), expected) << typeid(T).name();
}

TEST(Value, EveryIntegerTypeIsAnInt) {
  expect_int_value(short{-3}, -3);
  expect_int_value(static_cast<unsigned short>(65535), 65535);
  expect_int_value(int8_t{-128}, -128);
  expect_int_value(uint8_t{200}, 200);
  expect_int_value(-7, -7);
  expect_int_value(7u, 7);
  expect_int_value(-7l, -7);
  expect_int_value(7ul, 7);
  expect_int_value(-7ll, -7);
  expect_int_value(7ull, 7);
  expect_int_value(size_t{3}, 3);
  expect_int_value(std::ptrdiff_t{-3}, -3);
  expect_int_value(uint32_t{4000000000u}, 4000000000);
  expect_int_value(uint64_t{INT64_MAX}, INT64_MAX);
  expect_int_value(int64_t{INT64_MIN}, INT64_MIN);
  // Constant expressions too.
  constexpr Value c = size_t{5};
  static_assert(c.kind() == Kind::Int);
  // Bool stays a bool, a double a float.
  EXPECT_TRUE(Value(true).is_bool());
  EXPECT_TRUE(Value(1.5f).is_float());
}

TEST(Value, UnsignedAboveInt64MaxNeedsAGraph) {
  uint64_t big = uint64_t(INT64_MAX) + 1;
  EXPECT_THROW(Value{big}, pickle::OverflowError);
  EXPECT_THROW(Value{std::numeric_limits<size_t>::max()}, pickle::OverflowError);
  EXPECT_THROW(Value{std::numeric_limits<unsigned long long>::max()}, pickle::OverflowError);
  Graph g;
  Value v = g.integer(big);
  EXPECT_TRUE(v.is_bigint());
  EXPECT_TRUE(equal(v, g.integer(std::string_view("9223372036854775808"))));
  Value m = g.integer(std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(equal(m, g.integer(std::string_view("18446744073709551615"))));
  EXPECT_FALSE(g.integer(uint64_t{5}).is_bigint());
  EXPECT_EQ(g.integer(uint64_t{5}).as_int(), 5);
  EXPECT_EQ(g.integer(-5).as_int(), -5);
  EXPECT_EQ(g.integer(short{-5}).as_int(), -5);
}

TEST(Value, IndexesOfEveryIntegerType) {
  Graph g;
  Value l = g.list({10, 20, 30});
  EXPECT_EQ(l[1].as_int(), 20);
  EXPECT_EQ(l[1u].as_int(), 20);
  EXPECT_EQ(l[size_t{2}].as_int(), 30);
  EXPECT_EQ(l[2l].as_int(), 30);
  EXPECT_EQ(l[uint8_t{0}].as_int(), 10);
  EXPECT_THROW(l[-1], pickle::IndexError);
  EXPECT_THROW(l[3ull], pickle::IndexError);
}

TEST(Value, DictFindWithLiteralsAndNone) {
  Graph g;
  Value d = g.dict({{g.str("k"), 1}, {nullptr, 2}, {3, 4}});
  const DictNode& n = d.dict();
  ASSERT_NE(n.find("k"), nullptr);
  EXPECT_EQ(n.find("k")->as_int(), 1);
  EXPECT_EQ(n.find("absent"), nullptr);
  std::string key = "k";
  EXPECT_EQ(n.find(key)->as_int(), 1);
  ASSERT_NE(n.find(nullptr), nullptr);
  EXPECT_EQ(n.find(nullptr)->as_int(), 2);
  EXPECT_EQ(n.find(size_t{3})->as_int(), 4);
  EXPECT_EQ(n.find(3.0)->as_int(), 4);  // 3 == 3.0, as in Python
}

TEST(Value, ContainersAndLookup) {
  Graph g;
  Value v = g.dict({{g.str("answer"), 42}, {g.str("xs"), g.list({1, 2.5, nullptr})}});
  EXPECT_EQ(v["answer"].as_int(), 42);
  EXPECT_EQ(v["xs"].size(), 3u);
  EXPECT_EQ(v["xs"][1].as_float(), 2.5);
  EXPECT_TRUE(v["xs"][2].is_none());
  EXPECT_THROW(v["missing"], KeyError);
  EXPECT_THROW(v["xs"][3], pickle::IndexError);
  int n = 0;
  for (Value x : v["xs"].items()) n += x.is_none() ? 0 : 1;
  EXPECT_EQ(n, 2);
}

TEST(Value, DictKeysFollowPythonEquality) {
  Graph g;
  Value d = g.dict();
  DictNode& dn = d.dict();
  dn.set(1, g.str("int"));
  dn.set(1.0, g.str("float"));
  dn.set(true, g.str("bool"));
  dn.set(g.str("k"), 0);
  ASSERT_EQ(dn.size(), 2u);
  // The first key and its position stay; the value is replaced.
  EXPECT_TRUE(dn.entries[0].first.is_int());
  EXPECT_EQ(dn.entries[0].second.as_str(), "bool");
  EXPECT_THROW(dn.set(g.list(), 1), TypeError);
  // Tuples and frozensets are keys.
  dn.set(g.tuple({1, g.str("a")}), 7);
  dn.set(g.frozenset({1, 2}), 8);
  EXPECT_EQ(dn.find(g.tuple({1.0, g.str("a")}))->as_int(), 7);
  EXPECT_EQ(dn.find(g.frozenset({2, 1}))->as_int(), 8);
}

TEST(Value, ManyKeysUseTheIndex) {
  Graph g;
  Value d = g.dict();
  for (int i = 0; i < 10000; ++i) d.dict().set(i, i * 2);
  for (int i = 0; i < 10000; ++i) d.dict().set(static_cast<double>(i), i * 3);
  ASSERT_EQ(d.size(), 10000u);
  EXPECT_EQ(d.dict().find(Value(9999))->as_int(), 9999 * 3);
  Value s = g.set();
  for (int i = 0; i < 5000; ++i) s.set().add(g.str(std::to_string(i % 1000)));
  EXPECT_EQ(s.size(), 1000u);
}

TEST(Value, EqualityAcrossNumericKinds) {
  Graph g;
  EXPECT_TRUE(equal(1, 1.0));
  EXPECT_TRUE(equal(true, 1));
  EXPECT_FALSE(equal(1, 1.5));
  double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(equal(nan, nan));
  EXPECT_TRUE(equal(0.0, -0.0));
  EXPECT_EQ(hash(0.0), hash(-0.0));
  EXPECT_EQ(hash(Value(1)), hash(Value(1.0)));
  // 2**64 as a big int equals the float 2**64.
  uint8_t two64[] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
  Value big = g.integer(std::span<const uint8_t>(two64));
  EXPECT_TRUE(big.is_bigint());
  EXPECT_TRUE(equal(big, 18446744073709551616.0));
  EXPECT_EQ(hash(big), hash(18446744073709551616.0));
  EXPECT_TRUE(equal(g.complex(1, 0), 1));
  EXPECT_FALSE(equal(g.complex(1, 1), 1));
  EXPECT_TRUE(equal(g.bytes("ab"), g.bytearray("ab")));
  EXPECT_FALSE(equal(g.bytes("ab"), g.str("ab")));
  EXPECT_TRUE(equal(g.set({1, 2}), g.frozenset({2, 1})));
}

TEST(Value, IntegerNormalisation) {
  Graph g;
  uint8_t small[] = {0xff, 0xff, 0xff};  // -1 with redundant sign bytes
  Value v = g.integer(std::span<const uint8_t>(small));
  EXPECT_FALSE(v.is_bigint());
  EXPECT_EQ(v.as_int(), -1);
  Value d = g.integer("-123456789012345678901234567890");
  EXPECT_TRUE(d.is_bigint());
  EXPECT_TRUE(d.bigint().negative());
  EXPECT_THROW(d.as_int(), pickle::OverflowError);
}

TEST(Value, RecursiveEqualityTerminates) {
  Graph g;
  Value a = g.list(), b = g.list();
  a.list().items.push_back(a);
  b.list().items.push_back(b);
  EXPECT_TRUE(equal(a, b));
  b.list().items.push_back(1);
  EXPECT_FALSE(equal(a, b));
}

TEST(Value, DeepStructuresWithoutRecursion) {
  Graph g;
  constexpr int kDepth = 1000000;
  Value x = g.tuple({}), y = g.tuple({});
  for (int i = 0; i < kDepth; ++i) {
    x = g.tuple({x});
    y = g.tuple({y});
  }
  EXPECT_EQ(hash(x), hash(y));
  EXPECT_TRUE(equal(x, y));
}

TEST(Value, SharedDagEqualityIsNotExponential) {
  Graph g;
  Value x = g.tuple({1}), y = g.tuple({1});
  for (int i = 0; i < 200; ++i) {
    x = g.tuple({x, x});
    y = g.tuple({y, y});
  }
  EXPECT_TRUE(equal(x, y));
}

TEST(Value, GraphCountsNodesAndClears) {
  Graph g;
  for (int i = 0; i < 100; ++i) g.str("x");
  EXPECT_EQ(g.node_count(), 100u);
  EXPECT_GT(g.bytes_allocated(), 0u);
  g.clear();
  EXPECT_EQ(g.node_count(), 0u);
  Graph moved = std::move(g);
  EXPECT_TRUE(moved.str("y").is_str());
}

}  // namespace
}  // namespace pickle
