// The reductions table's caller entries (Registry::add_reduction, [NOTE reductions]):
// how a call of a global loads when the caller says so. The pickles are what CPython
// 3.11 writes for fractions.Fraction(1, 3) at protocols 0 and 2 and for {1, 2} at
// protocol 2.

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/registry.hpp"
#include "pickle/repr.hpp"
#include "pickle/value.hpp"
#include "pickle_literal.hpp"

namespace {

using pickle::ErrorCode;
using pickle::Graph;
using pickle::Kind;
using pickle::LoadOptions;
using pickle::Registry;
using pickle::UnpicklingError;
using pickle::Value;
using namespace pickle_test;

const std::string kFraction0 = R"(cfractions\nFraction\np0\n(I1\nI3\ntp1\nRp2\n.)"_pk;
const std::string kFraction2 =
    R"(\x80\x02cfractions\nFraction\nq\x00K\x01K\x03\x86q\x01Rq\x02.)"_pk;
const std::string kSet2 =
    R"(\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.)"_pk;

std::string loaded(const std::string& bytes, const LoadOptions& o = {}) {
  auto doc = pickle::loads(bytes, o);
  return pickle::repr(doc.root());
}

// Fraction(numerator, denominator) as the float it approximates.
bool fraction_as_float(Graph&, std::span<const Value> args, Value& out) {
  if (args.size() != 2 || args[0].kind() != Kind::Int || args[1].kind() != Kind::Int) return false;
  out = Value(static_cast<double>(args[0].as_int()) / static_cast<double>(args[1].as_int()));
  return true;
}

TEST(Reductions, CallerEntryRebuildsTheCall) {
  Registry r;
  r.add_reduction("fractions", "Fraction", fraction_as_float);
  LoadOptions o;
  o.registry = &r;
  for (const std::string* p : {&kFraction0, &kFraction2}) {
    auto doc = pickle::loads(*p, o);
    ASSERT_EQ(doc.root().kind(), Kind::Float);
    EXPECT_DOUBLE_EQ(doc.root().raw_float(), 1.0 / 3.0);
  }
}

TEST(Reductions, WithoutTheEntryTheCallStaysAnObject) {
  auto doc = pickle::loads(kFraction2);
  ASSERT_EQ(doc.root().kind(), Kind::Object);
  EXPECT_EQ(pickle::repr(doc.root()), "fractions.Fraction(1, 3)");
}

TEST(Reductions, CallerEntryThatDeclinesKeepsTheObject) {
  Registry r;
  int calls = 0;
  r.add_reduction("fractions", "Fraction", [&](Graph&, std::span<const Value> args, Value&) {
    ++calls;
    EXPECT_EQ(args.size(), 2u);
    return false;
  });
  LoadOptions o;
  o.registry = &r;
  auto doc = pickle::loads(kFraction2, o);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(doc.root().kind(), Kind::Object);
}

TEST(Reductions, CallerEntryTakesPrecedenceOverABuiltin) {
  // builtins.set (read as __builtin__.set, renamed by fix_imports) loads as a list.
  Registry r;
  r.add_reduction("builtins", "set", [](Graph& g, std::span<const Value> args, Value& out) {
    if (args.size() != 1 || args[0].kind() != Kind::List) return false;
    out = g.list(args[0].list().items);
    return true;
  });
  LoadOptions o;
  o.registry = &r;
  EXPECT_EQ(loaded(kSet2, o), "[1, 2]");
  EXPECT_EQ(loaded(kSet2), "{1, 2}");
  r.remove_reduction("builtins", "set");
  EXPECT_FALSE(r.has_reductions());
  EXPECT_EQ(loaded(kSet2, o), "{1, 2}");
}

TEST(Reductions, CallerEntryThatThrowsFailsTheLoadAtTheReduce) {
  Registry r;
  r.add_reduction("fractions", "Fraction", [](Graph&, std::span<const Value>, Value&) -> bool {
    throw std::runtime_error("denominator out of range");
  });
  LoadOptions o;
  o.registry = &r;
  try {
    pickle::loads(kFraction2, o);
    FAIL() << "loaded";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_argument);
    EXPECT_EQ(e.offset(), 31u);  // the REDUCE
    EXPECT_NE(std::string(e.what()).find(
                  "the reduction of 'fractions.Fraction' failed: denominator out of range"),
              std::string::npos)
        << e.what();
  }
}

TEST(Reductions, StrictModeStillRefusesAnUnlistedCallerEntry) {
  Registry r;
  r.add_reduction("fractions", "Fraction", fraction_as_float);
  LoadOptions o;
  o.registry = &r;
  o.strict = true;
  EXPECT_THROW(pickle::loads(kFraction2, o), UnpicklingError);
  o.allowed_globals = {{"fractions", "Fraction"}};
  EXPECT_EQ(loaded(kFraction2, o), "0.3333333333333333");
}

TEST(Reductions, RegistryRefusesAnIncompleteEntry) {
  Registry r;
  EXPECT_THROW(r.add_reduction("", "Fraction", fraction_as_float), pickle::UsageError);
  EXPECT_THROW(r.add_reduction("fractions", "", fraction_as_float), pickle::UsageError);
  EXPECT_THROW(r.add_reduction("fractions", "Fraction", nullptr), pickle::UsageError);
  EXPECT_FALSE(r.has_reductions());
  r.remove_reduction("fractions", "Fraction");  // removing what is not there is no error
  EXPECT_EQ(r.reduction("fractions", "Fraction"), nullptr);
}

}  // namespace
