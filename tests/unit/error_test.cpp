// One error hierarchy: every exception of the library is a PickleError with a code,
// and try_loads / try_dumps report the same errors without throwing.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <limits>
#include <new>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pickle/pickle.hpp"

namespace pickle {
namespace {

using namespace std::literals;

// Runs f, which must throw; returns the PickleError it threw, checked to be an E.
template <class E, class F>
ErrorCode code_of(F f) {
  try {
    f();
  } catch (const PickleError& e) {
    EXPECT_NE(dynamic_cast<const E*>(&e), nullptr) << e.what();
    EXPECT_NE(std::string(e.what()), "");
    return e.code();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a PickleError: " << e.what();
    return ErrorCode::internal;
  }
  ADD_FAILURE() << "nothing thrown";
  return ErrorCode::internal;
}

TEST(Error, EveryCodeHasItsOwnName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::bad_container); ++c) {
    std::string_view name = error_code_name(static_cast<ErrorCode>(c));
    EXPECT_NE(name, "?") << c;
    EXPECT_TRUE(names.insert(name).second) << name;
  }
}

TEST(Error, CodesKeepTheirValues) {
  // The codes of UnpicklingError were published first: their numbers stay.
  EXPECT_EQ(static_cast<int>(ErrorCode::truncated), 0);
  EXPECT_EQ(static_cast<int>(ErrorCode::bad_type), 7);
  EXPECT_EQ(static_cast<int>(ErrorCode::limit_exceeded), 12);
  EXPECT_EQ(static_cast<int>(ErrorCode::container), 14);
  EXPECT_EQ(static_cast<int>(ErrorCode::other), 15);
  EXPECT_EQ(static_cast<int>(ErrorCode::bad_container), 26);
}

TEST(Error, LoadingThrowsUnpicklingError) {
  EXPECT_EQ(code_of<UnpicklingError>([] { loads(""sv); }), ErrorCode::empty_input);
  EXPECT_EQ(code_of<UnpicklingError>([] { loads("\x80\x04K"sv); }), ErrorCode::truncated);
  EXPECT_EQ(code_of<UnpicklingError>([] { loads("\x80\x02h\x05."sv); }), ErrorCode::memo_missing);
}

TEST(Error, DumpingThrowsPicklingError) {
  Graph g;
  const std::byte data[2] = {};
  Value buffer = g.buffer(data, true);
  DumpOptions options;
  options.protocol = 4;
  EXPECT_EQ(code_of<PicklingError>([&] { dumps(buffer, options); }), ErrorCode::pickling);
}

TEST(Error, AccessorsThrowPickleErrors) {
  Graph g;
  Value list = g.list({1, 2});
  Value dict = g.dict({{g.str("a"), 1}});
  Value big = g.integer(std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(code_of<TypeError>([] { Value(1).as_str(); }), ErrorCode::type_error);
  EXPECT_EQ(code_of<TypeError>([&] { hash(list); }), ErrorCode::unhashable);
  EXPECT_EQ(code_of<TypeError>([&] { g.dict({{list, 1}}); }), ErrorCode::unhashable);
  EXPECT_EQ(code_of<TypeError>([&] { g.integer("12x"sv); }), ErrorCode::type_error);
  EXPECT_EQ(code_of<TypeError>([&] { g.add_state(g.str("s"), nullptr); }), ErrorCode::type_error);
  EXPECT_EQ(code_of<KeyError>([&] { dict["b"]; }), ErrorCode::key_error);
  EXPECT_EQ(code_of<IndexError>([&] { list[2]; }), ErrorCode::index_error);
  EXPECT_EQ(code_of<IndexError>([&] { list[-1]; }), ErrorCode::index_error);
  EXPECT_EQ(code_of<OverflowError>([&] { big.as_int(); }), ErrorCode::overflow);
  volatile uint64_t huge = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(code_of<OverflowError>([&] { Value v(static_cast<uint64_t>(huge)); }),
            ErrorCode::overflow);
}

TEST(Error, BadArgumentsThrowUsageError) {
  Graph g;
  DumpOptions protocol6;
  protocol6.protocol = HIGHEST_PROTOCOL + 1;
  EXPECT_EQ(code_of<UsageError>([&] { dumps(Value(1), protocol6); }), ErrorCode::usage);
  LoadOptions encoding;
  encoding.py2_str.encoding = "no-such-codec";
  EXPECT_EQ(code_of<UsageError>([&] { loads("N."sv, encoding); }), ErrorCode::usage);
  LoadOptions errors;
  errors.py2_str.errors = "no-such-handler";
  EXPECT_EQ(code_of<UsageError>([&] { loads("N."sv, errors); }), ErrorCode::usage);
  Registry registry;
  registry.add_extension("m", "a", 1);
  EXPECT_EQ(code_of<UsageError>([&] { registry.add_extension("m", "b", 1); }), ErrorCode::usage);
  EXPECT_EQ(code_of<UsageError>([&] { registry.add_extension("m", "c", 0); }), ErrorCode::usage);
}

TEST(Error, ReprLimitThrowsLimitError) {
  Graph g;
  Value v = g.list({1, 2, 3, 4, 5});
  EXPECT_EQ(code_of<LimitError>([&] { repr(v, {.max_bytes = 4}); }), ErrorCode::repr_limit);
  EXPECT_EQ(code_of<LimitError>([&] { repr(v, {.max_visits = 2}); }), ErrorCode::repr_limit);
}

TEST(Error, UnopenableFileThrowsOSError) {
  try {
    FileSource source("no such directory/no such file.pkl");
    ADD_FAILURE() << "opened";
  } catch (const PickleError& e) {
    ASSERT_NE(dynamic_cast<const OSError*>(&e), nullptr);
    EXPECT_EQ(e.code(), ErrorCode::io);
    EXPECT_EQ(static_cast<const OSError&>(e).error().value(), ENOENT);
    // As std::system_error's: the path, then the reason.
    EXPECT_EQ(std::string(e.what()),
              "no such directory/no such file.pkl: " + std::generic_category().message(ENOENT));
  }
}

TEST(Error, APlainPickleErrorIsOther) {
  EXPECT_EQ(PickleError("from a codec").code(), ErrorCode::other);
  EXPECT_EQ(PickleError(std::string("from a codec")).code(), ErrorCode::other);
  EXPECT_EQ(PicklingError("x").code(), ErrorCode::pickling);
}

static_assert(noexcept(try_loads(std::string_view())));
static_assert(noexcept(try_loads(std::span<const uint8_t>())));
static_assert(noexcept(try_loads(std::string_view(), std::declval<Graph&>())));
static_assert(noexcept(try_loads(std::string_view(), std::declval<const LoadOptions&>())));
static_assert(noexcept(try_loads(std::string_view(), std::declval<Graph&>(),
                                 std::declval<const LoadOptions&>())));
static_assert(noexcept(try_dumps(Value())));

// try_loads reports exactly what loads throws.
void expect_same_as_loads(std::string_view data, const LoadOptions& options = {}) {
  SCOPED_TRACE(testing::PrintToString(std::string(data)));
  Result<Document> result = try_loads(data, options);
  try {
    Document doc = loads(data, options);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_TRUE(equal(result->root(), doc.root()));
  } catch (const UnpicklingError& e) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, e.code());
    EXPECT_EQ(result.error().offset, e.offset());
    EXPECT_EQ(result.error().opcode, e.opcode());
    EXPECT_EQ(result.error().message, e.what());
  } catch (const PickleError& e) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, e.code());
    EXPECT_EQ(result.error().offset, 0u);
    EXPECT_EQ(result.error().opcode, std::nullopt);
    EXPECT_EQ(result.error().message, e.what());
  }
}

