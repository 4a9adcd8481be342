// Writes the dump-interop fixtures: graphs built in C++, dumped by pickle++ at every
// protocol, for check_fixtures.py to load in every CPython on the machine.
//
//   pickle_dump_fixtures OUTDIR
//
// Writes OUTDIR/NAME.pN.pkl for each fixture and each protocol N it supports, and
// OUTDIR/fixtures.txt listing "NAME N" per file. check_fixtures.py knows, for each
// NAME, the Python object the pickle must load into (module dump_classes for the
// classes), including which references are shared and which are cycles.
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/pickle.hpp"

namespace {

using namespace std::literals;
using pickle::BuildKind;
using pickle::DumpOptions;
using pickle::Graph;
using pickle::Value;

Value S(Graph& g, std::string_view text) {
  return g.str(text);
}
Value G(Graph& g, std::string_view name) {
  return g.global("dump_classes", name);
}
Value py2(Graph& g, std::string_view data) {
  Value v = g.bytes(data);
  v.bytes().flags |= pickle::kPy2Str;
  return v;
}
Value obj(Graph& g, Value cls, std::initializer_list<Value> args, BuildKind how,
          Value kwargs = nullptr) {
  return g.object(cls, g.tuple(args), how, kwargs);
}
Value with_state(Value o, Value state) {
  o.object().states.push_back(state);
  return o;
}
void append(Value list, Value item) {
  list.list().items.push_back(item);
}
Value ordered(Value d) {
  d.dict().flags |= pickle::kOrderedDict;
  return d;
}
Value big(Graph& g, int bit, bool negative) {  // ±2**bit
  std::vector<uint8_t> le(static_cast<size_t>(bit / 8 + 2), 0);
  le[static_cast<size_t>(bit / 8)] = static_cast<uint8_t>(1u << (bit % 8));
  if (negative) {
    for (auto& b : le) b = static_cast<uint8_t>(~b);
    for (auto& b : le)
      if (++b != 0) break;
  }
  return g.integer(std::span<const uint8_t>(le));
}
std::span<const std::byte> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

// The buffers of the protocol 5 fixtures (check_fixtures.py knows the contents).
constexpr std::string_view kInBandRw = "in-band writable";
constexpr std::string_view kInBandRo = "in-band read-only";
constexpr std::string_view kOob1 = "out-of-band one";
constexpr std::string_view kOob2 = "out-of-band two (read-only)";

struct Fixture {
  std::string name;
  int min_protocol = 0;
  std::function<Value(Graph&, int protocol)> build;
  // Options beyond the protocol; `write` replaces a single dump (several dumps).
  std::function<void(DumpOptions&)> options;
  std::function<std::string(int protocol)> write;
};

std::optional<Value> pid_of(Value v) {
  if (!v.is_object()) return std::nullopt;
  const pickle::GlobalNode* cls = v.object().callable_global();
  if (!cls || cls->module != "dump_classes" || cls->name != "Persistent") return std::nullopt;
  return v.object().args[0];
}

std::vector<Fixture> fixtures() {
  std::vector<Fixture> f;
  auto add = [&](std::string name, int min_protocol, std::function<Value(Graph&, int)> build,
                 std::function<void(DumpOptions&)> options = nullptr) {
    f.push_back({std::move(name), min_protocol, std::move(build), std::move(options), nullptr});
  };

  add("scalars", 0, [](Graph& g, int) {
    return g.list({nullptr,
                   true,
                   false,
                   0,
                   1,
                   -1,
                   255,
                   256,
                   65535,
                   65536,
                   -65536,
                   2147483647,
                   -2147483647 - 1,
                   2147483648LL,
                   1LL << 40,
                   std::numeric_limits<int64_t>::max(),
                   std::numeric_limits<int64_t>::min(),
                   big(g, 64, false),
                   big(g, 100, true),
                   big(g, 2100, false),
                   0.0,
                   -0.0,
                   1.5,
                   0.1,
                   1e300,
                   5e-324,
                   std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()});
  });
  add("text", 0, [](Graph& g, int) {
    return g.list({S(g, ""), S(g, "a"), S(g, "abc"), S(g, "caf\xc3\xa9"), S(g, "\xe2\x82\xac uro"),
                   S(g, "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"), S(g, "a\\b\nc\r\0\x1a\"'\\u0041"sv),
                   S(g, std::string(300, 'x')), S(g, std::string(70000, 'y'))});
  });
  add("text_surrogates", 0, [](Graph& g, int) {
    return g.list({S(g, "\xed\xa0\x80"), S(g, "a\xed\xb2\x80z")});
  });
  add("bytes", 0, [](Graph& g, int) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    return g.list({g.bytes(""), g.bytes("\x00\xff"sv), g.bytes(all), g.bytearray("ba"),
                   g.bytearray(""), g.bytes(std::string(70000, 'x')),
                   g.bytearray(std::string(70000, 'z'))});
  });
  add("containers", 0, [](Graph& g, int) {
    std::vector<Value> many;
    for (int i = 0; i < 2500; ++i) many.push_back(i);
    Value d = g.dict();
    for (int i = 0; i < 1500; ++i) d.dict().set(i, S(g, std::to_string(i)));
    return g.list({g.tuple({}), g.tuple({1}), g.tuple({1, 2}), g.tuple({1, 2, 3}),
                   g.tuple({1, 2, 3, 4}), g.list(), g.list({1, g.list({2, g.list({3})})}), g.dict(),
                   g.dict({{S(g, "a"), 1}, {2, S(g, "b")}, {g.tuple({1, 2}), nullptr}}), g.set(),
                   g.set({1, 2, 3}), g.frozenset(), g.frozenset({S(g, "x")}), g.list(many), d,
                   g.set(std::span<const Value>(many).subspan(0, 1200)),
                   g.frozenset(std::span<const Value>(many).subspan(0, 1001))});
  });
  add("ordered_dict", 0, [](Graph& g, int) {
    Value rec = ordered(g.dict());
    rec.dict().set(S(g, "self"), rec);
    return g.list(
        {ordered(g.dict({{S(g, "b"), 1}, {S(g, "a"), g.list({2})}})), ordered(g.dict()), rec});
  });
  add("complex", 0, [](Graph& g, int) {
    return g.list({g.complex(1, 2), g.complex(-0.0, std::numeric_limits<double>::infinity())});
  });
  add("shared", 0, [](Graph& g, int) {
    Value a = g.list({1, S(g, "shared")});
    Value s = S(g, "str");
    Value b = g.bytes("bytes");
    Value t = g.tuple({a, s});
    Value o = with_state(obj(g, G(g, "Plain"), {}, BuildKind::newobj), g.dict({{S(g, "x"), a}}));
    return g.list({a, a, t, t, g.dict({{S(g, "k"), a}, {S(g, "k2"), t}}), s, s, b, b, o, o,
                   g.set({s}), g.frozenset({s})});
  });
  add("rec_list", 0, [](Graph& g, int) {
    Value l = g.list({1});
    append(l, l);
    return l;
  });
  add("rec_dict", 0, [](Graph& g, int) {
    Value d = g.dict();
    d.dict().set(S(g, "self"), d);
    d.dict().set(S(g, "list"), g.list({d}));
    return d;
  });
  add("rec_tuple", 0, [](Graph& g, int) {
    Value l = g.list();
    Value t = g.tuple({l, 2});
    append(l, t);
    return t;
  });
  add("rec_tuple4", 0, [](Graph& g, int) {
    Value l = g.list();
    Value t = g.tuple({1, l, 3, 4});
    append(l, t);
    return g.list({t, l});
  });
  add("mutual", 0, [](Graph& g, int) {
    Value a = g.list();
    Value b = g.list({a});
    append(a, b);
    return g.dict({{S(g, "a"), a}, {S(g, "b"), b}});
  });
  add("objects", 0, [](Graph& g, int) {
    Value plain = with_state(obj(g, G(g, "Plain"), {}, BuildKind::newobj),
                             g.dict({{S(g, "a"), 1}, {S(g, "b"), g.list({2})}}));
    Value args = with_state(obj(g, G(g, "WithArgs"), {1, S(g, "x")}, BuildKind::newobj),
                            g.dict({{S(g, "extra"), true}}));
    Value made = obj(g, G(g, "make"), {1, S(g, "two")}, BuildKind::reduce);
    Value slots = with_state(obj(g, G(g, "Slots"), {}, BuildKind::newobj),
                             g.tuple({nullptr, g.dict({{S(g, "x"), 1}, {S(g, "y"), g.list()}})}));
    Value old = with_state(obj(g, G(g, "Old"), {}, BuildKind::inst), g.dict({{S(g, "v"), 1}}));
    Value old_args =
        with_state(obj(g, G(g, "Old"), {1, S(g, "two")}, BuildKind::obj), g.dict({{S(g, "w"), 2}}));
    Value nested = G(g, "Outer.Inner");
    Value nested_obj = obj(g, nested, {}, BuildKind::newobj);
    return g.list({plain, args, made, slots, old, old_args, nested_obj});
  });
  // Subclasses of list and dict: NEWOBJ with APPENDS/SETITEMS items.
  add("builtin_subclasses", 0, [](Graph& g, int) {
    Value lst = with_state(obj(g, G(g, "ListSub"), {}, BuildKind::newobj),
                           g.dict({{S(g, "tag"), S(g, "t")}}));
    lst.object().list_items = {1, 2, 3};
    Value dct = obj(g, G(g, "DictSub"), {}, BuildKind::newobj);
    dct.object().dict_items.push_back({S(g, "k"), S(g, "v")});
    dct.object().dict_items.push_back({2, g.list()});
    Value self = obj(g, G(g, "ListSub"), {}, BuildKind::newobj);
    self.object().list_items.push_back(self);
    return g.list({lst, dct, self});
  });
  add("newobj_ex", 0, [](Graph& g, int) {
    Value kw =
        obj(g, G(g, "WithArgs"), {1}, BuildKind::newobj_ex, g.dict({{S(g, "k"), g.list({2})}}));
    Value nokw = obj(g, G(g, "WithArgs"), {3}, BuildKind::newobj_ex, g.dict());
    return g.list({kw, nokw, kw});
  });
  add("rec_objects", 0, [](Graph& g, int) {
    Value o = obj(g, G(g, "Plain"), {}, BuildKind::newobj);
    with_state(o, g.dict({{S(g, "me"), o}, {S(g, "items"), g.list({o})}}));
    Value h = obj(g, G(g, "Hashable"), {}, BuildKind::newobj);
    Value s = g.set({h});
    with_state(h, g.dict({{S(g, "s"), s}}));
    Value h2 = obj(g, G(g, "Hashable"), {}, BuildKind::newobj);
    Value fs = g.frozenset({h2});
    with_state(h2, g.dict({{S(g, "f"), fs}}));
    return g.list({o, s, fs});
  });
  add("globals", 0, [](Graph& g, int) {
    return g.list({G(g, "Plain"), G(g, "Outer.Inner"), G(g, "Outer"), G(g, "make"),
                   g.global("builtins", "range"), g.global("_functools", "reduce"),
                   g.global("collections", "OrderedDict"), G(g, "Plain")});
  });
  add("py2_str", 0, [](Graph& g, int) {
    return g.list({py2(g, "abc"), py2(g, "it's"), S(g, "unicode"), py2(g, ""),
                   py2(g, std::string(300, 'p'))});
  });
  add("py2_str_latin1", 0, [](Graph& g, int) {
    return g.list({py2(g, "caf\xe9"), py2(g, "\xff\x00"sv)});
  });
  add(
      "persistent", 0,
      [](Graph& g, int p) {
        Value ids = p > 0 ? g.tuple({S(g, "tuple"), 1}) : S(g, "text2");
        return g.list({1, g.persistent_ref(S(g, "text")),
                       obj(g, G(g, "Persistent"), {ids}, BuildKind::newobj)});
      },
      [](DumpOptions& o) { o.persistent_id = pid_of; });
  {
    // Extension codes, registered where the pickle is read (check_fixtures.py does).
    static pickle::Registry registry;
    static bool once = [] {
      registry.add_extension("dump_classes", "Plain", 240);
      registry.add_extension("dump_classes", "Outer", 50000);
      registry.add_extension("dump_classes", "make", 0x12345678);
      return true;
    }();
    (void)once;
    add(
        "extension", 0,
        [](Graph& g, int) {
          return g.list({G(g, "Plain"), G(g, "Outer"), G(g, "make"), G(g, "Plain"),
                         obj(g, G(g, "Plain"), {}, BuildKind::newobj)});
        },
        [](DumpOptions& o) { o.registry = &registry; });
  }
  add("buffers_in_band", 5, [](Graph& g, int) {
    Value rw = g.buffer(bytes_of(kInBandRw), false);
    return g.list({rw, g.buffer(bytes_of(kInBandRo), true), rw});
  });
  add(
      "buffers_out_of_band", 5,
      [](Graph& g, int) {
        Value one = g.buffer(bytes_of(kOob1), false);
        return g.list({one, g.buffer(bytes_of(kOob2), true), S(g, "after")});
      },
      [](DumpOptions& o) { o.buffer_callback = [](Value) { return false; }; });
  add(
      "fast", 0,
      [](Graph& g, int) {
        Value a = g.list({1, S(g, "x")});
        return g.list({a, a, g.tuple({a})});
      },
      [](DumpOptions& o) { o.fast = true; });
  add("deep", 0, [](Graph& g, int) {
    Value l = g.list(), d = g.dict(), t = g.tuple({});
    for (int i = 0; i < 10000; ++i) {
      l = g.list({l});
      d = g.dict({{i, d}});
      t = g.tuple({t});
    }
    return g.list({l, d, t});
  });
  add("frames", 0, [](Graph& g, int) {
    std::vector<Value> items;
    for (int i = 0; i < 3000; ++i) {
      items.push_back(S(g, std::to_string(i) + std::string(40, 's')));
      if (i == 1500) items.push_back(g.bytes(std::string(100000, 'b')));
    }
    return g.list(items);
  });
  // Several dump() calls on one Pickler: the memo is shared until clear_memo().
  f.push_back({"stream", 0, nullptr, nullptr, [](int p) {
                 Graph g;
                 Value a = g.list({1, S(g, "x")});
                 std::string out;
                 pickle::StringSink sink(out);
                 DumpOptions o;
                 o.protocol = p;
                 pickle::Pickler pk(sink, o);
                 pk.dump(a);
                 pk.dump(g.list({a, a}));
                 pk.dump(g.dict({{S(g, "a"), a}}));
                 pk.clear_memo();
                 pk.dump(a);
                 return out;
               }});
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  std::ofstream list(dir + "/fixtures.txt");
  try {
    for (const Fixture& fx : fixtures()) {
      for (int p = fx.min_protocol; p <= pickle::HIGHEST_PROTOCOL; ++p) {
        std::string bytes;
        if (fx.write) {
          bytes = fx.write(p);
        } else {
          Graph g;
          DumpOptions o;
          o.protocol = p;
          if (fx.options) fx.options(o);
          bytes = pickle::dumps(fx.build(g, p), o);
        }
        std::string path = dir + "/" + fx.name + ".p" + std::to_string(p) + ".pkl";
        std::ofstream out(path, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
          std::fprintf(stderr, "cannot write %s\n", path.c_str());
          return 1;
        }
        list << fx.name << ' ' << p << '\n';
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dump_fixtures: %s\n", e.what());
    return 1;
  }
  return list ? 0 : 1;
}
