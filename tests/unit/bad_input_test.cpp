// Bad input: every malformed, truncated or hostile pickle must raise
// pickle::UnpicklingError that names the absolute offset of the failing opcode, the
// opcode, and a message; never a crash, a hang or a huge allocation. The cases follow
// the kinds of bad pickles CPython's test suite checks (bad stack, bad mark, truncated
// data, bad escapes and quotes, memo misses, bad extension codes) with our own bytes,
// plus what our design adds (frames, limits, huge declared lengths).
//
// Pickles are written as the body of a Python bytes literal ("..."_pk): \xHH, \n, \r,
// \t, \\, \' and \" are escapes, everything else stands for itself.

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/registry.hpp"
#include "pickle/value.hpp"

#include "pickle_literal.hpp"

namespace {

using pickle::ErrorCode;
using pickle::Graph;
using pickle::LoadOptions;
using pickle::UnpicklingError;
using pickle::Value;

using pickle_test::operator""_pk;

std::string printable(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c >= 32 && c < 127) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string opcode_label(uint8_t op) {
  const pickle::OpInfo& info = pickle::op_info(op);
  if (info.valid()) return std::string(info.name);
  static const char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[op >> 4] + kHex[op & 15];
}

// The prefix what() must start with.
std::string location(uint64_t offset, std::optional<uint8_t> op) {
  std::string s = "UnpicklingError at byte " + std::to_string(offset);
  if (op) s += " (" + opcode_label(*op) + ")";
  return s + ": ";
}

std::string codes_text(std::initializer_list<ErrorCode> codes) {
  std::string s;
  for (ErrorCode c : codes) {
    if (!s.empty()) s += " or ";
    s += pickle::error_code_name(c);
  }
  return s;
}

// Checks the parts and the message of an error.
::testing::AssertionResult ErrorIs(const UnpicklingError& e, uint64_t offset,
                                   std::optional<uint8_t> op,
                                   std::initializer_list<ErrorCode> codes) {
  bool code_ok = false;
  for (ErrorCode c : codes) code_ok = code_ok || e.code() == c;
  if (!code_ok)
    return ::testing::AssertionFailure() << "code " << pickle::error_code_name(e.code())
                                         << ", expected " << codes_text(codes) << "; " << e.what();
  if (e.offset() != offset)
    return ::testing::AssertionFailure()
           << "offset " << e.offset() << ", expected " << offset << "; " << e.what();
  if (e.opcode() != op)
    return ::testing::AssertionFailure()
           << "opcode " << (e.opcode() ? opcode_label(*e.opcode()) : "(none)") << ", expected "
           << (op ? opcode_label(*op) : "(none)") << "; " << e.what();
  std::string want = location(offset, op);
  std::string_view what = e.what();
  if (what.substr(0, want.size()) != want)
    return ::testing::AssertionFailure()
           << "what() is \"" << what << "\", expected it to start \"" << want << "\"";
  if (e.detail().empty()) return ::testing::AssertionFailure() << "empty detail";
  if (what.substr(want.size()) != e.detail())
    return ::testing::AssertionFailure() << "what() does not end with detail()";
  return ::testing::AssertionSuccess();
}

// Loads bytes into a fresh graph; the error it raised, or a failure.
::testing::AssertionResult LoadFails(const std::string& bytes, uint64_t offset,
                                     std::optional<uint8_t> op,
                                     std::initializer_list<ErrorCode> codes,
                                     const LoadOptions& options = {}) {
  Graph g;
  try {
    Value v = pickle::loads(std::string_view(bytes), g, options);
    return ::testing::AssertionFailure()
           << "\"" << printable(bytes) << "\" loaded a " << pickle::kind_name(v.kind());
  } catch (const UnpicklingError& e) {
    auto r = ErrorIs(e, offset, op, codes);
    if (!r) r << " (input \"" << printable(bytes) << "\")";
    return r;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure()
           << "\"" << printable(bytes) << "\" threw something else: " << e.what();
  }
}

constexpr std::optional<uint8_t> kNoOp = std::nullopt;
std::optional<uint8_t> op(int byte) {
  return static_cast<uint8_t>(byte);
}

// One bad pickle: the offset and opcode of the failure, and the acceptable codes.
struct Bad {
  std::string bytes;
  uint64_t offset;
  int opcode;  // -1: none
  std::initializer_list<ErrorCode> codes;
};

void check_all(const std::vector<Bad>& cases, const LoadOptions& options = {}) {
  for (const Bad& c : cases) {
    std::optional<uint8_t> o = c.opcode < 0 ? kNoOp : op(c.opcode);
    EXPECT_TRUE(LoadFails(c.bytes, c.offset, o, c.codes, options));
  }
}

constexpr auto kTruncated = ErrorCode::truncated;
constexpr auto kUnderflow = ErrorCode::stack_underflow;
constexpr auto kNoMark = ErrorCode::missing_mark;
constexpr auto kBadArg = ErrorCode::bad_argument;
constexpr auto kBadEnc = ErrorCode::bad_encoding;
constexpr auto kBadType = ErrorCode::bad_type;
constexpr auto kMemo = ErrorCode::memo_missing;
constexpr auto kFrame = ErrorCode::bad_frame;
constexpr auto kUnsupported = ErrorCode::unsupported;
constexpr auto kLimit = ErrorCode::limit_exceeded;
constexpr auto kUnhashable = ErrorCode::unhashable;

// ---------------------------------------------------------------------------
// Opcode boundaries of a well-formed pickle, from the opcode table.

std::vector<size_t> opcode_starts(std::string_view p) {
  std::vector<size_t> starts;
  size_t i = 0;
  auto le = [&](size_t n) {
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t(uint8_t(p.at(i + k))) << (8 * k);
    i += n;
    return v;
  };
  auto line = [&] { i = p.find('\n', i) + 1; };
  while (i < p.size()) {
    starts.push_back(i);
    uint8_t code = static_cast<uint8_t>(p[i++]);
    if (!pickle::op_info(code).valid()) throw std::logic_error("not a valid test pickle");
    using pickle::ArgKind;
    switch (pickle::op_info(code).arg) {
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
    if (code == '.') break;
  }
  starts.push_back(i);  // just after STOP
  return starts;
}

// ---------------------------------------------------------------------------
// Valid pickles to truncate: CPython 3.13 (protocols 0-5) and 2.7 (protocols 0-2)
// wrote them once from an object zoo of our own (ints at the boundaries, floats,
// str/bytes/bytearray, every tuple size, containers, sets, complex, OrderedDict,
// shared and recursive lists, instances with state, list and dict items, keyword
// arguments, a function by reference; 2.7 adds old-style instances).

struct ValidPickle {
  const char* name;
  bool out_of_band;  // needs two buffers
  std::string bytes;
};

const std::vector<ValidPickle>& valid_pickles() {
  static const std::vector<ValidPickle> v = {
      {"CPython 3.13, protocol 0", false,
       R"p((lp0\nNaI01\naI00\naI0\naI1\naI-1\naI255\naI256\naI65535\naI65536\naI-2147483648\naL2147)p"
       R"p(483648L\naL9223372036854775808L\naL-1267650600228229401496703205376L\naF1.5\naF-0.0\naVa)p"
       R"p(bc\np1\naV\xe9\\u20ac\\U0001f600\\u000a\\u005c\np2\naVxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xx\np3\nac_codecs\nencode\np4\n(Vxy\\u0000\np5\nVlatin1\np6\ntp7\nRp8\nag4\n(Vyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\np9\ng6\ntp10)p"
       R"p(\nRp11\nac__builtin__\nbytearray\np12\n(g4\n(Vz\np13\ng6\ntp14\nRp15\ntp16\nRp17\na(ta(I)p"
       R"p(1\ntp18\na(I1\nI2\ntp19\na(I1\nI2\nI3\ntp20\na(I1\nI2\nI3\nI4\ntp21\na(lp22\na(lp23\nI1)p"
       R"p(\naa(dp24\na(dp25\nI1\nI2\nsVa\np26\n(lp27\nI3\nasac__builtin__\nset\np28\n((lp29\nI4\na)p"
       R"p(I5\natp30\nRp31\nac__builtin__\nfrozenset\np32\n((lp33\nI6\natp34\nRp35\nac__builtin__\n)p"
       R"p(complex\np36\n(F1.0\nF2.0\ntp37\nRp38\naccollections\nOrderedDict\np39\n(tRp40\nI1\nI2\n)p"
       R"p(sa(lp41\nI1\naI2\naag41\na(lp42\ng42\naaccopy_reg\n_reconstructor\np43\n(c__main__\nC\np)p"
       R"p(44\nc__builtin__\nobject\np45\nNtp46\nRp47\n(dp48\nVx\np49\nI1\nsbac__main__\nR\np50\ng1)p"
       R"p(8\nRp51\nI7\naI8\naVk\np52\nI9\ns(dp53\nVs\np54\nI2\nsbag43\n(c__main__\nNX\np55\ng45\nN)p"
       R"p(tp56\nRp57\nac__builtin__\nlen\np58\na.)p"_pk},
      {"CPython 3.13, protocol 1", false,
       R"p(]q\x00(NI01\nI00\nK\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J)p"
       R"p(\x00\x00\x00\x80L2147483648L\nL9223372036854775808L\nL-1267650600228229401496703205376L)p"
       R"p(\nG?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00X\x03\x00\x00\x00abcq)p"
       R"p(\x01X\x0b\x00\x00\x00\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\\q\x02X,\x01\x00\x00xxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxq\x03c_codecs\nencode\nq\x04(X\x03\x00\x00\x00xy\x00q\x05X)p"
       R"p(\x06\x00\x00\x00latin1q\x06tq\x07Rq\x08h\x04(X\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyq\x09h\x06tq\nRq\x0bc__builtin)p"
       R"p(__\nbytearray\nq\x0c(h\x04(X\x01\x00\x00\x00zq\x0dh\x06tq\x0eRq\x0ftq\x10Rq\x11)(K\x01tq)p"
       R"p(\x12(K\x01K\x02tq\x13(K\x01K\x02K\x03tq\x14(K\x01K\x02K\x03K\x04tq\x15]q\x16]q\x17K\x01a)p"
       R"p(}q\x18}q\x19(K\x01K\x02X\x01\x00\x00\x00aq\x1a]q\x1bK\x03auc__builtin__\nset\nq\x1c(]q)p"
       R"p(\x1d(K\x04K\x05etq\x1eRq\x1fc__builtin__\nfrozenset\nq (]q!K\x06atq\x22Rq#c__builtin__\n)p"
       R"p(complex\nq$(G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00tq%Rq&ccollectio)p"
       R"p(ns\nOrderedDict\nq\x27)Rq(K\x01K\x02s]q)(K\x01K\x02eh)]q*h*accopy_reg\n_reconstructor\nq)p"
       R"p(+(c__main__\nC\nq,c__builtin__\nobject\nq-Ntq.Rq/}q0X\x01\x00\x00\x00xq1K\x01sbc__main__)p"
       R"p(\nR\nq2h\x12Rq3(K\x07K\x08eX\x01\x00\x00\x00kq4K\x09s}q5X\x01\x00\x00\x00sq6K\x02sbh+(c_)p"
       R"p(_main__\nNX\nq7h-Ntq8Rq9c__builtin__\nlen\nq:e.)p"_pk},
      {"CPython 3.13, protocol 2", false,
       R"p(\x80\x02]q\x00(N\x88\x89K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\x00\x00\x01)p"
       R"p(\x00J\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00)p"
       R"p(\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0G?\xf8\x00\x00\x00)p"
       R"p(\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00X\x03\x00\x00\x00abcq\x01X\x0b\x00\x00\x00)p"
       R"p(\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\\q\x02X,\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxq\x03c_codecs\nencode\nq\x04X\x03\x00\x00\x00xy\x00q\x05X\x06\x00\x00\x00latin1q)p"
       R"p(\x06\x86q\x07Rq\x08h\x04X\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyq\x09h\x06\x86q\nRq\x0bc__builtin__\nbytearray\nq)p"
       R"p(\x0ch\x04X\x01\x00\x00\x00zq\x0dh\x06\x86q\x0eRq\x0f\x85q\x10Rq\x11)K\x01\x85q\x12K\x01K)p"
       R"p(\x02\x86q\x13K\x01K\x02K\x03\x87q\x14(K\x01K\x02K\x03K\x04tq\x15]q\x16]q\x17K\x01a}q\x18)p"
       R"p(}q\x19(K\x01K\x02X\x01\x00\x00\x00aq\x1a]q\x1bK\x03auc__builtin__\nset\nq\x1c]q\x1d(K)p"
       R"p(\x04K\x05e\x85q\x1eRq\x1fc__builtin__\nfrozenset\nq ]q!K\x06a\x85q\x22Rq#c__builtin__\nc)p"
       R"p(omplex\nq$G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q%Rq&ccollecti)p"
       R"p(ons\nOrderedDict\nq\x27)Rq(K\x01K\x02s]q)(K\x01K\x02eh)]q*h*ac__main__\nC\nq+)\x81q,}q-X)p"
       R"p(\x01\x00\x00\x00xq.K\x01sbc__main__\nR\nq/h\x12Rq0(K\x07K\x08eX\x01\x00\x00\x00kq1K\x09s)p"
       R"p(}q2X\x01\x00\x00\x00sq3K\x02sbcfunctools\npartial\nq4c__builtin__\ngetattr\nq5c__main__)p"
       R"p(\nNX\nX\x07\x00\x00\x00__new__q6\x86Rq7\x85q8Rq9(h7c__main__\nNX\nq:K\x01\x86q;}q<X\x02)p"
       R"p(\x00\x00\x00kwq=K\x02sNtq>b)Rq?c__builtin__\nlen\nq@e.)p"_pk},
      {"CPython 3.13, protocol 3", false,
       R"p(\x80\x03]q\x00(N\x88\x89K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\x00\x00\x01)p"
       R"p(\x00J\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00)p"
       R"p(\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0G?\xf8\x00\x00\x00)p"
       R"p(\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00X\x03\x00\x00\x00abcq\x01X\x0b\x00\x00\x00)p"
       R"p(\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\\q\x02X,\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxq\x03C\x03xy\x00q\x04B\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyq\x05cbuiltins\nbytearray\nq\x06C\x01zq\x07\x85)p"
       R"p(q\x08Rq\x09)K\x01\x85q\nK\x01K\x02\x86q\x0bK\x01K\x02K\x03\x87q\x0c(K\x01K\x02K\x03K\x04)p"
       R"p(tq\x0d]q\x0e]q\x0fK\x01a}q\x10}q\x11(K\x01K\x02X\x01\x00\x00\x00aq\x12]q\x13K\x03aucbuil)p"
       R"p(tins\nset\nq\x14]q\x15(K\x04K\x05e\x85q\x16Rq\x17cbuiltins\nfrozenset\nq\x18]q\x19K\x06a)p"
       R"p(\x85q\x1aRq\x1bcbuiltins\ncomplex\nq\x1cG?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00)p"
       R"p(\x00\x00\x00\x86q\x1dRq\x1eccollections\nOrderedDict\nq\x1f)Rq K\x01K\x02s]q!(K\x01K\x02)p"
       R"p(eh!]q\x22h\x22ac__main__\nC\nq#)\x81q$}q%X\x01\x00\x00\x00xq&K\x01sbc__main__\nR\nq\x27h)p"
       R"p(\nRq((K\x07K\x08eX\x01\x00\x00\x00kq)K\x09s}q*X\x01\x00\x00\x00sq+K\x02sbcfunctools\npar)p"
       R"p(tial\nq,cbuiltins\ngetattr\nq-c__main__\nNX\nX\x07\x00\x00\x00__new__q.\x86Rq/\x85q0Rq1()p"
       R"p(h/c__main__\nNX\nq2K\x01\x86q3}q4X\x02\x00\x00\x00kwq5K\x02sNtq6b)Rq7cbuiltins\nlen\nq8e)p"
       R"p(.)p"_pk},
      {"CPython 3.13, protocol 4", false,
       R"p(\x80\x04\x95\xd6\x03\x00\x00\x00\x00\x00\x00]\x94(N\x88\x89K\x00K\x01J\xff\xff\xff\xffK)p"
       R"p(\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a)p"
       R"p(\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
       R"p(\x00\x00\xf0G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00\x8c\x03abc)p"
       R"p(\x94\x8c\x0b\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\\\x94X,\x01\x00\x00xxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxx\x94C\x03xy\x00\x94B\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\x94\x8c\x08builtins\x94\x8c\x09bytear)p"
       R"p(ray\x94\x93\x94C\x01z\x94\x85\x94R\x94)K\x01\x85\x94K\x01K\x02\x86\x94K\x01K\x02K\x03)p"
       R"p(\x87\x94(K\x01K\x02K\x03K\x04t\x94]\x94]\x94K\x01a}\x94}\x94(K\x01K\x02\x8c\x01a\x94])p"
       R"p(\x94K\x03au\x8f\x94(K\x04K\x05\x90(K\x06\x91\x94h\x06\x8c\x07complex\x94\x93\x94G?\xf0)p"
       R"p(\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86\x94R\x94\x8c\x0bcollections)p"
       R"p(\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94K\x01K\x02s]\x94(K\x01K\x02eh ]\x94h!a\x8c\x08_)p"
       R"p(_main__\x94\x8c\x01C\x94\x93\x94)\x81\x94}\x94\x8c\x01x\x94K\x01sbh\x22\x8c\x01R\x94\x93)p"
       R"p(\x94h\x0cR\x94(K\x07K\x08e\x8c\x01k\x94K\x09s}\x94\x8c\x01s\x94K\x02sbh\x22\x8c\x02NX)p"
       R"p(\x94\x93\x94h\x0c}\x94\x8c\x02kw\x94K\x02s\x92\x94\x8c\x08builtins\x94\x8c\x03len\x94)p"
       R"p(\x93\x94e.)p"_pk},
      {"CPython 3.13, protocol 5", false,
       R"p(\x80\x05\x95\xc9\x03\x00\x00\x00\x00\x00\x00]\x94(N\x88\x89K\x00K\x01J\xff\xff\xff\xffK)p"
       R"p(\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a)p"
       R"p(\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
       R"p(\x00\x00\xf0G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00\x8c\x03abc)p"
       R"p(\x94\x8c\x0b\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\\\x94X,\x01\x00\x00xxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxx\x94C\x03xy\x00\x94B\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy)p"
       R"p(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\x94\x96\x01\x00\x00\x00\x00\x00\x00)p"
       R"p(\x00z\x94)K\x01\x85\x94K\x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t)p"
       R"p(\x94]\x94]\x94K\x01a}\x94}\x94(K\x01K\x02\x8c\x01a\x94]\x94K\x03au\x8f\x94(K\x04K\x05)p"
       R"p(\x90(K\x06\x91\x94\x8c\x08builtins\x94\x8c\x07complex\x94\x93\x94G?\xf0\x00\x00\x00\x00)p"
       R"p(\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86\x94R\x94\x8c\x0bcollections\x94\x8c\x0bOrdere)p"
       R"p(dDict\x94\x93\x94)R\x94K\x01K\x02s]\x94(K\x01K\x02eh\x1c]\x94h\x1da\x8c\x08__main__\x94)p"
       R"p(\x8c\x01C\x94\x93\x94)\x81\x94}\x94\x8c\x01x\x94K\x01sbh\x1e\x8c\x01R\x94\x93\x94h\x07R)p"
       R"p(\x94(K\x07K\x08e\x8c\x01k\x94K\x09s}\x94\x8c\x01s\x94K\x02sbh\x1e\x8c\x02NX\x94\x93\x94h)p"
       R"p(\x07}\x94\x8c\x02kw\x94K\x02s\x92\x94\x8c\x08builtins\x94\x8c\x03len\x94\x93\x94e.)p"_pk},
      {"CPython 3.13, protocol 5 out-of-band", true,
       R"p(\x80\x05\x95\x08\x00\x00\x00\x00\x00\x00\x00]\x94(\x97\x98\x97e.)p"_pk},
      {"Python 2.7, protocol 0", false,
       R"p((lp0\nNaI01\naI00\naI0\naI-1\naI255\naI65536\naI2147483648\naL9223372036854775808L\naL-1)p"
       R"p(267650600228229401496703205376L\naF1.5\naF-0.0\naS\x27abc\x27\np1\naS\x27q\\\x27\x22\\\\)p"
       R"p(\\n\\t\x27\np2\naS\x27shared\x27\np3\nag3\naV\xe9\\u20ac\np4\naS\x27xxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxx\x27\np5\na(ta(I1\ntp6\na(I1\nI2\nI3\ntp7\na(lp8\na(dp9\na(dp10\nI1\nI2)p"
       R"p(\nsS\x27k\x27\np11\n(lp12\nI3\nasac__builtin__\nset\np13\n((lp14\nI4\natp15\nRp16\nac__b)p"
       R"p(uiltin__\nfrozenset\np17\n((lp18\nI5\natp19\nRp20\nac__builtin__\ncomplex\np21\n(F1.0\nF)p"
       R"p(2.0\ntp22\nRp23\na(i__main__\nOld\np24\n(dp25\nS\x27a\x27\np26\nI1\nsba(I7\ni__main__\nO)p"
       R"p(ldArgs\np28\n(dp29\nS\x27x\x27\np30\nI7\nsbaccopy_reg\n_reconstructor\np31\n(c__main__\n)p"
       R"p(New\np32\nc__builtin__\nobject\np33\nNtp34\nRp35\n(dp36\nS\x27b\x27\np37\nI2\nsbac__buil)p"
       R"p(tin__\nlen\np38\na.)p"_pk},
      {"Python 2.7, protocol 1", false,
       R"p(]q\x00(NI01\nI00\nK\x00J\xff\xff\xff\xffK\xffJ\x00\x00\x01\x00I2147483648\nL922337203685)p"
       R"p(4775808L\nL-1267650600228229401496703205376L\nG?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00)p"
       R"p(\x00\x00\x00\x00\x00\x00U\x03abcq\x01U\x06q\x27\x22\\\n\x09q\x02U\x06sharedq\x03h\x03X)p"
       R"p(\x05\x00\x00\x00\xc3\xa9\xe2\x82\xacq\x04T,\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxq\x05)(K\x01tq\x06(K\x01K\x02K\x03tq\x07]q\x08}q\x09}q\n(K\x01K\x02U\x01kq\x0b]q\x0cK)p"
       R"p(\x03auc__builtin__\nset\nq\x0d(]q\x0eK\x04atq\x0fRq\x10c__builtin__\nfrozenset\nq\x11(]q)p"
       R"p(\x12K\x05atq\x13Rq\x14c__builtin__\ncomplex\nq\x15(G?\xf0\x00\x00\x00\x00\x00\x00G@\x00)p"
       R"p(\x00\x00\x00\x00\x00\x00tq\x16Rq\x17(c__main__\nOld\nq\x18oq\x19}q\x1aU\x01aq\x1bK\x01sb)p"
       R"p((c__main__\nOldArgs\nq\x1dK\x07oq\x1e}q\x1fU\x01xq K\x07sbccopy_reg\n_reconstructor\nq!()p"
       R"p(c__main__\nNew\nq\x22c__builtin__\nobject\nq#Ntq$Rq%}q&U\x01bq\x27K\x02sbc__builtin__\nl)p"
       R"p(en\nq(e.)p"_pk},
      {"Python 2.7, protocol 2", false,
       R"p(\x80\x02]q\x00(N\x88\x89K\x00J\xff\xff\xff\xffK\xffJ\x00\x00\x01\x00I2147483648\n\x8a)p"
       R"p(\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x0d\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
       R"p(\x00\x00\xf0G?\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00U\x03abcq\x01)p"
       R"p(U\x06q\x27\x22\\\n\x09q\x02U\x06sharedq\x03h\x03X\x05\x00\x00\x00\xc3\xa9\xe2\x82\xacq)p"
       R"p(\x04T,\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq\x05)K\x01\x85q\x06K\x01K\x02K)p"
       R"p(\x03\x87q\x07]q\x08}q\x09}q\n(K\x01K\x02U\x01kq\x0b]q\x0cK\x03auc__builtin__\nset\nq\x0d)p"
       R"p(]q\x0eK\x04a\x85q\x0fRq\x10c__builtin__\nfrozenset\nq\x11]q\x12K\x05a\x85q\x13Rq\x14c__b)p"
       R"p(uiltin__\ncomplex\nq\x15G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86)p"
       R"p(q\x16Rq\x17(c__main__\nOld\nq\x18oq\x19}q\x1aU\x01aq\x1bK\x01sb(c__main__\nOldArgs\nq)p"
       R"p(\x1dK\x07oq\x1e}q\x1fU\x01xq K\x07sbc__main__\nNew\nq!)\x81q\x22}q#U\x01bq$K\x02sbc__bui)p"
       R"p(ltin__\nlen\nq%e.)p"_pk},
  };
  return v;
}

const std::byte kBufA[3] = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
const std::byte kBufB[2] = {std::byte{'d'}, std::byte{'e'}};

LoadOptions options_for(const ValidPickle& p) {
  LoadOptions o;
  if (p.out_of_band)
    o.buffers = std::vector<pickle::OutOfBandBuffer>{{std::span<const std::byte>(kBufA), true},
                                                     {std::span<const std::byte>(kBufB), false}};
  return o;
}

// Where the error for a prefix of length n of p must be: at n with no opcode when n is
// an opcode boundary, else at the opcode that contains n. A prefix inside a frame may
// instead be refused at that FRAME (bad_frame: the frame is longer than the data).
::testing::AssertionResult TruncationErrorIsRight(const UnpicklingError& e, std::string_view p,
                                                  const std::vector<size_t>& starts, size_t n) {
  if (n == 0) return ErrorIs(e, 0, kNoOp, {ErrorCode::empty_input});
  size_t s = 0;
  for (size_t b : starts)
    if (b <= n) s = b;
  if (s == n) {
    if (e.code() == kFrame || (e.opcode() && *e.opcode() == 0x95)) {
      // fall through to the frame rule below
    } else {
      return ErrorIs(e, n, kNoOp, {kTruncated});
    }
  } else if (!(e.opcode() && *e.opcode() == 0x95 && e.offset() != s)) {
    return ErrorIs(e, s, op(static_cast<uint8_t>(p[s])), {kTruncated, kFrame});
  }
  // Refused at a FRAME that starts before n.
  if (e.offset() >= n || static_cast<uint8_t>(p[e.offset()]) != 0x95)
    return ::testing::AssertionFailure()
           << "error at " << e.offset() << " is not at a FRAME: " << e.what();
  return ErrorIs(e, e.offset(), op(0x95), {kFrame, kTruncated});
}

TEST(UnpicklerBadInput, ValidPicklesLoad) {
  for (const ValidPickle& p : valid_pickles()) {
    SCOPED_TRACE(p.name);
    Graph g;
    Value v;
    ASSERT_NO_THROW(v = pickle::loads(std::string_view(p.bytes), g, options_for(p)));
    EXPECT_TRUE(v.is_list());
    std::vector<size_t> starts = opcode_starts(p.bytes);
    EXPECT_EQ(starts.back(), p.bytes.size()) << "the walker and the pickle disagree";
  }
}

TEST(UnpicklerBadInput, TruncationAtEveryByte) {
  for (const ValidPickle& p : valid_pickles()) {
    SCOPED_TRACE(p.name);
    std::vector<size_t> starts = opcode_starts(p.bytes);
    LoadOptions o = options_for(p);
    int failures = 0;
    for (size_t n = 0; n < p.bytes.size() && failures < 5; ++n) {
      std::string_view prefix(p.bytes.data(), n);
      Graph g;
      try {
        pickle::loads(prefix, g, o);
        ADD_FAILURE() << "prefix of " << n << " bytes loaded";
        ++failures;
      } catch (const UnpicklingError& e) {
        auto r = TruncationErrorIsRight(e, p.bytes, starts, n);
        if (!r) {
          ADD_FAILURE() << "prefix of " << n << " bytes: " << r.message();
          ++failures;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "prefix of " << n << " bytes threw something else: " << e.what();
        ++failures;
      }
    }
  }
}

TEST(UnpicklerBadInput, TruncationAtEveryByteThroughAStream) {
  for (const ValidPickle& p : valid_pickles()) {
    SCOPED_TRACE(p.name);
    std::vector<size_t> starts = opcode_starts(p.bytes);
    LoadOptions o = options_for(p);
    int failures = 0;
    for (size_t n = 0; n < p.bytes.size() && failures < 5; ++n) {
      std::istringstream in(p.bytes.substr(0, n));
      Graph g;
      try {
        pickle::load(in, g, o);
        ADD_FAILURE() << "prefix of " << n << " bytes loaded";
        ++failures;
      } catch (const UnpicklingError& e) {
        auto r = TruncationErrorIsRight(e, p.bytes, starts, n);
        if (!r) {
          ADD_FAILURE() << "prefix of " << n << " bytes: " << r.message();
          ++failures;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "prefix of " << n << " bytes threw something else: " << e.what();
        ++failures;
      }
    }
  }
}

TEST(UnpicklerBadInput, NoloadRefusesEveryTruncation) {
  for (const ValidPickle& p : valid_pickles()) {
    SCOPED_TRACE(p.name);
    {
      pickle::MemorySource full(p.bytes);
      pickle::Unpickler u(full, options_for(p));
      try {
        EXPECT_EQ(u.noload().end_offset, p.bytes.size());
      } catch (const std::exception& e) {
        ADD_FAILURE() << "noload of the whole pickle threw: " << e.what();
      }
    }
    int failures = 0;
    for (size_t n = 0; n < p.bytes.size() && failures < 5; ++n) {
      pickle::MemorySource src(std::string_view(p.bytes.data(), n));
      pickle::Unpickler u(src, options_for(p));
      try {
        u.noload();
        ADD_FAILURE() << "noload accepted a prefix of " << n << " bytes";
        ++failures;
      } catch (const UnpicklingError&) {
      }
    }
  }
}

// Deterministic mutations of the valid pickles: each either loads or raises
// UnpicklingError, nothing else (and nothing ASan or UBSan would flag).
TEST(UnpicklerBadInput, MutatedPicklesOnlyRaiseUnpicklingError) {
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '(', '.', '\n', 0x95, 0x94};
  int loaded = 0, refused = 0;
  for (const ValidPickle& p : valid_pickles()) {
    SCOPED_TRACE(p.name);
    for (int round = 0; round < 600; ++round) {
      std::string m = p.bytes;
      int edits = 1 + static_cast<int>(next() % 3);
      for (int k = 0; k < edits; ++k) {
        size_t at = next() % m.size();
        switch (next() % 4) {
          case 0: m[at] = static_cast<char>(next() & 0xff); break;
          case 1: m[at] = static_cast<char>(kInteresting[next() % sizeof kInteresting]); break;
          case 2: m.erase(at, 1 + next() % 4); break;
          case 3: m.insert(at, 1, static_cast<char>(kInteresting[next() % sizeof kInteresting]));
        }
        if (m.empty()) m = ".";
      }
      Graph g;
      try {
        pickle::loads(std::string_view(m), g, options_for(p));
        ++loaded;
      } catch (const UnpicklingError& e) {
        ++refused;
        EXPECT_LE(e.offset(), m.size()) << printable(m);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "\"" << printable(m) << "\" threw something else: " << e.what();
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(loaded, 0);
}

// ---------------------------------------------------------------------------
// Empty input, and input that ends where an opcode should start

TEST(UnpicklerBadInput, EmptyInput) {
  EXPECT_TRUE(LoadFails("", 0, kNoOp, {ErrorCode::empty_input}));
  std::istringstream in("");
  Graph g;
  try {
    pickle::load(in, g);
    ADD_FAILURE() << "empty stream loaded";
  } catch (const UnpicklingError& e) {
    EXPECT_TRUE(ErrorIs(e, 0, kNoOp, {ErrorCode::empty_input}));
  }
}

TEST(UnpicklerBadInput, MissingStop) {
  check_all({
      {R"(N)"_pk, 1, -1, {kTruncated}},
      {R"(K\x01)"_pk, 2, -1, {kTruncated}},
      {R"(\x80\x02N)"_pk, 3, -1, {kTruncated}},
      {R"((lp0\nI1\na)"_pk, 9, -1, {kTruncated}},
      {R"(\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N)"_pk, 12, -1, {kTruncated}},
  });
}

// ---------------------------------------------------------------------------
// Opcodes cut inside their argument

TEST(UnpicklerBadInput, TruncatedArguments) {
  std::vector<Bad> cases = {
      {R"(B)"_pk, 0, 'B', {kTruncated}},
      {R"(B\x03\x00\x00)"_pk, 0, 'B', {kTruncated}},
      {R"(B\x03\x00\x00\x00)"_pk, 0, 'B', {kTruncated}},
      {R"(B\x03\x00\x00\x00ab)"_pk, 0, 'B', {kTruncated}},
      {R"(C)"_pk, 0, 'C', {kTruncated}},
      {R"(C\x03)"_pk, 0, 'C', {kTruncated}},
      {R"(C\x03ab)"_pk, 0, 'C', {kTruncated}},
      {R"(F)"_pk, 0, 'F', {kTruncated}},
      {R"(F1.5)"_pk, 0, 'F', {kTruncated}},
      {R"(G)"_pk, 0, 'G', {kTruncated}},
      {R"(G\x00\x00\x00\x00\x00\x00\x00)"_pk, 0, 'G', {kTruncated}},
      {R"(I)"_pk, 0, 'I', {kTruncated}},
      {R"(I12)"_pk, 0, 'I', {kTruncated}},
      {R"(J)"_pk, 0, 'J', {kTruncated}},
      {R"(J\x00\x00\x00)"_pk, 0, 'J', {kTruncated}},
      {R"(K)"_pk, 0, 'K', {kTruncated}},
      {R"(L)"_pk, 0, 'L', {kTruncated}},
      {R"(L5)"_pk, 0, 'L', {kTruncated}},
      {R"(L5L)"_pk, 0, 'L', {kTruncated}},
      {R"(M)"_pk, 0, 'M', {kTruncated}},
      {R"(M\x00)"_pk, 0, 'M', {kTruncated}},
      {R"(P)"_pk, 0, 'P', {kTruncated}},
      {R"(Pid)"_pk, 0, 'P', {kTruncated}},
      {R"(S)"_pk, 0, 'S', {kTruncated}},
      {R"(S'ab')"_pk, 0, 'S', {kTruncated}},
      {R"(T)"_pk, 0, 'T', {kTruncated}},
      {R"(T\x02\x00\x00)"_pk, 0, 'T', {kTruncated}},
      {R"(T\x02\x00\x00\x00a)"_pk, 0, 'T', {kTruncated}},
      {R"(U)"_pk, 0, 'U', {kTruncated}},
      {R"(U\x02)"_pk, 0, 'U', {kTruncated}},
      {R"(U\x02a)"_pk, 0, 'U', {kTruncated}},
      {R"(V)"_pk, 0, 'V', {kTruncated}},
      {R"(Vab)"_pk, 0, 'V', {kTruncated}},
      {R"(X)"_pk, 0, 'X', {kTruncated}},
      {R"(X\x02\x00\x00)"_pk, 0, 'X', {kTruncated}},
      {R"(X\x02\x00\x00\x00a)"_pk, 0, 'X', {kTruncated}},
      {R"((c)"_pk, 1, 'c', {kTruncated}},
      {R"((cmod)"_pk, 1, 'c', {kTruncated}},
      {R"((cmod\n)"_pk, 1, 'c', {kTruncated}},
      {R"((cmod\nName)"_pk, 1, 'c', {kTruncated}},
      {R"(Ng)"_pk, 1, 'g', {kTruncated}},
      {R"(Ng1)"_pk, 1, 'g', {kTruncated}},
      {R"((i)"_pk, 1, 'i', {kTruncated}},
      {R"((imod)"_pk, 1, 'i', {kTruncated}},
      {R"((imod\n)"_pk, 1, 'i', {kTruncated}},
      {R"((imod\nCls)"_pk, 1, 'i', {kTruncated}},
      {R"(Nh)"_pk, 1, 'h', {kTruncated}},
      {R"(Nj)"_pk, 1, 'j', {kTruncated}},
      {R"(Nj\x00\x00\x00)"_pk, 1, 'j', {kTruncated}},
      {R"(Np)"_pk, 1, 'p', {kTruncated}},
      {R"(Np1)"_pk, 1, 'p', {kTruncated}},
      {R"(Nq)"_pk, 1, 'q', {kTruncated}},
      {R"(Nr)"_pk, 1, 'r', {kTruncated}},
      {R"(Nr\x00\x00)"_pk, 1, 'r', {kTruncated}},
      {R"(\x80)"_pk, 0, 0x80, {kTruncated}},
      {R"(\x82)"_pk, 0, 0x82, {kTruncated}},
      {R"(\x83)"_pk, 0, 0x83, {kTruncated}},
      {R"(\x83\x01)"_pk, 0, 0x83, {kTruncated}},
      {R"(\x84)"_pk, 0, 0x84, {kTruncated}},
      {R"(\x84\x01\x00\x00)"_pk, 0, 0x84, {kTruncated}},
      {R"(\x8a)"_pk, 0, 0x8a, {kTruncated}},
      {R"(\x8a\x02\x01)"_pk, 0, 0x8a, {kTruncated}},
      {R"(\x8b)"_pk, 0, 0x8b, {kTruncated}},
      {R"(\x8b\x00\x00\x00)"_pk, 0, 0x8b, {kTruncated}},
      {R"(\x8b\x02\x00\x00\x00\x01)"_pk, 0, 0x8b, {kTruncated}},
      {R"(\x8c)"_pk, 0, 0x8c, {kTruncated}},
      {R"(\x8c\x02)"_pk, 0, 0x8c, {kTruncated}},
      {R"(\x8c\x02a)"_pk, 0, 0x8c, {kTruncated}},
      {R"(\x8d)"_pk, 0, 0x8d, {kTruncated}},
      {R"(\x8d\x02\x00\x00\x00\x00\x00\x00)"_pk, 0, 0x8d, {kTruncated}},
      {R"(\x8d\x02\x00\x00\x00\x00\x00\x00\x00a)"_pk, 0, 0x8d, {kTruncated}},
      {R"(\x8e)"_pk, 0, 0x8e, {kTruncated}},
      {R"(\x8e\x02\x00\x00\x00\x00\x00\x00)"_pk, 0, 0x8e, {kTruncated}},
      {R"(\x8e\x02\x00\x00\x00\x00\x00\x00\x00a)"_pk, 0, 0x8e, {kTruncated}},
      {R"(\x96)"_pk, 0, 0x96, {kTruncated}},
      {R"(\x96\x02\x00\x00\x00\x00\x00\x00)"_pk, 0, 0x96, {kTruncated}},
      {R"(\x96\x02\x00\x00\x00\x00\x00\x00\x00a)"_pk, 0, 0x96, {kTruncated}},
      {R"(\x95)"_pk, 0, 0x95, {kTruncated}},
      {R"(\x95\x02\x00\x00\x00\x00\x00\x00)"_pk, 0, 0x95, {kTruncated}},
      {R"(\x95\x02\x00\x00\x00\x00\x00\x00\x00)"_pk, 0, 0x95, {kFrame, kTruncated}},
      {R"(\x95\x02\x00\x00\x00\x00\x00\x00\x00N)"_pk, 0, 0x95, {kFrame, kTruncated}},
      // After a protocol header the offsets are absolute.
      {R"(\x80\x04\x8c\x05abc)"_pk, 2, 0x8c, {kTruncated}},
      {R"(\x80\x02]q\x00(K\x01K)"_pk, 8, 'K', {kTruncated}},
  };
  check_all(cases);
}

// ---------------------------------------------------------------------------
// Too few items on the stack (above the top mark)

TEST(UnpicklerBadInput, StackUnderflow) {
  check_all({
      {R"(.)"_pk, 0, '.', {kUnderflow}},
      {R"(0)"_pk, 0, '0', {kUnderflow, kNoMark}},
      {R"(N00)"_pk, 2, '0', {kUnderflow, kNoMark}},
      {R"(2)"_pk, 0, '2', {kUnderflow}},
      {R"((2)"_pk, 1, '2', {kUnderflow}},
      {R"(R)"_pk, 0, 'R', {kUnderflow}},
      {R"()R)"_pk, 1, 'R', {kUnderflow}},
      {R"(a)"_pk, 0, 'a', {kUnderflow}},
      {R"(K\x01a)"_pk, 2, 'a', {kUnderflow}},
      {R"(b)"_pk, 0, 'b', {kUnderflow}},
      {R"(K\x01b)"_pk, 2, 'b', {kUnderflow}},
      {R"((e)"_pk, 1, 'e', {kUnderflow, kNoMark}},
      {R"((o)"_pk, 1, 'o', {kUnderflow, kNoMark}},
      {R"(p0\n)"_pk, 0, 'p', {kUnderflow}},
      {R"(q\x05)"_pk, 0, 'q', {kUnderflow}},
      {R"(r\x05\x00\x00\x00)"_pk, 0, 'r', {kUnderflow}},
      {R"(\x94)"_pk, 0, 0x94, {kUnderflow}},
      {R"(s)"_pk, 0, 's', {kUnderflow}},
      {R"(K\x01s)"_pk, 2, 's', {kUnderflow}},
      {R"(K\x01K\x02s)"_pk, 4, 's', {kUnderflow}},
      {R"((u)"_pk, 1, 'u', {kUnderflow, kNoMark}},
      {R"(\x81)"_pk, 0, 0x81, {kUnderflow}},
      {R"()\x81)"_pk, 1, 0x81, {kUnderflow}},
      {R"(\x85)"_pk, 0, 0x85, {kUnderflow}},
      {R"(\x86)"_pk, 0, 0x86, {kUnderflow}},
      {R"(N\x86)"_pk, 1, 0x86, {kUnderflow}},
      {R"(\x87)"_pk, 0, 0x87, {kUnderflow}},
      {R"(N\x87)"_pk, 1, 0x87, {kUnderflow}},
      {R"(NN\x87)"_pk, 2, 0x87, {kUnderflow}},
      {R"((\x90)"_pk, 1, 0x90, {kUnderflow, kNoMark}},
      {R"(\x92)"_pk, 0, 0x92, {kUnderflow}},
      {R"()}\x92)"_pk, 2, 0x92, {kUnderflow}},
      {R"(\x93)"_pk, 0, 0x93, {kUnderflow}},
      {R"(\x8c\x01m\x93)"_pk, 3, 0x93, {kUnderflow}},
      {R"(Q)"_pk, 0, 'Q', {kUnderflow}},
      {R"(\x98)"_pk, 0, 0x98, {kUnderflow}},
      // With a protocol header and a frame, offsets stay absolute.
      {R"(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N\x86.)"_pk, 12, 0x86, {kUnderflow}},
  });
}

// ---------------------------------------------------------------------------
// An opcode that needs a MARK when there is none

TEST(UnpicklerBadInput, MissingMark) {
  check_all({
      {R"(1)"_pk, 0, '1', {kNoMark}},
      {R"(N1)"_pk, 1, '1', {kNoMark}},
      {R"(d)"_pk, 0, 'd', {kNoMark}},
      {R"(K\x01K\x02d)"_pk, 4, 'd', {kNoMark}},
      {R"(e)"_pk, 0, 'e', {kNoMark}},
      {R"(]K\x01K\x02e)"_pk, 5, 'e', {kNoMark}},
      {R"(imod\nCls\n)"_pk, 0, 'i', {kNoMark}},
      {R"(l)"_pk, 0, 'l', {kNoMark}},
      {R"(K\x01l)"_pk, 2, 'l', {kNoMark}},
      {R"(o)"_pk, 0, 'o', {kNoMark}},
      {R"(cmod\nCls\no)"_pk, 9, 'o', {kNoMark}},
      {R"(t)"_pk, 0, 't', {kNoMark}},
      {R"(NNt)"_pk, 2, 't', {kNoMark}},
      {R"(u)"_pk, 0, 'u', {kNoMark}},
      {R"(}K\x01K\x02u)"_pk, 5, 'u', {kNoMark}},
      {R"(\x90)"_pk, 0, 0x90, {kNoMark}},
      {R"(\x8fK\x01\x90)"_pk, 3, 0x90, {kNoMark}},
      {R"(\x91)"_pk, 0, 0x91, {kNoMark}},
      {R"(K\x01\x91)"_pk, 2, 0x91, {kNoMark}},
      // The mark was consumed by an earlier opcode.
      {R"((t1)"_pk, 2, '1', {kNoMark}},
  });
}

// ---------------------------------------------------------------------------
// A MARK where an item is needed: the mark is a fence, not a value.

TEST(UnpicklerBadInput, MarkWhereAnItemIsNeeded) {
  check_all({
      {R"(N(.)"_pk, 2, '.', {kUnderflow}},
      {R"(N(2)"_pk, 2, '2', {kUnderflow}},
      {R"(cmod\nf\n)(R)"_pk, 9, 'R', {kUnderflow}},
      {R"(cmod\nf\n()R)"_pk, 9, 'R', {kUnderflow}},
      {R"(]N(a)"_pk, 3, 'a', {kUnderflow}},
      {R"(](N)"_pk
       "a"_pk,
       3,
       'a',
       {kUnderflow}},
      {R"(cmod\nC\n)R}(b)"_pk, 11, 'b', {kUnderflow}},
      {R"(cmod\nC\n)R(}b)"_pk, 11, 'b', {kUnderflow}},
      {R"(N(p0\n)"_pk, 2, 'p', {kUnderflow}},
      {R"(N(q\x00)"_pk, 2, 'q', {kUnderflow}},
      {R"(N(r\x00\x00\x00\x00)"_pk, 2, 'r', {kUnderflow}},
      {R"(N(\x94)"_pk, 2, 0x94, {kUnderflow}},
      {R"(}NN(s)"_pk, 4, 's', {kUnderflow}},
      {R"(}N(Ns)"_pk, 4, 's', {kUnderflow}},
      {R"(}(NNs)"_pk, 4, 's', {kUnderflow}},
      {R"(}((u)"_pk, 3, 'u', {kUnderflow}},
      {R"(]((e)"_pk, 3, 'e', {kUnderflow}},
      {R"(cmod\nC\n)(\x81)"_pk, 9, 0x81, {kUnderflow}},
      {R"(cmod\nC\n()\x81)"_pk, 9, 0x81, {kUnderflow}},
      {R"(N(\x85)"_pk, 2, 0x85, {kUnderflow}},
      {R"(NN(\x86)"_pk, 3, 0x86, {kUnderflow}},
      {R"(N(N\x86)"_pk, 3, 0x86, {kUnderflow}},
      {R"(NNN(\x87)"_pk, 4, 0x87, {kUnderflow}},
      {R"(NN(N\x87)"_pk, 4, 0x87, {kUnderflow}},
      {R"(N(NN\x87)"_pk, 4, 0x87, {kUnderflow}},
      {R"(\x8f((\x90)"_pk, 3, 0x90, {kUnderflow}},
      {R"(cmod\nC\n)}(\x92)"_pk, 10, 0x92, {kUnderflow}},
      {R"(cmod\nC\n)(}\x92)"_pk, 10, 0x92, {kUnderflow}},
      {R"(cmod\nC\n()}\x92)"_pk, 10, 0x92, {kUnderflow}},
      {R"(\x8c\x01m(\x8c\x01f\x93)"_pk, 7, 0x93, {kUnderflow}},
      {R"(\x8c\x01m\x8c\x01f(\x93)"_pk, 7, 0x93, {kUnderflow}},
      {R"(N(Q)"_pk, 2, 'Q', {kUnderflow}},
      {R"(N(\x98)"_pk, 2, 0x98, {kUnderflow}},
      {R"((0(1.)"_pk, 4, '.', {kUnderflow}},
  });
}

// ---------------------------------------------------------------------------
// Odd numbers of items for key/value opcodes

TEST(UnpicklerBadInput, OddKeyValueItems) {
  check_all({
      {R"(}(K\x01u.)"_pk, 4, 'u', {kBadArg, kUnderflow}},
      {R"(}(K\x01K\x02K\x03u.)"_pk, 8, 'u', {kBadArg, kUnderflow}},
      {R"((K\x01d.)"_pk, 3, 'd', {kBadArg, kUnderflow}},
      {R"((K\x01K\x02K\x03d.)"_pk, 7, 'd', {kBadArg, kUnderflow}},
  });
}

// ---------------------------------------------------------------------------
// Memo

TEST(UnpicklerBadInput, MemoKeys) {
  check_all({
      {R"(h\x00.)"_pk, 0, 'h', {kMemo}},
      {R"(g0\n.)"_pk, 0, 'g', {kMemo}},
      {R"(j\x00\x00\x00\x00.)"_pk, 0, 'j', {kMemo}},
      {R"(Np1\n0g2\n.)"_pk, 5, 'g', {kMemo}},
      {R"(Nq\x01h\x02.)"_pk, 3, 'h', {kMemo}},
      {R"(j\xff\xff\xff\xff.)"_pk, 0, 'j', {kMemo}},
      {R"(jabcd.)"_pk, 0, 'j', {kMemo}},
      {R"(g99999999999999999999\n.)"_pk, 0, 'g', {kMemo, kBadArg}},
      {R"(Ng-1\n.)"_pk, 1, 'g', {kMemo, kBadArg}},
      // PUT arguments that are not non-negative decimal ints.
      {R"(Np-1\n.)"_pk, 1, 'p', {kBadArg}},
      {R"(Npx\n.)"_pk, 1, 'p', {kBadArg}},
      {R"(Np\n.)"_pk, 1, 'p', {kBadArg}},
      {R"(Np0x10\n.)"_pk, 1, 'p', {kBadArg}},
      {R"(Ngx\n.)"_pk, 1, 'g', {kBadArg}},
      {R"(Ng\n.)"_pk, 1, 'g', {kBadArg}},
  });
}

// ---------------------------------------------------------------------------
// Declared lengths far beyond the data: refused before anything is allocated

TEST(UnpicklerBadInput, HugeDeclaredLengths) {
  std::vector<Bad> cases = {
      {R"(X\xff\xff\xff\xff)"_pk, 0, 'X', {kTruncated, kLimit}},
      {R"(X\xff\xff\xff\xffabc.)"_pk, 0, 'X', {kTruncated, kLimit}},
      {R"(B\xff\xff\xff\xff)"_pk, 0, 'B', {kTruncated, kLimit}},
      {R"(B\xff\xff\xff\xffxyz.)"_pk, 0, 'B', {kTruncated, kLimit}},
      {R"(T\xff\xff\xff\x7f)"_pk, 0, 'T', {kTruncated, kLimit}},
      {R"(\x8b\xff\xff\xff\x7f)"_pk, 0, 0x8b, {kTruncated, kLimit}},
      {R"(\x8e\xff\xff\xff\xff\xff\xff\xff\xff)"_pk, 0, 0x8e, {kTruncated, kLimit}},
      {R"(\x8d\xff\xff\xff\xff\xff\xff\xff\xff)"_pk, 0, 0x8d, {kTruncated, kLimit}},
      {R"(\x96\xff\xff\xff\xff\xff\xff\xff\xff)"_pk, 0, 0x96, {kTruncated, kLimit}},
      {R"(\x8e\x00\x00\x00\x00\x00\x00\x00\x80.)"_pk, 0, 0x8e, {kTruncated, kLimit}},
      {R"(\x8d\x00\x00\x00\x00\x00\x00\x00\x80.)"_pk, 0, 0x8d, {kTruncated, kLimit}},
      {R"(\x96\x00\x00\x00\x00\x00\x00\x00\x80.)"_pk, 0, 0x96, {kTruncated, kLimit}},
      {R"(\x8e\x00\x00\x00\x00\x01\x00\x00\x00.)"_pk, 0, 0x8e, {kTruncated, kLimit}},
      {R"(\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xff.)"_pk, 2, 0x8d, {kTruncated, kLimit}},
      {R"(\x80\x05]\x96\xff\xff\xff\xff\xff\xff\xff\x7f.)"_pk, 3, 0x96, {kTruncated, kLimit}},
      {R"(\x95\xff\xff\xff\xff\xff\xff\xff\xffN.)"_pk, 0, 0x95, {kFrame, kTruncated, kLimit}},
      {R"(\x95\x00\x00\x00\x00\x00\x00\x00\x80N.)"_pk, 0, 0x95, {kFrame, kTruncated, kLimit}},
      // Negative signed lengths are malformed, not merely long.
      {R"(T\xff\xff\xff\xff)"_pk, 0, 'T', {kBadArg}},
      {R"(T\x00\x00\x00\x80abc.)"_pk, 0, 'T', {kBadArg}},
      {R"(\x8b\xff\xff\xff\xff)"_pk, 0, 0x8b, {kBadArg}},
      {R"(\x8b\x00\x00\x00\x80\x01.)"_pk, 0, 0x8b, {kBadArg}},
  };
  for (const Bad& c : cases) {
    Graph g;
    try {
      pickle::loads(std::string_view(c.bytes), g);
      ADD_FAILURE() << printable(c.bytes) << " loaded";
    } catch (const UnpicklingError& e) {
      EXPECT_TRUE(ErrorIs(e, c.offset, op(c.opcode), c.codes)) << printable(c.bytes);
    } catch (const std::exception& e) {
      ADD_FAILURE() << printable(c.bytes) << " threw something else: " << e.what();
    }
    EXPECT_LT(g.bytes_allocated(), size_t(1) << 20) << printable(c.bytes);
  }
}

// ---------------------------------------------------------------------------
// Text arguments: escapes, quotes, numbers

TEST(UnpicklerBadInput, BadEscapes) {
  check_all({
      {R"(S'\\'\n.)"_pk, 0, 'S', {kBadArg, kBadEnc}},
      {R"(S'abc\\'\n.)"_pk, 0, 'S', {kBadArg, kBadEnc}},
      {R"(S'\\x4'\n.)"_pk, 0, 'S', {kBadArg, kBadEnc}},
      {R"(S'\\x'\n.)"_pk, 0, 'S', {kBadArg, kBadEnc}},
      {R"(S'\\xzz'\n.)"_pk, 0, 'S', {kBadArg, kBadEnc}},
      {R"(S"\\x4g"\n.)"_pk, 0, 'S', {kBadArg, kBadEnc}},
      {R"(V\\u12\n.)"_pk, 0, 'V', {kBadArg, kBadEnc}},
      {R"(V\\u\n.)"_pk, 0, 'V', {kBadArg, kBadEnc}},
      {R"(V\\uzzzz\n.)"_pk, 0, 'V', {kBadArg, kBadEnc}},
      {R"(V\\U0001F60\n.)"_pk, 0, 'V', {kBadArg, kBadEnc}},
      {R"(V\\U00110000\n.)"_pk, 0, 'V', {kBadArg, kBadEnc}},
      {R"(V\\Uffffffff\n.)"_pk, 0, 'V', {kBadArg, kBadEnc}},
      {R"(\x80\x02Vok\\u12\n.)"_pk, 2, 'V', {kBadArg, kBadEnc}},
  });
}

TEST(UnpicklerBadInput, BadStringQuotes) {
  check_all({
      {R"(S'\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S"\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S' \n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S" \n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S'"\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S"'\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S'x' \n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S "x"\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S \n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(Sx\n.)"_pk, 0, 'S', {kBadArg}},
      {R"(S.)"_pk, 0, 'S', {kTruncated, kBadArg}},
  });
}

TEST(UnpicklerBadInput, BadTextNumbers) {
  check_all({
      {R"(I\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(I0b2\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(I09\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(I_1\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(I1_\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(I1e3\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(I\xc2\xb2\n.)"_pk, 0, 'I', {kBadArg}},
      {R"(L1LL\n.)"_pk, 0, 'L', {kBadArg}},
      {R"(Lx\n.)"_pk, 0, 'L', {kBadArg}},
      {R"(F\n.)"_pk, 0, 'F', {kBadArg}},
      {R"(F1,5\n.)"_pk, 0, 'F', {kBadArg}},
      {R"(Fin f\n.)"_pk, 0, 'F', {kBadArg}},
      {R"(F1e\n.)"_pk, 0, 'F', {kBadArg}},
      {R"(F_1.0\n.)"_pk, 0, 'F', {kBadArg}},
  });
}

// ---------------------------------------------------------------------------
// Text that is not valid UTF-8 (or ASCII where ASCII is required)

TEST(UnpicklerBadInput, BadUtf8) {
  check_all({
      {R"(X\x01\x00\x00\x00\xff.)"_pk, 0, 'X', {kBadEnc}},
      {R"(X\x02\x00\x00\x00a\x80.)"_pk, 0, 'X', {kBadEnc}},
      {R"(\x8c\x02\xc0\x80.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8c\x03\xe0\x80\xaf.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8c\x01\xe2.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8c\x02\xe2\x82.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8c\x04\xf4\x90\x80\x80.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8c\x05\xf8\x88\x80\x80\x80.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8c\x01\x80.)"_pk, 0, 0x8c, {kBadEnc}},
      {R"(\x8d\x01\x00\x00\x00\x00\x00\x00\x00\xfe.)"_pk, 0, 0x8d, {kBadEnc}},
      {R"(\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00K\x01\x8c\x02\xc3(\x86.)"_pk,
       13,
       0x8c,
       {kBadEnc}},
      // GLOBAL lines are UTF-8.
      {R"(c\xff\nlog\n.)"_pk, 0, 'c', {kBadEnc}},
      {R"(cmath\n\xff\n.)"_pk, 0, 'c', {kBadEnc}},
      // INST lines and PERSID ids are ASCII.
      {R"((i\xc3\xa9\nC\n.)"_pk, 1, 'i', {kBadEnc}},
      {R"((imod\nC\xc3\xa9\n.)"_pk, 1, 'i', {kBadEnc}},
      {R"(P\xe9\n.)"_pk, 0, 'P', {kBadEnc}},
      {R"(Pid\xc3\xa9\n.)"_pk, 0, 'P', {kBadEnc}},
  });
}

TEST(UnpicklerBadInput, Py2StrThatDoesNotDecode) {
  check_all({
      {R"(U\x01\x80.)"_pk, 0, 'U', {kBadEnc}},
      {R"(T\x01\x00\x00\x00\xff.)"_pk, 0, 'T', {kBadEnc}},
      {R"(S'\\x80'\n.)"_pk, 0, 'S', {kBadEnc}},
      {R"(S'\xc3\xa9'\n.)"_pk, 0, 'S', {kBadEnc}},
  });
  LoadOptions utf8;
  utf8.py2_str.encoding = "utf-8";
  check_all({{R"(U\x01\xe9.)"_pk, 0, 'U', {kBadEnc}}}, utf8);
}

// ---------------------------------------------------------------------------
// Bytes that are not opcodes

TEST(UnpicklerBadInput, BadOpcodes) {
  int bad = 0;
  for (int b = 0; b < 256; ++b) {
    auto byte = static_cast<uint8_t>(b);
    if (pickle::op_info(byte).valid()) continue;
    ++bad;
    std::string p(1, static_cast<char>(byte));
    p += ".";
    EXPECT_TRUE(LoadFails(p, 0, op(byte), {ErrorCode::bad_opcode}));
    std::string q = "\x80\x02]"_pk + std::string(1, static_cast<char>(byte)) + ".";
    EXPECT_TRUE(LoadFails(q, 3, op(byte), {ErrorCode::bad_opcode}));
  }
  EXPECT_EQ(bad, 256 - 68);
  // The message names the byte in hex.
  EXPECT_TRUE(LoadFails("\xff", 0, op(0xff), {ErrorCode::bad_opcode}));
  Graph g;
  try {
    pickle::loads(std::string_view("N\xa7."), g);
    ADD_FAILURE() << "loaded";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(std::string_view(e.what()).substr(0, 32), "UnpicklingError at byte 1 (0xa7)");
  }
}

// ---------------------------------------------------------------------------
// Frames

TEST(UnpicklerBadInput, Frames) {
  check_all({
      // A frame longer than the data.
      {R"(\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00N.)"_pk, 2, 0x95, {kFrame, kTruncated}},
      {R"(\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00N.)"_pk, 2, 0x95, {kFrame, kTruncated}},
      // A read that starts inside a frame must end inside it (one that starts at the
      // frame's end leaves the frame, as pickle.py reads).
      {R"(\x95\x02\x00\x00\x00\x00\x00\x00\x00I42\n.)"_pk, 9, 'I', {kFrame}},
      {R"(\x95\x03\x00\x00\x00\x00\x00\x00\x00X\x05\x00\x00\x00abcde.)"_pk, 9, 'X', {kFrame}},
      {R"(\x95\x06\x00\x00\x00\x00\x00\x00\x00X\x02\x00\x00\x00ab.)"_pk, 9, 'X', {kFrame}},
      {R"(\x95\x04\x00\x00\x00\x00\x00\x00\x00cmod\nf\n.)"_pk, 9, 'c', {kFrame}},
      // A new frame before the current one ends.
      {R"(\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.)"_pk,
       9,
       0x95,
       {kFrame}},
      {R"(\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00N\x95\x01\x00\x00\x00\x00\x00\x00\x00N.)"_pk,
       12,
       0x95,
       {kFrame}},
  });
}

// ---------------------------------------------------------------------------
// Operands of the wrong kind

TEST(UnpicklerBadInput, StackGlobalNeedsStrs) {
  check_all({
      {R"(N\x8c\x03log\x93.)"_pk, 6, 0x93, {kBadType}},
      {R"(\x8c\x04mathN\x93.)"_pk, 7, 0x93, {kBadType}},
      {R"(K\x01K\x02\x93.)"_pk, 4, 0x93, {kBadType}},
      {R"(C\x01mC\x01f\x93.)"_pk, 6, 0x93, {kBadType}},
      {R"(\x80\x04\x8c\x01m)\x93.)"_pk, 6, 0x93, {kBadType}},
  });
  // Python 2 strs loaded as bytes serve as text here (issue 12; PicklerLossless.
  // Py2StrServesAsText), Python 3 bytes do not (above).
}

TEST(UnpicklerBadInput, AppendToWhatIsNotAList) {
  check_all({
      {R"()K\x01a.)"_pk, 3, 'a', {kBadType}},
      {R"(}K\x01a.)"_pk, 3, 'a', {kBadType}},
      {R"(\x8fK\x01a.)"_pk, 3, 'a', {kBadType}},
      {R"(C\x01aK\x01a.)"_pk, 5, 'a', {kBadType}},
      {R"(NK\x01a.)"_pk, 3, 'a', {kBadType}},
      {R"(N(K\x01e.)"_pk, 4, 'e', {kBadType}},
      {R"()(K\x01e.)"_pk, 4, 'e', {kBadType}},
  });
}

TEST(UnpicklerBadInput, SetItemOnWhatIsNotADict) {
  check_all({
      {R"()K\x01K\x02s.)"_pk, 5, 's', {kBadType}},
      {R"(NK\x01K\x02s.)"_pk, 5, 's', {kBadType}},
      {R"(K\x05K\x01K\x02s.)"_pk, 6, 's', {kBadType}},
      {R"(](\x8c\x01kK\x01u.)"_pk, 7, 'u', {kBadType}},
      {R"()(K\x01K\x02u.)"_pk, 6, 'u', {kBadType}},
      {R"(\x8f(K\x01K\x02u.)"_pk, 6, 'u', {kBadType}},
  });
}

TEST(UnpicklerBadInput, AddItemsToWhatIsNotASet) {
  check_all({
      {R"(](K\x01\x90.)"_pk, 4, 0x90, {kBadType}},
      {R"(}(K\x01\x90.)"_pk, 4, 0x90, {kBadType}},
      {R"((\x91(K\x01\x90.)"_pk, 5, 0x90, {kBadType}},
      {R"(N(K\x01\x90.)"_pk, 4, 0x90, {kBadType}},
  });
}

// Objects and native containers take BUILD states (PicklerLossless tests those);
// ints, strs and None cannot hold one, unless it is None, which changes nothing. A
// container's state sets attributes: a dict or a (dict, dict) pair, as in CPython.
TEST(UnpicklerBadInput, BuildOnWhatHasNoState) {
  check_all({
      {R"(K\x01}\x8c\x01aK\x01sb.)"_pk, 9, 'b', {kBadType}},
      {R"(\x8c\x01x}\x8c\x01aK\x01sb.)"_pk, 10, 'b', {kBadType}},
      {R"(]K\x01b.)"_pk, 3, 'b', {kBadType}},
      {R"(}]b.)"_pk, 2, 'b', {kBadType}},
      {R"(\x8f(K\x01\x91\x8c\x01x\x85b.)"_pk, 9, 'b', {kBadType}},
      {R"(NK\x01b.)"_pk, 3, 'b', {kBadType}},
  });
}

TEST(UnpicklerBadInput, CallsWithBadArguments) {
  check_all({
      // REDUCE, NEWOBJ and NEWOBJ_EX need a tuple of arguments (and a dict of keywords).
      {R"(cmod\nf\nNR.)"_pk, 8, 'R', {kBadType}},
      {R"(cmod\nf\nK\x01R.)"_pk, 9, 'R', {kBadType}},
      {R"(cmod\nC\nN\x81.)"_pk, 8, 0x81, {kBadType}},
      {R"(cmod\nC\nN}\x92.)"_pk, 9, 0x92, {kBadType}},
      {R"(cmod\nC\n)N\x92.)"_pk, 9, 0x92, {kBadType}},
      {R"(cmod\nC\n)]\x92.)"_pk, 9, 0x92, {kBadType}},
      // None, ints and strs are not callable.
      {R"(N)R.)"_pk, 2, 'R', {kBadType}},
      {R"(K\x01)R.)"_pk, 3, 'R', {kBadType}},
      {R"(\x8c\x01x)R.)"_pk, 4, 'R', {kBadType}},
      {R"(N)\x81.)"_pk, 2, 0x81, {kBadType}},
      {R"((K\x01o.)"_pk, 3, 'o', {kBadType}},
      // READONLY_BUFFER needs something with the buffer protocol.
      {R"(K\x01\x98.)"_pk, 2, 0x98, {kBadType}},
      {R"(]\x98.)"_pk, 1, 0x98, {kBadType}},
  });
}

// ---------------------------------------------------------------------------
// Unhashable dict keys and set members

TEST(UnpicklerBadInput, UnhashableKeys) {
  check_all({
      {R"(}]K\x01s.)"_pk, 4, 's', {kUnhashable}},
      {R"(}}K\x01s.)"_pk, 4, 's', {kUnhashable}},
      {R"(}\x8fK\x01s.)"_pk, 4, 's', {kUnhashable}},
      {R"(}]\x85K\x01s.)"_pk, 5, 's', {kUnhashable}},
      {R"(}(]K\x01u.)"_pk, 5, 'u', {kUnhashable}},
      {R"(}(K\x01K\x02]K\x03u.)"_pk, 9, 'u', {kUnhashable}},
      {R"((]K\x01d.)"_pk, 4, 'd', {kUnhashable}},
      {R"(\x8f(]\x90.)"_pk, 3, 0x90, {kUnhashable}},
      {R"((}\x91.)"_pk, 2, 0x91, {kUnhashable}},
      {R"((\x96\x00\x00\x00\x00\x00\x00\x00\x00\x91.)"_pk, 10, 0x91, {kUnhashable}},
      {R"(cbuiltins\nset\n]]a\x85R.)"_pk, 18, 'R', {kUnhashable}},
      {R"(cbuiltins\nfrozenset\n]}a\x85R.)"_pk, 24, 'R', {kUnhashable}},
  });
}

// ---------------------------------------------------------------------------
// Extension codes and protocol numbers

TEST(UnpicklerBadInput, BadExtensionCodes) {
  pickle::Registry r;
  r.add_extension("mod", "x", 1);
  LoadOptions o;
  o.registry = &r;
  std::vector<Bad> cases = {
      {R"(\x82\x00.)"_pk, 0, 0x82, {kBadArg, kUnsupported}},
      {R"(\x83\x00\x00.)"_pk, 0, 0x83, {kBadArg, kUnsupported}},
      {R"(\x84\x00\x00\x00\x00.)"_pk, 0, 0x84, {kBadArg, kUnsupported}},
      {R"(\x84\xff\xff\xff\xff.)"_pk, 0, 0x84, {kBadArg, kUnsupported}},
      {R"(\x84\x00\x00\x00\x80.)"_pk, 0, 0x84, {kBadArg, kUnsupported}},
      {R"(\x82\x02.)"_pk, 0, 0x82, {kUnsupported}},
      {R"(\x82\xff.)"_pk, 0, 0x82, {kUnsupported}},
      {R"(\x83\xff\xff.)"_pk, 0, 0x83, {kUnsupported}},
      {R"(\x84\xff\xff\xff\x7f.)"_pk, 0, 0x84, {kUnsupported}},
  };
  check_all(cases, o);
  check_all(cases);  // and without a registry
}

TEST(UnpicklerBadInput, UnsupportedProtocol) {
  check_all({
      {R"(\x80\x06N.)"_pk, 0, 0x80, {kUnsupported}},
      {R"(\x80\xffN.)"_pk, 0, 0x80, {kUnsupported}},
      {R"(\x80\x02N\x80\x07.)"_pk, 3, 0x80, {kUnsupported}},
  });
}

TEST(UnpicklerBadInput, OutOfBandBuffersMissing) {
  check_all({
      {R"(\x80\x05\x97.)"_pk, 2, 0x97, {kUnsupported}},
      {R"(\x80\x05]\x97a.)"_pk, 3, 0x97, {kUnsupported}},
  });
  LoadOptions none_given;
  none_given.buffers = std::vector<pickle::OutOfBandBuffer>{};
  check_all({{R"(\x80\x05\x97.)"_pk, 2, 0x97, {kUnsupported}}}, none_given);
}

TEST(UnpicklerBadInput, EmptyGlobalNames) {
  check_all({
      {R"(c\nlog\n.)"_pk, 0, 'c', {kBadArg, kTruncated}},
      {R"(cmath\n\n.)"_pk, 0, 'c', {kBadArg, kTruncated}},
      {R"(\x80\x04cmath\n\n.)"_pk, 2, 'c', {kBadArg, kTruncated}},
      {R"((i\nC\n.)"_pk, 1, 'i', {kBadArg, kTruncated}},
  });
}

// ---------------------------------------------------------------------------
// Errors in a later pickle of a stream carry absolute offsets

TEST(UnpicklerBadInput, OffsetsAreAbsoluteAcrossPickles) {
  const std::string data = R"(K\x01.\x80\x02]K\x01s.)"_pk;
  pickle::MemorySource src(data);
  pickle::Unpickler u(src);
  Graph g;
  EXPECT_EQ(u.load(g).as_int(), 1);
  try {
    u.load(g);
    ADD_FAILURE() << "second pickle loaded";
  } catch (const UnpicklingError& e) {
    EXPECT_TRUE(ErrorIs(e, 8, op('s'), {kUnderflow, kBadType}));
  }
}

}  // namespace
