// Unit tests of the Unpickler: every opcode with hand-written bytes, checked through
// the Value API. The expected results are those of CPython 3.13's pure-Python
// pickle.py, except where pickle++ documents its own behaviour (globals load as Global
// values and unknown instances as Objects, since nothing is imported or executed).
//
// Pickles are written as the body of a Python bytes literal ("..."_pk): \xHH, \n, \r,
// \t, \\, \' and \" are escapes, everything else stands for itself.

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/registry.hpp"
#include "pickle/value.hpp"

#include "pickle_literal.hpp"

namespace {

using pickle::BuildKind;
using pickle::ErrorCode;
using pickle::Graph;
using pickle::Kind;
using pickle::LoadOptions;
using pickle::UnpicklingError;
using pickle::Value;

// ---------------------------------------------------------------------------
// Helpers

using pickle_test::operator""_pk;

bool has_flag(Value v, uint8_t flag) {
  return v.node() != nullptr && (v.node()->flags & flag);
}

::testing::AssertionResult IsGlobal(Value v, std::string_view module, std::string_view name) {
  if (v.kind() != Kind::Global)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  const pickle::GlobalNode& gl = v.global();
  if (gl.module != module || gl.name != name)
    return ::testing::AssertionFailure()
           << "global is " << gl.module << "." << gl.name << ", expected " << module << "." << name;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsObjectOf(Value v, std::string_view module, std::string_view name,
                                      BuildKind how) {
  if (v.kind() != Kind::Object)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  const pickle::ObjectNode& o = v.object();
  const pickle::GlobalNode* gl = o.callable_global();
  if (!gl) return ::testing::AssertionFailure() << "callable is not a Global";
  if (gl->module != module || gl->name != name)
    return ::testing::AssertionFailure() << "callable is " << gl->module << "." << gl->name;
  if (o.how != how)
    return ::testing::AssertionFailure()
           << "how is " << static_cast<int>(o.how) << ", expected " << static_cast<int>(how);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsStr(Value v, std::string_view text) {
  if (v.kind() != Kind::Str)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  if (v.as_str() != text) return ::testing::AssertionFailure() << "text is '" << v.as_str() << "'";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsBytes(Value v, std::string_view data, Kind kind = Kind::Bytes) {
  if (v.kind() != kind)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  if (v.as_bytes() != data) return ::testing::AssertionFailure() << "bytes differ";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsInt(Value v, int64_t i) {
  if (v.kind() != Kind::Int)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  if (v.is_bigint()) return ::testing::AssertionFailure() << "is a big int";
  if (v.as_int() != i) return ::testing::AssertionFailure() << "value is " << v.as_int();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsFloat(Value v, double d) {
  if (v.kind() != Kind::Float)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  double x = v.as_float();
  if (std::isnan(d) ? !std::isnan(x) : (x != d || std::signbit(x) != std::signbit(d)))
    return ::testing::AssertionFailure() << "value is " << x;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsBool(Value v, bool b) {
  if (v.kind() != Kind::Bool)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  if (v.as_bool() != b) return ::testing::AssertionFailure() << "value is " << v.as_bool();
  return ::testing::AssertionSuccess();
}

// A big int equal to the decimal text.
::testing::AssertionResult IsBigInt(Graph& g, Value v, std::string_view decimal) {
  if (v.kind() != Kind::Int)
    return ::testing::AssertionFailure() << "kind is " << pickle::kind_name(v.kind());
  if (!v.is_bigint()) return ::testing::AssertionFailure() << "is a small int " << v.as_int();
  if (!pickle::equal(v, g.integer(decimal)))
    return ::testing::AssertionFailure() << "not equal to " << decimal;
  return ::testing::AssertionSuccess();
}

// Fixture: one graph per test; inputs are kept alive for the whole test.
class UnpicklerOps : public ::testing::Test {
 protected:
  Value load(std::string bytes, const LoadOptions& options = {}) {
    keep_.push_back(std::move(bytes));
    return pickle::loads(std::string_view(keep_.back()), g, options);
  }
  // The UnpicklingError a load throws (a failed expectation if it does not throw).
  std::optional<UnpicklingError> error_of(std::string bytes, const LoadOptions& options = {}) {
    keep_.push_back(std::move(bytes));
    try {
      Value v = pickle::loads(std::string_view(keep_.back()), g, options);
      ADD_FAILURE() << "loaded a " << pickle::kind_name(v.kind()) << " instead of failing";
    } catch (const UnpicklingError& e) {
      return e;
    }
    return std::nullopt;
  }
  Graph g;

 private:
  std::deque<std::string> keep_;
};

// ---------------------------------------------------------------------------
// Every opcode at least once, positively

struct OpExample {
  pickle::Op op;
  const char* name;
  std::string bytes;
};

// Walks a well-formed pickle with the opcode table; returns the opcode bytes seen.
std::vector<uint8_t> opcodes_of(std::string_view p) {
  std::vector<uint8_t> ops;
  size_t i = 0;
  auto le = [&](size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t(uint8_t(p.at(i + k))) << (8 * k);
    i += n;
    return v;
  };
  auto line = [&] { i = p.find('\n', i) + 1; };
  while (i < p.size()) {
    uint8_t op = static_cast<uint8_t>(p[i++]);
    ops.push_back(op);
    using pickle::ArgKind;
    switch (pickle::op_info(op).arg) {
      case ArgKind::none: break;
      case ArgKind::uint1: i += 1; break;
      case ArgKind::uint2: i += 2; break;
      case ArgKind::int4:
      case ArgKind::uint4: i += 4; break;
      case ArgKind::uint8:
      case ArgKind::float8: i += 8; break;
      case ArgKind::decimalnl_short:
      case ArgKind::decimalnl_long:
      case ArgKind::floatnl:
      case ArgKind::stringnl:
      case ArgKind::stringnl_noescape:
      case ArgKind::unicodestringnl: line(); break;
      case ArgKind::stringnl_noescape_pair:
        line();
        line();
        break;
      case ArgKind::string1:
      case ArgKind::bytes1:
      case ArgKind::unicodestring1:
      case ArgKind::long1: i += le(1); break;
      case ArgKind::string4:
      case ArgKind::bytes4:
      case ArgKind::unicodestring4:
      case ArgKind::long4: i += le(4); break;
      case ArgKind::bytes8:
      case ArgKind::unicodestring8:
      case ArgKind::bytearray8: i += le(8); break;
    }
    if (op == '.') break;
  }
  return ops;
}

TEST_F(UnpicklerOps, EveryOpcodeLoadsInAnExample) {
  using pickle::Op;
  const std::vector<OpExample> examples = {
      {Op::int_, "INT", R"(I42\n.)"_pk},
      {Op::binint, "BININT", R"(J\xff\xff\xff\xff.)"_pk},
      {Op::binint1, "BININT1", R"(K\x07.)"_pk},
      {Op::binint2, "BININT2", R"(M\x00\x01.)"_pk},
      {Op::long_, "LONG", R"(L12L\n.)"_pk},
      {Op::long1, "LONG1", R"(\x8a\x01\x05.)"_pk},
      {Op::long4, "LONG4", R"(\x8b\x01\x00\x00\x00\x05.)"_pk},
      {Op::string, "STRING", R"(S'ab'\n.)"_pk},
      {Op::binstring, "BINSTRING", R"(T\x02\x00\x00\x00ab.)"_pk},
      {Op::short_binstring, "SHORT_BINSTRING", R"(U\x02ab.)"_pk},
      {Op::binbytes, "BINBYTES", R"(B\x02\x00\x00\x00ab.)"_pk},
      {Op::short_binbytes, "SHORT_BINBYTES", R"(C\x02ab.)"_pk},
      {Op::binbytes8, "BINBYTES8", R"(\x8e\x02\x00\x00\x00\x00\x00\x00\x00ab.)"_pk},
      {Op::bytearray8, "BYTEARRAY8", R"(\x96\x02\x00\x00\x00\x00\x00\x00\x00ab.)"_pk},
      {Op::next_buffer, "NEXT_BUFFER", R"(\x80\x05\x97.)"_pk},
      {Op::readonly_buffer, "READONLY_BUFFER", R"(\x80\x05\x97\x98.)"_pk},
      {Op::none, "NONE", R"(N.)"_pk},
      {Op::newtrue, "NEWTRUE", R"(\x88.)"_pk},
      {Op::newfalse, "NEWFALSE", R"(\x89.)"_pk},
      {Op::unicode_, "UNICODE", R"(Vab\n.)"_pk},
      {Op::short_binunicode, "SHORT_BINUNICODE", R"(\x8c\x02ab.)"_pk},
      {Op::binunicode, "BINUNICODE", R"(X\x02\x00\x00\x00ab.)"_pk},
      {Op::binunicode8, "BINUNICODE8", R"(\x8d\x02\x00\x00\x00\x00\x00\x00\x00ab.)"_pk},
      {Op::float_, "FLOAT", R"(F2.5\n.)"_pk},
      {Op::binfloat, "BINFLOAT", R"(G@\x04\x00\x00\x00\x00\x00\x00.)"_pk},
      {Op::empty_list, "EMPTY_LIST", R"(].)"_pk},
      {Op::append, "APPEND", R"(]K\x01a.)"_pk},
      {Op::appends, "APPENDS", R"(](K\x01K\x02e.)"_pk},
      {Op::list, "LIST", R"((K\x01l.)"_pk},
      {Op::empty_tuple, "EMPTY_TUPLE", R"().)"_pk},
      {Op::tuple, "TUPLE", R"((K\x01K\x02t.)"_pk},
      {Op::tuple1, "TUPLE1", R"(K\x01\x85.)"_pk},
      {Op::tuple2, "TUPLE2", R"(K\x01K\x02\x86.)"_pk},
      {Op::tuple3, "TUPLE3", R"(K\x01K\x02K\x03\x87.)"_pk},
      {Op::empty_dict, "EMPTY_DICT", R"(}.)"_pk},
      {Op::dict, "DICT", R"((K\x01K\x02d.)"_pk},
      {Op::setitem, "SETITEM", R"(}K\x01K\x02s.)"_pk},
      {Op::setitems, "SETITEMS", R"(}(K\x01K\x02u.)"_pk},
      {Op::empty_set, "EMPTY_SET", R"(\x8f.)"_pk},
      {Op::additems, "ADDITEMS", R"(\x8f(K\x01\x90.)"_pk},
      {Op::frozenset, "FROZENSET", R"((K\x01\x91.)"_pk},
      {Op::pop, "POP", R"(K\x01K\x020.)"_pk},
      {Op::dup, "DUP", R"(]2\x86.)"_pk},
      {Op::mark, "MARK", R"((t.)"_pk},
      {Op::pop_mark, "POP_MARK", R"(K\x01(K\x021.)"_pk},
      {Op::get, "GET", R"(]p3\n0g3\n.)"_pk},
      {Op::binget, "BINGET", R"(]q\x030h\x03.)"_pk},
      {Op::long_binget, "LONG_BINGET", R"(]r\x03\x00\x00\x000j\x03\x00\x00\x00.)"_pk},
      {Op::put, "PUT", R"(]p0\n.)"_pk},
      {Op::binput, "BINPUT", R"(]q\x00.)"_pk},
      {Op::long_binput, "LONG_BINPUT", R"(]r\x00\x00\x00\x00.)"_pk},
      {Op::memoize, "MEMOIZE", R"(]\x940h\x00.)"_pk},
      {Op::ext1, "EXT1", R"(\x82\x01.)"_pk},
      {Op::ext2, "EXT2", R"(\x83\x00\x01.)"_pk},
      {Op::ext4, "EXT4", R"(\x84\x00\x00\x01\x00.)"_pk},
      {Op::global, "GLOBAL", R"(cmod\nName\n.)"_pk},
      {Op::stack_global, "STACK_GLOBAL", R"(\x8c\x03mod\x8c\x04Name\x93.)"_pk},
      {Op::reduce, "REDUCE", R"(cmod\nfn\n)R.)"_pk},
      {Op::build, "BUILD", R"(cmod\nfn\n)R}b.)"_pk},
      {Op::inst, "INST", R"((imod\nCls\n.)"_pk},
      {Op::obj, "OBJ", R"((cmod\nCls\no.)"_pk},
      {Op::newobj, "NEWOBJ", R"(\x80\x02cmod\nCls\n)\x81.)"_pk},
      {Op::newobj_ex, "NEWOBJ_EX", R"(\x80\x04cmod\nCls\n)}\x92.)"_pk},
      {Op::proto, "PROTO", R"(\x80\x02N.)"_pk},
      {Op::stop, "STOP", R"(N.)"_pk},
      {Op::frame, "FRAME", R"(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.)"_pk},
      {Op::persid, "PERSID", R"(Pid\n.)"_pk},
      {Op::binpersid, "BINPERSID", R"(K\x01Q.)"_pk},
  };
  pickle::Registry registry;
  registry.add_extension("mod", "one", 1);
  registry.add_extension("mod", "two", 256);
  registry.add_extension("mod", "three", 65536);
  static const std::byte kBuf[3] = {std::byte{1}, std::byte{2}, std::byte{3}};

  std::set<uint8_t> covered;
  for (const OpExample& ex : examples) {
    SCOPED_TRACE(ex.name);
    EXPECT_EQ(pickle::op_info(ex.op).name, ex.name);
    std::vector<uint8_t> ops = opcodes_of(ex.bytes);
    EXPECT_NE(std::find(ops.begin(), ops.end(), static_cast<uint8_t>(ex.op)), ops.end())
        << "the example does not contain its opcode";
    LoadOptions o;
    o.registry = &registry;
    o.buffers = std::vector<pickle::OutOfBandBuffer>{{std::span<const std::byte>(kBuf), false}};
    try {
      Value v = load(ex.bytes, o);
      (void)v;
      covered.insert(static_cast<uint8_t>(ex.op));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
  }
  EXPECT_EQ(covered.size(), 68u);
}

// ---------------------------------------------------------------------------
// Integers

// Text numbers load as CPython's C unpickler (pickle.loads) loads them; `dis` shows
// them as pickletools does (dis_test.cpp). tools.numbers compares both with CPython on
// hundreds of lines. See [NOTE text-numbers].
TEST_F(UnpicklerOps, IntTextBooleans) {
  EXPECT_TRUE(IsBool(load(R"(I01\n.)"_pk), true));
  EXPECT_TRUE(IsBool(load(R"(I00\n.)"_pk), false));
  // A two-character line that C's strtol reads as 0 or 1 is a bool, as in CPython.
  EXPECT_TRUE(IsBool(load(R"(I-0\n.)"_pk), false));
  EXPECT_TRUE(IsBool(load(R"(I+1\n.)"_pk), true));
  EXPECT_TRUE(IsBool(load(R"(I 1\n.)"_pk), true));
  EXPECT_TRUE(IsBool(load(R"(I1\x00\n.)"_pk), true));
  EXPECT_TRUE(IsInt(load(R"(I000\n.)"_pk), 0));
  EXPECT_TRUE(IsInt(load(R"(I1\n.)"_pk), 1));
  EXPECT_TRUE(IsInt(load(R"(I0\n.)"_pk), 0));
  EXPECT_TRUE(IsInt(load(R"(I 01\n.)"_pk), 1));
}

TEST_F(UnpicklerOps, IntTextFollowsCPythonsUnpickler) {
  EXPECT_TRUE(IsInt(load(R"(I42\n.)"_pk), 42));
  EXPECT_TRUE(IsInt(load(R"(I-17\n.)"_pk), -17));
  EXPECT_TRUE(IsInt(load(R"(I+5\n.)"_pk), 5));
  EXPECT_TRUE(IsInt(load(R"(I010\n.)"_pk), 8));          // C's strtol: octal after a leading 0
  EXPECT_TRUE(IsInt(load(R"(I12\x00junk\n.)"_pk), 12));  // the line ends at a NUL byte
  EXPECT_TRUE(IsInt(load(R"(I0x1F\n.)"_pk), 31));
  EXPECT_TRUE(IsInt(load(R"(I0X1f\n.)"_pk), 31));
  EXPECT_TRUE(IsInt(load(R"(I0o17\n.)"_pk), 15));
  EXPECT_TRUE(IsInt(load(R"(I0b101\n.)"_pk), 5));
  EXPECT_TRUE(IsInt(load(R"(I1_000\n.)"_pk), 1000));
  EXPECT_TRUE(IsInt(load(R"(I 7 \n.)"_pk), 7));
  EXPECT_TRUE(IsInt(load(R"(I1\r\n.)"_pk), 1));
  EXPECT_TRUE(IsInt(load(R"(I2147483647\n.)"_pk), 2147483647));
  EXPECT_TRUE(IsInt(load(R"(I-9223372036854775808\n.)"_pk), INT64_MIN));
  EXPECT_TRUE(IsInt(load(R"(I9223372036854775807\n.)"_pk), INT64_MAX));
  EXPECT_TRUE(IsBigInt(g, load(R"(I9223372036854775808\n.)"_pk), "9223372036854775808"));
  EXPECT_TRUE(IsBigInt(g, load(R"(I-99999999999999999999\n.)"_pk), "-99999999999999999999"));
}

TEST_F(UnpicklerOps, IntTextRejectsWhatCPythonRejects) {
  // pickle.loads raises for each (08 and 0_1: strtol stops, int(s, 0) refuses the
  // leading zero; 0x10 is read by the Unpickler but pickletools does not).
  for (std::string bad :
       {R"(I08\n.)"_pk, R"(I0_1\n.)"_pk, R"(I1.5\n.)"_pk, R"(I\n.)"_pk, R"(I1__0\n.)"_pk,
        R"(I0x\n.)"_pk, R"(I12a\n.)"_pk, R"(I- 1\n.)"_pk, R"(I1L\n.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::bad_argument);
    EXPECT_EQ(e->offset(), 0u);
    EXPECT_EQ(e->opcode(), std::optional<uint8_t>('I'));
  }
}

TEST_F(UnpicklerOps, BinaryInts) {
  EXPECT_TRUE(IsInt(load(R"(J\x00\x00\x00\x80.)"_pk), -2147483648LL));
  EXPECT_TRUE(IsInt(load(R"(J\xff\xff\xff\x7f.)"_pk), 2147483647));
  EXPECT_TRUE(IsInt(load(R"(J\xfe\xff\xff\xff.)"_pk), -2));
  EXPECT_TRUE(IsInt(load(R"(K\x00.)"_pk), 0));
  EXPECT_TRUE(IsInt(load(R"(K\xff.)"_pk), 255));
  EXPECT_TRUE(IsInt(load(R"(M\x00\x01.)"_pk), 256));
  EXPECT_TRUE(IsInt(load(R"(M\xff\xff.)"_pk), 65535));
}

TEST_F(UnpicklerOps, LongText) {
  EXPECT_TRUE(IsInt(load(R"(L123L\n.)"_pk), 123));
  EXPECT_TRUE(IsInt(load(R"(L123\n.)"_pk), 123));  // the L is optional
  EXPECT_TRUE(IsInt(load(R"(L-5L\n.)"_pk), -5));
  EXPECT_TRUE(IsInt(load(R"(L0x10L\n.)"_pk), 16));
  EXPECT_TRUE(IsInt(load(R"(L 12L\n.)"_pk), 12));
  EXPECT_TRUE(IsInt(load(R"(L0L\n.)"_pk), 0));
  EXPECT_TRUE(IsBigInt(g, load(R"(L9223372036854775808L\n.)"_pk), "9223372036854775808"));
  EXPECT_TRUE(IsBigInt(g, load(R"(L-1267650600228229401496703205376L\n.)"_pk),
                       "-1267650600228229401496703205376"));
  for (std::string bad : {R"(LL\n.)"_pk, R"(L12LL\n.)"_pk, R"(L\n.)"_pk, R"(L1.0L\n.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::bad_argument);
    EXPECT_EQ(e->opcode(), std::optional<uint8_t>('L'));
  }
}

TEST_F(UnpicklerOps, Long1AndLong4) {
  EXPECT_TRUE(IsInt(load(R"(\x8a\x00.)"_pk), 0));
  EXPECT_TRUE(IsInt(load(R"(\x8a\x01\xff.)"_pk), -1));
  EXPECT_TRUE(IsInt(load(R"(\x8a\x01\x7f.)"_pk), 127));
  EXPECT_TRUE(IsInt(load(R"(\x8a\x02\x00\x80.)"_pk), -32768));
  EXPECT_TRUE(IsInt(load(R"(\x8a\x02\x01\x00.)"_pk), 1));  // not minimal, still 1
  EXPECT_TRUE(IsInt(load(R"(\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f.)"_pk), INT64_MAX));
  EXPECT_TRUE(IsInt(load(R"(\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.)"_pk), INT64_MIN));
  EXPECT_TRUE(IsInt(load(R"(\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff.)"_pk), -1));
  EXPECT_TRUE(IsBigInt(g, load(R"(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00.)"_pk),
                       "9223372036854775808"));
  EXPECT_TRUE(IsBigInt(g, load(R"(\x8a\x09\xff\xff\xff\xff\xff\xff\xff\x7f\xff.)"_pk),
                       "-9223372036854775809"));
  EXPECT_TRUE(IsInt(load(R"(\x8b\x00\x00\x00\x00.)"_pk), 0));
  EXPECT_TRUE(IsInt(load(R"(\x8b\x02\x00\x00\x00\x00\x01.)"_pk), 256));
  EXPECT_TRUE(IsBigInt(
      g, load(R"(\x8b\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10.)"_pk),
      "1267650600228229401496703205376"));
}

// ---------------------------------------------------------------------------
// Floats

TEST_F(UnpicklerOps, FloatText) {
  EXPECT_TRUE(IsFloat(load(R"(F1.5\n.)"_pk), 1.5));
  EXPECT_TRUE(IsFloat(load(R"(F-0.0\n.)"_pk), -0.0));
  EXPECT_TRUE(IsFloat(load(R"(F1e5\n.)"_pk), 100000.0));
  EXPECT_TRUE(IsFloat(load(R"(F2.5\x00junk\n.)"_pk), 2.5));  // the line ends at a NUL
  EXPECT_TRUE(IsFloat(load(R"(Finf\n.)"_pk), INFINITY));
  EXPECT_TRUE(IsFloat(load(R"(F-inf\n.)"_pk), -INFINITY));
  EXPECT_TRUE(IsFloat(load(R"(Finfinity\n.)"_pk), INFINITY));
  EXPECT_TRUE(IsFloat(load(R"(Fnan\n.)"_pk), NAN));
  EXPECT_TRUE(IsFloat(load(R"(F0.1\n.)"_pk), 0.1));
  EXPECT_TRUE(IsFloat(load(R"(F5e-324\n.)"_pk), 5e-324));
  EXPECT_TRUE(IsFloat(load(R"(F2.5e-324\n.)"_pk), 5e-324));  // rounds up to a denormal
  EXPECT_TRUE(IsFloat(load(R"(F2e-324\n.)"_pk), 0.0));       // underflow: 0, as CPython
  EXPECT_TRUE(IsFloat(load(R"(F-1e-400\n.)"_pk), -0.0));
  EXPECT_TRUE(IsFloat(load(R"(F0e99999999999\n.)"_pk), 0.0));
  EXPECT_TRUE(IsFloat(load(R"(F1.7976931348623157e+308\n.)"_pk), 1.7976931348623157e+308));
  EXPECT_TRUE(IsFloat(load("F" + std::string(300, '0') + "1\n."), 1.0));
  // CPython's C unpickler takes no whitespace or underscores (pickle.py and pickletools
  // do) and raises OverflowError past the largest double (issue 12: 400 nines loaded
  // as 0.0).
  for (std::string bad :
       {R"(F1.5x\n.)"_pk, R"(F\n.)"_pk, R"(F1..5\n.)"_pk, R"(F0x10\n.)"_pk, R"(F 2.5\n.)"_pk,
        R"(F2.5 \n.)"_pk, R"(F1_0.5\n.)"_pk, R"(F1e\n.)"_pk, "F" + std::string(400, '9') + "\n.",
        "F-" + std::string(400, '9') + "\n.", R"(F1e999\n.)"_pk, R"(F1.7976931348623159e308\n.)"_pk,
        "F1" + std::string(400, '0') + ".5e-91\n."}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::bad_argument);
    EXPECT_EQ(e->opcode(), std::optional<uint8_t>('F'));
  }
}

TEST_F(UnpicklerOps, BinFloat) {
  EXPECT_TRUE(IsFloat(load(R"(G?\xf0\x00\x00\x00\x00\x00\x00.)"_pk), 1.0));
  EXPECT_TRUE(IsFloat(load(R"(G\x80\x00\x00\x00\x00\x00\x00\x00.)"_pk), -0.0));
  EXPECT_TRUE(IsFloat(load(R"(G\x7f\xf0\x00\x00\x00\x00\x00\x00.)"_pk), INFINITY));
  EXPECT_TRUE(IsFloat(load(R"(G\x7f\xf8\x00\x00\x00\x00\x00\x00.)"_pk), NAN));
  EXPECT_TRUE(IsFloat(load(R"(G\x00\x00\x00\x00\x00\x00\x00\x01.)"_pk), 5e-324));
}

// ---------------------------------------------------------------------------
// Constants

TEST_F(UnpicklerOps, Constants) {
  EXPECT_TRUE(load(R"(N.)"_pk).is_none());
  EXPECT_TRUE(IsBool(load(R"(\x88.)"_pk), true));
  EXPECT_TRUE(IsBool(load(R"(\x89.)"_pk), false));
}

// ---------------------------------------------------------------------------
// Text

TEST_F(UnpicklerOps, StringQuotesAndEscapes) {
  Value v = load(R"(S'abc'\n.)"_pk);
  EXPECT_TRUE(IsStr(v, "abc"));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  EXPECT_TRUE(IsStr(load(R"(S"a'b"\n.)"_pk), "a'b"));
  EXPECT_TRUE(IsStr(load(R"(S''\n.)"_pk), ""));
  EXPECT_TRUE(IsStr(load(R"(S""\n.)"_pk), ""));
  EXPECT_TRUE(IsStr(load(R"(S'\\x41\\n\\t\\\\\\''\n.)"_pk), "A\n\t\\'"));
  EXPECT_TRUE(IsStr(load(R"(S'\\101\\0\\7'\n.)"_pk), std::string("A\0\a", 3)));
  EXPECT_TRUE(IsStr(load(R"(S'\\a\\b\\f\\v\\r'\n.)"_pk), "\a\b\f\v\r"));
  EXPECT_TRUE(IsStr(load(R"(S'\\"'\n.)"_pk), "\""));
  // Unknown escapes keep their backslash; \u is not an escape in a byte string.
  EXPECT_TRUE(IsStr(load(R"(S'\\z'\n.)"_pk), "\\z"));
  EXPECT_TRUE(IsStr(load(R"(S'\\u0041'\n.)"_pk), "\\u0041"));
}

TEST_F(UnpicklerOps, StringQuotesAreChecked) {
  for (std::string bad : {R"(S'\n.)"_pk, R"(S"\n.)"_pk, R"(S'abc"\n.)"_pk, R"(S"abc'\n.)"_pk,
                          R"(Sabc\n.)"_pk, R"(S 'a'\n.)"_pk, R"(S'a' \n.)"_pk, R"(S\n.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::bad_argument);
    EXPECT_EQ(e->offset(), 0u);
    EXPECT_EQ(e->opcode(), std::optional<uint8_t>('S'));
  }
}

TEST_F(UnpicklerOps, UnicodeRawUnicodeEscape) {
  EXPECT_TRUE(IsStr(load(R"(Vabc\n.)"_pk), "abc"));
  EXPECT_TRUE(IsStr(load(R"(Vabc\\u20ac\n.)"_pk), "abc\xe2\x82\xac"));
  EXPECT_TRUE(IsStr(load(R"(V\\U0001F600\n.)"_pk), "\xf0\x9f\x98\x80"));
  EXPECT_TRUE(IsStr(load(R"(V\xe9\n.)"_pk), "\xc3\xa9"));  // raw bytes are latin-1
  EXPECT_TRUE(IsStr(load(R"(V\\x41\n.)"_pk), "\\x41"));    // \x is not an escape here
  EXPECT_TRUE(IsStr(load(R"(V\\\n.)"_pk), "\\"));
  EXPECT_TRUE(IsStr(load(R"(Va\\b\n.)"_pk), "a\\b"));
  // An even run of backslashes does not escape the u.
  EXPECT_TRUE(IsStr(load(R"(V\\\\u0041\n.)"_pk), "\\\\u0041"));
  EXPECT_TRUE(IsStr(load(R"(V\\\\\\u0041\n.)"_pk), "\\\\A"));
  // Lone surrogates are kept as their 3-byte forms.
  EXPECT_TRUE(IsStr(load(R"(V\\ud800\n.)"_pk), "\xed\xa0\x80"));
  EXPECT_TRUE(IsStr(load(R"(V\\u000a\\u005c\n.)"_pk), "\n\\"));
  EXPECT_FALSE(has_flag(load(R"(Vabc\n.)"_pk), pickle::kPy2Str));
}

TEST_F(UnpicklerOps, BinaryUnicode) {
  EXPECT_TRUE(IsStr(load(R"(X\x03\x00\x00\x00abc.)"_pk), "abc"));
  EXPECT_TRUE(IsStr(load(R"(X\x00\x00\x00\x00.)"_pk), ""));
  EXPECT_TRUE(IsStr(load(R"(\x8c\x04\xe2\x82\xac\x00.)"_pk), std::string("\xe2\x82\xac\0", 4)));
  EXPECT_TRUE(IsStr(load(R"(\x8d\x04\x00\x00\x00\x00\x00\x00\x00\xf0\x9f\x98\x80.)"_pk),
                    "\xf0\x9f\x98\x80"));
  // surrogatepass: lone surrogates, and a pair written as two 3-byte forms stays two.
  EXPECT_TRUE(IsStr(load(R"(X\x03\x00\x00\x00\xed\xa0\x80.)"_pk), "\xed\xa0\x80"));
  Value pair = load(R"(\x8c\x06\xed\xa0\xbd\xed\xb8\x80.)"_pk);
  EXPECT_TRUE(IsStr(pair, "\xed\xa0\xbd\xed\xb8\x80"));
}

TEST_F(UnpicklerOps, BytesOpcodes) {
  EXPECT_TRUE(IsBytes(load(R"(C\x03a\x00b.)"_pk), std::string("a\0b", 3)));
  EXPECT_TRUE(IsBytes(load(R"(C\x00.)"_pk), ""));
  EXPECT_TRUE(
      IsBytes(load(R"(B\x04\x00\x00\x00\xe2\x82\xac\x00.)"_pk), std::string("\xe2\x82\xac\0", 4)));
  EXPECT_TRUE(IsBytes(load(R"(\x8e\x02\x00\x00\x00\x00\x00\x00\x00xy.)"_pk), "xy"));
  Value ba = load(R"(\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00xxx.)"_pk);
  EXPECT_TRUE(IsBytes(ba, "xxx", Kind::ByteArray));
  EXPECT_FALSE(has_flag(load(R"(C\x01a.)"_pk), pickle::kPy2Str));
  // A long BINBYTES.
  std::string big(300, 'y');
  std::string p = "B"_pk + std::string("\x2c\x01\x00\x00", 4) + big + ".";
  EXPECT_TRUE(IsBytes(load(p), big));
}

// ---------------------------------------------------------------------------
// Python 2 str and the encoding option

TEST_F(UnpicklerOps, Py2StrDefaultsToAscii) {
  Value v = load(R"(U\x03abc.)"_pk);
  EXPECT_TRUE(IsStr(v, "abc"));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  v = load(R"(T\x03\x00\x00\x00abc.)"_pk);
  EXPECT_TRUE(IsStr(v, "abc"));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  auto e = error_of(R"(U\x02\xc3\xa9.)"_pk);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::bad_encoding);
  EXPECT_EQ(e->offset(), 0u);
  EXPECT_EQ(e->opcode(), std::optional<uint8_t>('U'));
  // An escape that makes a byte >= 0x80 does not decode as ASCII either.
  e = error_of(R"(S'\\xe9'\n.)"_pk);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::bad_encoding);
  e = error_of(R"(S'\\777'\n.)"_pk);  // octal escapes wrap to 0xff
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::bad_encoding);
}

TEST_F(UnpicklerOps, Py2StrEncodings) {
  LoadOptions latin1;
  latin1.py2_str.encoding = "latin1";
  Value v = load(R"(U\x02\xc3\xa9.)"_pk, latin1);
  EXPECT_TRUE(IsStr(v, "\xc3\x83\xc2\xa9"));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  EXPECT_FALSE(v.str().py2_encoding.empty());
  EXPECT_TRUE(IsStr(load(R"(S'\\xe9'\n.)"_pk, latin1), "\xc3\xa9"));

  LoadOptions utf8;
  utf8.py2_str.encoding = "utf-8";
  EXPECT_TRUE(IsStr(load(R"(U\x02\xc3\xa9.)"_pk, utf8), "\xc3\xa9"));
  auto e = error_of(R"(U\x02\xe9a.)"_pk, utf8);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::bad_encoding);

  LoadOptions bytes;
  bytes.py2_str.encoding = "bytes";
  v = load(R"(U\x02\xc3\xa9.)"_pk, bytes);
  EXPECT_TRUE(IsBytes(v, "\xc3\xa9"));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  v = load(R"(S'a\\x00'\n.)"_pk, bytes);
  EXPECT_TRUE(IsBytes(v, std::string("a\0", 2)));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  v = load(R"(T\x01\x00\x00\x00\xff.)"_pk, bytes);
  EXPECT_TRUE(IsBytes(v, "\xff"));

  // Spellings of latin-1 that Python's codec lookup accepts.
  for (const char* name : {"latin-1", "iso-8859-1", "LATIN1"}) {
    LoadOptions o;
    o.py2_str.encoding = name;
    EXPECT_TRUE(IsStr(load(R"(U\x01\xe9.)"_pk, o), "\xc3\xa9")) << name;
  }
}

TEST_F(UnpicklerOps, Py2StrErrorHandlers) {
  auto with = [](const char* enc, const char* errors) {
    LoadOptions o;
    o.py2_str.encoding = enc;
    o.py2_str.errors = errors;
    return o;
  };
  const std::string p = R"(U\x02\xc3\xa9.)"_pk;
  EXPECT_TRUE(IsStr(load(p, with("ASCII", "replace")), "\xef\xbf\xbd\xef\xbf\xbd"));
  EXPECT_TRUE(IsStr(load(p, with("ASCII", "ignore")), ""));
  EXPECT_TRUE(IsStr(load(p, with("ASCII", "surrogateescape")), "\xed\xb3\x83\xed\xb2\xa9"));
  EXPECT_TRUE(IsStr(load(p, with("ASCII", "backslashreplace")), "\\xc3\\xa9"));
  EXPECT_TRUE(IsStr(load(R"(U\x02\xe9a.)"_pk, with("utf-8", "replace")),
                    "\xef\xbf\xbd"
                    "a"));
}

TEST_F(UnpicklerOps, Py2StrUndecodableAsBytes) {
  LoadOptions o;
  o.py2_str.undecodable_as_bytes = true;
  Value v = load(R"(U\x02\xc3\xa9.)"_pk, o);
  EXPECT_TRUE(IsBytes(v, "\xc3\xa9"));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
  v = load(R"(U\x02ok.)"_pk, o);  // decodable ones are still str
  EXPECT_TRUE(IsStr(v, "ok"));
}

TEST_F(UnpicklerOps, EmptyPy2StrDecodesWithAnyEncoding) {
  LoadOptions o;
  o.py2_str.encoding = "utf-8";
  Value v = load(R"(\x80\x03U\x00q\x00.)"_pk, o);
  EXPECT_TRUE(IsStr(v, ""));
  EXPECT_TRUE(has_flag(v, pickle::kPy2Str));
}

// ---------------------------------------------------------------------------
// Containers

TEST_F(UnpicklerOps, Lists) {
  Value v = load(R"(](K\x01K\x02eK\x03a.)"_pk);
  ASSERT_TRUE(v.is_list());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(IsInt(v[0], 1));
  EXPECT_TRUE(IsInt(v[1], 2));
  EXPECT_TRUE(IsInt(v[2], 3));
  v = load(R"((K\x01NN\x88l.)"_pk);
  ASSERT_TRUE(v.is_list());
  ASSERT_EQ(v.size(), 4u);
  EXPECT_TRUE(v[1].is_none());
  EXPECT_TRUE(IsBool(v[3], true));
  EXPECT_EQ(load(R"((l.)"_pk).size(), 0u);
  EXPECT_EQ(load(R"(](e.)"_pk).size(), 0u);  // APPENDS of nothing
}

TEST_F(UnpicklerOps, Tuples) {
  EXPECT_TRUE(load(R"().)"_pk).is_tuple());
  EXPECT_EQ(load(R"().)"_pk).size(), 0u);
  EXPECT_EQ(load(R"((t.)"_pk).size(), 0u);
  Value t1 = load(R"(K\x01\x85.)"_pk);
  ASSERT_TRUE(t1.is_tuple());
  ASSERT_EQ(t1.size(), 1u);
  EXPECT_TRUE(IsInt(t1[0], 1));
  Value t2 = load(R"(K\x01K\x02\x86.)"_pk);
  ASSERT_EQ(t2.size(), 2u);
  EXPECT_TRUE(IsInt(t2[1], 2));
  Value t3 = load(R"(K\x01K\x02K\x03\x87.)"_pk);
  ASSERT_EQ(t3.size(), 3u);
  EXPECT_TRUE(IsInt(t3[0], 1));
  EXPECT_TRUE(IsInt(t3[2], 3));
  Value t4 = load(R"((K\x01K\x02K\x03K\x04t.)"_pk);
  ASSERT_EQ(t4.size(), 4u);
  EXPECT_TRUE(IsInt(t4[3], 4));
  Value nested = load(R"((t(t\x86.)"_pk);
  ASSERT_EQ(nested.size(), 2u);
  EXPECT_TRUE(nested[0].is_tuple());
  EXPECT_FALSE(nested[0].is(nested[1]));  // two distinct tuples
}

TEST_F(UnpicklerOps, Dicts) {
  Value d = load(R"(}(K\x01K\x02U\x01aK\x03u.)"_pk);
  ASSERT_TRUE(d.is_dict());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].first, 1));
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 2));
  EXPECT_TRUE(IsInt(d["a"], 3));
  d = load(R"((K\x01K\x02K\x03K\x04d.)"_pk);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(IsInt(d.dict().entries[1].first, 3));
  d = load(R"(}K\x05K\x06s.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 6));
  EXPECT_EQ(load(R"((d.)"_pk).size(), 0u);
  EXPECT_EQ(load(R"(}(u.)"_pk).size(), 0u);
}

TEST_F(UnpicklerOps, DictKeysFollowPythonEquality) {
  // d[1] = 2; d[1.0] = 3; d[True] = 4  ->  {1: 4}: one key, the first key object kept.
  Value d = load(R"(}(K\x01K\x02G?\xf0\x00\x00\x00\x00\x00\x00K\x03\x88K\x04u.)"_pk);
  ASSERT_TRUE(d.is_dict());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].first, 1));
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 4));
  // DICT builds the same way: {1: 3}.
  d = load(R"((K\x01K\x02K\x01K\x03d.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 3));
  // A later SETITEM for an equal key replaces the value and keeps the first position.
  d = load(R"(}(K\x01K\x01K\x02K\x02K\x01K\x03uK\x02K\x04s.)"_pk);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].first, 1));
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 3));
  EXPECT_TRUE(IsInt(d.dict().entries[1].first, 2));
  EXPECT_TRUE(IsInt(d.dict().entries[1].second, 4));
  // str and bytes are different keys; equal strs are one key.
  d = load(R"(}(\x8c\x01aK\x01C\x01aK\x02\x8c\x01aK\x03u.)"_pk);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(IsInt(d["a"], 3));
  // Tuples and frozensets are keys; equal tuples are one key.
  d = load(R"(}(K\x01K\x02\x86K\x01(K\x03\x91K\x02K\x01K\x02\x86K\x05u.)"_pk);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d.dict().entries[0].first.is_tuple());
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 5));
  EXPECT_EQ(d.dict().entries[1].first.kind(), Kind::FrozenSet);
  // NaN is not equal to itself: two NaN keys are two entries, as in CPython.
  d = load(
      R"(}(G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x01G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x02u.)"_pk);
  EXPECT_EQ(d.size(), 2u);
  // Large ints and their float equivalent: 2**53 == 2.0**53.
  d = load(R"(}(\x8a\x07\x00\x00\x00\x00\x00\x00\x20K\x01GC@\x00\x00\x00\x00\x00\x00K\x02u.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].first, int64_t(1) << 53));
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 2));
}

