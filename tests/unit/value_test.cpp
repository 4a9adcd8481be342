// The object model: makers, accessors, identity, Python equality and dict keys.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "pickle/dump.hpp"
#include "pickle/load.hpp"
#include "pickle/pool.hpp"
#include "pickle/repr.hpp"
#include "pickle/value.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define PICKLE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PICKLE_TEST_ASAN 1
#endif
#endif

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

// ---------------------------------------------------------------------------
// Graph memory: moved-from graphs, pools, and what AddressSanitizer sees

// [NOTE moved-from-graph] After a move, the source is an empty graph that works.
TEST(GraphMove, MovedFromGraphIsEmptyAndUsable) {
  Graph a;
  Value kept = a.list({1, a.str("x")});
  const uint64_t epoch = a.epoch();
  Graph b = std::move(a);
  EXPECT_EQ(b.epoch(), epoch);
  EXPECT_EQ(repr(kept), "[1, 'x']");  // b owns it now
  EXPECT_EQ(a.bytes_allocated(), 0u);
  EXPECT_EQ(a.node_count(), 0u);
  EXPECT_NE(a.epoch(), epoch);
  a.clear();
  Value v = a.dict({{a.str("k"), a.list({1, 2})}});
  v.dict().set(a.str("big"), a.bytes(std::string(size_t(2) << 20, 'b')));  // a block of its own
  EXPECT_EQ(repr(v["k"]), "[1, 2]");
  EXPECT_GT(a.bytes_allocated(), size_t(2) << 20);
  EXPECT_EQ(a.node_count(), 5u);
  Graph c;
  c = std::move(a);  // move-assigned from, too
  EXPECT_EQ(a.bytes_allocated(), 0u);
  EXPECT_NE(a.resource(), nullptr);
  EXPECT_EQ(repr(a.tuple({a.str("again")})), "('again',)");
  EXPECT_EQ(repr(v["k"]), "[1, 2]");  // c owns it now
  Graph d(std::move(a));
  Graph e(std::move(a));  // a moved-from graph moves as an empty one
  EXPECT_EQ(e.node_count(), 0u);
}  // a, b, c, d, e destroyed

TEST(MemoryPool, DestroyedGraphGivesItsBlocksToItsPool) {
  MemoryPool pool;
  EXPECT_EQ(pool.bytes_kept(), 0u);
  EXPECT_EQ(pool.limit(), MemoryPool::kDefaultLimit);
  {
    Graph g(pool);
    EXPECT_EQ(g.pool(), &pool);
    (void)g.str("x");
  }
  const size_t kept = pool.bytes_kept();
  EXPECT_GT(kept, 0u);
  {
    Graph g(&pool);
    (void)g.str("y");
    EXPECT_EQ(pool.bytes_kept(), 0u);  // it took the block back
    Graph moved = std::move(g);
    EXPECT_EQ(g.pool(), &pool);  // a moved-from graph keeps drawing from the pool
  }
  EXPECT_EQ(pool.bytes_kept(), kept);
  pool.release();
  EXPECT_EQ(pool.bytes_kept(), 0u);
  pool.set_limit(0);
  (void)Graph(pool).str("z");
  EXPECT_EQ(pool.bytes_kept(), 0u);  // nothing kept over the limit
}

TEST(MemoryPool, GraphsUseNoPoolUnlessAsked) {
  MemoryPool& shared = MemoryPool::shared();
  EXPECT_EQ(&shared, &MemoryPool::shared());
  const size_t before = shared.bytes_kept();
  {
    Graph g;
    EXPECT_EQ(g.pool(), nullptr);
    (void)g.list({g.str("not pooled")});
  }
  EXPECT_EQ(shared.bytes_kept(), before);
  EXPECT_EQ(Graph(nullptr).pool(), nullptr);
}

