// Unit tests of the opcode walker (pickle/tools/ops.hpp), the disassembler and the
// optimizer. The walker must agree with the Unpickler on every stream: where each
// opcode starts and ends, and which streams are unreadable, with the same error. The
// expected dis and optimize outputs below were produced by CPython 3.13's pickletools
// (with our opcode docs put in place of its own for the annotated case); the golden
// tests in tests/tools compare against CPython at test time on many more pickles.
//
// Pickles are written as the body of a Python bytes literal (R"p(...)p"_pk): \xHH, \n,
// \\ and \" are escapes, everything else stands for itself.

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/repr.hpp"
#include "pickle/tools/dis.hpp"
#include "pickle/tools/ops.hpp"
#include "pickle/tools/optimize.hpp"

#include "pickle_literal.hpp"
#include "text/text.hpp"

namespace {

using pickle::ErrorCode;
using pickle::Op;
using pickle::UnpicklingError;
using pickle::tools::Argument;
using pickle::tools::Instruction;
using pickle::tools::OpcodeWalker;

using pickle_test::operator""_pk;

std::string printable(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 32 && c < 127 && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct Named {
  const char* name;
  std::string bytes;
};

// Pickles written by CPython 3.13 (protocols 0-5) and 2.7 (0-2) of data that uses
// most opcodes: ints at every width, floats, str, bytes, bytearray, Python 2 str,
// tuples, dicts, sets, frozensets, reductions, old-style instances (INST, OBJ),
// persistent ids, shared references.
const std::vector<Named>& corpus() {
  static const std::vector<Named> c = {
      // protocol 0
      {"p0", R"p((lp0\nNaI01\naI00\naI0\naI1\naI-1\naI255\naI256\naI65535\naI65536\naI-214748)p"
             R"p(3648\naL2147483648L\naL9223372036854775808L\naL-18446744073709551616L\naL160)p"
             R"p(6938044258990275541962092341162602522202993782792835301376L\naF1.5\naFinf\na)p"
             R"p(F-0.0\naVtext\np1\naV\xe9\\u20ac\\U0001f600\np2\naV\\ud800\np3\nac_codecs\ne)p"
             R"p(ncode\np4\n(Vby\\u0000tes\np5\nVlatin1\np6\ntp7\nRp8\nac__builtin__\nbytearr)p"
             R"p(ay\np9\n(g4\n(Vba\np10\ng6\ntp11\nRp12\ntp13\nRp14\na(ta(I1\ntp15\na(I1\nI2)p"
             R"p(\ntp16\na(I1\nI2\nI3\ntp17\na(I1\nI2\nI3\nI4\ntp18\na(dp19\na(dp20\nVk\np21)p"
             R"p(\nVv\np22\nsI2\nNsac__builtin__\nset\np23\n((lp24\ntp25\nRp26\nag23\n((lp27)p"
             R"p(\nI1\naI2\natp28\nRp29\nac__builtin__\nfrozenset\np30\n((lp31\nI3\natp32\nRp)p"
             R"p(33\naccollections\nOrderedDict\np34\n(tRp35\nVa\np36\nI1\nsacdatetime\ndate)p"
             R"p(\np37\n(g4\n(V\x07\xe4\x01\x02\np38\ng6\ntp39\nRp40\ntp41\nRp42\naVxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\np43\nag43\n)p"
             R"p(a(lp44\ng0\naa.)p"_pk},
      // protocol 1
      {"p1", R"p(]q\x00(NI01\nI00\nK\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\x00)p"
             R"p(\x00\x01\x00J\x00\x00\x00\x80L2147483648L\nL9223372036854775808L\nL-18446744)p"
             R"p(073709551616L\nL160693804425899027554196209234116260252220299378279283530137)p"
             R"p(6L\nG?\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00G\x80\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00X\x04\x00\x00\x00textq\x01X\x09\x00\x00\x00\xc3\xa9)p"
             R"p(\xe2\x82\xac\xf0\x9f\x98\x80q\x02X\x03\x00\x00\x00\xed\xa0\x80q\x03c_codecs)p"
             R"p(\nencode\nq\x04(X\x06\x00\x00\x00by\x00tesq\x05X\x06\x00\x00\x00latin1q\x06t)p"
             R"p(q\x07Rq\x08c__builtin__\nbytearray\nq\x09(h\x04(X\x02\x00\x00\x00baq\nh\x06t)p"
             R"p(q\x0bRq\x0ctq\x0dRq\x0e)(K\x01tq\x0f(K\x01K\x02tq\x10(K\x01K\x02K\x03tq\x11()p"
             R"p(K\x01K\x02K\x03K\x04tq\x12}q\x13}q\x14(X\x01\x00\x00\x00kq\x15X\x01\x00\x00)p"
             R"p(\x00vq\x16K\x02Nuc__builtin__\nset\nq\x17(]q\x18tq\x19Rq\x1ah\x17(]q\x1b(K)p"
             R"p(\x01K\x02etq\x1cRq\x1dc__builtin__\nfrozenset\nq\x1e(]q\x1fK\x03atq Rq!ccoll)p"
             R"p(ections\nOrderedDict\nq\")Rq#X\x01\x00\x00\x00aq$K\x01scdatetime\ndate\nq%(h)p"
             R"p(\x04(X\x05\x00\x00\x00\x07\xc3\xa4\x01\x02q&h\x06tq'Rq(tq)Rq*X,\x01\x00\x00x)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq+h+])p"
             R"p(q,h\x00ae.)p"_pk},
      // protocol 2
      {"p2", R"p(\x80\x02]q\x00(N\x88\x89K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ)p"
             R"p(\x00\x00\x01\x00J\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a\x09\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff)p"
             R"p(\x8a\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00\x00\x00\x01G?\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf0)p"
             R"p(\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00X\x04\x00\x00\x00te)p"
             R"p(xtq\x01X\x09\x00\x00\x00\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80q\x02X\x03\x00)p"
             R"p(\x00\x00\xed\xa0\x80q\x03c_codecs\nencode\nq\x04X\x06\x00\x00\x00by\x00tesq)p"
             R"p(\x05X\x06\x00\x00\x00latin1q\x06\x86q\x07Rq\x08c__builtin__\nbytearray\nq)p"
             R"p(\x09h\x04X\x02\x00\x00\x00baq\nh\x06\x86q\x0bRq\x0c\x85q\x0dRq\x0e)K\x01\x85)p"
             R"p(q\x0fK\x01K\x02\x86q\x10K\x01K\x02K\x03\x87q\x11(K\x01K\x02K\x03K\x04tq\x12})p"
             R"p(q\x13}q\x14(X\x01\x00\x00\x00kq\x15X\x01\x00\x00\x00vq\x16K\x02Nuc__builtin_)p"
             R"p(_\nset\nq\x17]q\x18\x85q\x19Rq\x1ah\x17]q\x1b(K\x01K\x02e\x85q\x1cRq\x1dc__b)p"
             R"p(uiltin__\nfrozenset\nq\x1e]q\x1fK\x03a\x85q Rq!ccollections\nOrderedDict\nq)p"
             R"p(\")Rq#X\x01\x00\x00\x00aq$K\x01scdatetime\ndate\nq%h\x04X\x05\x00\x00\x00)p"
             R"p(\x07\xc3\xa4\x01\x02q&h\x06\x86q'Rq(\x85q)Rq*X,\x01\x00\x00xxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq+h+]q,h\x00ae.)p"_pk},
      // protocol 3
      {"p3",
       R"p(\x80\x03]q\x00(N\x88\x89K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ)p"
       R"p(\x00\x00\x01\x00J\x00\x00\x00\x80\x8a\x05\x00\x00\x00\x80\x00\x8a\x09\x00)p"
       R"p(\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff)p"
       R"p(\x8a\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
       R"p(\x00\x00\x00\x00\x00\x00\x00\x00\x01G?\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf0)p"
       R"p(\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00X\x04\x00\x00\x00te)p"
       R"p(xtq\x01X\x09\x00\x00\x00\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80q\x02X\x03\x00)p"
       R"p(\x00\x00\xed\xa0\x80q\x03C\x06by\x00tesq\x04cbuiltins\nbytearray\nq\x05C\x02)p"
       R"p(baq\x06\x85q\x07Rq\x08)K\x01\x85q\x09K\x01K\x02\x86q\nK\x01K\x02K\x03\x87q)p"
       R"p(\x0b(K\x01K\x02K\x03K\x04tq\x0c}q\x0d}q\x0e(X\x01\x00\x00\x00kq\x0fX\x01\x00)p"
       R"p(\x00\x00vq\x10K\x02Nucbuiltins\nset\nq\x11]q\x12\x85q\x13Rq\x14h\x11]q\x15(K)p"
       R"p(\x01K\x02e\x85q\x16Rq\x17cbuiltins\nfrozenset\nq\x18]q\x19K\x03a\x85q\x1aRq)p"
       R"p(\x1bccollections\nOrderedDict\nq\x1c)Rq\x1dX\x01\x00\x00\x00aq\x1eK\x01scdat)p"
       R"p(etime\ndate\nq\x1fC\x04\x07\xe4\x01\x02q \x85q!Rq\"X,\x01\x00\x00xxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
       R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq#h#]q$h\x00ae.)p"_pk},
      // protocol 4
      {"p4", R"p(\x80\x04\x95y\x02\x00\x00\x00\x00\x00\x00]\x94(N\x88\x89K\x00K\x01J\xff\xff)p"
             R"p(\xff\xffK\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\x00\x00\x00\x80\x8a\x05)p"
             R"p(\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x09\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01G?\xf8)p"
             R"p(\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00)p"
             R"p(\x00\x00\x00\x00\x8c\x04text\x94\x8c\x09\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80)p"
             R"p(\x94\x8c\x03\xed\xa0\x80\x94C\x06by\x00tes\x94\x8c\x08builtins\x94\x8c\x09by)p"
             R"p(tearray\x94\x93\x94C\x02ba\x94\x85\x94R\x94)K\x01\x85\x94K\x01K\x02\x86\x94K)p"
             R"p(\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t\x94}\x94}\x94(\x8c\x01k\x94\x8c)p"
             R"p(\x01v\x94K\x02Nu\x8f\x94\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x8c\x0bcollect)p"
             R"p(ions\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94\x8c\x01a\x94K\x01s\x8c\x08date)p"
             R"p(time\x94\x8c\x04date\x94\x93\x94C\x04\x07\xe4\x01\x02\x94\x85\x94R\x94X,\x01)p"
             R"p(\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxx\x94h!]\x94h\x00ae.)p"_pk},
      // protocol 5
      {"p5", R"p(\x80\x05\x95c\x02\x00\x00\x00\x00\x00\x00]\x94(N\x88\x89K\x00K\x01J\xff\xff)p"
             R"p(\xff\xffK\xffM\x00\x01M\xff\xffJ\x00\x00\x01\x00J\x00\x00\x00\x80\x8a\x05)p"
             R"p(\x00\x00\x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x09\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00)p"
             R"p(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01G?\xf8)p"
             R"p(\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00)p"
             R"p(\x00\x00\x00\x00\x8c\x04text\x94\x8c\x09\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80)p"
             R"p(\x94\x8c\x03\xed\xa0\x80\x94C\x06by\x00tes\x94\x96\x02\x00\x00\x00\x00\x00)p"
             R"p(\x00\x00ba\x94)K\x01\x85\x94K\x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K)p"
             R"p(\x02K\x03K\x04t\x94}\x94}\x94(\x8c\x01k\x94\x8c\x01v\x94K\x02Nu\x8f\x94\x8f)p"
             R"p(\x94(K\x01K\x02\x90(K\x03\x91\x94\x8c\x0bcollections\x94\x8c\x0bOrderedDict)p"
             R"p(\x94\x93\x94)R\x94\x8c\x01a\x94K\x01s\x8c\x08datetime\x94\x8c\x04date\x94)p"
             R"p(\x93\x94C\x04\x07\xe4\x01\x02\x94\x85\x94R\x94X,\x01\x00\x00xxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)p"
             R"p(xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x94h\x1c]\x94h\x00a)p"
             R"p(e.)p"_pk},
      // Python 2.7
      {"py2_p0", R"p((lp0\n(i__main__\nOld\np1\n(dp2\nS'a'\np3\nI1\nsba(I1\nS'x'\np5\ni__main__\n)p"
                 R"p(Init\np6\n(dp7\nbaccopy_reg\n_reconstructor\np8\n(c__main__\nNew\np9\nc__bui)p"
                 R"p(ltin__\nobject\np10\nNtp11\nRp12\n(dp13\nS'z'\np14\nV\xe9\np15\nsbaS'str\\xf)p"
                 R"p(f'\np16\naVuni\\u20ac\np17\naL1000000000000000000000000000000L\naS'ppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp'\np18\na(dp1)p"
                 R"p(9\ng3\nF1.25\nsa(I1\nI2\ntp20\naPpid\na.)p"_pk},
      {"py2_p1", R"p(]q\x00((c__main__\nOld\nq\x01oq\x02}q\x03U\x01aq\x04K\x01sb(c__main__\nInit)p"
                 R"p(\nq\x06K\x01U\x01xq\x07oq\x08}q\x09bccopy_reg\n_reconstructor\nq\n(c__main__)p"
                 R"p(\nNew\nq\x0bc__builtin__\nobject\nq\x0cNtq\x0dRq\x0e}q\x0fU\x01zq\x10X\x02)p"
                 R"p(\x00\x00\x00\xc3\xa9q\x11sbU\x04str\xffq\x12X\x06\x00\x00\x00uni\xe2\x82\xac)p"
                 R"p(q\x13L1000000000000000000000000000000L\nT,\x01\x00\x00pppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(ppppppppppppppppppppppppppppppppppppppppppppppppppq\x14}q\x15h\x04G?\xf4\x00)p"
                 R"p(\x00\x00\x00\x00\x00s(K\x01K\x02tq\x16U\x03pidq\x17Qe.)p"_pk},
      {"py2_p2", R"p(\x80\x02]q\x00((c__main__\nOld\nq\x01oq\x02}q\x03U\x01aq\x04K\x01sb(c__main_)p"
                 R"p(_\nInit\nq\x06K\x01U\x01xq\x07oq\x08}q\x09bc__main__\nNew\nq\n)\x81q\x0b}q)p"
                 R"p(\x0cU\x01zq\x0dX\x02\x00\x00\x00\xc3\xa9q\x0esbU\x04str\xffq\x0fX\x06\x00)p"
                 R"p(\x00\x00uni\xe2\x82\xacq\x10\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\x9c,\x9f\x0c)p"
                 R"p(T,\x01\x00\x00pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp)p"
                 R"p(ppppppppppq\x11}q\x12h\x04G?\xf4\x00\x00\x00\x00\x00\x00sK\x01K\x02\x86q\x13)p"
                 R"p(U\x03pidq\x14Qe.)p"_pk},
  };
  return c;
}

std::vector<Instruction> walk(std::string_view bytes) {
  return pickle::tools::genops(bytes);
}

// ---------------------------------------------------------------------------
// The walker

TEST(OpcodeWalker, PositionsAndArguments) {
  std::string p =
      R"p(\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01e.)p"_pk;
  auto ops = walk(p);
  ASSERT_EQ(ops.size(), 10u);
  const Op expect[] = {Op::proto,      Op::empty_list, Op::binput, Op::mark,    Op::binint1,
                       Op::binunicode, Op::binput,     Op::long1,  Op::appends, Op::stop};
  uint64_t pos = 0;
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(ops[i].op, expect[i]) << i;
    EXPECT_EQ(ops[i].pos, pos) << i;
    pos = ops[i].end;
  }
  EXPECT_EQ(ops[0].arg.type, Argument::Type::integer);
  EXPECT_EQ(ops[0].arg.integer, 2);
  EXPECT_EQ(ops[1].arg.type, Argument::Type::none);
  EXPECT_EQ(ops[4].arg.integer, 1);
  EXPECT_EQ(ops[5].arg.type, Argument::Type::text);
  EXPECT_EQ(ops[5].arg.text, "a");
  EXPECT_EQ(ops[5].end, 14u);
  ASSERT_TRUE(ops[7].arg.is_big);  // 2**64
  EXPECT_EQ(ops[7].arg.big, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(ops[9].end, p.size());
}

TEST(OpcodeWalker, TextArguments) {
  auto ops = walk(
      R"p(I01\nI-5\nL12345678901234567890L\nF-1.5\nS'a\\nb'\ncmod\nname\nPpid\\x41\nVa\\u20ac\ng7\np8\n.)p"_pk);
  ASSERT_EQ(ops.size(), 11u);
  EXPECT_EQ(ops[0].arg.type, Argument::Type::boolean);
  EXPECT_TRUE(ops[0].arg.boolean);
  EXPECT_EQ(ops[0].arg.line, "01");
  EXPECT_EQ(ops[1].arg.integer, -5);
  EXPECT_TRUE(ops[2].arg.is_big);
  EXPECT_EQ(ops[2].arg.line, "12345678901234567890L");
  EXPECT_EQ(ops[3].arg.floating, -1.5);
  EXPECT_EQ(ops[3].arg.line, "-1.5");
  EXPECT_EQ(ops[4].arg.type, Argument::Type::bytes);
  EXPECT_EQ(ops[4].arg.text, "a\nb");  // escapes undone, as the Unpickler does
  EXPECT_EQ(ops[5].arg.type, Argument::Type::global);
  EXPECT_EQ(ops[5].arg.text, "mod");
  EXPECT_EQ(ops[5].arg.name, "name");
  EXPECT_EQ(ops[6].arg.text, "pid\\x41");  // PERSID's line as written
  EXPECT_EQ(ops[7].arg.text, "a\xe2\x82\xac");
  EXPECT_EQ(ops[8].arg.integer, 7);
  EXPECT_EQ(ops[9].arg.integer, 8);
}

TEST(OpcodeWalker, SeveralPickles) {
  const std::string data = R"p(N.K\x01.)p"_pk;  // the source views it: keep it alive
  pickle::MemorySource src(data);
  OpcodeWalker w(src);
  Instruction ins;
  ASSERT_TRUE(w.next(ins));
  EXPECT_EQ(ins.op, Op::none);
  ASSERT_TRUE(w.next(ins));
  EXPECT_EQ(ins.op, Op::stop);
  EXPECT_FALSE(w.next(ins));
  EXPECT_FALSE(w.at_end());
  ASSERT_TRUE(w.next(ins));
  EXPECT_EQ(ins.op, Op::binint1);
  EXPECT_EQ(ins.pos, 2u);
  EXPECT_EQ(w.pickle_start(), 2u);
  ASSERT_TRUE(w.next(ins));
  EXPECT_EQ(ins.op, Op::stop);
  EXPECT_FALSE(w.next(ins));
  EXPECT_TRUE(w.at_end());
  EXPECT_THROW(w.next(ins), UnpicklingError);  // no third pickle
}

TEST(OpcodeWalker, Errors) {
  auto error = [](std::string_view bytes) -> UnpicklingError {
    try {
      walk(bytes);
    } catch (const UnpicklingError& e) {
      return e;
    }
    ADD_FAILURE() << "no error for " << printable(bytes);
    return UnpicklingError(ErrorCode::bad_argument, 0, std::nullopt, "");
  };
  auto e = error("");
  EXPECT_EQ(e.code(), ErrorCode::empty_input);
  e = error("N");
  EXPECT_EQ(e.code(), ErrorCode::truncated);
  EXPECT_EQ(e.offset(), 1u);
  EXPECT_FALSE(e.opcode());
  e = error(R"p(N\xff.)p"_pk);
  EXPECT_EQ(e.code(), ErrorCode::bad_opcode);
  EXPECT_EQ(e.offset(), 1u);
  e = error(R"p(NX\x05\x00\x00\x00ab.)p"_pk);
  EXPECT_EQ(e.code(), ErrorCode::truncated);
  EXPECT_EQ(e.offset(), 1u);
  EXPECT_EQ(e.opcode(), std::optional<uint8_t>('X'));
  e = error(R"p(\x80\x06N.)p"_pk);
  EXPECT_EQ(e.code(), ErrorCode::unsupported);
  e = error(R"p(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00I12\n.)p"_pk);
  EXPECT_EQ(e.code(), ErrorCode::bad_frame);
  EXPECT_EQ(e.offset(), 11u);
  // What needs the stack or the memo is not the walker's business.
  EXPECT_NO_THROW(walk(R"p(a0h\x09\x82\x01.)p"_pk));
}

// ---------------------------------------------------------------------------
// The walker and the Unpickler agree

// What a reader of one pickle concluded: where it stopped, and how.
struct Outcome {
  bool ok = false;
  uint64_t offset = 0;  // end of the pickle, or the failing offset
  std::optional<uint8_t> opcode;
  ErrorCode code = ErrorCode::truncated;
  std::string message;
};

Outcome noload(const std::string& bytes, bool stream) {
  Outcome o;
  std::istringstream in(bytes);
  pickle::MemorySource mem(bytes);
  pickle::StreamSource str(in);
  pickle::Source& src = stream ? static_cast<pickle::Source&>(str) : mem;
  pickle::Unpickler u(src);
  try {
    o.offset = u.noload().end_offset;
    o.ok = true;
  } catch (const UnpicklingError& e) {
    o.offset = e.offset();
    o.opcode = e.opcode();
    o.code = e.code();
    o.message = e.what();
  }
  return o;
}

Outcome walker(const std::string& bytes, bool stream) {
  Outcome o;
  std::istringstream in(bytes);
  pickle::MemorySource mem(bytes);
  pickle::StreamSource str(in);
  pickle::Source& src = stream ? static_cast<pickle::Source&>(str) : mem;
  OpcodeWalker w(src);
  Instruction ins;
  try {
    while (w.next(ins)) o.offset = ins.end;
    o.ok = true;
  } catch (const UnpicklingError& e) {
    o.offset = e.offset();
    o.opcode = e.opcode();
    o.code = e.code();
    o.message = e.what();
  }
  return o;
}

// Errors of the machine, not of the stream: the walker reads past them.
bool needs_the_machine(const Outcome& o) {
  switch (o.code) {
    case ErrorCode::stack_underflow:
    case ErrorCode::missing_mark:
    case ErrorCode::bad_type:
    case ErrorCode::memo_missing:
    case ErrorCode::unhashable:
    case ErrorCode::refused_global: return true;
    case ErrorCode::unsupported:  // an unregistered extension code, buffers not given
      return o.opcode &&
             (*o.opcode == 0x82 || *o.opcode == 0x83 || *o.opcode == 0x84 || *o.opcode == 0x97);
    case ErrorCode::bad_argument:  // STACK_GLOBAL of empty names
      return o.opcode == std::optional<uint8_t>(0x93);
    case ErrorCode::limit_exceeded:  // the stack, the marks, the memo, the nodes
      return o.message.find("stack") != std::string::npos ||
             o.message.find("MARK") != std::string::npos ||
             o.message.find("memo") != std::string::npos ||
             o.message.find("nodes") != std::string::npos;
    default: return false;
  }
}

::testing::AssertionResult Agree(const std::string& bytes, bool stream) {
  Outcome u = noload(bytes, stream);
  Outcome w = walker(bytes, stream);
  auto fail = [&](const char* why) {
    return ::testing::AssertionFailure()
           << why << (stream ? " (stream)" : "") << " for \"" << printable(bytes)
           << "\"\n  unpickler: " << (u.ok ? "ok at " + std::to_string(u.offset) : u.message)
           << "\n  walker:    " << (w.ok ? "ok at " + std::to_string(w.offset) : w.message);
  };
  if (u.ok) {
    if (!w.ok || w.offset != u.offset) return fail("the Unpickler reads it, the walker does not");
    return ::testing::AssertionSuccess();
  }
  if (!w.ok && w.offset < u.offset) return fail("the walker fails first");
  if (!w.ok && w.offset == u.offset) {
    if (w.message == u.message) return ::testing::AssertionSuccess();
    // INST checks its mark before its names; the walker has no mark to check.
    if (u.code == ErrorCode::missing_mark && u.opcode == std::optional<uint8_t>('i'))
      return ::testing::AssertionSuccess();
  }
  if (needs_the_machine(u)) return ::testing::AssertionSuccess();
  // A text number CPython's unpickler refuses and pickletools reads: the walker reads
  // on, so that `dis` shows it. See [NOTE text-numbers].
  if (u.code == ErrorCode::bad_argument && u.opcode &&
      (*u.opcode == 'I' || *u.opcode == 'L' || *u.opcode == 'F') && (w.ok || w.offset > u.offset))
    return ::testing::AssertionSuccess();
  return fail("different verdicts");
}

TEST(OpcodeWalker, AgreesWithTheUnpicklerOnValidPickles) {
  for (const Named& p : corpus()) {
    SCOPED_TRACE(p.name);
    EXPECT_TRUE(Agree(p.bytes, false));
    EXPECT_TRUE(Agree(p.bytes, true));
    Outcome w = walker(p.bytes, false);
    EXPECT_TRUE(w.ok);
    EXPECT_EQ(w.offset, p.bytes.size());
  }
}

TEST(OpcodeWalker, AgreesWithTheUnpicklerOnEveryTruncation) {
  for (const Named& p : corpus()) {
    SCOPED_TRACE(p.name);
    int failures = 0;
    for (size_t n = 0; n < p.bytes.size() && failures < 3; ++n) {
      std::string prefix = p.bytes.substr(0, n);
      for (bool stream : {false, true}) {
        auto r = Agree(prefix, stream);
        if (!r) {
          ADD_FAILURE() << r.message();
          ++failures;
        }
      }
    }
  }
}

TEST(OpcodeWalker, AgreesWithTheUnpicklerOnMutations) {
  uint64_t state = 0x2545f4914f6cdd1du;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  static const uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '(', '.',
                                         '\n', 0x95, 0x94, '\'', '\\', 'L', '0'};
  int failures = 0;
  for (const Named& p : corpus()) {
    SCOPED_TRACE(p.name);
    for (int round = 0; round < 1500 && failures < 5; ++round) {
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
      auto r = Agree(m, round % 2 == 1);
      if (!r) {
        ADD_FAILURE() << r.message();
        ++failures;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// dis

struct DisCase {
  const char* name;
  std::string bytes;
  std::string text;
};

std::string dis_text(const std::string& bytes, const pickle::tools::DisOptions& o,
                     std::optional<UnpicklingError>* error = nullptr) {
  std::ostringstream out;
  try {
    pickle::tools::dis(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), out,
                       o);
  } catch (const UnpicklingError& e) {
    if (error)
      error->emplace(e);
    else
      ADD_FAILURE() << e.what();
  }
  return out.str();
}

TEST(Dis, MatchesPickletools) {
  const std::vector<DisCase> cases = {
      {"small_p2",
       R"p(\x80\x02]q\x00(K\x01K\x02X\x01\x00\x00\x00xq\x01\x86q\x02}q\x03c_codecs\nenc)p"
       R"p(ode\nq\x04X\x01\x00\x00\x00kq\x05X\x06\x00\x00\x00latin1q\x06\x86q\x07Rq\x08)p"
       R"p(Nse.)p"_pk,
       R"(    0: \x80 PROTO      2
    2: ]    EMPTY_LIST
    3: q    BINPUT     0
    5: (    MARK
    6: K        BININT1    1
    8: K        BININT1    2
   10: X        BINUNICODE 'x'
   16: q        BINPUT     1
   18: \x86     TUPLE2
   19: q        BINPUT     2
   21: }        EMPTY_DICT
   22: q        BINPUT     3
   24: c        GLOBAL     '_codecs encode'
   40: q        BINPUT     4
   42: X        BINUNICODE 'k'
   48: q        BINPUT     5
   50: X        BINUNICODE 'latin1'
   61: q        BINPUT     6
   63: \x86     TUPLE2
   64: q        BINPUT     7
   66: R        REDUCE
   67: q        BINPUT     8
   69: N        NONE
   70: s        SETITEM
   71: e        APPENDS    (MARK at 5)
   72: .    STOP
highest protocol among opcodes = 2
)"},
      {"memo_p4",
       R"p(\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94K\x01a\x8c\x01a\x94h)p"
       R"p(\x02e.)p"_pk,
       R"(    0: \x80 PROTO      4
    2: \x95 FRAME      16
   11: ]    EMPTY_LIST
   12: \x94 MEMOIZE    (as 0)
   13: (    MARK
   14: ]        EMPTY_LIST
   15: \x94     MEMOIZE    (as 1)
   16: K        BININT1    1
   18: a        APPEND
   19: \x8c     SHORT_BINUNICODE 'a'
   22: \x94     MEMOIZE    (as 2)
   23: h        BINGET     2
   25: e        APPENDS    (MARK at 13)
   26: .    STOP
highest protocol among opcodes = 4
)"},
      {"shared_p0_annotated", R"p((lp0\n(lp1\nI1\naag1\na(g1\nF2.5\ntp2\na.)p"_pk,
       R"(    0: (    MARK                      push a mark
    1: l        LIST       (MARK at 0) build a list of the items above the mark
    2: p    PUT        0               store the top item in the memo at a decimal index
    5: (    MARK                       push a mark
    6: l        LIST       (MARK at 5) build a list of the items above the mark
    7: p    PUT        1               store the top item in the memo at a decimal index
   10: I    INT        1               push an int (or bool 00/01) written as a decimal line
   13: a    APPEND                     append the top item to the list below it
   14: a    APPEND                     append the top item to the list below it
   15: g    GET        1               push the memo entry named by a decimal line
   18: a    APPEND                     append the top item to the list below it
   19: (    MARK                       push a mark
   20: g        GET        1           push the memo entry named by a decimal line
   23: F        FLOAT      2.5         push a float written as a repr line
   28: t        TUPLE      (MARK at 19) build a tuple of the items above the mark
   29: p    PUT        2                store the top item in the memo at a decimal index
   32: a    APPEND                      append the top item to the list below it
   33: .    STOP                        end of the pickle: the top item is the result
highest protocol among opcodes = 0
)"},
      {"indent2", R"p(]q\x00(K\x01(K\x02(K\x03tq\x01tq\x02tq\x03a.)p"_pk,
       R"(    0: ]    EMPTY_LIST
    1: q    BINPUT     0
    3: (    MARK
    4: K      BININT1    1
    6: (      MARK
    7: K        BININT1    2
    9: (        MARK
   10: K          BININT1    3
   12: t          TUPLE      (MARK at 9)
   13: q        BINPUT     1
   15: t        TUPLE      (MARK at 6)
   16: q      BINPUT     2
   18: t      TUPLE      (MARK at 3)
   19: q    BINPUT     3
   21: a    APPEND
   22: .    STOP
highest protocol among opcodes = 1
)"},
      {"notempty", R"p(NN.)p"_pk,
       R"(    0: N    NONE
    1: N    NONE
    2: .    STOP
highest protocol among opcodes = 0
)"},
      {"nomark", R"p(N1.)p"_pk,
       R"(    0: N    NONE
    1: 1    POP_MARK   no MARK exists on stack
)"},
      {"desync", R"p((\x85t.)p"_pk,
       R"(    0: (    MARK
    1: \x85     TUPLE1
    2: )"},
      {"getnever", R"p(K\x01h\x05.)p"_pk,
       R"(    0: K    BININT1    1
    2: h    BINGET     5
)"},
  };
  for (const DisCase& c : cases) {
    SCOPED_TRACE(c.name);
    pickle::tools::DisOptions o;
    std::string name = c.name;
    if (name == "shared_p0_annotated") o.annotate = 30;
    if (name == "indent2") o.indentlevel = 2;
    std::optional<UnpicklingError> error;
    EXPECT_EQ(dis_text(c.bytes, o, &error), c.text);
    bool fails = name == "notempty" || name == "nomark" || name == "desync" || name == "getnever";
    EXPECT_EQ(error.has_value(), fails) << (error ? error->what() : "");
  }
}

// Text numbers as pickletools shows them, where the Unpickler loads them otherwise or
// refuses them (issue 12: FLOAT of 400 nines was shown as 0.0). See [NOTE text-numbers].
TEST(Dis, TextNumbersAsPickletoolsShowsThem) {
  struct Case {
    std::string bytes, text;
    bool loads;
  };
  const Case cases[] = {
      {"F" + std::string(400, '9') + "\n.",
       "    0: F    FLOAT      inf\n  402: .    STOP\nhighest protocol among opcodes = 0\n", false},
      {"F 1_0.5 \n.",
       "    0: F    FLOAT      10.5\n    9: .    STOP\nhighest protocol among opcodes = 0\n",
       false},
      {"I010\n.",
       "    0: I    INT        10\n    5: .    STOP\nhighest protocol among opcodes = 0\n", true},
      {"I-0\n.", "    0: I    INT        0\n    4: .    STOP\nhighest protocol among opcodes = 0\n",
       true},
      {"L010L\n.",
       "    0: L    LONG       10\n    6: .    STOP\nhighest protocol among opcodes = 0\n", false},
      {"F1e-400\n.",
       "    0: F    FLOAT      0.0\n    8: .    STOP\nhighest protocol among opcodes = 0\n", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes.substr(0, 20));
    EXPECT_EQ(dis_text(c.bytes, {}), c.text);
    bool loaded = true;
    try {
      pickle::loads(c.bytes);
    } catch (const UnpicklingError& e) {
      loaded = false;
      EXPECT_EQ(e.code(), ErrorCode::bad_argument);
      EXPECT_EQ(e.offset(), 0u);
    }
    EXPECT_EQ(loaded, c.loads);
  }
  // A line only the Unpickler reads (a NUL ends it in C) stops dis where pickletools stops.
  std::optional<UnpicklingError> e;
  EXPECT_EQ(dis_text("F1\x00\n."_pk, {}, &e), "");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset(), 0u);
  pickle::Document doc = pickle::loads("F1\x00\n."_pk);
  EXPECT_EQ(doc.root().as_float(), 1.0);
}

TEST(Dis, ErrorsNameTheOpcode) {
  std::optional<UnpicklingError> e;
  dis_text(R"p(NN.)p"_pk, {}, &e);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset(), 2u);
  EXPECT_EQ(e->opcode(), std::optional<uint8_t>('.'));
  EXPECT_EQ(e->code(), ErrorCode::stack_underflow);
  e.reset();
  dis_text(R"p(K\x01h\x05.)p"_pk, {}, &e);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset(), 2u);
  EXPECT_EQ(e->code(), ErrorCode::memo_missing);
  e.reset();
  // pickletools cannot show a Python 2 str that is not ASCII: nothing for it.
  EXPECT_EQ(dis_text(R"p(NS'\\xff'\n.)p"_pk, {}, &e), "    0: N    NONE\n");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset(), 1u);
  EXPECT_EQ(e->code(), ErrorCode::bad_encoding);
}

// dis prints arguments with the literal formatting `show` uses (one implementation in
// the text layer): every byte value, next to each mix of quotes, as bytes, bytearray,
// Python 2 str and str.
TEST(Dis, LiteralsAsShowPrintsThem) {
  // pickletools 3.13 (repr of a bytearray escapes every ', even between double quotes).
  EXPECT_EQ(dis_text(R"p(\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00a'b.)p"_pk, {}),
            "    0: \\x80 PROTO      5\n"
            "    2: \\x96 BYTEARRAY8 bytearray(b\"a\\'b\")\n"
            "   14: .    STOP\n"
            "highest protocol among opcodes = 5\n");
  auto le = [](uint64_t n, int width) {
    std::string s;
    for (int i = 0; i < width; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
  };
  struct Form {
    const char* name;
    std::string head;  // the opcode and its length field, before the payload
    int width;
    bool text;  // payload is the UTF-8 of Latin-1 code points
  };
  const Form forms[] = {{"BINBYTES",
                         "\x80\x03"
                         "B",
                         4, false},
                        {"BYTEARRAY8", "\x80\x05\x96", 8, false},
                        {"SHORT_BINSTRING", "\x80\x02U", 1, false},
                        {"BINUNICODE", "\x80\x02X", 4, true}};
  const std::string_view mixes[] = {"", "'", "\"", "'\"", "\"'", "\\'"};
  for (const Form& f : forms) {
    for (std::string_view mix : mixes) {
      for (int b = 0; b < 256; ++b) {
        std::string raw = std::string(1, static_cast<char>(b)) + std::string(mix) + "x";
        std::string payload = raw;
        if (f.text) {
          payload.clear();
          for (char c : raw) pickle::detail::append_utf8(payload, static_cast<uint8_t>(c));
        }
        std::string bytes = f.head + le(payload.size(), f.width) + payload + ".";
        pickle::LoadOptions latin1;
        latin1.py2_str.encoding = "latin1";
        pickle::Document doc = pickle::loads(bytes, latin1);
        std::string shown = pickle::repr(doc.root());
        std::string text = dis_text(bytes, {});
        std::string name = std::string(" ") + f.name;
        size_t at = text.find(name);
        ASSERT_NE(at, std::string::npos) << text;
        size_t arg = text.find_first_not_of(' ', at + name.size());
        std::string line = text.substr(arg, text.find('\n', arg) - arg);
        EXPECT_EQ(line, shown) << f.name << " of " << printable(raw);
      }
    }
  }
}

TEST(Dis, SharedMemoAcrossPickles) {
  std::string two = R"p(\x80\x02]q\x00.h\x00.)p"_pk;
  pickle::MemorySource src(two);
  OpcodeWalker w(src);
  pickle::tools::DisMemo memo;
  std::ostringstream out;
  pickle::tools::dis(w, out, {}, &memo);
  EXPECT_FALSE(w.at_end());
  pickle::tools::dis(w, out, {}, &memo);
  EXPECT_EQ(out.str(),
            "    0: \\x80 PROTO      2\n"
            "    2: ]    EMPTY_LIST\n"
            "    3: q    BINPUT     0\n"
            "    5: .    STOP\n"
            "highest protocol among opcodes = 2\n"
            "    0: h    BINGET     0\n"
            "    2: .    STOP\n"
            "highest protocol among opcodes = 1\n");
}

// ---------------------------------------------------------------------------
// optimize

TEST(Optimize, MatchesPickletools) {
  struct Case {
    const char* name;
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"p0", R"p((lp0\n(lp1\nI1\naag1\naVa\np2\na.)p"_pk, R"p((l(lp0\nI1\naag0\naVa\na.)p"_pk},
      {"p2", R"p(\x80\x02]q\x00(]q\x01K\x01ah\x01X\x01\x00\x00\x00aq\x02e.)p"_pk,
       R"p(\x80\x02](]q\x00K\x01ah\x00X\x01\x00\x00\x00ae.)p"_pk},
      {"p4",
       R"p(\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94(]\x94K\x01ah\x01\x8c\x01a)p"
       R"p(\x94e.)p"_pk,
       R"p(\x80\x04\x95\x0e\x00\x00\x00\x00\x00\x00\x00](]\x94K\x01ah\x00\x8c\x01ae.)p"_pk},
      {"p5_no_proto_get", R"p(K\x01q\x05q\x07h\x07h\x07\x87.)p"_pk,
       R"p(K\x01q\x00h\x00h\x00\x87.)p"_pk},
      {"reput", R"p(K\x01p3\nK\x02p3\ng3\n\x86.)p"_pk, R"p(K\x01p0\nK\x02p1\ng1\n\x86.)p"_pk},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(printable(pickle::tools::optimize(c.in)), printable(c.out));
  }
}

TEST(Optimize, Frames) {
  // A payload larger than a frame is written outside any frame; what is around it is
  // framed again, and a frame of fewer than 4 bytes gets no FRAME opcode (as pickle.py).
  std::string big(70000, 'a');
  std::string len8 = R"p(\x70\x11\x01\x00\x00\x00\x00\x00)p"_pk;  // 70000
  std::string in = R"p(\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00](\x8e)p"_pk + len8 + big +
                   R"p(\x94\x95\x06\x00\x00\x00\x00\x00\x00\x00K\x01K\x02e.)p"_pk;
  std::string out = pickle::tools::optimize(in);
  std::string expect = R"p(\x80\x04](\x8e)p"_pk + len8 + big +
                       R"p(\x95\x06\x00\x00\x00\x00\x00\x00\x00K\x01K\x02e.)p"_pk;
  ASSERT_EQ(out.size(), expect.size());
  EXPECT_TRUE(out == expect) << printable(out.substr(0, 20)) << " ... "
                             << printable(out.substr(out.size() - 20));
}

TEST(Optimize, RefusesAGetOfNothing) {
  try {
    pickle::tools::optimize(R"p(K\x01h\x00.)p"_pk);
    ADD_FAILURE() << "no error";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(e.offset(), 2u);
    EXPECT_EQ(e.code(), ErrorCode::memo_missing);
  }
}

TEST(Optimize, EachPickleAlone) {
  std::string in = R"p(\x80\x02K\x01q\x05h\x05\x86.(lp0\ng0\na.)p"_pk;
  std::string out;
  pickle::tools::optimize_each(std::span(reinterpret_cast<const uint8_t*>(in.data()), in.size()),
                               [&](std::string_view p) { out += p; });
  EXPECT_EQ(printable(out), printable(R"p(\x80\x02K\x01q\x00h\x00\x86.(lp0\ng0\na.)p"_pk));
}

}  // namespace
