// Strict mode with an empty allow-list (issue 12 item 9): the builtins that load as
// native values are accepted without being listed, but only where they rebuild one
// (docs/security.md, [NOTE strict-natives] in src/load/value_builder.cpp). The pickles of plain
// data are what CPython 3.13 writes at protocols 0-3 for
//   {'set': {1, 2}, 'frozenset': frozenset({'a'}), 'bytearray': bytearray(b'\x00\xff'),
//    'complex': complex(1.5, -2), 'bytes': b'\x00\xfe', 'empty_bytes': b'',
//    'ordered': collections.OrderedDict([('k', 1)])}
// and, at protocols 0-1, for an instance of geo.Point with x = 1.

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/repr.hpp"
#include "pickle/value.hpp"
#include "pickle_literal.hpp"

namespace {

using pickle::ErrorCode;
using pickle::LoadOptions;
using pickle::UnpicklingError;
using namespace pickle_test;

LoadOptions strict(std::vector<std::pair<std::string, std::string>> allowed = {}) {
  LoadOptions o;
  o.strict = true;
  o.allowed_globals = std::move(allowed);
  return o;
}

std::optional<UnpicklingError> error_of(const std::string& bytes, const LoadOptions& o) {
  try {
    pickle::loads(bytes, o);
  } catch (const UnpicklingError& e) {
    return e;
  }
  return std::nullopt;
}

const char* const kPlainData[] = {
    // protocol 0
    R"p((dp0\nVset\np1\nc__builtin__\nset\np2\n((lp3\nI1\naI2\natp4\nRp5\nsVfrozenset\np6\n)p"
    R"p(c__builtin__\nfrozenset\np7\n((lp8\nVa\np9\natp10\nRp11\nsVbytearray\np12\nc__builtin__)p"
    R"p(\nbytearray\np13\n(c_codecs\nencode\np14\n(V\\u0000\xff\np15\nVlatin1\np16\ntp17\nRp18)p"
    R"p(\ntp19\nRp20\nsVcomplex\np21\nc__builtin__\ncomplex\np22\n(F1.5\nF-2.0\ntp23\nRp24\n)p"
    R"p(sVbytes\np25\ng14\n(V\\u0000\xfe\np26\ng16\ntp27\nRp28\nsVempty_bytes\np29\n)p"
    R"p(c__builtin__\nbytes\np30\n(tRp31\nsVordered\np32\nccollections\nOrderedDict\np33\n)p"
    R"p((tRp34\nVk\np35\nI1\nss.)p",
    // protocol 1
    R"p(}q\x00(X\x03\x00\x00\x00setq\x01c__builtin__\nset\nq\x02(]q\x03(K\x01K\x02etq\x04Rq)p"
    R"p(\x05X\t\x00\x00\x00frozensetq\x06c__builtin__\nfrozenset\nq\x07(]q\x08X\x01\x00\x00)p"
    R"p(\x00aq\tatq\nRq\x0bX\t\x00\x00\x00bytearrayq\x0cc__builtin__\nbytearray\nq\r(c_codecs)p"
    R"p(\nencode\nq\x0e(X\x03\x00\x00\x00\x00\xc3\xbfq\x0fX\x06\x00\x00\x00latin1q\x10tq\x11R)p"
    R"p(q\x12tq\x13Rq\x14X\x07\x00\x00\x00complexq\x15c__builtin__\ncomplex\nq\x16(G?\xf8\x00)p"
    R"p(\x00\x00\x00\x00\x00G\xc0\x00\x00\x00\x00\x00\x00\x00tq\x17Rq\x18X\x05\x00\x00\x00)p"
    R"p(bytesq\x19h\x0e(X\x03\x00\x00\x00\x00\xc3\xbeq\x1ah\x10tq\x1bRq\x1cX\x0b\x00\x00\x00)p"
    R"p(empty_bytesq\x1dc__builtin__\nbytes\nq\x1e)Rq\x1fX\x07\x00\x00\x00orderedq )p"
    R"p(ccollections\nOrderedDict\nq!)Rq"X\x01\x00\x00\x00kq#K\x01su.)p",
    // protocol 2
    R"p(\x80\x02}q\x00(X\x03\x00\x00\x00setq\x01c__builtin__\nset\nq\x02]q\x03(K\x01K\x02e)p"
    R"p(\x85q\x04Rq\x05X\t\x00\x00\x00frozensetq\x06c__builtin__\nfrozenset\nq\x07]q\x08X)p"
    R"p(\x01\x00\x00\x00aq\ta\x85q\nRq\x0bX\t\x00\x00\x00bytearrayq\x0cc__builtin__\n)p"
    R"p(bytearray\nq\rc_codecs\nencode\nq\x0eX\x03\x00\x00\x00\x00\xc3\xbfq\x0fX\x06\x00\x00)p"
    R"p(\x00latin1q\x10\x86q\x11Rq\x12\x85q\x13Rq\x14X\x07\x00\x00\x00complexq\x15c__builtin__)p"
    R"p(\ncomplex\nq\x16G?\xf8\x00\x00\x00\x00\x00\x00G\xc0\x00\x00\x00\x00\x00\x00\x00\x86q)p"
    R"p(\x17Rq\x18X\x05\x00\x00\x00bytesq\x19h\x0eX\x03\x00\x00\x00\x00\xc3\xbeq\x1ah\x10\x86q)p"
    R"p(\x1bRq\x1cX\x0b\x00\x00\x00empty_bytesq\x1dc__builtin__\nbytes\nq\x1e)Rq\x1fX\x07\x00)p"
    R"p(\x00\x00orderedq ccollections\nOrderedDict\nq!)Rq"X\x01\x00\x00\x00kq#K\x01su.)p",
    // protocol 3
    R"p(\x80\x03}q\x00(X\x03\x00\x00\x00setq\x01cbuiltins\nset\nq\x02]q\x03(K\x01K\x02e)p"
    R"p(\x85q\x04Rq\x05X\t\x00\x00\x00frozensetq\x06cbuiltins\nfrozenset\nq\x07]q\x08X\x01)p"
    R"p(\x00\x00\x00aq\ta\x85q\nRq\x0bX\t\x00\x00\x00bytearrayq\x0ccbuiltins\nbytearray\nq)p"
    R"p(\rC\x02\x00\xffq\x0e\x85q\x0fRq\x10X\x07\x00\x00\x00complexq\x11cbuiltins\ncomplex)p"
    R"p(\nq\x12G?\xf8\x00\x00\x00\x00\x00\x00G\xc0\x00\x00\x00\x00\x00\x00\x00\x86q\x13Rq)p"
    R"p(\x14X\x05\x00\x00\x00bytesq\x15C\x02\x00\xfeq\x16X\x0b\x00\x00\x00empty_bytesq\x17C)p"
    R"p(\x00q\x18X\x07\x00\x00\x00orderedq\x19ccollections\nOrderedDict\nq\x1a)Rq\x1bX\x01)p"
    R"p(\x00\x00\x00kq\x1cK\x01su.)p",
};

const char kPlainRepr[] =
    "{'set': {1, 2}, 'frozenset': frozenset({'a'}), 'bytearray': bytearray(b'\\x00\\xff'), "
    "'complex': (1.5-2j), 'bytes': b'\\x00\\xfe', 'empty_bytes': b'', "
    "'ordered': OrderedDict({'k': 1})}";

TEST(StrictMode, PlainDataOfProtocols0To3LoadsWithAnEmptyAllowList) {
  for (int proto = 0; proto < 4; ++proto) {
    SCOPED_TRACE(proto);
    std::string bytes = py_bytes(kPlainData[proto]);
    pickle::Document d = pickle::loads(bytes, strict());
    EXPECT_EQ(pickle::repr(d.root()), kPlainRepr);
    // The same with a name listed.
    pickle::Document listed = pickle::loads(bytes, strict({{"builtins", "set"}}));
    EXPECT_EQ(pickle::repr(listed.root()), kPlainRepr);
  }
}

TEST(StrictMode, ReconstructorOfAnAllowedClass) {
  const std::string point[] = {
      R"p(ccopy_reg\n_reconstructor\np0\n(cgeo\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\n)p"
      R"p(Rp4\n(dp5\nVx\np6\nI1\nsb.)p"_pk,
      R"p(ccopy_reg\n_reconstructor\nq\x00(cgeo\nPoint\nq\x01c__builtin__\nobject\nq\x02Ntq)p"
      R"p(\x03Rq\x04}q\x05X\x01\x00\x00\x00xq\x06K\x01sb.)p"_pk,
  };
  for (const std::string& bytes : point) {
    pickle::Document d = pickle::loads(bytes, strict({{"geo", "Point"}}));
    EXPECT_EQ(pickle::repr(d.root()), "geo.Point().__setstate__({'x': 1})");
    // The class itself is still checked.
    auto e = error_of(bytes, strict());
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::refused_global);
    EXPECT_NE(e->detail().find("geo.Point"), std::string::npos);
  }
}