TEST(MemoryPool, LoadsDumpsPicklersAndUnpicklersDrawFromIt) {
  MemoryPool pool;
  Graph g;
  std::vector<Value> items;
  for (int i = 0; i < 5000; ++i) items.push_back(g.str("item " + std::to_string(i)));
  Value v = g.list(items);
  const std::string plain = dumps(v);
  EXPECT_EQ(dumps(v, {.pool = &pool}), plain);
  const size_t spares = pool.bytes_kept();
  EXPECT_GT(spares, 0u);  // the writer's buffer and memo table
  EXPECT_EQ(dumps(v, {.pool = &pool}), plain);
  EXPECT_EQ(pool.bytes_kept(), spares);  // taken and given back
  {
    Document doc = loads(plain, {.pool = &pool});
    EXPECT_EQ(doc.graph.pool(), &pool);
    EXPECT_TRUE(equal(doc.root(), v));
  }
  EXPECT_GT(pool.bytes_kept(), spares);  // and the document's blocks
  {
    MemorySource src{std::string_view(plain)};
    Unpickler u(src, {.pool = &pool});
    Graph into(pool);
    EXPECT_TRUE(equal(u.load(into), v));
    std::string out;
    StringSink sink(out);
    Pickler p(sink, {.pool = &pool});
    p.dump(v);
    EXPECT_EQ(out, plain);
  }
  EXPECT_GT(pool.bytes_kept(), spares);
}

TEST(MemoryPool, ThreadsShareOne) {
  MemoryPool pool(size_t(64) << 20);
  Graph g;
  Value v = g.dict({{g.str("xs"), g.list({1, 2.5, g.str("three")})}});
  const std::string bytes = dumps(v);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        Document doc = loads(bytes, {.pool = &pool});
        ok[static_cast<size_t>(t)] += dumps(doc.root(), {.pool = &pool}) == bytes;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int n : ok) EXPECT_EQ(n, 200);
  EXPECT_LE(pool.bytes_kept(), pool.limit());
}

// [NOTE memory-pool] Without a pool a destroyed graph's memory goes back to the system,
// so AddressSanitizer reports a Value used after its graph as a heap-use-after-free;
// memory a pool or a cleared graph keeps is poisoned ([NOTE pool-poison]). These run in
// the asan preset (PICKLE_SANITIZE=ON compiles the tests with -fsanitize=address too).
TEST(GraphLifetimeDeathTest, ValueOfADestroyedGraphIsAHeapUseAfterFree) {
#ifndef PICKLE_TEST_ASAN
  GTEST_SKIP() << "needs AddressSanitizer (the asan preset)";
#else
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto read = [](Value v) {
    volatile size_t n = v.as_str().size();  // reads the node
    return n;
  };
  EXPECT_EXIT(  // the control: a live graph reads fine
      {
        bool ok;
        {
          Graph g;
          ok = read(g.str("alive")) == 5;
        }
        std::_Exit(ok ? 0 : 1);  // no leak check of the death test's own process
      },
      testing::ExitedWithCode(0), "");
  EXPECT_DEATH(
      {
        Value v;
        {
          Graph g;
          v = g.str("dangling");
        }
        read(v);
      },
      "heap-use-after-free");
  EXPECT_DEATH(
      {
        Value v;
        {
          Document doc = loads(std::string_view("\x80\x04\x8c\x01x\x94.", 7));
          v = doc.root();
        }
        read(v);
      },
      "heap-use-after-free");
  EXPECT_DEATH(
      {
        Value v;
        {
          Graph g;
          v = g.str(std::string(size_t(3) << 20, 'x'));  // a block of its own
        }
        read(v);
      },
      "heap-use-after-free");
  EXPECT_DEATH(
      {
        MemoryPool pool;
        Value v;
        {
          Graph g(pool);
          v = g.str("pooled");
        }
        read(v);
      },
      "use-after-poison");
  EXPECT_DEATH(
      {
        Graph g;
        Value v = g.str("cleared");
        g.clear();
        read(v);
      },
      "use-after-poison");
#endif
}

}  // namespace
}  // namespace pickle