TEST_F(UnpicklerOps, DictKeysAcrossKinds) {
  // 2**64 and 2.0**64 are one key.
  Value d = load(
      R"(}(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01K\x01GC\xf0\x00\x00\x00\x00\x00\x00K\x02u.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d.dict().entries[0].first.is_bigint());
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 2));
  // complex(1, 0) == 1.
  d = load(R"(}(K\x01K\x01c__builtin__\ncomplex\nG?\xf0\x00\x00\x00\x00\x00\x00)"_pk
           R"(G\x00\x00\x00\x00\x00\x00\x00\x00\x86RK\x02u.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 2));
  // A Python 2 str and a unicode with the same text are one str key...
  d = load(R"(}(S'a'\nK\x01Va\nK\x02u.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d["a"], 2));
  // ... unless Python 2 strs load as bytes.
  LoadOptions bytes;
  bytes.py2_str.encoding = "bytes";
  d = load(R"(}(S'a'\nK\x01Va\nK\x02u.)"_pk, bytes);
  EXPECT_EQ(d.size(), 2u);
  // Globals with the same name are the same class: one key. Objects are keys by identity.
  d = load(R"(}(cmod\nC\nK\x01cmod\nC\nK\x02cmod\nC\n)RK\x03cmod\nC\n)RK\x04u.)"_pk);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.dict().entries[0].first.kind(), Kind::Global);
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 2));
  EXPECT_TRUE(d.dict().entries[1].first.is_object());
  EXPECT_TRUE(d.dict().entries[2].first.is_object());
  // Tuples of equal numbers are equal keys.
  d = load(R"(}(K\x01\x85K\x01G?\xf0\x00\x00\x00\x00\x00\x00\x85K\x02u.)"_pk);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(IsInt(d.dict().entries[0].second, 2));
}

