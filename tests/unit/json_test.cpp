// JSON both ways (pickle/json.hpp, docs/json.md): the lossless mapping's exact text for
// every kind, shared nodes and cycles, its round trip to the same pickle bytes, errors
// with their offsets, plain JSON, and ten-million-deep nesting both ways (DeepJson).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/dump.hpp"
#include "pickle/json.hpp"
#include "pickle/load.hpp"
#include "pickle/repr.hpp"
#include "pickle/value.hpp"

namespace {

using namespace std::literals;
using pickle::from_json;
using pickle::Graph;
using pickle::JsonError;
using pickle::JsonOptions;
using pickle::Kind;
using pickle::to_json;
using pickle::Value;

JsonOptions plain(int indent = -1) {
  JsonOptions o;
  o.plain = true;
  o.indent = indent;
  return o;
}

// to_json of what from_json reads from `json`: the lossless text is a fixed point.
std::string again(std::string_view json) {
  Graph g;
  return to_json(from_json(json, g));
}

// The byte offset of a JsonError from_json raises on `json` (-1 when it succeeds).
int64_t error_at(std::string_view json, std::string* detail = nullptr) {
  Graph g;
  try {
    from_json(json, g);
  } catch (const JsonError& e) {
    EXPECT_EQ(e.code(), pickle::ErrorCode::bad_json);
    EXPECT_EQ(std::string(e.what()).rfind("JsonError at byte " + std::to_string(e.offset()), 0), 0u)
        << e.what();
    if (detail) *detail = e.detail();
    return static_cast<int64_t>(e.offset());
  }
  return -1;
}

TEST(JsonLossless, Scalars) {
  Graph g;
  EXPECT_EQ(to_json(Value()), "null");
  EXPECT_EQ(to_json(Value(true)), "true");
  EXPECT_EQ(to_json(Value(-42)), "-42");
  EXPECT_EQ(to_json(Value(1.0)), "1.0");
  EXPECT_EQ(to_json(Value(1e16)), "1e+16");
  EXPECT_EQ(to_json(Value(-0.0)), "-0.0");
  EXPECT_EQ(to_json(Value(0.1)), "0.1");
  EXPECT_EQ(to_json(Value(INFINITY)), R"({"$float":"inf"})");
  EXPECT_EQ(to_json(Value(-INFINITY)), R"({"$float":"-inf"})");
  EXPECT_EQ(to_json(Value(std::bit_cast<double>(0x7ff8000000000000ull))), R"({"$float":"nan"})");
  EXPECT_EQ(to_json(Value(std::bit_cast<double>(0xfff8000000000000ull))), R"({"$float":"-nan"})");
  EXPECT_EQ(to_json(Value(std::bit_cast<double>(0x7ff0000000000001ull))),
            R"({"$float":"0x7ff0000000000001"})");
  EXPECT_EQ(to_json(g.integer("123456789012345678901234567890"sv)),
            "123456789012345678901234567890");
  EXPECT_EQ(to_json(g.integer(uint64_t{18446744073709551615u})), "18446744073709551615");
  EXPECT_EQ(to_json(g.complex(1, -0.0)), R"({"$complex":[1.0,-0.0]})");
  EXPECT_EQ(to_json(g.str("a\"\\\n\x01é")), R"("a\"\\\n\u0001é")");
  EXPECT_EQ(to_json(g.bytes("\x00\xff"sv)), R"({"$bytes":"AP8="})");
  EXPECT_EQ(to_json(g.bytearray("ab")), R"({"$bytearray":"YWI="})");
  EXPECT_EQ(to_json(g.global("collections", "OrderedDict")),
            R"({"$global":["collections","OrderedDict"]})");
  for (std::string_view json :
       {"null"sv, "true"sv, "-42"sv, "1.0"sv, "1e+16"sv, "-0.0"sv, R"({"$float":"nan"})"sv,
        R"({"$float":"-nan"})"sv, R"({"$float":"0x7ff0000000000001"})"sv,
        "123456789012345678901234567890"sv, "-18446744073709551616"sv,
        R"({"$complex":[1.0,{"$float":"-inf"}]})"sv, R"("a\"\\\n\u0001é")"sv,
        R"({"$bytes":"AP8="})"sv, R"({"$bytearray":"YWI="})"sv, R"({"$bytes":""})"sv})
    EXPECT_EQ(again(json), json);
}

