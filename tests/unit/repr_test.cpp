// repr(): expected strings are what CPython 3.13's repr() prints for the same object
// (checked with python3.13); Objects, PersistentRefs and Buffers use our own
// constructor form (docs in pickle/repr.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/repr.hpp"
#include "pickle/value.hpp"
#include "text/text.hpp"

namespace {

using namespace std::literals;
using pickle::Graph;
using pickle::repr;
using pickle::Value;

struct TextCase {
  std::string_view input;
  const char* expected;
};

// Inputs are UTF-8 (lone surrogates in their 3-byte form); expected is repr(s).
const TextCase kStrCases[] = {
    {""sv, "''"},
    {"abc"sv, "'abc'"},
    {"a'b"sv, "\"a'b\""},
    {"a\"b"sv, "'a\"b'"},
    {"a'\"b"sv, "'a\\'\"b'"},
    {"'"sv, "\"'\""},
    {"\""sv, "'\"'"},
    {"\\"sv, "'\\\\'"},
    {"back\\slash"sv, "'back\\\\slash'"},
    {"\x09\x0a\x0d"sv, "'\\t\\n\\r'"},
    {"\x00\x01\x1f\x7f"sv, "'\\x00\\x01\\x1f\\x7f'"},
    {"\xc2\x80\xc2\x9f\xc2\xa0\xc2\xad\xc3\xbf"sv, "'\\x80\\x9f\\xa0\\xad\xc3\xbf'"},
    {"caf\xc3\xa9"sv, "'caf\xc3\xa9'"},
    {"e\xcc\x81"sv, "'e\xcc\x81'"},
    {"\xcc\x80"sv, "'\xcc\x80'"},
    {"\xe2\x80\xa8\xe2\x80\xa9"sv, "'\\u2028\\u2029'"},
    {"\xe2\x80\x8b\xe2\x80\x8e\xef\xbb\xbf"sv, "'\\u200b\\u200e\\ufeff'"},
    {"\xe3\x80\x80\xe1\x9a\x80\xe2\x80\x80"sv, "'\\u3000\\u1680\\u2000'"},
    {"\xed\xa0\x80"sv, "'\\ud800'"},
    {"\xed\xbf\xbf"sv, "'\\udfff'"},
    {"a\xed\xb2\x80"
     "b"sv,
     "'a\\udc80b'"},
    {"\xed\xa0\xbd\xed\xb8\x80"sv, "'\\ud83d\\ude00'"},
    {"\xf0\x9f\x98\x80"sv, "'\xf0\x9f\x98\x80'"},
    {"\xf3\xa0\x80\x81"sv, "'\\U000e0001'"},
    {"\xf4\x8f\xbf\xbf"sv, "'\\U0010ffff'"},
    {"\xf3\xb0\x80\x80"sv, "'\\U000f0000'"},
    {"\xee\x80\x80"sv, "'\\ue000'"},
    {"\xcd\xb8"sv, "'\\u0378'"},
    {"\xef\xbf\xbf"sv, "'\\uffff'"},
    {"\xef\xbf\xbd"sv, "'\xef\xbf\xbd'"},
    {"\xe4\xb8\xad\xe6\x96\x87"sv, "'\xe4\xb8\xad\xe6\x96\x87'"},
    {"\xd7\x90\xd7\x91"sv, "'\xd7\x90\xd7\x91'"},
    {"\xd8\x80"sv, "'\\u0600'"},
    {"\xc2\xa0"sv, "'\\xa0'"},
    {" "sv, "' '"},
    {"x\xc2\xa0y"sv, "'x\\xa0y'"},
    {"\xc2\x85"sv, "'\\x85'"},
    {"\xd8\x9c"sv, "'\\u061c'"},
    {"\xf0\x9d\x85\xb3"sv, "'\\U0001d173'"},
    {"\xf3\xa0\x81\xbf"sv, "'\\U000e007f'"},
    {"\xf0\x9f\x87\xa6"sv, "'\xf0\x9f\x87\xa6'"},
    {"\xe1\xbd\xa0"
     "0"sv,
     "'\xe1\xbd\xa0"
     "0'"},
};

const TextCase kBytesCases[] = {
    {""sv, "b''"},
    {"abc"sv, "b'abc'"},
    {"a'b"sv, "b\"a'b\""},
    {"a\"b"sv, "b'a\"b'"},
    {"a'\"b"sv, "b'a\\'\"b'"},
    {"\\"sv, "b'\\\\'"},
    {"\x09\x0a\x0d\x00\x0b\x0c\x1f\x7f\x80\xff"sv,
     "b'\\t\\n\\r\\x00\\x0b\\x0c\\x1f\\x7f\\x80\\xff'"},
    {"x\xa0y"sv, "b'x\\xa0y'"},
    {" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"sv,
     "b' "
     "!\"#$%&\\'()*+,-./"
     "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'"},
};

struct FloatCase {
  double value;
  const char* expected;
};

const FloatCase kFloatCases[] = {
    {0x0.0p+0, "0.0"},
    {-0x0.0p+0, "-0.0"},
    {0x1.0000000000000p+0, "1.0"},
    {-0x1.0000000000000p+0, "-1.0"},
    {0x1.1c37937e08000p+53, "1e+16"},
    {0x1.c6bf526340000p+49, "1000000000000000.0"},
    {0x1.1c37937e07fffp+53, "9999999999999998.0"},
    {0x1.a36e2eb1c432dp-14, "0.0001"},
    {0x1.4f8b588e368f1p-17, "1e-05"},
    {0x1.02c9dedbc309dp-13, "0.0001234"},
    {0x0.0000000000001p-1022, "5e-324"},
    {0x1.0000000000000p-1022, "2.2250738585072014e-308"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
    {0x1.999999999999ap-4, "0.1"},
    {0x1.3333333333333p-2, "0.3"},
    {0x1.5555555555555p-2, "0.3333333333333333"},
    {0x1.b69b4ba630f35p+56, "1.2345678901234568e+17"},
    {0x1.0f0cf064dd592p+73, "1e+22"},
    {0x1.52d02c7e14af6p+76, "1e+23"},
    {-0x1.8000000000000p+0, "-1.5"},
    {0x1.9000000000000p+6, "100.0"},
    {0x1.34a0000000000p+10, "1234.5"},
    {0x1.5ee2a2eb5a5c4p+53, "1.2345678901234568e+16"},
    {0x1.a36e2eb1c432dp-16, "2.5e-05"},
    {0x1.1eb2d66005835p+997, "1.5e+300"},
    {0x1.0624dd2f1a9fcp-10, "0.001"},
    {0x1.6b082c2148b8ep-60, "1.23e-18"},
    {INFINITY, "inf"},
    {-INFINITY, "-inf"},
    {NAN, "nan"},
    {-NAN, "nan"},
};

struct ComplexCase {
  double real, imag;
  const char* expected;
};

const ComplexCase kComplexCases[] = {
    {0x1.0000000000000p+0, 0x1.0000000000000p+1, "(1+2j)"},
    {0x0.0p+0, 0x1.0000000000000p+0, "1j"},
    {-0x0.0p+0, -0x0.0p+0, "(-0-0j)"},
    {0x0.0p+0, -0x0.0p+0, "-0j"},
    {-0x0.0p+0, 0x0.0p+0, "(-0+0j)"},
    {0x0.0p+0, 0x0.0p+0, "0j"},
    {NAN, INFINITY, "(nan+infj)"},
    {0x0.0p+0, INFINITY, "infj"},
    {0x1.0000000000000p+0, -0x0.0p+0, "(1-0j)"},
    {0x1.1c37937e08000p+53, 0x1.4f8b588e368f1p-17, "(1e+16+1e-05j)"},
    {-0x1.8000000000000p+0, NAN, "(-1.5+nanj)"},
    {-0x0.0p+0, 0x1.0000000000000p+0, "(-0+1j)"},
    {0x0.0p+0, -NAN, "nanj"},
    {INFINITY, -INFINITY, "(inf-infj)"},
    {0x1.4000000000000p+1, -0x1.8000000000000p+1, "(2.5-3j)"},
    {0x1.999999999999ap-4, 0x1.0f0cf064dd592p+73, "(0.1+1e+22j)"},
};

TEST(Repr, Scalars) {
  Graph g;
  EXPECT_EQ(repr(nullptr), "None");
  EXPECT_EQ(repr(true), "True");
  EXPECT_EQ(repr(false), "False");
  EXPECT_EQ(repr(0), "0");
  EXPECT_EQ(repr(-1), "-1");
  EXPECT_EQ(repr(Value(INT64_MAX)), "9223372036854775807");
  EXPECT_EQ(repr(Value(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(repr(g.integer("18446744073709551616")), "18446744073709551616");
  EXPECT_EQ(repr(g.integer("-9223372036854775809")), "-9223372036854775809");
  EXPECT_EQ(repr(g.integer("-100000000000000000000000000000000000000000000000000")),
            "-100000000000000000000000000000000000000000000000000");
}

TEST(Repr, Floats) {
  for (const FloatCase& c : kFloatCases) {
    EXPECT_EQ(repr(c.value), c.expected);
    std::string out = "x";
    pickle::detail::append_float_repr(out, c.value);
    EXPECT_EQ(out, "x"s + c.expected);
  }
}

TEST(Repr, Complex) {
  Graph g;
  for (const ComplexCase& c : kComplexCases) {
    EXPECT_EQ(repr(g.complex(c.real, c.imag)), c.expected) << c.real << " " << c.imag;
  }
}

TEST(Repr, Str) {
  Graph g;
  for (const TextCase& c : kStrCases) {
    EXPECT_EQ(repr(g.str(c.input)), c.expected) << c.expected;
    std::string out;
    pickle::detail::append_str_repr(out, c.input);
    EXPECT_EQ(out, c.expected);
  }
}

TEST(Repr, StrInvalidUtf8IsEscapedNotTrusted) {
  // Not producible by the loader; the printer still never emits invalid UTF-8.
  std::string out;
  pickle::detail::append_str_repr(out, "a\xff\xc3(\xe0\x80\x80\xf4\x90\x80\x80"sv);
  EXPECT_EQ(out, "'a\\udcff\\udcc3(\\udce0\\udc80\\udc80\\udcf4\\udc90\\udc80\\udc80'");
}

TEST(Repr, Bytes) {
  Graph g;
  for (const TextCase& c : kBytesCases) {
    EXPECT_EQ(repr(g.bytes(c.input)), c.expected);
    // bytearray prints the same, except that it escapes every ' (see below).
    if (c.input.find('\'') == std::string_view::npos) {
      EXPECT_EQ(repr(g.bytearray(c.input)), "bytearray("s + c.expected + ")");
    }
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  // repr(bytes(range(256)))
  EXPECT_EQ(repr(g.bytes(all)),
            "b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f"
            "\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f"
            " !\"#$%&\\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`"
            "abcdefghijklmnopqrstuvwxyz{|}~\\x7f\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88"
            "\\x89\\x8a\\x8b\\x8c\\x8d\\x8e\\x8f\\x90\\x91\\x92\\x93\\x94\\x95\\x96\\x97\\x98"
            "\\x99\\x9a\\x9b\\x9c\\x9d\\x9e\\x9f\\xa0\\xa1\\xa2\\xa3\\xa4\\xa5\\xa6\\xa7\\xa8"
            "\\xa9\\xaa\\xab\\xac\\xad\\xae\\xaf\\xb0\\xb1\\xb2\\xb3\\xb4\\xb5\\xb6\\xb7\\xb8"
            "\\xb9\\xba\\xbb\\xbc\\xbd\\xbe\\xbf\\xc0\\xc1\\xc2\\xc3\\xc4\\xc5\\xc6\\xc7\\xc8"
            "\\xc9\\xca\\xcb\\xcc\\xcd\\xce\\xcf\\xd0\\xd1\\xd2\\xd3\\xd4\\xd5\\xd6\\xd7\\xd8"
            "\\xd9\\xda\\xdb\\xdc\\xdd\\xde\\xdf\\xe0\\xe1\\xe2\\xe3\\xe4\\xe5\\xe6\\xe7\\xe8"
            "\\xe9\\xea\\xeb\\xec\\xed\\xee\\xef\\xf0\\xf1\\xf2\\xf3\\xf4\\xf5\\xf6\\xf7\\xf8"
            "\\xf9\\xfa\\xfb\\xfc\\xfd\\xfe\\xff'");
}

TEST(Repr, ByteArray) {
  Graph g;
  // repr(bytearray(x)) in CPython 3.13: the quote is chosen as for bytes, but ' is
  // escaped even between double quotes.
  EXPECT_EQ(repr(g.bytearray("")), "bytearray(b'')");
  EXPECT_EQ(repr(g.bytearray("abc")), "bytearray(b'abc')");
  EXPECT_EQ(repr(g.bytearray("a'b")), "bytearray(b\"a\\'b\")");
  EXPECT_EQ(repr(g.bytearray("a\"b")), "bytearray(b'a\"b')");
  EXPECT_EQ(repr(g.bytearray("a'\"b")), "bytearray(b'a\\'\"b')");
  EXPECT_EQ(repr(g.bytearray("'")), "bytearray(b\"\\'\")");
  EXPECT_EQ(repr(g.bytearray("\\\t\x00\xff"sv)), "bytearray(b'\\\\\\t\\x00\\xff')");
  std::string out;
  pickle::detail::append_bytearray_repr(out, "x'y");
  EXPECT_EQ(out, "bytearray(b\"x\\'y\")");
}

TEST(Repr, Python2Str) {
  Graph g;
  Value s = g.str("caf\xc3\xa9");
  s.node()->flags |= pickle::kPy2Str;
  EXPECT_EQ(repr(s), "'caf\xc3\xa9'");
  Value b = g.bytes("caf\xe9"sv);
  b.node()->flags |= pickle::kPy2Str;
  EXPECT_EQ(repr(b), "b'caf\\xe9'");
}

TEST(Repr, Containers) {
  Graph g;
  EXPECT_EQ(repr(g.tuple({})), "()");
  EXPECT_EQ(repr(g.tuple({1})), "(1,)");
  EXPECT_EQ(repr(g.tuple({1, 2})), "(1, 2)");
  EXPECT_EQ(repr(g.tuple({g.tuple({})})), "((),)");
  EXPECT_EQ(repr(g.list()), "[]");
  EXPECT_EQ(repr(g.list({1, g.list({2.5, g.tuple({nullptr})}), g.str("x")})),
            "[1, [2.5, (None,)], 'x']");
  EXPECT_EQ(repr(g.dict()), "{}");
  EXPECT_EQ(repr(g.dict({{g.str("a"), 1}, {2, g.list({3})}, {g.tuple({1, 2}), g.dict()}})),
            "{'a': 1, 2: [3], (1, 2): {}}");
  EXPECT_EQ(repr(g.set()), "set()");
  EXPECT_EQ(repr(g.set({3, 1, 2})), "{3, 1, 2}");  // insertion order
  EXPECT_EQ(repr(g.frozenset()), "frozenset()");
  EXPECT_EQ(repr(g.frozenset({1, g.str("a")})), "frozenset({1, 'a'})");
  EXPECT_EQ(repr(g.set({g.frozenset({1}), g.frozenset()})), "{frozenset({1}), frozenset()}");
  EXPECT_EQ(repr(g.list({g.set(), g.frozenset(), g.bytearray(""), g.bytes("")})),
            "[set(), frozenset(), bytearray(b''), b'']");
}

TEST(Repr, OrderedDict) {
  Graph g;
  Value empty = g.dict();
  empty.node()->flags |= pickle::kOrderedDict;
  EXPECT_EQ(repr(empty), "OrderedDict()");
  Value d = g.dict({{g.str("a"), 1}, {g.str("b"), g.list({empty})}});
  d.node()->flags |= pickle::kOrderedDict;
  EXPECT_EQ(repr(d), "OrderedDict({'a': 1, 'b': [OrderedDict()]})");
}

TEST(Repr, SharedIsNotRecursive) {
  Graph g;
  Value a = g.list({1});
  Value d = g.dict({{g.str("k"), a}});
  EXPECT_EQ(repr(g.list({a, a, d, d})), "[[1], [1], {'k': [1]}, {'k': [1]}]");
  Value t = g.tuple({a, a});
  EXPECT_EQ(repr(g.tuple({t, t})), "(([1], [1]), ([1], [1]))");
}

TEST(Repr, Recursion) {
  Graph g;
  // l = []; l.append(l)
  Value l = g.list();
  l.list().items.push_back(l);
  EXPECT_EQ(repr(l), "[[...]]");
  // l = [1]; l += [l, 2]
  Value l2 = g.list({1});
  l2.list().items.push_back(l2);
  l2.list().items.push_back(2);
  EXPECT_EQ(repr(l2), "[1, [...], 2]");
  // d = {}; d['a'] = d; d['b'] = [d]
  Value d = g.dict();
  d.dict().set(g.str("a"), d);
  d.dict().set(g.str("b"), g.list({d}));
  EXPECT_EQ(repr(d), "{'a': {...}, 'b': [{...}]}");
  // l = []; t = (l,); l.append(t)
  Value inner = g.list();
  Value t = g.tuple({inner});
  inner.list().items.push_back(t);
  EXPECT_EQ(repr(t), "([(...)],)");
  EXPECT_EQ(repr(inner), "[([...],)]");
  // o = OrderedDict(); o['a'] = o
  Value o = g.dict();
  o.node()->flags |= pickle::kOrderedDict;
  o.dict().set(g.str("a"), o);
  EXPECT_EQ(repr(o), "OrderedDict({'a': ...})");
  EXPECT_EQ(repr(g.list({o})), "[OrderedDict({'a': ...})]");
  // l = [{}]; l[0]['x'] = l
  Value outer = g.list({g.dict()});
  outer[0].dict().set(g.str("x"), outer);
  EXPECT_EQ(repr(outer), "[{'x': [...]}]");
  EXPECT_EQ(repr(outer[0]), "{'x': [{...}]}");
}

TEST(Repr, Globals) {
  Graph g;
  EXPECT_EQ(repr(g.global("collections", "OrderedDict")), "collections.OrderedDict");
  EXPECT_EQ(repr(g.global("a.b", "C.D")), "a.b.C.D");
  EXPECT_EQ(repr(g.list({g.global("builtins", "len")})), "[builtins.len]");
}

// A name prints as it is when printable, so `module.qualname` stays; what
// str.isprintable() rejects is escaped as repr(str) escapes it (without quotes), so a
// pickle's line never breaks: every C0 control, DEL, every C1 control, every lone
// surrogate, a few other non-printables, in the module, the name, an Object's class
// and a keyword argument's name.
TEST(Repr, NamesEscapeWhatIsNotPrintable) {
  auto hex = [](uint32_t cp, int digits) {
    static const char kHex[] = "0123456789abcdef";
    std::string s;
    for (int k = digits - 1; k >= 0; --k) s += kHex[(cp >> (4 * k)) & 15];
    return s;
  };
  std::vector<std::pair<uint32_t, std::string>> cases;  // code point, escape
  for (uint32_t cp = 0; cp < 0x20; ++cp) {
    std::string e = cp == '\t'   ? "\\t"
                    : cp == '\n' ? "\\n"
                    : cp == '\r' ? "\\r"
                                 : "\\x" + hex(cp, 2);
    cases.emplace_back(cp, e);
  }
  for (uint32_t cp = 0x7f; cp <= 0xa0; ++cp) cases.emplace_back(cp, "\\x" + hex(cp, 2));
  cases.emplace_back(0xad, "\\xad");
  for (uint32_t cp = 0xd800; cp < 0xe000; ++cp) cases.emplace_back(cp, "\\u" + hex(cp, 4));
  for (uint32_t cp : {0x2028u, 0x2029u, 0xfeffu, 0x200bu, 0xe000u})
    cases.emplace_back(cp, "\\u" + hex(cp, 4));
  cases.emplace_back(0xe0001, "\\U000e0001");
  Graph g;
  for (const auto& [cp, escape] : cases) {
    std::string c;
    pickle::detail::append_utf8(c, cp);
    SCOPED_TRACE(escape);
    Value cls = g.global("m" + c + "x", "N" + c + ".y" + c);
    std::string dotted = "m" + escape + "x.N" + escape + ".y" + escape;
    EXPECT_EQ(repr(cls), dotted);
    EXPECT_EQ(repr(g.object(cls, g.tuple({1}))), dotted + "(1)");
    EXPECT_EQ(repr(g.object(cls, g.tuple({}), pickle::BuildKind::newobj_ex,
                            g.dict({{g.str("k" + c), 2}}))),
              dotted + "(k" + escape + "=2)");
  }
  // Printable names are unchanged: quotes, backslashes, non-ASCII letters, emoji.
  std::string printable = "a'b\"c\\d e\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  EXPECT_EQ(repr(g.global(printable, printable)), printable + "." + printable);
  // Invalid UTF-8 (not made by the loader) prints as surrogate escapes.
  EXPECT_EQ(repr(g.global("a\xff", "b")), "a\\udcff.b");
}

TEST(Repr, Objects) {
  Graph g;
  Value cls = g.global("mod", "Cls");
  EXPECT_EQ(repr(g.object(cls, g.tuple({}))), "mod.Cls()");
  EXPECT_EQ(repr(g.object(cls, g.tuple({1, g.str("a")}))), "mod.Cls(1, 'a')");
  EXPECT_EQ(repr(g.object(cls, g.tuple({1}), pickle::BuildKind::newobj_ex,
                          g.dict({{g.str("x"), 2}, {g.str("y"), g.list()}}))),
            "mod.Cls(1, x=2, y=[])");
  EXPECT_EQ(
      repr(g.object(cls, g.tuple({}), pickle::BuildKind::newobj_ex, g.dict({{g.str("x"), 2}}))),
      "mod.Cls(x=2)");
  EXPECT_EQ(repr(g.object(cls, g.tuple({}), pickle::BuildKind::newobj_ex, g.dict({{1, 2}}))),
            "mod.Cls(**{1: 2})");

  Value full = g.object(cls, g.tuple({}), pickle::BuildKind::newobj);
  pickle::ObjectNode& o = full.object();
  o.states.push_back(g.dict({{g.str("a"), 1}}));
  o.states.push_back(g.tuple({nullptr, g.dict()}));
  o.list_items.push_back(1);
  o.list_items.push_back(g.str("two"));
  o.dict_items.emplace_back(g.str("k"), g.list({1}));
  o.dict_items.emplace_back(3, 4);
  EXPECT_EQ(repr(full),
            "mod.Cls().__setstate__({'a': 1}).__setstate__((None, {}))"
            ".extend([1, 'two']).update({'k': [1], 3: 4})");

  // A callable that is not a Global: getattr(mod.f(), ...) style.
  Value factory = g.object(g.global("mod", "factory"), g.tuple({}));
  EXPECT_EQ(repr(g.object(factory, g.tuple({1}))), "mod.factory()(1)");
  EXPECT_EQ(repr(g.object(g.str("name"), g.tuple({}))), "'name'()");
}

TEST(Repr, ObjectRecursion) {
  Graph g;
  Value obj = g.object(g.global("mod", "Node"), g.tuple({}));
  obj.object().states.push_back(g.dict({{g.str("self"), obj}, {g.str("l"), g.list({obj})}}));
  EXPECT_EQ(repr(obj), "mod.Node().__setstate__({'self': ..., 'l': [...]})");
  EXPECT_EQ(repr(g.list({obj})), "[mod.Node().__setstate__({'self': ..., 'l': [...]})]");
  // A set that holds an object whose state holds the set.
  Value s = g.set();
  Value member = g.object(g.global("mod", "M"), g.tuple({}));
  s.set().add(member);
  member.object().states.push_back(s);
  EXPECT_EQ(repr(s), "{mod.M().__setstate__(set(...))}");
  EXPECT_EQ(repr(member), "mod.M().__setstate__({...})");
}

TEST(Repr, PersistentRefAndBuffer) {
  Graph g;
  EXPECT_EQ(repr(g.persistent_ref(g.str("abc"))), "persistent_id('abc')");
  EXPECT_EQ(repr(g.persistent_ref(g.tuple({g.str("t"), 1}))), "persistent_id(('t', 1))");
  std::byte data[] = {std::byte{'a'}, std::byte{'\''}, std::byte{0}};
  EXPECT_EQ(repr(g.buffer(data, false)), "pickle.PickleBuffer(b\"a'\\x00\")");
  EXPECT_EQ(repr(g.buffer(data, true)), "pickle.PickleBuffer(b\"a'\\x00\").toreadonly()");
  // A persistent id that holds its own reference through a list.
  Value l = g.list();
  Value p = g.persistent_ref(l);
  l.list().items.push_back(p);
  EXPECT_EQ(repr(p), "persistent_id([...])");  // the inner "..." is p itself
}

TEST(Repr, ReprToAppends) {
  Graph g;
  std::string out = "x = ";
  pickle::repr_to(out, g.list({1, 2}));
  EXPECT_EQ(out, "x = [1, 2]");
}

TEST(Repr, MaxBytes) {
  Graph g;
  Value v = g.list({1, 2, 3});  // "[1, 2, 3]": 9 bytes
  EXPECT_EQ(repr(v, {.max_bytes = 9}), "[1, 2, 3]");
  EXPECT_THROW(repr(v, {.max_bytes = 8}), pickle::LimitError);
  std::string out = "keep";
  EXPECT_THROW(pickle::repr_to(out, v, {.max_bytes = 8}), pickle::LimitError);
  EXPECT_EQ(out, "keep");  // nothing half-written
  EXPECT_THROW(repr(g.str("abcdef"), {.max_bytes = 7}), pickle::LimitError);
  EXPECT_EQ(repr(g.str("abcdef"), {.max_bytes = 8}), "'abcdef'");

  // Shared references expand exponentially: 1000^6 elements from a few thousand nodes.
  Value level = g.list({1});
  for (int depth = 0; depth < 6; ++depth) {
    std::vector<Value> items(1000, level);
    level = g.list(items);
  }
  EXPECT_THROW(repr(level, {.max_bytes = 1 << 20}), pickle::LimitError);

  // A huge int fails before its digits are computed.
  std::vector<uint8_t> big(1 << 20, 0x11);
  EXPECT_THROW(repr(g.integer(big), {.max_bytes = 1000}), pickle::LimitError);
}

TEST(Repr, MaxVisitsBoundary) {
  Graph g;
  Value v = g.list({1, g.tuple({2, 3}), g.dict({{g.str("k"), 4}})});
  // The list, 1, the tuple, 2, 3, the dict, 'k' and 4: eight values.
  EXPECT_EQ(repr(v, {.max_visits = 8}), "[1, (2, 3), {'k': 4}]");
  EXPECT_THROW(repr(v, {.max_visits = 7}), pickle::LimitError);
  // A shared value counts once per reference, as it prints.
  Value shared = g.list({1, 2});
  Value twice = g.list({shared, shared});
  EXPECT_EQ(repr(twice, {.max_visits = 7}), "[[1, 2], [1, 2]]");
  EXPECT_THROW(repr(twice, {.max_visits = 6}), pickle::LimitError);
}

// ReprOptions::cut_at_limit: the printout is kept up to the limit and marked "...".
TEST(Repr, CutAtLimitBoundary) {
  using pickle::ReprCut;
  Graph g;
  Value v = g.list({1, 2, 3});  // "[1, 2, 3]": 9 bytes, 4 values
  auto cut = [&](Value x, pickle::ReprOptions o, std::string prefix = "") {
    o.cut_at_limit = true;
    std::string out = prefix;
    ReprCut why = pickle::repr_to(out, x, o);
    return std::pair(out, why);
  };
  EXPECT_EQ(cut(v, {.max_bytes = 9}), std::pair("[1, 2, 3]"s, ReprCut::none));
  EXPECT_EQ(cut(v, {.max_bytes = 8}), std::pair("[1, 2, 3..."s, ReprCut::max_bytes));
  EXPECT_EQ(cut(v, {.max_bytes = 1}), std::pair("[..."s, ReprCut::max_bytes));
  EXPECT_EQ(cut(v, {.max_bytes = 0}), std::pair("..."s, ReprCut::max_bytes));
  EXPECT_EQ(cut(v, {.max_bytes = 4}, "x = "), std::pair("x = [1, ..."s, ReprCut::max_bytes));
  EXPECT_EQ(cut(v, {.max_visits = 4}), std::pair("[1, 2, 3]"s, ReprCut::none));
  EXPECT_EQ(cut(v, {.max_visits = 3}), std::pair("[1, 2, ..."s, ReprCut::max_visits));
  EXPECT_EQ(cut(v, {.max_visits = 0}), std::pair("..."s, ReprCut::max_visits));
  // Never inside a UTF-8 character: 'é€' is ' C3 A9 E2 82 AC '.
  Value text = g.str("\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(cut(text, {.max_bytes = 2}).first, "'...");
  EXPECT_EQ(cut(text, {.max_bytes = 3}).first, "'\xc3\xa9...");
  EXPECT_EQ(cut(text, {.max_bytes = 5}).first, "'\xc3\xa9...");
  EXPECT_EQ(cut(text, {.max_bytes = 6}).first, "'\xc3\xa9\xe2\x82\xac...");
  // Shared references: 10^18 values, cut after the first mebibyte of them.
  Value level = g.list({1});
  for (int depth = 0; depth < 6; ++depth) level = g.list(std::vector<Value>(1000, level));
  auto [out, why] = cut(level, {.max_bytes = 1 << 20});
  EXPECT_EQ(why, ReprCut::max_bytes);
  EXPECT_EQ(out.size(), (1u << 20) + 3);
  EXPECT_EQ(out.substr(0, 12), "[[[[[[[1], [");
  EXPECT_EQ(out.substr(out.size() - 3), "...");
  // A huge int prints up to the limit too (in hex, past max_int_digits).
  std::vector<uint8_t> big(1 << 20, 0x11);
  EXPECT_EQ(cut(g.integer(big), {.max_bytes = 10}),
            std::pair("0x11111111..."s, ReprCut::max_bytes));
  EXPECT_EQ(cut(g.integer("123456789012345678901234567890"), {.max_bytes = 10}),
            std::pair("1234567890..."s, ReprCut::max_bytes));
}

TEST(Repr, DeepNestingUsesNoCallStack) {
  Graph g;
  constexpr size_t kDepth = 1000000;
  Value v = g.list();
  for (size_t i = 0; i < kDepth; ++i) v = g.list({v});
  std::string out = repr(v);
  ASSERT_EQ(out.size(), 2 * (kDepth + 1));
  EXPECT_EQ(out, std::string(kDepth + 1, '[') + std::string(kDepth + 1, ']'));

  // Alternating kinds: {'k': ([{...}],)} nesting.
  Value w = 0;
  constexpr size_t kMixed = 100000;
  for (size_t i = 0; i < kMixed; ++i) {
    w = g.dict({{g.str("k"), g.tuple({g.list({w})})}});
  }
  std::string mixed = repr(w);
  std::string expected;
  for (size_t i = 0; i < kMixed; ++i) expected += "{'k': ([";
  expected += "0";
  for (size_t i = 0; i < kMixed; ++i) expected += "],)}";
  EXPECT_EQ(mixed, expected);
}

}  // namespace