TEST_F(UnpicklerOps, SetsAndFrozensets) {
  Value s = load(R"(\x8f(K\x01K\x02K\x01G?\xf0\x00\x00\x00\x00\x00\x00\x90.)"_pk);
  ASSERT_EQ(s.kind(), Kind::Set);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(IsInt(s.items()[0], 1));
  EXPECT_TRUE(IsInt(s.items()[1], 2));
  s = load(R"(\x8f(\x90(K\x03\x90.)"_pk);  // two ADDITEMS, one of them empty
  ASSERT_EQ(s.size(), 1u);
  Value f = load(R"((\x8c\x01a\x8c\x01b\x8c\x01a\x91.)"_pk);
  ASSERT_EQ(f.kind(), Kind::FrozenSet);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_TRUE(IsStr(f.items()[0], "a"));
  EXPECT_TRUE(IsStr(f.items()[1], "b"));
  EXPECT_EQ(load(R"((\x91.)"_pk).size(), 0u);
  EXPECT_EQ(load(R"(\x8f.)"_pk).kind(), Kind::Set);
}

// ---------------------------------------------------------------------------
// Stack manipulation

TEST_F(UnpicklerOps, PopDupMarkPopMark) {
  EXPECT_TRUE(IsInt(load(R"(K\x01K\x020.)"_pk), 1));
  EXPECT_TRUE(IsInt(load(R"(K\x01(K\x02K\x031.)"_pk), 1));
  EXPECT_TRUE(IsInt(load(R"(K\x01(1.)"_pk), 1));  // POP_MARK of an empty mark
  // POP with nothing above the top mark pops the mark itself.
  Value t = load(R"(K\x01(0K\x02\x86.)"_pk);
  ASSERT_TRUE(t.is_tuple());
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(IsInt(t[0], 1));
  // ... so a following TUPLE sees the outer mark.
  t = load(R"((K\x01(0K\x02t.)"_pk);
  ASSERT_EQ(t.size(), 2u);
  Value d = load(R"(]2\x86.)"_pk);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[0].is_list());
  EXPECT_TRUE(d[0].is(d[1]));
  // STOP takes the top item; an open mark below it is left alone (as pickle.py does).
  EXPECT_TRUE(load(R"((N.)"_pk).is_none());
  EXPECT_TRUE(IsInt(load(R"(NK\x05.)"_pk), 5));  // extra items are ignored
}