TEST(StrictMode, NativeBuiltinsAreRefusedWhereTheyDoNotRebuildANativeValue) {
  struct Case {
    const char* what;
    std::string bytes;
    std::string name;  // in the message
    uint64_t offset;
    int op;  // 0: not checked
  };
  const Case refused[] = {
      {"returned bare", R"(c__builtin__\nset\n.)"_pk, "builtins.set", 17, '.'},
      {"object returned bare", R"(\x80\x04\x8c\x08builtins\x8c\x06object\x93.)"_pk,
       "builtins.object", 21, '.'},
      {"in a list", R"(\x80\x02]cbuiltins\nset\na.)"_pk, "builtins.set", 17, 'a'},
      {"as a dict value", R"(\x80\x02}K\x01cbuiltins\nbytes\ns.)"_pk, "builtins.bytes", 21, 's'},
      {"in a tuple returned", R"(\x80\x02c_codecs\nencode\n\x85.)"_pk, "_codecs.encode", 19, '.'},
      {"as NEWOBJ's class", R"(\x80\x02cbuiltins\nset\n)\x81.)"_pk, "builtins.set", 17, 0x81},
      {"as INST's class", R"((ibuiltins\nbytearray\n.)"_pk, "builtins.bytearray", 1, 'i'},
      {"bytearray(n) allocates in Python",
       R"(\x80\x02cbuiltins\nbytearray\nJ\x00\xca\x9a;\x85R.)"_pk, "builtins.bytearray", 28, 'R'},
      {"bytes(n)", R"(\x80\x02c__builtin__\nbytes\nK\x05\x85R.)"_pk, "builtins.bytes", 24, 'R'},
      {"encode with a codec lookup",
       R"(\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x05\x00\x00\x00rot13\x86R.)"_pk,
       "_codecs.encode", 35, 'R'},
      {"set of the set class", R"(\x80\x02cbuiltins\nset\nq\x00h\x00\x85\x85R.)"_pk, "builtins.set",
       22, 'R'},
      {"reconstructor with another base",
       R"(\x80\x02ccopyreg\n_reconstructor\ncgeo\nPoint\ncbuiltins\nlist\n]\x87R.)"_pk,
       "builtins.list", 0, 0},
      {"reconstructor of a native builtin",
       R"(\x80\x02ccopyreg\n_reconstructor\ncbuiltins\nset\ncbuiltins\nobject\nN\x87R.)"_pk,
       "builtins.set", 59, 'R'},
      {"newobj of an unlisted class", R"(\x80\x02ccopyreg\n__newobj__\ncos\nsystem\n\x85R.)"_pk,
       "os.system", 0, 0},
      {"getattr is not among them", R"(\x80\x02cbuiltins\ngetattr\n.)"_pk, "builtins.getattr", 2,
       'c'},
      {"BUILD state", R"(\x80\x02cgeo\nPoint\n)\x81cbuiltins\nset\nb.)"_pk, "builtins.set", 29,
       'b'},
      {"persistent id", R"(\x80\x02cbuiltins\nset\nQ.)"_pk, "builtins.set", 16, 'Q'},
  };
  for (const Case& c : refused) {
    SCOPED_TRACE(c.what);
    auto e = error_of(c.bytes, strict({{"geo", "Point"}}));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), ErrorCode::refused_global);
    EXPECT_NE(e->detail().find("'" + c.name + "'"), std::string::npos) << e->what();
    if (c.op) {
      EXPECT_EQ(e->offset(), c.offset) << e->what();
      EXPECT_EQ(e->opcode(), std::optional<uint8_t>(static_cast<uint8_t>(c.op))) << e->what();
    }
  }
}

// A native builtin memoized by one pickle and returned bare by the next is refused too.
TEST(StrictMode, DeferredGlobalsOutliveOneLoadWithTheMemo) {
  std::string two = R"(\x80\x02cbuiltins\nset\nq\x00)\x85R.\x80\x02h\x00.)"_pk;
  pickle::MemorySource src(two);
  pickle::Unpickler u(src, strict());
  pickle::Graph g;
  EXPECT_EQ(pickle::repr(u.load(g)), "set()");
  try {
    u.load(g);
    ADD_FAILURE() << "loaded";
  } catch (const UnpicklingError& e) {
    EXPECT_EQ(e.code(), ErrorCode::refused_global);
  }
}

}  // namespace
