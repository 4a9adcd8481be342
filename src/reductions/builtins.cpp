// The builtin entries of the reductions table (see [NOTE reductions]): CPython's own
// reductions of the values the object model holds natively, both directions each.
#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "pickle/opcodes.hpp"
#include "reductions/table.hpp"
#include "text/text.hpp"

namespace pickle::detail {

namespace {

using Args = std::span<const Value>;

bool iterable(Value v) {
  Kind k = v.kind();
  return k == Kind::List || k == Kind::Tuple || k == Kind::Set || k == Kind::FrozenSet;
}

// ---- load ----

bool load_set_of(Rebuild& b, Args a, Kind kind, Value& out) {
  if (a.size() > 1 || (a.size() == 1 && !iterable(a[0]))) return false;
  Value s = kind == Kind::Set ? b.graph().set() : b.graph().frozenset();
  if (a.size() == 1) {
    auto items = a[0].items();
    std::vector<Value> copy(items.begin(), items.end());
    b.add_all(s.set(), copy);
  }
  out = s;
  return true;
}
bool load_set(Rebuild& b, Args a, Value& out) {
  return load_set_of(b, a, Kind::Set, out);
}
bool load_frozenset(Rebuild& b, Args a, Value& out) {
  return load_set_of(b, a, Kind::FrozenSet, out);
}

// str -> bytes with one of the codecs CPython's reductions name: bytes(text, encoding)
// or bytearray(...), made straight in the graph, so a 64 MiB payload below protocol 3
// is decoded once, into its node, with no temporary.
bool encode_text(Graph& g, Value text, Value encoding, Kind kind, Value& out) {
  if (text.kind() != Kind::Str || encoding.kind() != Kind::Str) return false;
  std::string enc = normalize_encoding(encoding.str().text);
  std::string_view t = text.str().text;
  BytesNode* node;
  if (enc == "utf-8") {
    if (check_utf8(t, false) != std::string_view::npos) return false;
    node = g.make<BytesNode>(kind);
    node->data = g.copy(t);
  } else if (enc == "latin1" || enc == "ascii") {
    // See [NOTE latin1-text]: protocols 0-2 write every bytes object this way.
    uint32_t limit = enc == "ascii" ? 0x80 : 0x100;
    size_t length = latin1_length(t, limit);
    if (length == std::string_view::npos) return false;
    auto* p = static_cast<char*>(g.allocate(length + 8, 1));
    size_t n = utf8_to_latin1(t, limit, p);
    if (n == std::string_view::npos) return false;  // only for text not valid UTF-8
    node = g.make<BytesNode>(kind);
    node->data = std::string_view(n ? p : nullptr, n);
  } else {
    return false;
  }
  out = Value(node);
  return true;
}

bool load_bytes_of(Rebuild& b, Args a, Kind kind, Value& out) {
  if (a.size() == 2) return encode_text(b.graph(), a[0], a[1], kind, out);
  std::string data;
  if (a.empty()) {
  } else if (a.size() == 1 && (a[0].kind() == Kind::Bytes || a[0].kind() == Kind::ByteArray)) {
    data.assign(a[0].bytes().data);
  } else if (a.size() == 1 && a[0].kind() == Kind::List) {
    for (Value x : a[0].list().items) {
      if (x.kind() != Kind::Int || x.is_bigint() || x.raw_int() < 0 || x.raw_int() > 255)
        return false;
      data.push_back(static_cast<char>(x.raw_int()));
    }
  } else {
    return false;
  }
  out = kind == Kind::ByteArray ? b.graph().bytearray(data) : b.graph().bytes(data);
  return true;
}
bool load_bytes(Rebuild& b, Args a, Value& out) {
  return load_bytes_of(b, a, Kind::Bytes, out);
}
bool load_bytearray(Rebuild& b, Args a, Value& out) {
  return load_bytes_of(b, a, Kind::ByteArray, out);
}

bool load_codecs_encode(Rebuild& b, Args a, Value& out) {
  return a.size() == 2 && encode_text(b.graph(), a[0], a[1], Kind::Bytes, out);
}

bool load_complex(Rebuild& b, Args a, Value& out) {
  auto num = [](Value v, double& d) {
    if (v.kind() == Kind::Float) {
      d = v.raw_float();
      return true;
    }
    if (v.kind() != Kind::Int && v.kind() != Kind::Bool) return false;
    try {
      d = v.as_float();
    } catch (const std::exception&) {
      return false;
    }
    return true;
  };
  double re = 0, im = 0;
  if (a.size() > 2 || (!a.empty() && !num(a[0], re)) || (a.size() == 2 && !num(a[1], im)))
    return false;
  out = b.graph().complex(re, im);
  return true;
}

bool load_reconstructor(Rebuild& b, Args a, Value& out) {
  if (a.size() != 3 || a[0].kind() != Kind::Global || !is_global(a[1], "builtins", "object") ||
      !a[2].is_none())
    return false;
  out = b.graph().object(a[0], b.graph().tuple({}), BuildKind::newobj);
  out.node()->flags |= kReconstructed;
  return true;
}

bool load_newobj(Rebuild& b, Args a, Value& out) {
  if (a.empty() || a[0].kind() != Kind::Global) return false;
  out = b.graph().object(a[0], b.graph().tuple(a.subspan(1)), BuildKind::newobj);
  return true;
}

bool load_newobj_ex(Rebuild& b, Args a, Value& out) {
  if (a.size() != 3 || a[0].kind() != Kind::Global || a[1].kind() != Kind::Tuple ||
      a[2].kind() != Kind::Dict)
    return false;
  out = b.graph().object(a[0], a[1], BuildKind::newobj_ex, a[2]);
  return true;
}

// getattr(module.Outer, 'inner') is how protocols < 4 name a nested qualified name: it
// loads as the global module.Outer.inner.
bool load_getattr(Rebuild& b, Args a, Value& out) {
  std::string_view inner;
  if (a.size() != 2 || a[0].kind() != Kind::Global || !b.text_of(a[1], inner) || inner.empty())
    return false;
  const GlobalNode& outer = a[0].global();
  std::string name(outer.name);
  name += '.';
  name += inner;
  out = b.graph().global(outer.module, name);
  return true;
}

bool load_ordered_dict(Rebuild& b, Args a, Value& out) {
  if (a.size() > 1 || (a.size() == 1 && !iterable(a[0]))) return false;
  std::vector<Value> pairs;
  if (a.size() == 1) {
    for (Value kv : a[0].items()) {
      if ((kv.kind() != Kind::List && kv.kind() != Kind::Tuple) || kv.items().size() != 2)
        return false;
      pairs.push_back(kv.items()[0]);
      pairs.push_back(kv.items()[1]);
    }
  }
  Value d = b.graph().dict();
  d.dict().flags |= kOrderedDict;
  b.set_all(d.dict(), pairs);
  out = d;
  return true;
}

// ---- lower ----

Lowered call(Lowerer& s, std::string_view module, std::string_view name,
             std::initializer_list<Value> args) {
  return {s.global(module, name), s.tuple(std::span(args.begin(), args.size()))};
}

Lowered lower_set(Lowerer& s, Value v) {
  return call(s, "builtins", "set", {s.list(v.set().items)});
}
Lowered lower_frozenset(Lowerer& s, Value v) {
  return call(s, "builtins", "frozenset", {s.list(v.set().items)});
}
// [NOTE latin1-text] Below protocol 3, CPython writes bytes as
// _codecs.encode(text, 'latin1'), the text being the bytes read as latin-1 (and the
// empty bytes as bytes()).
Lowered lower_bytes(Lowerer& s, Value v) {
  std::string_view d = v.bytes().data;
  if (d.empty()) return call(s, "builtins", "bytes", {});
  return call(s, "_codecs", "encode", {s.latin1_str(d), s.constant_str("latin1")});
}
Lowered lower_bytearray(Lowerer& s, Value v) {
  std::string_view d = v.bytes().data;
  if (d.empty()) return call(s, "builtins", "bytearray", {});
  return call(s, "builtins", "bytearray", {s.bytes(d)});
}
Lowered lower_complex(Lowerer& s, Value v) {
  return call(s, "builtins", "complex", {Value(v.complex().real), Value(v.complex().imag)});
}
// The items follow as SETITEMS (the Encoder writes the dict's entries).
Lowered lower_ordered_dict(Lowerer& s, Value) {
  return call(s, "collections", "OrderedDict", {});
}
// copyreg.__newobj__(cls, *args): what protocols 0 and 1 write for NEWOBJ, and which
// also builds subclasses of builtins (object.__new__ cannot).
Lowered lower_newobj(Lowerer& s, Value v) {
  const ObjectNode& o = v.object();
  std::vector<Value> a{o.callable};
  for (Value x : o.args.tuple().items) a.push_back(x);
  return {s.global("copyreg", "__newobj__"), s.tuple(a)};
}
// What _reconstructor built goes back that way at every protocol: it calls
// object.__new__, where NEWOBJ would run the class's own __new__ (which may set
// attributes the original never had).
Lowered lower_reconstructed(Lowerer& s, Value v) {
  return call(s, "copyreg", "_reconstructor",
              {v.object().callable, s.global("builtins", "object"), Value()});
}
Lowered lower_newobj_ex(Lowerer& s, Value v) {
  const ObjectNode& o = v.object();
  return call(s, "copyreg", "__newobj_ex__", {o.callable, o.args, o.kwargs});
}
// A global loaded from an explicit getattr(Outer, 'name') reduction (a method
// descriptor's __reduce__, as str.upper) is written the same way.
Lowered lower_getattr(Lowerer& s, Value v) {
  const GlobalNode& g = v.global();
  size_t dot = g.name.rfind('.');
  return call(s, "builtins", "getattr",
              {s.global(g.module, g.name.substr(0, dot)), s.str(g.name.substr(dot + 1))});
}

constexpr int kNever = HIGHEST_PROTOCOL + 1;  // the form is lowered at every protocol

// clang-format off
constexpr Reduction kBuiltins[] = {
  // module         name              load                strict  form              native_from  lower
  {"_codecs",     "encode",         load_codecs_encode, true,  Form::bytes,         3,      lower_bytes},
  {"builtins",    "bytearray",      load_bytearray,     true,  Form::bytearray,     5,      lower_bytearray},
  {"builtins",    "bytes",          load_bytes,         true,  Form::count,         kNever, nullptr},
  {"builtins",    "complex",        load_complex,       true,  Form::complex,       kNever, lower_complex},
  {"builtins",    "frozenset",      load_frozenset,     true,  Form::frozenset,     4,      lower_frozenset},
  {"builtins",    "getattr",        load_getattr,       false, Form::getattr,       kNever, lower_getattr},
  {"builtins",    "object",         nullptr,            true,  Form::count,         kNever, nullptr},
  {"builtins",    "set",            load_set,           true,  Form::set,           4,      lower_set},
  {"collections", "OrderedDict",    load_ordered_dict,  true,  Form::ordered_dict,  kNever, lower_ordered_dict},
  {"copyreg",     "__newobj__",     load_newobj,        true,  Form::newobj,        2,      lower_newobj},
  {"copyreg",     "__newobj_ex__",  load_newobj_ex,     true,  Form::newobj_ex,     4,      lower_newobj_ex},
  {"copyreg",     "_reconstructor", load_reconstructor, true,  Form::reconstructed, kNever, lower_reconstructed},
};
// clang-format on

constexpr bool sorted_by_name() {
  for (size_t i = 1; i < std::size(kBuiltins); ++i)
    if (std::pair(kBuiltins[i - 1].module, kBuiltins[i - 1].name) >=
        std::pair(kBuiltins[i].module, kBuiltins[i].name))
      return false;
  return true;
}
static_assert(sorted_by_name());

// Form -> entry, and a check that every form has exactly one.
struct FormIndex {
  uint8_t at[static_cast<size_t>(Form::count)] = {};
  constexpr FormIndex() {
    for (auto& i : at) i = 0xFF;
    for (size_t i = 0; i < std::size(kBuiltins); ++i)
      if (kBuiltins[i].form != Form::count) at[static_cast<size_t>(kBuiltins[i].form)] = i;
  }
};
constexpr FormIndex kByForm;
constexpr bool every_form_once() {
  for (size_t f = 0; f < static_cast<size_t>(Form::count); ++f) {
    int n = 0;
    for (const auto& r : kBuiltins) n += static_cast<size_t>(r.form) == f;
    if (n != 1 || kByForm.at[f] == 0xFF) return false;
  }
  return true;
}
static_assert(every_form_once());

}  // namespace

const Reduction* builtin_reduction(std::string_view module, std::string_view name) noexcept {
  auto it = std::lower_bound(
      std::begin(kBuiltins), std::end(kBuiltins), std::pair(module, name),
      [](const Reduction& r, const auto& k) { return std::pair(r.module, r.name) < k; });
  if (it == std::end(kBuiltins) || it->module != module || it->name != name) return nullptr;
  return it;
}

const Reduction& lowering(Form form) noexcept {
  return kBuiltins[kByForm.at[static_cast<size_t>(form)]];
}

}  // namespace pickle::detail