TEST(JsonLossless, BigIntsBeyondDecimalAreHex) {
  Graph g;
  std::vector<uint8_t> le(2000, 0);
  le.back() = 0x40;
  Value big = g.integer(le);
  std::string json = to_json(big);
  ASSERT_TRUE(json.starts_with(R"({"$int":"0x4)")) << json.substr(0, 40);
  EXPECT_EQ(json.size(), 13u + 4000u);  // {"$int":"0x, 4000 digits, "}
  Graph back;
  Value r = from_json(json, back);
  EXPECT_TRUE(pickle::equal(r, big));
  le.back() = 0xC0;  // negative
  Value neg = g.integer(le);
  Graph back2;
  EXPECT_TRUE(pickle::equal(from_json(to_json(neg), back2), neg));
  EXPECT_TRUE(to_json(neg).starts_with(R"({"$int":"-0x)"));
}

TEST(JsonLossless, StrForms) {
  Graph g;
  // Lone surrogates: pieces of text and code units.
  Value s = g.str(
      "a\xed\xa0\x80"
      "b\xed\xb2\x80");
  EXPECT_EQ(to_json(s), R"({"$str":["a",55296,"b",56448]})");
  EXPECT_EQ(again(R"({"$str":["a",55296,"b",56448]})"), R"({"$str":["a",55296,"b",56448]})");
  Graph back;
  EXPECT_EQ(from_json(to_json(s), back).as_str(), s.as_str());
  // A Python 2 str keeps its mark and codec.
  Value py2 = g.str("caf\xc3\xa9");
  py2.str().flags |= pickle::kPy2Str;
  py2.str().py2_encoding = "latin1";
  EXPECT_EQ(to_json(py2), R"({"$str":"café","py2":"latin1"})");
  EXPECT_EQ(again(R"({"$str":"café","py2":"latin1"})"), R"({"$str":"café","py2":"latin1"})");
  Value raw = g.bytes("\xe9"sv);
  raw.bytes().flags |= pickle::kPy2Str;
  EXPECT_EQ(to_json(raw), R"({"$bytes":"6Q==","py2":true})");
  // Astral characters pass as they are.
  EXPECT_EQ(again("\"\xf0\x9f\x98\x80\""), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(again(R"("\ud83d\ude00")"), "\"\xf0\x9f\x98\x80\"");
}

TEST(JsonLossless, Containers) {
  Graph g;
  EXPECT_EQ(to_json(g.list({1, g.tuple({2, 3}), g.set({4}), g.frozenset({})})),
            R"([1,{"$tuple":[2,3]},{"$set":[4]},{"$frozenset":[]}])");
  EXPECT_EQ(to_json(g.dict({{g.str("a"), 1}, {g.str("b"), g.list()}})), R"({"a":1,"b":[]})");
  EXPECT_EQ(to_json(g.dict()), "{}");
  // Keys that are not str, or start with "$", take the wrapped forms.
  EXPECT_EQ(to_json(g.dict({{1, 2}, {Value(), 3}})), R"({"$dict":[[1,2],[null,3]]})");
  EXPECT_EQ(to_json(g.dict({{g.str("$x"), 1}})), R"({"$dict":{"$x":1}})");
  Value od = g.dict({{g.str("k"), 1}});
  od.dict().flags |= pickle::kOrderedDict;
  EXPECT_EQ(to_json(od), R"({"$dict":{"k":1},"ordered":true})");
  // BUILD states of a container.
  Value l = g.list({1});
  g.add_state(l, g.dict({{g.str("attr"), 2}}));
  EXPECT_EQ(to_json(l), R"({"$list":[1],"states":[{"attr":2}]})");
  for (std::string_view json :
       {R"([1,{"$tuple":[2,3]},{"$set":[4]},{"$frozenset":[]}])"sv, R"({"a":1,"b":[]})"sv,
        R"({"$dict":[[1,2],[null,3]]})"sv, R"({"$dict":{"$x":1}})"sv,
        R"({"$dict":{"k":1},"ordered":true})"sv, R"({"$list":[1],"states":[{"attr":2}]})"sv,
        R"({"$tuple":[],"memoized":true})"sv, R"({"$set":[1],"states":[{"a":1}]})"sv})
    EXPECT_EQ(again(json), json);
}

TEST(JsonLossless, SharedNodesAndCycles) {
  Graph g;
  Value shared = g.str("s");
  Value t = g.tuple({1});
  Value top = g.list({shared, shared, t, t});
  EXPECT_EQ(to_json(top), R"([{"$id":1,"$str":"s"},{"$ref":1},{"$id":2,"$tuple":[1]},{"$ref":2}])");
  // A list holding itself.
  Value l = g.list();
  l.list().items.push_back(l);
  EXPECT_EQ(to_json(l), R"({"$id":1,"$list":[{"$ref":1}]})");
  Graph back;
  Value r = from_json(R"({"$id":1,"$list":[{"$ref":1}]})", back);
  ASSERT_EQ(r.kind(), Kind::List);
  EXPECT_TRUE(r[0].is(r));
  // A tuple inside itself, through a list (as CPython pickles it).
  Value inner = g.list();
  Value tup = g.tuple({inner});
  inner.list().items.push_back(tup);
  std::string json = to_json(tup);
  EXPECT_EQ(json, R"({"$id":1,"$tuple":[[{"$ref":1}]]})");
  Graph back2;
  Value r2 = from_json(json, back2);
  EXPECT_TRUE(r2[0][0].is(r2));
  // The same pickle either way.
  EXPECT_EQ(pickle::dumps(r2), pickle::dumps(tup));
}

TEST(JsonLossless, KeyStrsAreShared) {
  Graph g;
  Value k = g.str("name");
  Value other = g.str("name");  // a second str of the same text
  Value rows = g.list({g.dict({{k, 1}}), g.dict({{k, 2}}), k, g.dict({{other, 3}})});
  std::string json = to_json(rows);
  EXPECT_EQ(json, R"([{"name":1},{"name":2},{"$key":"name"},{"$dict":[["name",3]]}])");
  Graph back;
  Value r = from_json(json, back);
  const auto& e0 = r[0].dict().entries[0];
  const auto& e1 = r[1].dict().entries[0];
  EXPECT_TRUE(e0.first.is(e1.first));
  EXPECT_TRUE(r[2].is(e0.first));
  EXPECT_FALSE(r[3].dict().entries[0].first.is(e0.first));
  EXPECT_EQ(pickle::dumps(r), pickle::dumps(rows));
}

TEST(JsonLossless, Objects) {
  Graph g;
  Value cls = g.global("m", "C");
  Value o = g.object(cls, g.tuple({1}), pickle::BuildKind::newobj_ex, g.dict({{g.str("kw"), 2}}));
  g.add_state(o, g.dict({{g.str("x"), 3}}));
  o.object().list_items.push_back(4);
  o.object().dict_items.emplace_back(g.str("k"), 5);
  o.object().flags |= pickle::kReconstructed;
  Value o2 = g.object(cls, g.tuple({}));
  Value pair = g.list({o, o2, g.persistent_ref(g.str("pid"))});
  std::string json = to_json(pair);
  EXPECT_EQ(json,
            R"([{"$object":{"$id":1,"$global":["m","C"]},"how":"newobj_ex","args":[1],)"
            R"("kwargs":{"kw":2},"states":[{"x":3}],"items":[4],"dict_items":[["k",5]],)"
            R"("reconstructed":true},{"$object":{"$ref":1},"args":[]},{"$persistent":"pid"}])");
  EXPECT_EQ(again(json), json);
  Graph back;
  EXPECT_EQ(pickle::dumps(from_json(json, back)), pickle::dumps(pair));
  // Only an object whose first key starts with "$" is a form: this is a dict.
  EXPECT_EQ(again(R"({"states":[1],"$object":{"$global":["m","f"]}})"),
            R"({"$dict":{"states":[1],"$object":{"$global":["m","f"]}}})");
}

TEST(JsonLossless, FieldOrderAndDefaults) {
  EXPECT_EQ(again(R"({"$object":{"$global":["m","f"]},"states":[1],"how":"reduce"})"),
            R"({"$object":{"$global":["m","f"]},"args":[],"states":[1]})");
  EXPECT_EQ(again(R"({"$global":["m","f"],"getattr":true,"py2":["a","b"]})"),
            R"({"$global":["m","f"],"py2":["a","b"],"getattr":true})");
}

TEST(JsonLossless, RoundTripsPickles) {
  // Pickles of every kind CPython writes, at every protocol: from_json(to_json(x))
  // dumps to the bytes x dumps to.
  Graph g;
  Value cyc = g.list();
  cyc.list().items.push_back(cyc);
  Value s = g.str("shared");
  Value v = g.dict({{g.str("a"), g.list({1, 2.5, Value(), true, g.str("x\xed\xa0\x80y")})},
                    {1, g.tuple({s, s})},
                    {g.tuple({1, 2}), g.bytes("\x00\x01"sv)},
                    {g.str("set"), g.set({1, 2})},
                    {g.str("c"), g.complex(1, 2)},
                    {g.str("big"), g.integer("-1267650600228229401496703205376"sv)},
                    {g.str("cyc"), cyc},
                    {g.str("ba"), g.bytearray("xy")}});
  for (int protocol = 0; protocol <= 5; ++protocol) {
    pickle::DumpOptions opt;
    opt.protocol = protocol;
    std::string bytes = pickle::dumps(v, opt);
    Graph loaded;
    Value l = pickle::loads(bytes, loaded);
    Graph back;
    Value r = from_json(to_json(l), back);
    EXPECT_EQ(pickle::dumps(r, opt), bytes) << "protocol " << protocol;
  }
}

TEST(JsonErrors, Offsets) {
  std::string why;
  EXPECT_EQ(error_at(R"([1,{"$ref":7}])", &why), 11);
  EXPECT_NE(why.find("id 7"), std::string::npos) << why;
  EXPECT_EQ(error_at(R"([{"$ref":1},{"$id":1,"$list":[]}])"), 9);  // before its definition
  EXPECT_EQ(error_at(R"([{"$id":1,"$list":[]},{"$id":1,"$list":[]}])"), 29);
  EXPECT_EQ(error_at(R"({"$nope":1})", &why), 1);  // the key
  EXPECT_NE(why.find("unknown kind"), std::string::npos) << why;
  EXPECT_EQ(error_at(R"({"$tuple":5})"), 10);
  EXPECT_EQ(error_at(R"({"$list":[],"bogus":1})"), 12);
  EXPECT_EQ(error_at(R"({"$list":[],"states":[],"states":[]})"), 24);
  EXPECT_EQ(error_at(R"({"$object":1,"args":5})"), 20);
  EXPECT_EQ(error_at(R"({"$object":1,"kwargs":[]})"), 22);
  EXPECT_EQ(error_at(R"({"$object":1,"kwargs":[1]})"), 22);
  EXPECT_EQ(error_at(R"({"$dict":3})"), 9);
  EXPECT_EQ(error_at(R"({"$dict":[[1]]})"), 10);      // the pair
  EXPECT_EQ(error_at(R"({"$dict":[[1,2,3]]})"), 15);  // the third item
  EXPECT_EQ(error_at(R"({"$dict":[[[1],2]]})"), 11);  // the unhashable key
  EXPECT_EQ(error_at(R"({"$set":[[]]})"), 9);         // the unhashable member
  EXPECT_EQ(error_at(R"({"$complex":[1.5]})"), 12);
  EXPECT_EQ(error_at(R"({"$bytes":"abc"})"), 10);
  EXPECT_EQ(error_at(R"({"$str":["a",65]})"), 13);
  EXPECT_EQ(error_at(R"({"$str":"a","py2":"cp1252"})"), 18);
  EXPECT_EQ(error_at(R"({"$float":"nan!"})"), 10);
  EXPECT_EQ(error_at(R"({"$id":-1,"$list":[]})"), 7);
  EXPECT_EQ(error_at(R"({"$id":1})"), 7);
  EXPECT_EQ(error_at(R"([{"$id":1,"$list":[]},{"$ref":1,"x":2}])"), 32);  // the key
  EXPECT_EQ(error_at(R"({"$object":{"$global":["m"]}})"), 22);
  // Syntax
  EXPECT_EQ(error_at(R"([1 2])"), 1);
  EXPECT_EQ(error_at(R"({"a":1}x)"), 7);
  EXPECT_EQ(error_at("[1,2]\n  ]"), 8);
  EXPECT_GE(error_at(R"([1,2)"), 0);
  EXPECT_GE(error_at(R"("\ud800")"), 0);
  EXPECT_GE(error_at("\"\xff\""), 0);
  EXPECT_GE(error_at(""), 0);
  EXPECT_GE(error_at("1e999"), 0);
  EXPECT_GE(error_at("-123456789e305"), 0);
  EXPECT_EQ(again("1e-999"), "0.0");  // an underflow is 0, as float() reads it
  EXPECT_EQ(again("-0.00001e-400"), "-0.0");
  EXPECT_EQ(again("[4.9e-324,1.7976931348623157e308]"), "[5e-324,1.7976931348623157e+308]");
  EXPECT_GE(error_at("[01]"), 0);
  // A decimal int past 4300 digits (quadratic to convert) must be written in hex.
  std::string huge(4301, '7');
  EXPECT_EQ(error_at("[" + huge + "]", &why), 1);
  EXPECT_NE(why.find("$int"), std::string::npos) << why;
  EXPECT_EQ(error_at("[" + huge.substr(1) + "]"), -1);
}

TEST(JsonReader, SeveralDocuments) {
  std::string text =
      "1 2.5 \"x\" null\n[1]\n{\"a\":[1,2]}\n{\"$id\":1,\"$list\":[{\"$ref\":1}]}\ntrue\n";
  pickle::JsonReader reader(text);
  Graph g;
  std::vector<std::string> seen;
  std::vector<uint64_t> offsets;
  for (Value v; reader.next(g, v); g.clear()) {
    seen.push_back(pickle::repr(v));
    offsets.push_back(reader.offset());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2.5", "'x'", "None", "[1]", "{'a': [1, 2]}",
                                            "[[...]]", "True"}));
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 2, 6, 10, 15, 19, 31, 62}));
  // References do not cross documents.
  pickle::JsonReader two(R"({"$id":1,"$list":[]} {"$ref":1})");
  Value v;
  EXPECT_TRUE(two.next(g, v));
  try {
    two.next(g, v);
    ADD_FAILURE() << "a reference into another document";
  } catch (const JsonError& e) {
    EXPECT_EQ(e.offset(), 29u) << e.what();
  }
  for (std::string_view blank : {""sv, " \n\t "sv}) {
    pickle::JsonReader none(blank);
    EXPECT_FALSE(none.next(g, v));
  }
  pickle::JsonReader cut("[1] [2");
  EXPECT_TRUE(cut.next(g, v));
  EXPECT_THROW(cut.next(g, v), JsonError);
}