// ---------------------------------------------------------------------------
// Memo

TEST_F(UnpicklerOps, PutAndGetKeepIdentity) {
  Value t = load(R"((]p0\ng0\nt.)"_pk);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(t[0].is(t[1]));
  t = load(R"((]q\xffh\xfft.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  t = load(R"((]r\x00\x00\x01\x00j\x00\x00\x01\x00t.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  t = load(R"(\x80\x04(]\x94h\x00t.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  // Decimal memo keys: base 10 with int()'s whitespace and leading zeros.
  t = load(R"((]p007\ng 7\nt.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  t = load(R"((]p100000\ng100000\nt.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  t = load(R"((]p4294967296\ng4294967296\nt.)"_pk);  // beyond 32 bits
  EXPECT_TRUE(t[0].is(t[1]));
  // A str referenced twice is one node; the same text written twice is two.
  t = load(R"(X\x01\x00\x00\x00aq\x00h\x00\x86.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  t = load(R"(X\x01\x00\x00\x00aX\x01\x00\x00\x00a\x86.)"_pk);
  EXPECT_FALSE(t[0].is(t[1]));
  EXPECT_TRUE(pickle::equal(t[0], t[1]));
  // Immediates come back equal.
  t = load(R"(K\x05p1\n0g1\ng1\n\x86.)"_pk);
  EXPECT_TRUE(IsInt(t[0], 5));
  EXPECT_TRUE(IsInt(t[1], 5));
}

TEST_F(UnpicklerOps, PutOverwritesAndMemoizeUsesTheEntryCount) {
  // PUT at an index used before replaces it.
  Value t = load(R"((]q\x00}q\x00h\x00t.)"_pk);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_TRUE(t[0].is_list());
  EXPECT_TRUE(t[2].is_dict());
  EXPECT_TRUE(t[2].is(t[1]));
  // MEMOIZE stores at len(memo), not at max index + 1: after one PUT at 5, index 1.
  t = load(R"(\x80\x04]r\x05\x00\x00\x00]\x94h\x01h\x05\x86.)"_pk);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(t[0].is_list());
  EXPECT_FALSE(t[0].is(t[1]));
}

size_t max_rss_kb() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<size_t>(u.ru_maxrss);
}

TEST_F(UnpicklerOps, FarMemoIndicesUseTheSparseFallback) {
  size_t before = max_rss_kb();
  Value t = load(R"(\x80\x02]r\xff\xff\xff\xff0j\xff\xff\xff\xff\x85.)"_pk);
  ASSERT_TRUE(t.is_tuple());
  EXPECT_TRUE(t[0].is_list());
  // MEMOIZE after one far entry goes to index 1.
  t = load(R"(\x80\x04]r\xff\xff\xff\xff]\x94j\xff\xff\xff\xffh\x01\x86.)"_pk);
  EXPECT_FALSE(t[0].is(t[1]));
  t = load(R"(]p99999999999\n0g99999999999\n.)"_pk);
  EXPECT_TRUE(t.is_list());
  EXPECT_LT(max_rss_kb() - before, 256u * 1024) << "a far memo index grew the process by GBs";
  EXPECT_LT(g.bytes_allocated(), size_t(16) << 20);
}

TEST_F(UnpicklerOps, DenseMemoSpanBoundary) {
  LoadOptions o;
  o.limits.dense_memo_span = 16;
  for (const char* idx : {"15", "16", "17", "1000"}) {
    SCOPED_TRACE(idx);
    std::string p = "]p"_pk + idx + "\n0g" + idx + "\n.";
    EXPECT_TRUE(load(p, o).is_list());
  }
  Value t = load(R"((]q\x0f]q\x10]q\x11h\x0fh\x10h\x11t.)"_pk, o);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_TRUE(t[0].is(t[3]));
  EXPECT_TRUE(t[1].is(t[4]));
  EXPECT_TRUE(t[2].is(t[5]));
  EXPECT_FALSE(t[0].is(t[1]));
}

TEST_F(UnpicklerOps, MemoMissing) {
  for (std::string bad : {R"(h\x00.)"_pk, R"(g0\n.)"_pk, R"(j\x00\x00\x00\x00.)"_pk,
                          R"(Np1\n0g2\n.)"_pk, R"(j\xff\xff\xff\xff.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::memo_missing);
  }
}

// ---------------------------------------------------------------------------
// Identity and cycles

TEST_F(UnpicklerOps, RecursiveContainers) {
  Value l = load(R"(]q\x00h\x00a.)"_pk);
  ASSERT_TRUE(l.is_list());
  ASSERT_EQ(l.size(), 1u);
  EXPECT_TRUE(l[0].is(l));
  Value d = load(R"(}q\x00K\x01h\x00s.)"_pk);
  ASSERT_TRUE(d.is_dict());
  EXPECT_TRUE(d.dict().entries[0].second.is(d));
  // A list that holds a tuple that holds the list.
  l = load(R"(]q\x00h\x00\x85q\x01a.)"_pk);
  ASSERT_TRUE(l[0].is_tuple());
  EXPECT_TRUE(l[0][0].is(l));
}

// ---------------------------------------------------------------------------
// Framing

TEST_F(UnpicklerOps, Frames) {
  EXPECT_TRUE(IsInt(load(R"(\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00I42\n.)"_pk), 42));
  // Two frames back to back; opcodes after a frame's end are read unframed.
  Value t = load(R"(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x01)"_pk
                 R"(\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x02\x86.)"_pk);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(IsInt(t[1], 2));
  // An empty frame.
  EXPECT_TRUE(load(R"(\x95\x00\x00\x00\x00\x00\x00\x00\x00N.)"_pk).is_none());
  // A frame that ends before STOP.
  EXPECT_TRUE(IsInt(load(R"(\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x03.)"_pk), 3));
  // A read that starts exactly at a frame's end leaves the frame (pickle.py's rule):
  // here an opcode's argument, a length's payload and a second line follow the frame.
  EXPECT_TRUE(IsInt(load(R"(\x95\x01\x00\x00\x00\x00\x00\x00\x00K\x01.)"_pk), 1));
  EXPECT_TRUE(IsStr(load(R"(\x95\x01\x00\x00\x00\x00\x00\x00\x00X\x02\x00\x00\x00ab.)"_pk), "ab"));
  EXPECT_TRUE(IsStr(load(R"(\x95\x05\x00\x00\x00\x00\x00\x00\x00X\x02\x00\x00\x00ab.)"_pk), "ab"));
  EXPECT_TRUE(IsGlobal(load(R"(\x95\x05\x00\x00\x00\x00\x00\x00\x00cmod\nf\n.)"_pk), "mod", "f"));
  // A frame holding a large payload.
  std::string blob(100000, 'z');
  uint64_t n = 9 + blob.size();
  std::string p = "\x80\x04\x95"_pk;
  for (int i = 0; i < 8; ++i) p += static_cast<char>((n >> (8 * i)) & 0xff);
  p += "\x8e"_pk;
  for (int i = 0; i < 8; ++i) p += static_cast<char>((blob.size() >> (8 * i)) & 0xff);
  p += blob + ".";
  EXPECT_TRUE(IsBytes(load(p), blob));
}

// ---------------------------------------------------------------------------
// Globals, fix_imports, strict mode, find_global

TEST_F(UnpicklerOps, Globals) {
  EXPECT_TRUE(IsGlobal(load(R"(cmod\nName\n.)"_pk), "mod", "Name"));
  EXPECT_TRUE(IsGlobal(load(R"(cos.path\njoin\n.)"_pk), "os.path", "join"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x04cbuiltins\nstr.upper\n.)"_pk), "builtins", "str.upper"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x04\x8c\x08builtins\x8c\x09str.upper\x93.)"_pk), "builtins",
                       "str.upper"));
  // GLOBAL lines are UTF-8.
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x04cm\xc3\xb6dule\ngl\xc3\xb6bal\n.)"_pk),
                       "m\xc3\xb6"
                       "dule",
                       "gl\xc3\xb6"
                       "bal"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x04\x8c\x07m\xc3\xb6dule\x8c\x01x\x93.)"_pk),
                       "m\xc3\xb6"
                       "dule",
                       "x"));
  // Globals are nodes; a memoized one is shared.
  Value t = load(R"(\x80\x02cmod\nF\nq\x00h\x00\x86.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
}

TEST_F(UnpicklerOps, FixImportsBelowProtocol3) {
  EXPECT_TRUE(IsGlobal(load(R"(c__builtin__\nset\n.)"_pk), "builtins", "set"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02c__builtin__\nset\n.)"_pk), "builtins", "set"));
  EXPECT_TRUE(IsGlobal(load(R"(ccopy_reg\n_reconstructor\n.)"_pk), "copyreg", "_reconstructor"));
  // Whole-name mappings.
  EXPECT_TRUE(IsGlobal(load(R"(c__builtin__\nxrange\n.)"_pk), "builtins", "range"));
  EXPECT_TRUE(IsGlobal(load(R"(c__builtin__\nreduce\n.)"_pk), "functools", "reduce"));
  EXPECT_TRUE(IsGlobal(load(R"(cexceptions\nStandardError\n.)"_pk), "builtins", "Exception"));
  EXPECT_TRUE(IsGlobal(load(R"(cUserDict\nIterableUserDict\n.)"_pk), "collections", "UserDict"));
  EXPECT_TRUE(IsGlobal(load(R"(cwhichdb\nwhichdb\n.)"_pk), "dbm", "whichdb"));
  // Module-only mapping.
  EXPECT_TRUE(IsGlobal(load(R"(cQueue\nQueue\n.)"_pk), "queue", "Queue"));
  // STACK_GLOBAL in a pickle without PROTO is protocol 0: names are fixed too.
  EXPECT_TRUE(IsGlobal(load(R"(\x8c\x0b__builtin__\x8c\x03set\x93.)"_pk), "builtins", "set"));
  // Unknown modules are left alone.
  EXPECT_TRUE(IsGlobal(load(R"(cmymod\nX\n.)"_pk), "mymod", "X"));
}

TEST_F(UnpicklerOps, NoFixImportsAtProtocol3OrWhenOff) {
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x03c__builtin__\nset\n.)"_pk), "__builtin__", "set"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x04c__builtin__\nxrange\n.)"_pk), "__builtin__", "xrange"));
  LoadOptions off;
  off.fix_imports = false;
  EXPECT_TRUE(IsGlobal(load(R"(c__builtin__\nset\n.)"_pk, off), "__builtin__", "set"));
  EXPECT_TRUE(
      IsGlobal(load(R"(ccopy_reg\n_reconstructor\n.)"_pk, off), "copy_reg", "_reconstructor"));
}

