// Lowering: how the Encoder writes what has no opcode of its own at the protocol, in
// CPython's forms (sets, frozensets and bytearrays as reductions, bytes below protocol
// 3, OrderedDict, complex, objects built with NEWOBJ or NEWOBJ_EX below their
// protocols, Python 2 strs, dotted and renamed globals, buffers, persistent ids).
#include <algorithm>

#include "dump/encoder.hpp"
#include "reductions/names.hpp"

namespace pickle::detail {

namespace {

// [NOTE builtins-module] CPython's builtin functions all carry one `'builtins'` str
// object as __module__ and its builtin types another, so at protocol 4+ (where
// module names are memoized strings) `'builtins'` is written once for the functions
// and once again for the types. These are the functions (CPython 3.13).
// clang-format off
constexpr std::string_view kBuiltinFunctions[] = {
    "__build_class__", "__import__", "abs", "aiter", "all", "anext", "any", "ascii",
    "bin", "breakpoint", "callable", "chr", "compile", "delattr", "dir", "divmod", "eval",
    "exec", "format", "getattr", "globals", "hasattr", "hash", "hex", "id", "input",
    "isinstance", "issubclass", "iter", "len", "locals", "max", "min", "next", "oct",
    "ord", "pow", "print", "repr", "round", "setattr", "sorted", "sum", "vars"};
// clang-format on
static_assert(std::is_sorted(std::begin(kBuiltinFunctions), std::end(kBuiltinFunctions)));

bool builtin_function(std::string_view name) {
  return std::binary_search(std::begin(kBuiltinFunctions), std::end(kBuiltinFunctions), name);
}

}  // namespace

// The names a global goes under in a text GLOBAL/INST line below protocol 3: the
// Python 2 names it was read under, when fix_imports renamed it on loading (so
// `long` stays `long`), else fix_imports' reverse renames.
void text_names(const GlobalNode& g, int proto, bool fix_imports, std::string_view& module,
                std::string_view& name) {
  module = g.module;
  name = g.name;
  if (proto >= 3 || !fix_imports) return;
  if (!g.py2_module.empty()) {
    module = g.py2_module;
    name = g.py2_name;
    return;
  }
  reverse_fix_import(module, name);
}

void Encoder::save_py2(Value v) {
  if (opt_.py2_str == Py2Str::keep) return save_py2_str(v);
  auto [it, fresh] = py2_converted_.try_emplace(v.node());
  if (fresh) {
    if (opt_.py2_str == Py2Str::bytes) {
      it->second = scratch_.bytes(py2_raw(v));
    } else if (v.kind() == Kind::Str) {
      it->second = scratch_.str(as<StrNode>(v).text);
    } else {
      std::string_view raw = as<BytesNode>(v).data;
      if (!is_ascii(raw))
        throw PicklingError(
            "a Python 2 str loaded as bytes holds non-ASCII bytes, so it has no text to "
            "write: load it with the encoding that decodes it (latin1, utf-8, ...)");
      it->second = scratch_.str(raw);
    }
  }
  save(it->second, false);
}

std::string Encoder::py2_raw(Value v) {
  std::string raw;
  if (v.kind() == Kind::Bytes) {
    raw.assign(as<BytesNode>(v).data);
  } else {
    // The bytes the str was decoded from: its text encoded again with the codec that
    // decoded it (UTF-8 as it is; ASCII and latin-1 as code points below 256), and each
    // U+DC80..U+DCFF that errors=surrogateescape made of an undecodable byte as that
    // byte, as str.encode(codec, 'surrogateescape') would.
    const StrNode& s = as<StrNode>(v);
    const bool utf8 = s.py2_encoding == "utf-8";
    std::string_view t = s.text;
    if (utf8 && t.find('\xED') == std::string_view::npos) {
      raw.assign(t);
    } else {
      raw.reserve(t.size());
      for (size_t i = 0; i < t.size();) {
        auto c = static_cast<uint8_t>(t[i]);
        auto next = [&](size_t k) { return static_cast<uint8_t>(t[i + k]); };
        if (c == 0xED && i + 2 < t.size() && (next(1) & 0xFE) == 0xB2) {
          raw.push_back(static_cast<char>(0x80 | ((next(1) & 1) << 6) | (next(2) & 0x3F)));
          i += 3;
        } else if (c < 0x80 || utf8) {
          raw.push_back(static_cast<char>(c));
          ++i;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < t.size()) {
          raw.push_back(static_cast<char>(((c & 0x1Fu) << 6) | (next(1) & 0x3Fu)));
          i += 2;
        } else {
          throw PicklingError("a Python 2 str holds a character beyond latin-1");
        }
      }
    }
  }
  return raw;
}

void Encoder::save_py2_str(Value v) {
  em_.py2_str(py2_raw(v), false);
  memoize(v);
}

void Encoder::save_bytes(Value v) {
  if (lowered(Form::bytes)) return save_lowered(Form::bytes, v);
  em_.bytes(as<BytesNode>(v).data);
  memoize(v);
}

void Encoder::save_bytearray(Value v) {
  if (lowered(Form::bytearray)) return save_lowered(Form::bytearray, v);
  em_.bytearray(as<BytesNode>(v).data);
  memoize(v);
}

void Encoder::save_buffer(Value v) {
  if (proto_ < 5) throw PicklingError("a buffer can only be written with protocol 5 or higher");
  const BufferNode& b = v.buffer();
  bool in_band = true;
  if (opt_.buffer_callback) in_band = opt_.buffer_callback(v);
  if (!in_band) {
    em_.opcode(Op::next_buffer);
    if (b.readonly()) em_.opcode(Op::readonly_buffer);
    return;
  }
  // In-band: the data as bytes (read-only) or bytearray, and the buffer itself is
  // memoized, as the C pickler does (a second reference is a GET).
  std::string_view d(reinterpret_cast<const char*>(b.data.data()), b.data.size());
  if (b.readonly())
    em_.bytes(d);
  else
    em_.bytearray(d);
  memoize(v);
}

void Encoder::save_persistent(Value pid) {
  if (proto_ >= 1) {
    // The id is saved without asking persistent_id about it (CPython's
    // save(pid, save_persistent_id=False)), then BINPERSID.
    tasks_.push_back({T::persid, 0, 0, pid, nullptr});
    tasks_.push_back({T::save, kNoPersistentId, 0, pid, nullptr});
    return;
  }
  // A Python 2 str loaded as bytes is a str to Python 2 and, decoded, to Python 3.
  bool py2_bytes = pid.kind() == Kind::Bytes && (pid.bytes().flags & kPy2Str);
  if (pid.kind() != Kind::Str && !py2_bytes)
    throw PicklingError("persistent IDs in protocol 0 must be ASCII strings, not " +
                        std::string(kind_name(pid.kind())));
  em_.persid(py2_bytes ? pid.bytes().data : pid.str().text);
}

void Encoder::save_global(Value v) {
  const GlobalNode& g = as<GlobalNode>(v);
  std::string_view module = g.module, name = g.name;
  // No Unpickler loads a global without both names (CPython cannot import one).
  if (module.empty() || name.empty())
    throw PicklingError("a global needs a module name and a name, not '" + quoted_name(module) +
                        "' and '" + quoted_name(name) + "'");
  if (proto_ >= 2 && opt_.registry) {
    if (auto code = opt_.registry->extension_code(module, name)) {
      return em_.ext(static_cast<uint32_t>(*code));
    }
  }
  auto dotted_path = [](std::string_view n) {
    // Only names whose every part is non-empty go through getattr; CPython could
    // not load `getattr(x, '')`, so the name is written as it is.
    if (n.find('.') == std::string_view::npos) return false;
    return n.front() != '.' && n.back() != '.' && n.find("..") == std::string_view::npos;
  };
  if ((g.flags & kGetattrForm) && dotted_path(name)) {
    // Loaded from an explicit getattr(Outer, 'name') reduction: written the same way,
    // with the tuple and result memoized as a reduction is (CPython's bytes for a
    // method descriptor such as str.upper).
    return save_lowered(Form::getattr, v);
  }
  if (proto_ >= 4) {
    save_interned(module == "builtins" && builtin_function(name) ? 'F' : 'M', module);
    save_interned('N', name);
    em_.opcode(Op::stack_global);
    return memoize(v);
  }
  if (dotted_path(name)) {
    // getattr(getattr(module.first, attr1), attr2)..., as CPython 3.13 writes
    // dotted names below protocol 4.
    tasks_.push_back({T::global_path, 0, 0, v, nullptr});
    return;
  }
  text_names(g, proto_, opt_.fix_imports, module, name);
  em_.global(module, name);
  memoize(v);
}

void Encoder::global_path_step(Task t) {
  const GlobalNode& g = as<GlobalNode>(t.v);
  std::vector<std::string_view> parts;
  std::string_view rest = g.name;
  for (size_t dot; (dot = rest.find('.')) != std::string_view::npos;) {
    parts.push_back(rest.substr(0, dot));
    rest.remove_prefix(dot + 1);
  }
  parts.push_back(rest);
  size_t attrs = parts.size() - 1;
  if (t.phase == 0) {
    // getattr globals (and MARKs below protocol 2), one per attribute.
    if (t.i < attrs) {
      tasks_.push_back({T::global_path, 0, t.i + 1, t.v, nullptr});
      save(scratch_.global("builtins", "getattr"));
      if (proto_ < 2) em_.opcode(Op::mark);
      return;
    }
    std::string_view module = g.module, first = parts[0];
    if (proto_ < 3 && opt_.fix_imports) reverse_fix_import(module, first);
    em_.global(module, first);
    t.phase = 1;
    t.i = 0;
  }
  if (t.i > 0) {
    em_.opcode(proto_ < 2 ? Op::tuple : Op::tuple2);
    em_.opcode(Op::reduce);
  }
  if (t.i < attrs) {
    tasks_.push_back({T::global_path, 1, t.i + 1, t.v, nullptr});
    push_save(scratch_.str(parts[t.i + 1]));
    return;
  }
  memoize(t.v);
}

void Encoder::schedule_reduce(Value obj, Lowered call,
                              std::span<const std::pair<Value, Value>> dict_items) {
  ObjectNode* o = scratch_.make<ObjectNode>(scratch_.resource());
  o->callable = call.callable;
  o->args = call.args;
  o->how = BuildKind::reduce;
  o->dict_items.assign(dict_items.begin(), dict_items.end());
  auto states = build_states(obj);  // see [NOTE container-states]
  o->states.assign(states.begin(), states.end());
  if (opt_.fast && !in_progress_.insert(obj.node()).second)
    throw PicklingError("cannot write a recursive value in fast mode (no memo)");
  open(obj);
  tasks_.push_back({T::reduce, 0, 0, obj, o});
}

void Encoder::save_object(Value v) {
  const ObjectNode& o = as<ObjectNode>(v);
  if (o.args.kind() != Kind::Tuple) throw PicklingError("object arguments must be a tuple");
  const ObjectNode* r = &o;
  BuildKind how = o.how;
  const GlobalNode* cls = o.callable_global();
  bool has_kwargs =
      how == BuildKind::newobj_ex && o.kwargs.kind() == Kind::Dict && o.kwargs.dict().size() > 0;
  if (how == BuildKind::newobj_ex && !has_kwargs && proto_ < 4) how = BuildKind::newobj;
  if ((how == BuildKind::newobj || how == BuildKind::newobj_ex) && !cls)
    throw PicklingError("NEWOBJ needs a class global");
  auto line_safe = [](std::string_view x) {
    if (x.empty()) return false;
    for (char c : x)
      if (c == '\n' || static_cast<uint8_t>(c) >= 0x80) return false;
    return true;
  };
  // INST names its class on two ASCII lines; otherwise the class goes on the stack.
  if (how == BuildKind::inst && (!cls || !line_safe(cls->module) || !line_safe(cls->name))) {
    if (proto_ < 1) throw PicklingError("INST needs a class with an ASCII name at protocol 0");
    how = BuildKind::obj;
  }
  if (how == BuildKind::obj && proto_ < 1) {
    if (!cls) throw PicklingError("an OBJ instance of a non-global class needs protocol 1");
    if (!line_safe(cls->module) || !line_safe(cls->name))
      throw PicklingError("INST needs a class with an ASCII name at protocol 0");
    how = BuildKind::inst;
  }
  // Forms the target protocol lacks become the reductions CPython writes (see
  // [NOTE reductions]); so does what copyreg._reconstructor built, at every protocol.
  bool reconstructed =
      how == BuildKind::newobj && o.args.tuple().items.empty() && (o.flags & kReconstructed);
  Form form = Form::count;
  if (how == BuildKind::newobj && reconstructed)
    form = Form::reconstructed;
  else if (how == BuildKind::newobj && lowered(Form::newobj))
    form = Form::newobj;
  else if (how == BuildKind::newobj_ex && lowered(Form::newobj_ex))
    form = Form::newobj_ex;
  if (form != Form::count && lowered(form)) {
    ObjectNode* s = scratch_.make<ObjectNode>(scratch_.resource());
    copy_items(*s, o);
    s->how = BuildKind::reduce;
    Lowered call = lowering(form).lower(scratch_, v);
    s->callable = call.callable;
    s->args = call.args;
    r = s;
  } else if (how != o.how) {
    ObjectNode* s = scratch_.make<ObjectNode>(scratch_.resource());
    copy_items(*s, o);
    s->callable = o.callable;
    s->args = o.args;
    s->kwargs = o.kwargs;
    s->how = how;
    r = s;
  }
  if (opt_.fast && !in_progress_.insert(v.node()).second)
    throw PicklingError("cannot write a recursive object in fast mode (no memo)");
  open(v);
  tasks_.push_back({T::reduce, 0, 0, v, r});
}

void Encoder::copy_items(ObjectNode& to, const ObjectNode& from) {
  to.states.assign(from.states.begin(), from.states.end());
  to.list_items.assign(from.list_items.begin(), from.list_items.end());
  to.dict_items.assign(from.dict_items.begin(), from.dict_items.end());
  to.calls = from.calls;
}

}  // namespace pickle::detail