TEST(JsonPlain, AsJsonDumps) {
  Graph g;
  // json.dumps's own spacing, escapes and number forms.
  Value v = g.dict({{g.str("a"), g.list({1, 2.5, Value(), true, g.str("é\n")})},
                    {1, g.tuple({1e16, -0.0})},
                    {false, NAN},
                    {Value(), INFINITY},
                    {1.5, -INFINITY},
                    {g.str("big"), g.integer("123456789012345678901234567890"sv)}});
  EXPECT_EQ(to_json(v, plain()),
            R"({"a": [1, 2.5, null, true, "\u00e9\n"], "1": [1e+16, -0.0], "false": NaN, )"
            R"("null": Infinity, "1.5": -Infinity, "big": 123456789012345678901234567890})");
  EXPECT_EQ(to_json(g.list({1, g.dict({{g.str("k"), g.list()}})}), plain(2)),
            "[\n  1,\n  {\n    \"k\": []\n  }\n]");
  JsonOptions utf8 = plain();
  utf8.ensure_ascii = false;
  EXPECT_EQ(to_json(g.str("é\xf0\x9f\x98\x80"), utf8), "\"é\xf0\x9f\x98\x80\"");
  EXPECT_EQ(to_json(g.str("\xf0\x9f\x98\x80"), plain()), R"("\ud83d\ude00")");
}