TEST_F(UnpicklerOps, FixImportsAppliesToInstAndExt) {
  Value v = load(R"((iUserDict\nUserDict\n.)"_pk);
  EXPECT_TRUE(IsObjectOf(v, "collections", "UserDict", BuildKind::inst));
  pickle::Registry r;
  r.add_extension("__builtin__", "set", 7);
  LoadOptions o;
  o.registry = &r;
  EXPECT_TRUE(IsGlobal(load(R"(\x82\x07.)"_pk, o), "builtins", "set"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x03\x82\x07.)"_pk, o), "__builtin__", "set"));
}

TEST_F(UnpicklerOps, StrictModeRefusesGlobalsNotAllowed) {
  LoadOptions strict;
  strict.strict = true;
  strict.allowed_globals = {{"mod", "Ok"}, {"builtins", "set"}};
  EXPECT_TRUE(IsGlobal(load(R"(cmod\nOk\n.)"_pk, strict), "mod", "Ok"));
  // The allow-list is matched after fix_imports.
  EXPECT_TRUE(IsGlobal(load(R"(c__builtin__\nset\n.)"_pk, strict), "builtins", "set"));
  struct Case {
    std::string bytes;
    uint64_t offset;
    uint8_t op;
  };
  const Case refused[] = {
      {R"(cos\nsystem\n.)"_pk, 0, 'c'},
      {R"(\x80\x04\x8c\x02os\x8c\x06system\x93.)"_pk, 14, 0x93},
      {R"((ios\nsystem\n.)"_pk, 1, 'i'},
      // A native builtin returned bare, not rebuilt: refused where it is used (STOP).
      // See strict_test.cpp.
      {R"(cbuiltins\nfrozenset\n.)"_pk, 20, '.'},
      {R"(cmod\nOk2\n.)"_pk, 0, 'c'},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.bytes);
    auto e = error_of(c.bytes, strict);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::refused_global);
    EXPECT_EQ(e->offset(), c.offset);
    EXPECT_EQ(e->opcode(), std::optional<uint8_t>(c.op));
  }
  pickle::Registry r;
  r.add_extension("os", "system", 3);
  strict.registry = &r;
  auto e = error_of(R"(\x82\x03.)"_pk, strict);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::refused_global);
  EXPECT_EQ(e->opcode(), std::optional<uint8_t>(0x82));
}