TEST(TryLoads, ReportsWhatLoadsThrows) {
  expect_same_as_loads(
      "\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00e."sv);
  expect_same_as_loads("(lp0\nI1\naS'a'\np1\na."sv);
  expect_same_as_loads(""sv);                           // empty
  expect_same_as_loads("\x80\x04K"sv);                  // truncated in an argument
  expect_same_as_loads("\x80\x04K\x01"sv);              // truncated before STOP
  expect_same_as_loads("\x80\x02h\x05."sv);             // memo missing
  expect_same_as_loads("\x80\x04X\xff\xff\xff\xff"sv);  // a length past the end
  expect_same_as_loads("\xff"sv);                       // not an opcode
  expect_same_as_loads("\x80\x06N."sv);                 // protocol too new
  expect_same_as_loads("(]]d."sv);                      // an unhashable key
  expect_same_as_loads("PK\x03\x04rest"sv);             // a zip
  LoadOptions strict;
  strict.strict = true;
  expect_same_as_loads("\x80\x02\x63os\nsystem\n."sv, strict);  // a refused global
  LoadOptions encoding;
  encoding.py2_str.encoding = "no-such-codec";
  expect_same_as_loads("N."sv, encoding);  // a UsageError, not an UnpicklingError
}

TEST(TryLoads, IntoAGraph) {
  Graph g;
  Result<Value> ok = try_loads("\x80\x04K\x2a."sv, g);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->as_int(), 42);
  Result<Value> bad = try_loads("\x80\x04K"sv, g);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::truncated);
  EXPECT_EQ(bad.error().offset, 2u);
  EXPECT_EQ(bad.error().opcode, uint8_t('K'));
}

TEST(TryLoads, ACallbacksExceptionBecomesAnUnpicklingError) {
  LoadOptions options;
  options.persistent_load = [](Graph&, Value) -> Value { throw std::bad_alloc(); };
  Result<Document> r = try_loads("\x80\x02K\x01Q."sv, options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::refused_global);
}

TEST(TryDumps, BytesOrError) {
  Graph g;
  Value v = g.list({1, g.str("a")});
  Result<std::string> ok = try_dumps(v);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, dumps(v));

  const std::byte data[2] = {};
  DumpOptions protocol4;
  protocol4.protocol = 4;
  Result<std::string> bad = try_dumps(g.buffer(data, true), protocol4);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::pickling);
  EXPECT_NE(bad.error().message.find("protocol 5"), std::string::npos) << bad.error().message;
}

TEST(TryDumps, OutOfMemoryAndForeignExceptionsAreCodes) {
  Graph g;
  Value v = g.list({1});
  DumpOptions no_memory;
  no_memory.persistent_id = [](Value) -> std::optional<Value> { throw std::bad_alloc(); };
  Result<std::string> r = try_dumps(v, no_memory);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::memory);

  DumpOptions foreign;
  foreign.persistent_id = [](Value) -> std::optional<Value> {
    throw std::runtime_error("the caller's own");
  };
  r = try_dumps(v, foreign);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::other);
  EXPECT_EQ(r.error().message, "the caller's own");
}

}  // namespace
}  // namespace pickle