TEST(JsonPlain, ReadableForms) {
  Graph g;
  Value o = g.object(g.global("m", "Point"), g.tuple({}), pickle::BuildKind::newobj);
  g.add_state(o, g.dict({{g.str("x"), 1}, {g.str("y"), 2}}));
  EXPECT_EQ(to_json(o, plain()), R"({"__class__": "m.Point", "x": 1, "y": 2})");
  Value r = g.object(g.global("m", "f"), g.tuple({1}));
  g.add_state(r, g.tuple({Value(), g.dict({{g.str("s"), 1}})}));
  r.object().list_items.push_back(2);
  EXPECT_EQ(to_json(r, plain()),
            R"({"__class__": "m.f", "__args__": [1], "__state__": [null, {"s": 1}], )"
            R"("__items__": [2]})");
  EXPECT_EQ(to_json(g.bytes("ab"), plain()), R"("YWI=")");
  EXPECT_EQ(to_json(g.global("m", "f"), plain()), R"({"__global__": "m.f"})");
  EXPECT_EQ(to_json(g.complex(1, 2), plain()), R"({"__complex__": [1.0, 2.0]})");
  EXPECT_EQ(to_json(g.persistent_ref(1), plain()), R"({"__persistent_id__": 1})");
  EXPECT_EQ(to_json(g.dict({{g.tuple({1, 2}), 3}}), plain()), R"x({"(1, 2)": 3})x");
  Value l = g.list();
  l.list().items.push_back(l);
  EXPECT_EQ(to_json(l, plain()), R"(["[...]"])");
}