// The message names the global on one line: what is not printable is escaped as
// repr(str) escapes it.
TEST_F(UnpicklerOps, RefusedGlobalsAreNamedOnOneLine) {
  LoadOptions strict;
  strict.strict = true;
  auto e = error_of(R"(\x80\x04\x8c\x04o\ns\t\x8c\x06sys\xc2\x85\x00\x93.)"_pk, strict);
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e->what()).find("global 'o\\ns\\t.sys\\x85\\x00' is not allowed"),
            std::string::npos)
      << e->what();
  LoadOptions refuse;
  refuse.find_global = [](Graph&, std::string_view, std::string_view) -> Value {
    throw std::runtime_error("no");
  };
  e = error_of(R"(co\rs\nsys\x1b\n.)"_pk, refuse);
  ASSERT_TRUE(e);
  EXPECT_NE(std::string(e->what()).find("global 'o\\rs.sys\\x1b' refused: no"), std::string::npos)
      << e->what();
}

TEST_F(UnpicklerOps, FindGlobalResolver) {
  std::vector<std::pair<std::string, std::string>> calls;
  LoadOptions o;
  o.find_global = [&](Graph& gr, std::string_view module, std::string_view name) {
    calls.emplace_back(module, name);
    return gr.str(std::string(module) + ":" + std::string(name));
  };
  EXPECT_TRUE(IsStr(load(R"(c__builtin__\nset\n.)"_pk, o), "builtins:set"));
  EXPECT_TRUE(IsStr(load(R"(\x8c\x04math\x8c\x03log\x93.)"_pk, o), "math:log"));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].first, "builtins");  // after fix_imports
  EXPECT_EQ(calls[1].second, "log");
  // A resolver that returns a Global: the Object built from it uses it.
  LoadOptions o2;
  o2.find_global = [](Graph& gr, std::string_view module, std::string_view name) {
    return gr.global(std::string("resolved.") + std::string(module), name);
  };
  Value v = load(R"(cmod\nCls\n)R.)"_pk, o2);
  EXPECT_TRUE(IsObjectOf(v, "resolved.mod", "Cls", BuildKind::reduce));
  // A resolver refuses by throwing.
  LoadOptions o3;
  o3.find_global = [](Graph&, std::string_view, std::string_view) -> Value {
    throw UnpicklingError(ErrorCode::refused_global, 0, std::nullopt, "not here");
  };
  EXPECT_THROW(load(R"(cmod\nCls\n.)"_pk, o3), UnpicklingError);
}

// ---------------------------------------------------------------------------
// Extensions

TEST_F(UnpicklerOps, ExtensionCodes) {
  pickle::Registry r;
  r.add_extension("mod", "one", 1);
  r.add_extension("mod", "big1", 255);
  r.add_extension("mod", "two", 0x1234);
  r.add_extension("mod", "four", 0x7fffffff);
  LoadOptions o;
  o.registry = &r;
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02\x82\x01.)"_pk, o), "mod", "one"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02\x82\xff.)"_pk, o), "mod", "big1"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02\x83\x34\x12.)"_pk, o), "mod", "two"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02\x83\x01\x00.)"_pk, o), "mod", "one"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02\x84\xff\xff\xff\x7f.)"_pk, o), "mod", "four"));
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x02\x84\x01\x00\x00\x00.)"_pk, o), "mod", "one"));
  // An extension global can be called like any other.
  EXPECT_TRUE(IsObjectOf(load(R"(\x80\x02\x82\x01)R.)"_pk, o), "mod", "one", BuildKind::reduce));
  // Unregistered codes, and no registry at all.
  for (std::string bad :
       {R"(\x82\x02.)"_pk, R"(\x83\x00\x01.)"_pk, R"(\x84\x00\x00\x00\x01.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad, o);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::unsupported);
    EXPECT_EQ(e->offset(), 0u);
  }
  auto e = error_of(R"(\x82\x01.)"_pk);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::unsupported);
}

// ---------------------------------------------------------------------------
// Objects

TEST_F(UnpicklerOps, ReduceBuildsAnObject) {
  Value v = load(R"(cmod\nfn\n(K\x01\x8c\x01xtR.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "fn", BuildKind::reduce));
  const pickle::ObjectNode& o = v.object();
  ASSERT_TRUE(o.args.is_tuple());
  ASSERT_EQ(o.args.size(), 2u);
  EXPECT_TRUE(IsInt(o.args[0], 1));
  EXPECT_TRUE(IsStr(o.args[1], "x"));
  EXPECT_TRUE(o.kwargs.is_none());
  EXPECT_TRUE(o.states.empty());
  EXPECT_TRUE(o.list_items.empty());
  EXPECT_TRUE(o.dict_items.empty());
  // The callable is the Global node that was on the stack.
  Value t = load(R"(cmod\nfn\nq\x00)Rh\x00\x86.)"_pk);
  EXPECT_TRUE(t[0].object().callable.is(t[1]));
  // The result of REDUCE is memoized and shared like any node.
  t = load(R"(cmod\nfn\n)Rq\x01h\x01\x86.)"_pk);
  EXPECT_TRUE(t[0].is(t[1]));
  EXPECT_TRUE(t[0].is_object());
}

TEST_F(UnpicklerOps, BuildAppendsStates) {
  Value v = load(R"(cmod\nC\n)R}(\x8c\x01xK\x01ubN\x85b.)"_pk);
  ASSERT_TRUE(v.is_object());
  const pickle::ObjectNode& o = v.object();
  ASSERT_EQ(o.states.size(), 2u);
  ASSERT_TRUE(o.states[0].is_dict());
  EXPECT_TRUE(IsInt(o.states[0]["x"], 1));
  EXPECT_TRUE(o.states[1].is_tuple());
  // A (dict, slots) state pair is kept as given.
  v = load(R"(cmod\nC\n)RN}(\x8c\x01sK\x02u\x86b.)"_pk);
  ASSERT_EQ(v.object().states.size(), 1u);
  EXPECT_TRUE(v.object().states[0].is_tuple());
}

TEST_F(UnpicklerOps, ObjectListAndDictItems) {
  Value v = load(R"(cmod\nL\n)RK\x01a(K\x02K\x03e.)"_pk);
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.object().list_items.size(), 3u);
  EXPECT_TRUE(IsInt(v.object().list_items[2], 3));
  v = load(R"(cmod\nD\n)RK\x01K\x02s(K\x03K\x04u.)"_pk);
  ASSERT_EQ(v.object().dict_items.size(), 2u);
  EXPECT_TRUE(IsInt(v.object().dict_items[0].first, 1));
  EXPECT_TRUE(IsInt(v.object().dict_items[1].second, 4));
  // State, list items and dict items together (a 5-item __reduce__).
  v = load(R"(\x80\x02cmod\nR\nK\x01\x85R}X\x01\x00\x00\x00sK\x02sb(K\x07K\x08e)"_pk
           R"(X\x01\x00\x00\x00kK\x09s.)"_pk);
  const pickle::ObjectNode& o = v.object();
  EXPECT_EQ(o.states.size(), 1u);
  EXPECT_EQ(o.list_items.size(), 2u);
  EXPECT_EQ(o.dict_items.size(), 1u);
  EXPECT_TRUE(IsStr(o.dict_items[0].first, "k"));
}