TEST(JsonPlain, SharedValuesAreBounded) {
  // A list of the same list 1000 times, 4 levels: 10^12 values written out.
  Graph g;
  Value v = g.list({1});
  for (int level = 0; level < 4; ++level) {
    std::vector<Value> items(1000, v);
    v = g.list(items);
  }
  JsonOptions o = plain();
  o.max_bytes = 1 << 20;
  EXPECT_THROW(to_json(v, o), pickle::LimitError);
  // The lossless form writes each node once.
  EXPECT_LT(to_json(v).size(), 50000u);
}

TEST(JsonLossless, Colorless) {
  // Colour is for plain JSON only; the lossless text never carries escapes.
  Graph g;
  JsonOptions o;
  o.color = true;
  EXPECT_EQ(to_json(g.dict({{g.str("k"), g.str("v")}}), o), R"({"k":"v"})");
  JsonOptions p = plain();
  p.color = true;
  EXPECT_EQ(to_json(g.dict({{g.str("k"), g.str("v")}}), p),
            "{\x1b[34;1m\"k\"\x1b[0m: \x1b[32m\"v\"\x1b[0m}");
}

TEST(JsonLossless, HundredThousandDeep) {
  constexpr size_t kDepth = 100'000;
  std::string json(kDepth, '[');
  json.append(kDepth, ']');
  EXPECT_EQ(again(json), json);
  std::string tuples;
  for (size_t i = 0; i < kDepth; ++i) tuples += R"({"$tuple":[)";
  for (size_t i = 0; i < kDepth; ++i) tuples += "]}";
  EXPECT_EQ(again(tuples), tuples);
}

// Ten million levels both ways (label slow: the GoogleTests named *Deep*).
TEST(DeepJson, NestedLists) {
  constexpr size_t kDeep = 10'000'000;
  std::string json(kDeep, '[');
  json.append(kDeep, ']');
  Graph g;
  Value v = from_json(json, g);
  for (size_t i = 0; i + 1 < kDeep; ++i) {
    ASSERT_EQ(v.size(), 1u) << "level " << i;
    v = v[0];
  }
  EXPECT_EQ(v.size(), 0u);
  Graph g2;
  EXPECT_EQ(to_json(from_json(json, g2)), json);
}

TEST(DeepJson, NestedDictsPlain) {
  constexpr size_t kDeep = 10'000'000;
  Graph g;
  Value k = g.str("k");
  Value v = g.dict();
  for (size_t i = 0; i < kDeep; ++i) v = g.dict({{k, v}});
  std::string text = to_json(v, plain());
  EXPECT_EQ(text.size(), kDeep * 7 + 2);
  std::string lossless = to_json(v);
  Graph back;
  EXPECT_EQ(to_json(from_json(lossless, back)), lossless);
}

}  // namespace