TEST_F(UnpicklerOps, InstAndObj) {
  Value v = load(R"((K\x01\x8c\x01aimod\nCls\n.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "Cls", BuildKind::inst));
  ASSERT_EQ(v.object().args.size(), 2u);
  EXPECT_TRUE(IsInt(v.object().args[0], 1));
  v = load(R"((imod\nCls\n(dS'a'\nI1\nsb.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "Cls", BuildKind::inst));
  EXPECT_EQ(v.object().args.size(), 0u);
  ASSERT_EQ(v.object().states.size(), 1u);
  EXPECT_TRUE(IsInt(v.object().states[0]["a"], 1));
  v = load(R"((cmod\nCls\nK\x07o.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "Cls", BuildKind::obj));
  ASSERT_EQ(v.object().args.size(), 1u);
  EXPECT_TRUE(IsInt(v.object().args[0], 7));
  v = load(R"((cmod\nCls\no.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "Cls", BuildKind::obj));
  EXPECT_EQ(v.object().args.size(), 0u);
}

TEST_F(UnpicklerOps, NewobjAndNewobjEx) {
  Value v = load(R"(\x80\x02cmod\nCls\nK\x01K\x02\x86\x81.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "Cls", BuildKind::newobj));
  ASSERT_EQ(v.object().args.size(), 2u);
  EXPECT_TRUE(IsInt(v.object().args[1], 2));
  EXPECT_TRUE(v.object().kwargs.is_none());
  v = load(R"(\x80\x04\x8c\x03mod\x8c\x03Cls\x93K\x01\x85}\x8c\x02kwK\x02s\x92.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "mod", "Cls", BuildKind::newobj_ex));
  ASSERT_EQ(v.object().args.size(), 1u);
  ASSERT_TRUE(v.object().kwargs.is_dict());
  EXPECT_TRUE(IsInt(v.object().kwargs["kw"], 2));
  // NEWOBJ then BUILD, as protocol 2 writes a plain instance.
  v = load(R"(\x80\x02c__main__\nC\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00xq\x03K\x01sb.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "__main__", "C", BuildKind::newobj));
  ASSERT_EQ(v.object().states.size(), 1u);
  EXPECT_TRUE(IsInt(v.object().states[0]["x"], 1));
}

TEST_F(UnpicklerOps, StackGlobal) {
  EXPECT_TRUE(IsGlobal(load(R"(\x80\x04\x8c\x03mod\x8c\x01f\x93.)"_pk), "mod", "f"));
  EXPECT_TRUE(
      IsGlobal(load(R"(\x80\x04X\x03\x00\x00\x00modX\x01\x00\x00\x00f\x93.)"_pk), "mod", "f"));
}

// ---------------------------------------------------------------------------
// Well-known reconstructions load as native kinds

TEST_F(UnpicklerOps, NativeSetAndFrozenset) {
  Value s = load(R"(c__builtin__\nset\np0\n((lp1\nI1\naI2\naI1\natp2\nRp3\n.)"_pk);
  ASSERT_EQ(s.kind(), Kind::Set);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_TRUE(IsInt(s.items()[0], 1));
  EXPECT_TRUE(IsInt(s.items()[1], 2));
  s = load(R"(\x80\x03cbuiltins\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.)"_pk);
  EXPECT_EQ(s.kind(), Kind::Set);
  EXPECT_EQ(s.size(), 2u);
  Value f = load(R"(\x80\x02c__builtin__\nfrozenset\nq\x00]q\x01K\x03a\x85q\x02Rq\x03.)"_pk);
  ASSERT_EQ(f.kind(), Kind::FrozenSet);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(IsInt(f.items()[0], 3));
  // set() with no arguments; and from a tuple.
  EXPECT_EQ(load(R"(cbuiltins\nset\n)R.)"_pk).kind(), Kind::Set);
  EXPECT_EQ(load(R"(cbuiltins\nset\n)R.)"_pk).size(), 0u);
  EXPECT_EQ(load(R"(cbuiltins\nfrozenset\nK\x01K\x02\x86\x85R.)"_pk).size(), 2u);
}

TEST_F(UnpicklerOps, NativeBytesAndBytearray) {
  // Bytes written by Python 3 at protocol < 3: _codecs.encode(str, 'latin1').
  Value b = load(R"(\x80\x02c_codecs\nencode\nq\x00X\x02\x00\x00\x00\xc3\xa9q\x01)"_pk
                 R"(X\x06\x00\x00\x00latin1q\x02\x86q\x03Rq\x04.)"_pk);
  EXPECT_TRUE(IsBytes(b, "\xe9"));
  b = load(R"(c_codecs\nencode\np0\n(Vxy\\u0000\np1\nVlatin1\np2\ntp3\nRp4\n.)"_pk);
  EXPECT_TRUE(IsBytes(b, std::string("xy\0", 3)));
  EXPECT_FALSE(has_flag(b, pickle::kPy2Str));
  // b'' at protocol 2: builtins.bytes().
  EXPECT_TRUE(IsBytes(load(R"(\x80\x02c__builtin__\nbytes\nq\x00)Rq\x01.)"_pk), ""));
  // bytearray at protocols 0-2 wraps _codecs.encode; at 3-4 it takes bytes.
  b = load(R"(\x80\x02c__builtin__\nbytearray\nq\x00c_codecs\nencode\nq\x01X\x02\x00\x00\x00xy)"_pk
           R"(q\x02X\x06\x00\x00\x00latin1q\x03\x86q\x04Rq\x05\x85q\x06Rq\x07.)"_pk);
  EXPECT_TRUE(IsBytes(b, "xy", Kind::ByteArray));
  b = load(R"(\x80\x03cbuiltins\nbytearray\nq\x00C\x02xyq\x01\x85q\x02Rq\x03.)"_pk);
  EXPECT_TRUE(IsBytes(b, "xy", Kind::ByteArray));
  b = load(R"(\x80\x03cbuiltins\nbytearray\nq\x00)Rq\x01.)"_pk);
  EXPECT_TRUE(IsBytes(b, "", Kind::ByteArray));
  // Python 2's bytearray: bytearray(unicode, 'latin-1').
  b = load(R"(\x80\x02c__builtin__\nbytearray\nq\x00X\x03\x00\x00\x00\xc3\xbfaq\x01U\x07latin-1)"_pk
           R"(q\x02\x86q\x03Rq\x04.)"_pk);
  EXPECT_TRUE(IsBytes(b,
                      "\xff"
                      "a",
                      Kind::ByteArray));
}

TEST_F(UnpicklerOps, NativeComplex) {
  Value c = load(R"(c__builtin__\ncomplex\np0\n(F1.0\nF2.0\ntp1\nRp2\n.)"_pk);
  ASSERT_EQ(c.kind(), Kind::Complex);
  EXPECT_EQ(c.complex().real, 1.0);
  EXPECT_EQ(c.complex().imag, 2.0);
  c = load(R"(\x80\x03cbuiltins\ncomplex\nq\x00G?\xf0\x00\x00\x00\x00\x00\x00)"_pk
           R"(G\xc0\x00\x00\x00\x00\x00\x00\x00\x86q\x01Rq\x02.)"_pk);
  ASSERT_EQ(c.kind(), Kind::Complex);
  EXPECT_EQ(c.complex().imag, -2.0);
}

TEST_F(UnpicklerOps, NativeOrderedDict) {
  Value d = load(R"(\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(K\x01K\x02K\x03K\x04u.)"_pk);
  ASSERT_TRUE(d.is_dict());
  EXPECT_TRUE(has_flag(d, pickle::kOrderedDict));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(IsInt(d.dict().entries[1].first, 3));
  d = load(R"(ccollections\nOrderedDict\np0\n(tRp1\nI1\nI2\nsI3\nI4\ns.)"_pk);
  ASSERT_TRUE(d.is_dict());
  EXPECT_TRUE(has_flag(d, pickle::kOrderedDict));
  EXPECT_EQ(d.size(), 2u);
  EXPECT_FALSE(has_flag(load(R"(}.)"_pk), pickle::kOrderedDict));
}

TEST_F(UnpicklerOps, CopyregReconstructorOfObjectIsNewobj) {
  // What Python 3 writes for a plain instance at protocol 0 and 1.
  Value v =
      load(R"(ccopy_reg\n_reconstructor\np0\n(c__main__\nC\np1\nc__builtin__\nobject\np2\n)"_pk
           R"(Ntp3\nRp4\n(dp5\nVx\np6\nI1\nsb.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "__main__", "C", BuildKind::newobj));
  ASSERT_TRUE(v.object().args.is_tuple());
  EXPECT_EQ(v.object().args.size(), 0u);
  ASSERT_EQ(v.object().states.size(), 1u);
  EXPECT_TRUE(IsInt(v.object().states[0]["x"], 1));
  v = load(R"(ccopy_reg\n_reconstructor\nq\x00(c__main__\nC\nq\x01c__builtin__\nobject\nq\x02)"_pk
           R"(Ntq\x03Rq\x04}q\x05X\x01\x00\x00\x00xq\x06K\x01sb.)"_pk);
  ASSERT_TRUE(IsObjectOf(v, "__main__", "C", BuildKind::newobj));
  EXPECT_EQ(v.object().args.size(), 0u);
}

TEST_F(UnpicklerOps, UnknownGlobalsCalledStayObjects) {
  // builtins that are not mapped natively stay generic.
  Value v = load(R"(cbuiltins\nrange\nK\x01K\x05\x86R.)"_pk);
  EXPECT_TRUE(IsObjectOf(v, "builtins", "range", BuildKind::reduce));
  v = load(R"(\x80\x02cdatetime\ndate\nC\x04\x07\xe8\x01\x02\x85R.)"_pk);
  EXPECT_TRUE(IsObjectOf(v, "datetime", "date", BuildKind::reduce));
  ASSERT_EQ(v.object().args.size(), 1u);
  EXPECT_TRUE(IsBytes(v.object().args[0], "\x07\xe8\x01\x02"));
}

// ---------------------------------------------------------------------------
// Persistent ids

TEST_F(UnpicklerOps, PersistentIdsWithoutALoader) {
  Value v = load(R"(Pabc\n.)"_pk);
  ASSERT_EQ(v.kind(), Kind::PersistentRef);
  EXPECT_TRUE(IsStr(v.persistent_ref().pid, "abc"));
  EXPECT_TRUE(has_flag(v, pickle::kTextPid));
  v = load(R"(\x80\x02K\x01K\x02\x86Q.)"_pk);
  ASSERT_EQ(v.kind(), Kind::PersistentRef);
  EXPECT_FALSE(has_flag(v, pickle::kTextPid));
  ASSERT_TRUE(v.persistent_ref().pid.is_tuple());
  EXPECT_TRUE(IsInt(v.persistent_ref().pid[1], 2));
  v = load(R"(P\n.)"_pk);  // an empty id
  ASSERT_EQ(v.kind(), Kind::PersistentRef);
  EXPECT_TRUE(IsStr(v.persistent_ref().pid, ""));
}

TEST_F(UnpicklerOps, PersistentLoadCallback) {
  std::vector<std::string> seen;
  LoadOptions o;
  o.persistent_load = [&](Graph& gr, Value pid) {
    seen.emplace_back(pid.is_str() ? std::string(pid.as_str())
                                   : "<" + std::string(pickle::kind_name(pid.kind())) + ">");
    return gr.list({pid});
  };
  Value v = load(R"(]Pabc\naX\x03\x00\x00\x00xyzQaK\x01\x85Qa.)"_pk, o);
  ASSERT_TRUE(v.is_list());
  ASSERT_EQ(v.size(), 3u);
  ASSERT_TRUE(v[0].is_list());
  EXPECT_TRUE(IsStr(v[0][0], "abc"));
  EXPECT_TRUE(IsStr(v[1][0], "xyz"));
  EXPECT_TRUE(v[2][0].is_tuple());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "abc");
  EXPECT_EQ(seen[1], "xyz");
  EXPECT_EQ(seen[2], "<tuple>");
}

// ---------------------------------------------------------------------------
// Out-of-band buffers

TEST_F(UnpicklerOps, OutOfBandBuffers) {
  static const std::byte a[3] = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
  static const std::byte b[2] = {std::byte{'d'}, std::byte{'e'}};
  LoadOptions o;
  o.buffers = std::vector<pickle::OutOfBandBuffer>{{std::span<const std::byte>(a), false},
                                                   {std::span<const std::byte>(b), true}};
  Value v = load(R"(\x80\x05\x95\x05\x00\x00\x00\x00\x00\x00\x00\x97\x98\x97\x86.)"_pk, o);
  ASSERT_TRUE(v.is_tuple());
  ASSERT_EQ(v[0].kind(), Kind::Buffer);
  ASSERT_EQ(v[1].kind(), Kind::Buffer);
  const pickle::BufferNode& b0 = v[0].buffer();
  const pickle::BufferNode& b1 = v[1].buffer();
  EXPECT_EQ(b0.data.data(), a);  // the caller's bytes, not a copy
  EXPECT_EQ(b0.data.size(), 3u);
  EXPECT_EQ(b0.index, 0u);
  EXPECT_TRUE(b0.readonly());  // made read-only by READONLY_BUFFER
  EXPECT_EQ(b1.data.data(), b);
  EXPECT_EQ(b1.index, 1u);
  EXPECT_TRUE(b1.readonly());  // given read-only
  // Without READONLY_BUFFER a writable buffer stays writable.
  v = load(R"(\x80\x05\x97.)"_pk, o);
  EXPECT_FALSE(v.buffer().readonly());
  // Not enough buffers, or none at all.
  auto e = error_of(R"(\x80\x05\x97\x97\x97\x87.)"_pk, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::unsupported);
  EXPECT_EQ(e->offset(), 4u);
  EXPECT_EQ(e->opcode(), std::optional<uint8_t>(0x97));
  e = error_of(R"(\x80\x05\x97.)"_pk);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::unsupported);
  EXPECT_EQ(e->offset(), 2u);
}

TEST_F(UnpicklerOps, ReadonlyBufferOnBytesKeepsThem) {
  // CPython: memoryview(b'abc') is already read-only, so the bytes stay as they are.
  EXPECT_TRUE(IsBytes(load(R"(\x80\x05C\x03abc\x98.)"_pk), "abc"));
}

// ---------------------------------------------------------------------------
// Protocol header

TEST_F(UnpicklerOps, ProtoOpcode) {
  for (int p = 0; p <= 5; ++p) {
    std::string bytes = "\x80"_pk + static_cast<char>(p) + "N.";
    EXPECT_TRUE(load(bytes).is_none()) << p;
  }
  // A second PROTO is accepted.
  EXPECT_TRUE(load(R"(\x80\x02\x80\x03N.)"_pk).is_none());
  auto e = error_of(R"(\x80\x06N.)"_pk);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::unsupported);
  EXPECT_EQ(e->offset(), 0u);
  EXPECT_EQ(e->opcode(), std::optional<uint8_t>(0x80));
}

// ---------------------------------------------------------------------------
// Streams, several pickles, noload

TEST_F(UnpicklerOps, SeveralLoadsShareTheMemo) {
  const std::string data = R"(\x80\x02]q\x00K\x01a.\x80\x02h\x00.N.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  EXPECT_FALSE(u.at_end());
  Value first = u.load(g);
  ASSERT_TRUE(first.is_list());
  Value second = u.load(g);
  EXPECT_TRUE(second.is(first));
  EXPECT_TRUE(u.load(g).is_none());
  EXPECT_TRUE(u.at_end());
  // Past the end: the input ends where an opcode should start.
  try {
    u.load(g);
    ADD_FAILURE() << "load past the end did not throw";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(e.offset(), data.size());
    EXPECT_FALSE(e.opcode().has_value());
  }
}

TEST_F(UnpicklerOps, ClearMemoForgets) {
  const std::string data = R"(]q\x00.h\x00.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  EXPECT_TRUE(u.load(g).is_list());
  u.clear_memo();
  try {
    u.load(g);
    ADD_FAILURE() << "GET after clear_memo did not throw";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(e.code(), ErrorCode::memo_missing);
    EXPECT_EQ(e.offset(), 4u);  // absolute offset in the stream
  }
}

// The memo belongs to the graph it was loaded into: the same graph keeps it; another
// graph, or the same one after clear(), starts empty (no dangling nodes).
TEST_F(UnpicklerOps, MemoIsTiedToItsGraph) {
  const std::string data = R"(]q\x00.h\x00.h\x00.h\x00.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  Value first = u.load(g);
  EXPECT_TRUE(u.load(g).is(first));  // same graph: the memo is kept
  Graph other;
  try {
    u.load(other);
    ADD_FAILURE() << "GET into another graph did not throw";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(e.code(), ErrorCode::memo_missing);
    EXPECT_EQ(e.offset(), 7u);
  }
  g.clear();
  pickle::MemorySource again(data);
  pickle::Unpickler v(again);
  v.load(g);
  g.clear();
  EXPECT_THROW(v.load(g), UnpicklingError);
}

TEST_F(UnpicklerOps, ProtocolIsPerPickle) {
  // The second pickle has no PROTO: it is protocol 0 again, so fix_imports applies.
  const std::string data = R"(\x80\x03c__builtin__\nset\n.c__builtin__\nset\n.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  EXPECT_TRUE(IsGlobal(u.load(g), "__builtin__", "set"));
  EXPECT_TRUE(IsGlobal(u.load(g), "builtins", "set"));
}

TEST_F(UnpicklerOps, TrailingBytesAfterStopAreIgnored) {
  EXPECT_TRUE(load(R"(N.garbage)"_pk).is_none());
  EXPECT_TRUE(IsInt(load(R"(K\x01.\xff\xff\xff)"_pk), 1));
  EXPECT_TRUE(IsInt(load(R"(K\x01..)"_pk), 1));
  pickle::Document doc = pickle::loads(std::string_view("K\x02.\x00\x00", 5));
  EXPECT_TRUE(IsInt(doc.root(), 2));
}

TEST_F(UnpicklerOps, LoadFromAStream) {
  // A payload far larger than any read chunk, read through an istream.
  std::string blob(1 << 20, 'q');
  std::string p = "\x80\x04\x8e"_pk;
  for (int i = 0; i < 8; ++i) p += static_cast<char>((blob.size() >> (8 * i)) & 0xff);
  p += blob + R"(\x94(h\x00h\x00l.)"_pk;
  std::istringstream in(p);
  Value v = pickle::load(in, g);
  ASSERT_TRUE(v.is_list());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_TRUE(IsBytes(v[0], blob));
  EXPECT_TRUE(v[0].is(v[1]));
  // Several pickles through one StreamSource.
  std::istringstream in2(R"(K\x01.K\x02.)"_pk);
  pickle::StreamSource src(in2);
  pickle::Unpickler u(src);
  EXPECT_TRUE(IsInt(u.load(g), 1));
  EXPECT_TRUE(IsInt(u.load(g), 2));
  EXPECT_TRUE(u.at_end());
}

TEST_F(UnpicklerOps, NoloadReportsPersistentIds) {
  const std::string data = R"(\x80\x02]q\x00(Pabc\nX\x03\x00\x00\x00xyzQcmod\nC\n)Re.K\x01.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  pickle::NoloadResult r = u.noload();
  ASSERT_EQ(r.persistent_ids.size(), 2u);
  EXPECT_EQ(r.persistent_ids[0].offset, data.find('P'));
  EXPECT_FALSE(r.persistent_ids[0].binary);
  EXPECT_EQ(r.persistent_ids[0].text, "abc");
  EXPECT_EQ(r.persistent_ids[1].offset, data.find('Q'));
  EXPECT_TRUE(r.persistent_ids[1].binary);
  EXPECT_EQ(r.end_offset, data.find('.') + 1);
  // The next pickle still loads.
  EXPECT_TRUE(IsInt(u.load(g), 1));
  EXPECT_TRUE(u.at_end());
}

TEST_F(UnpicklerOps, NoloadWalksEveryOpcodeFamily) {
  // noload builds only what persistent ids are made of (noload_test.cpp), yet must
  // accept what load accepts: globals named on the stack, calls, memo traffic, frames.
  const std::string data =
      R"(\x80\x04\x95\x1b\x00\x00\x00\x00\x00\x00\x00\x8c\x03mod\x94\x8c\x01f\x94\x93\x94)"_pk
      R"()R\x94}b(h\x00h\x01\x93)\x81t.K\x07.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  pickle::NoloadResult r = u.noload();
  EXPECT_TRUE(r.persistent_ids.empty());
  EXPECT_EQ(r.end_offset, data.size() - 3);
  EXPECT_TRUE(IsInt(u.load(g), 7));
}

TEST_F(UnpicklerOps, NoloadStillRejectsBadInput) {
  const std::string data = R"(]Pabc\n)"_pk;  // truncated
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  EXPECT_THROW(u.noload(), UnpicklingError);
}

// ---------------------------------------------------------------------------
// Limits, at the boundary

TEST_F(UnpicklerOps, LimitMemoEntries) {
  LoadOptions o;
  o.limits.max_memo_entries = 2;
  EXPECT_TRUE(load(R"(Np0\np1\n.)"_pk, o).is_none());
  EXPECT_TRUE(load(R"(Np0\np1\np0\n.)"_pk, o).is_none());  // overwriting is not a new entry
  auto e = error_of(R"(Np0\np1\np2\n.)"_pk, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(e->offset(), 7u);
  EXPECT_EQ(e->opcode(), std::optional<uint8_t>('p'));
}

TEST_F(UnpicklerOps, LimitIntDigits) {
  // The limit counts digits, as CPython's int_max_str_digits does: not the sign, the
  // surrounding whitespace or the underscores.
  LoadOptions o;
  o.limits.max_int_digits = 10;
  for (std::string ok : {R"(I1234567890\n.)"_pk, R"(I-1234567890\n.)"_pk, R"(I 1234567890 \n.)"_pk,
                         R"(I1_234_567_890\n.)"_pk, R"(L-1234567890L\n.)"_pk}) {
    SCOPED_TRACE(ok);
    try {
      Value v = load(ok, o);
      EXPECT_EQ(v.as_int() < 0 ? -v.as_int() : v.as_int(), 1234567890);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "within the limit but refused: " << e.what();
    }
  }
  for (std::string bad :
       {R"(I12345678901\n.)"_pk, R"(L12345678901L\n.)"_pk, R"(I-1_234_567_890_1\n.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad, o);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
    EXPECT_EQ(e->offset(), 0u);
  }
}

TEST_F(UnpicklerOps, LimitLongBytes) {
  LoadOptions o;
  o.limits.max_long_bytes = 2;
  EXPECT_TRUE(IsInt(load(R"(\x8a\x02\x00\x01.)"_pk, o), 256));
  auto e = error_of(R"(\x8a\x03\x00\x00\x01.)"_pk, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
  e = error_of(R"(\x8b\x03\x00\x00\x00\x00\x00\x01.)"_pk, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
}

TEST_F(UnpicklerOps, LimitStringBytes) {
  LoadOptions o;
  o.limits.max_string = 4;
  EXPECT_TRUE(IsBytes(load(R"(C\x04abcd.)"_pk, o), "abcd"));
  EXPECT_TRUE(IsStr(load(R"(X\x04\x00\x00\x00abcd.)"_pk, o), "abcd"));
  for (std::string bad : {R"(C\x05abcde.)"_pk, R"(X\x05\x00\x00\x00abcde.)"_pk,
                          R"(\x8e\x05\x00\x00\x00\x00\x00\x00\x00abcde.)"_pk}) {
    SCOPED_TRACE(bad);
    auto e = error_of(bad, o);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
    EXPECT_EQ(e->offset(), 0u);
  }
}

TEST_F(UnpicklerOps, LimitMarks) {
  LoadOptions o;
  o.limits.max_marks = 2;
  EXPECT_EQ(load(R"(((tt.)"_pk, o).size(), 1u);
  auto e = error_of(R"((((ttt.)"_pk, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(e->offset(), 2u);
}

TEST_F(UnpicklerOps, LimitStack) {
  LoadOptions o;
  o.limits.max_stack = 3;
  EXPECT_TRUE(load(R"(NNN.)"_pk, o).is_none());
  auto e = error_of(R"(NNNN.)"_pk, o);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(e->offset(), 3u);
}

// ---------------------------------------------------------------------------
// Deep nesting: no recursion on data depth

TEST_F(UnpicklerOps, DeepNestingLoads) {
  const size_t depth = 200000;
  std::string p;
  for (size_t i = 0; i < depth; ++i) p += "]";
  for (size_t i = 0; i < depth - 1; ++i) p += "a";
  p += ".";
  Value v = load(p);
  size_t n = 1;
  while (v.is_list() && v.size() == 1) {
    v = v[0];
    ++n;
  }
  EXPECT_EQ(n, depth);
}

}  // namespace
