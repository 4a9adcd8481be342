// The value builder: makes Values in a Graph as the Decoder reads a pickle, with the
// native kinds of well-known reconstructions ([NOTE natives]) and the strict mode's
// deferred globals ([NOTE strict-natives]).
#include "load/value_builder.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "load/builder.hpp"
#include "load/decoder.hpp"
#include "load/observer.hpp"
#include "model/index.hpp"
#include "pickle/load.hpp"
#include "pickle/registry.hpp"
#include "reductions/table.hpp"
#include "text/text.hpp"

namespace pickle::detail {

namespace {

bool strict_native(std::string_view module, std::string_view name) {
  const Reduction* r = builtin_reduction(module, name);
  return r && r->strict_unlisted;
}

std::string kind_article(Value v) {
  std::string_view k = kind_name(v.kind());
  bool vowel = !k.empty() && std::string_view("aeiou").find(k[0]) != std::string_view::npos;
  return std::string(vowel ? "an " : "a ") + std::string(k);
}

// Builds Values in a Graph. [NOTE natives] Calls of the reductions table's globals
// (builtins set, frozenset, bytearray, bytes, complex; _codecs.encode; copyreg's
// _reconstructor, __newobj__ and __newobj_ex__; collections.OrderedDict; getattr; and
// the caller's entries in their Registry) become what the entry makes when their
// arguments have the shape CPython writes; anything else stays a lossless generic
// Object. See [NOTE reductions].
class ValueBuilder final : public Rebuild {
 public:
  using Item = Value;

  ValueBuilder(Graph& g, const LoadOptions& opt, std::string_view py2_encoding,
               size_t* buffer_cursor, StrictDeferred* deferred, LoadObserver* observer)
      : g_(g),
        opt_(opt),
        py2_encoding_(py2_encoding),
        buffer_cursor_(buffer_cursor),
        deferred_(*deferred),
        observer_(observer) {}

  static constexpr bool runs_machine = true;

  Usage usage() const { return {g_.node_count(), g_.bytes_allocated()}; }

  Value none(At) { return Value(); }
  Value boolean(At, bool b) { return Value(b); }
  Value integer(At, int64_t v) { return Value(static_cast<long long>(v)); }
  Value big_integer(At, std::span<const uint8_t> le) { return g_.integer(le); }
  Value floating(At, double d) { return Value(d); }
  Value str(At, std::string_view utf8) { return g_.str(utf8); }
  Value bytes(At, std::string_view d) { return g_.bytes(d); }
  Value bytearray(At, std::string_view d) { return g_.bytearray(d); }

  Value py2_string(At, std::string_view raw) {
    if (py2_encoding_ == "bytes") return py2_bytes(raw);
    std::string err;
    if (!decode_py2(raw, py2_encoding_, opt_.py2_str.errors, scratch_, err)) {
      if (opt_.py2_str.undecodable_as_bytes) return py2_bytes(raw);
      fail(ErrorCode::bad_encoding, err);
    }
    Value v = g_.str(scratch_);
    v.str().flags |= kPy2Str;
    // A literal, so the node never points into this Unpickler.
    v.str().py2_encoding = py2_encoding_ == "ascii"    ? std::string_view("ascii")
                           : py2_encoding_ == "latin1" ? std::string_view("latin1")
                                                       : std::string_view("utf-8");
    return v;
  }

  Value next_buffer(At) {
    if (!opt_.buffers)
      fail(ErrorCode::unsupported,
           "the pickle refers to out-of-band data but no buffers were given");
    size_t i = (*buffer_cursor_)++;
    if (i >= opt_.buffers->size()) fail(ErrorCode::unsupported, "not enough out-of-band buffers");
    const auto& b = (*opt_.buffers)[i];
    return g_.buffer(b.data, b.readonly, i);
  }

  void readonly_buffer(At, Value& v) {
    switch (v.kind()) {
      case Kind::Buffer: v.buffer().flags |= kReadOnly; return;
      case Kind::Bytes: return;  // already read-only
      case Kind::ByteArray: {
        auto d = v.bytes().data;
        v = g_.buffer(std::as_bytes(std::span(d.data(), d.size())), true);
        return;
      }
      default:
        fail(ErrorCode::bad_type, "READONLY_BUFFER needs a buffer, found " + kind_article(v));
    }
  }

  Value list(At, std::span<Value> items) {
    check_items(0, items.size(), "list");
    refuse_deferred(items);
    return g_.list(items);
  }
  Value tuple(At, std::span<Value> items) {
    check_items(0, items.size(), "tuple");
    Value t = g_.tuple(items);
    if (!deferred_.names.empty()) [[unlikely]] {
      for (Value v : items)  // a tuple holding a deferred global may be REDUCE's arguments
        if (const std::string* name = deferred_name(v)) {
          deferred_.names.emplace(t.node(), *name);
          break;
        }
    }
    return t;
  }
  Value set(At) { return g_.set(); }
  Value frozenset(At, std::span<Value> items) {
    refuse_deferred(items);
    Value s = g_.frozenset();
    add_all(s.set(), items);
    return s;
  }
  Value dict(At, std::span<Value> pairs) {
    refuse_deferred(pairs);
    Value d = g_.dict();
    set_all(d.dict(), pairs);
    return d;
  }

  /// The decoder's hook for BUILD's state and STOP's result. See [NOTE strict-natives].
  void used(At, Value v) { use(v); }

  void append(At, Value& target, std::span<Value> items) {
    refuse_deferred(items);
    if (target.kind() == Kind::List) {
      auto& xs = target.list().items;
      check_items(xs.size(), items.size(), "list");
      xs.insert(xs.end(), items.begin(), items.end());
    } else if (target.kind() == Kind::Object) {
      auto& xs = target.object().list_items;
      check_items(xs.size(), items.size(), "object's list items");
      xs.insert(xs.end(), items.begin(), items.end());
    } else {
      fail(ErrorCode::bad_type, "cannot append to " + kind_article(target));
    }
  }

  void add(At, Value& target, std::span<Value> items) {
    refuse_deferred(items);
    if (target.kind() != Kind::Set)
      fail(ErrorCode::bad_type, "cannot add items to " + kind_article(target));
    add_all(target.set(), items);
  }

  void setitems(At, Value& target, std::span<Value> pairs) {
    refuse_deferred(pairs);
    if (target.kind() == Kind::Dict) {
      set_all(target.dict(), pairs);
    } else if (target.kind() == Kind::Object) {
      auto& xs = target.object().dict_items;
      check_items(xs.size(), pairs.size() / 2, "object's dict items");
      for (size_t i = 0; i + 1 < pairs.size(); i += 2) xs.emplace_back(pairs[i], pairs[i + 1]);
    } else {
      fail(ErrorCode::bad_type, "cannot set items of " + kind_article(target));
    }
  }

  // module.name as a message quotes it (See detail::append_name_repr).
  static std::string dotted(std::string_view module, std::string_view name) {
    return quoted_name(module) + '.' + quoted_name(name);
  }

  Value global(At at, std::string_view module, std::string_view name) {
    Value made = lookup(module, name);
    if (observer_) [[unlikely]]
      observer_->global(at, module, name, made);
    return made;
  }

  Value lookup(std::string_view module, std::string_view name) {
    if (opt_.strict) {
      bool ok = std::any_of(opt_.allowed_globals.begin(), opt_.allowed_globals.end(),
                            [&](const auto& a) { return a.first == module && a.second == name; });
      if (!ok && strict_native(module, name)) {
        Value v = resolve(module, name);
        if (v.is_node())
          deferred_.names.emplace(v.node(), std::string(module) + "." + std::string(name));
        return v;
      }
      if (!ok)
        fail(ErrorCode::refused_global, "global '" + dotted(module, name) + "' is not allowed");
    }
    return resolve(module, name);
  }

  Value resolve(std::string_view module, std::string_view name) {
    if (opt_.find_global) {
      try {
        return opt_.find_global(g_, module, name);
      } catch (const std::exception& e) {
        fail(ErrorCode::refused_global,
             "global '" + dotted(module, name) + "' refused: " + e.what());
      }
    }
    return g_.global(module, name);
  }

  bool stack_global(At, const Value& module, const Value& name, std::string_view& m,
                    std::string_view& n) {
    return text_of(module, m) && text_of(name, n);
  }

  Value reduce(At at, Value f, Value args) {
    Value made = reduce_value(f, args);
    if (observer_) [[unlikely]]
      observer_->call(at, f, args, Value(), BuildKind::reduce, made);
    return made;
  }

  Value reduce_value(Value f, Value args) {
    if (args.kind() != Kind::Tuple)
      fail(ErrorCode::bad_type, "REDUCE arguments must be a tuple, found " + kind_article(args));
    if (f.kind() != Kind::Global && f.kind() != Kind::Object && f.kind() != Kind::PersistentRef)
      fail(ErrorCode::bad_type, "REDUCE needs a callable, found " + kind_article(f));
    if (!deferred_.names.empty() && (deferred_name(f) || deferred_name(args))) [[unlikely]]
      return reduce_deferred(f, args);
    if (f.kind() == Kind::Global) {
      Value native;
      const Reduction* by = nullptr;
      if (rebuild(f.global(), args.tuple().items, native, by)) {
        // A memoized argument tuple means an explicit getattr reduction (a method
        // descriptor's __reduce__), not a nested name written below protocol 4.
        if (by && by->form == Form::getattr && (args.node()->flags & kMemoized))
          native.node()->flags |= kGetattrForm;
        return native;
      }
    }
    return g_.object(f, args, BuildKind::reduce);
  }

  // Hooks of the contract (builder.hpp).
  void memoized(At, Value v) {
    if (v.kind() == Kind::Tuple || v.kind() == Kind::Object) v.node()->flags |= kMemoized;
  }
  void renamed(At, Value g, std::string_view py2_module, std::string_view py2_name) {
    if (g.kind() != Kind::Global) return;  // find_global returned something else
    GlobalNode& node = g.global();
    node.py2_module = g_.copy(py2_module);
    node.py2_name = g_.copy(py2_name);
  }
  // A call whose result is popped at once, with an object as first argument, is a
  // state setter (`setter(obj, state)` then POP): kept on the object, or the state
  // would be lost. Anything the stream memoized may be used again and is left alone.
  void discarded(At, Value v) {
    if (v.kind() != Kind::Object || (v.node()->flags & kMemoized)) return;
    const ObjectNode& call = v.object();
    if (call.how != BuildKind::reduce || (call.args.node()->flags & kMemoized)) return;
    auto args = call.args.tuple().items;
    if (args.empty() || args[0].kind() != Kind::Object) return;
    ObjectNode& target = args[0].object();
    if (target.calls.kind() != Kind::List) target.calls = g_.list();
    target.calls.list().items.push_back(v);
  }

  // See [NOTE container-states]. A None state changes nothing in Python, whatever
  // it is applied to (no __setstate__ call, no attribute set): CPython loads `1`
  // from `K\x01 N b` and writes no BUILD when it dumps that again, so neither do we.
  void build(At at, Value& inst, Value state) {
    if (observer_) [[unlikely]]
      observer_->build(at, inst, state);
    switch (inst.kind()) {
      case Kind::Object:
        check_items(inst.object().states.size(), 1, "object's BUILD states");
        inst.object().states.push_back(state);
        return;
      case Kind::List:
      case Kind::Dict:
      case Kind::Set:
      case Kind::FrozenSet:
        check_items(build_states(inst).size(), 1, "BUILD states");
        try {
          g_.add_state(inst, state);
        } catch (const TypeError& e) {
          fail(ErrorCode::bad_type, e.what());
        }
        return;
      default:
        if (state.is_none()) return;
        fail(ErrorCode::bad_type,
             "BUILD needs an object or a container, found " + kind_article(inst));
    }
  }

  Value instantiate(At at, Value cls, std::span<Value> args, BuildKind how) {
    use(cls);
    refuse_deferred(args);
    if (cls.kind() != Kind::Global && cls.kind() != Kind::Object)
      fail(ErrorCode::bad_type, "cannot instantiate " + kind_article(cls));
    Value made = g_.object(cls, g_.tuple(args), how);
    if (observer_) [[unlikely]]
      observer_->call(at, cls, made.object().args, Value(), how, made);
    return made;
  }

  Value newobj(At at, Value cls, Value args, Value* kwargs) {
    use(cls);
    use(args);
    if (kwargs) use(*kwargs);
    const char* op = kwargs ? "NEWOBJ_EX" : "NEWOBJ";
    if (cls.kind() != Kind::Global)
      fail(ErrorCode::bad_type, std::string(op) + " needs a class, found " + kind_article(cls));
    if (args.kind() != Kind::Tuple)
      fail(ErrorCode::bad_type,
           std::string(op) + " arguments must be a tuple, found " + kind_article(args));
    if (kwargs && kwargs->kind() != Kind::Dict)
      fail(ErrorCode::bad_type,
           "NEWOBJ_EX keyword arguments must be a dict, found " + kind_article(*kwargs));
    BuildKind how = kwargs ? BuildKind::newobj_ex : BuildKind::newobj;
    Value made = g_.object(cls, args, how, kwargs ? *kwargs : Value());
    if (observer_) [[unlikely]]
      observer_->call(at, cls, args, kwargs ? *kwargs : Value(), how, made);
    return made;
  }

  void argument(At, uint64_t) {}
  bool reads_after_build(At at, Value& inst) {
    return observer_ && observer_->reads_after_build(at, inst);
  }
  void read_after_build(At at, Value& inst, Source& src) {
    observer_->read_after_build(at, inst, src);
  }

  Value persistent_text(At, std::string_view pid) {
    Value id = g_.str(pid);
    if (opt_.persistent_load) return call_persistent_load(id);
    Value r = g_.persistent_ref(id);
    r.node()->flags |= kTextPid;
    return r;
  }
  Value persistent_binary(At, Value pid) {
    use(pid);
    if (opt_.persistent_load) return call_persistent_load(pid);
    return g_.persistent_ref(pid);
  }

 private:
  // See [NOTE strict-natives].
  void use(Value v) { refuse_deferred(std::span<const Value>(&v, 1)); }
  const std::string* deferred_name(Value v) const {
    if (!v.is_node()) return nullptr;
    auto it = deferred_.names.find(v.node());
    return it == deferred_.names.end() ? nullptr : &it->second;
  }
  void refuse_deferred(std::span<const Value> items) {
    if (deferred_.names.empty()) [[likely]]
      return;
    for (Value v : items)
      if (const std::string* name = deferred_name(v)) refuse_deferred_global(*name);
  }
  [[noreturn]] static void refuse_deferred_global(const std::string& name) {
    fail(ErrorCode::refused_global,
         "global '" + name +
             "' is not allowed (strict mode accepts it unlisted only where it rebuilds a "
             "native value, as the callable of a REDUCE with the arguments CPython writes)");
  }
  // A REDUCE whose callable or arguments hold a deferred global: accepted only when it
  // rebuilds a native value that keeps none of them (builtins.object is consumed as
  // copyreg._reconstructor's base).
  Value reduce_deferred(Value f, Value args) {
    Value native;
    auto a = args.tuple().items;
    const Reduction* by = nullptr;
    if (f.kind() != Kind::Global || !rebuild(f.global(), a, native, by)) {
      const std::string* name = deferred_name(f);
      for (size_t i = 0; !name && i < a.size(); ++i) name = deferred_name(a[i]);
      refuse_deferred_global(name ? *name : std::string("?"));
    }
    for (size_t i = 0; i < a.size(); ++i) {
      bool base =
          by && by->form == Form::reconstructed && i == 1 && is_global(a[i], "builtins", "object");
      if (!base)
        if (const std::string* name = deferred_name(a[i])) refuse_deferred_global(*name);
    }
    return native;
  }

  Value py2_bytes(std::string_view raw) {
    Value v = g_.bytes(raw);
    v.bytes().flags |= kPy2Str;
    return v;
  }

  // Limits::max_container_items, checked before a container grows.
  void check_items(size_t have, size_t adding, const char* what) {
    size_t max = opt_.limits.max_container_items;
    if (adding > max || have > max - adding) [[unlikely]]
      fail(ErrorCode::limit_exceeded, std::string(what) + " of more than " + std::to_string(max) +
                                          " items (the max_container_items limit)");
  }

  Value call_persistent_load(Value pid) {
    try {
      return opt_.persistent_load(g_, pid);
    } catch (const std::exception& e) {
      fail(ErrorCode::refused_global, std::string("persistent_load failed: ") + e.what());
    }
  }

  Graph& graph() override { return g_; }
  void add_all(SetNode& s, std::span<Value> items) override {
    check_items(s.size(), items.size(), s.kind == Kind::Set ? "set" : "frozenset");
    try {
      for (Value v : items) s.add(v);
    } catch (const TypeError& e) {
      fail(ErrorCode::unhashable, e.what());
    } catch (const LimitError& e) {
      fail(ErrorCode::limit_exceeded, e.what());
    }
  }
  void set_all(DictNode& d, std::span<Value> pairs) override {
    check_items(d.size(), pairs.size() / 2, "dict");
    if (d.size() == 0) d.reserve(pairs.size() / 2);  // later batches grow geometrically
    try {
      set_pairs(d, pairs);
    } catch (const TypeError& e) {
      fail(ErrorCode::unhashable, e.what());
    } catch (const LimitError& e) {
      fail(ErrorCode::limit_exceeded, e.what());
    }
  }

  // The text of a str, or of a Python 2 str loaded as bytes (encoding "bytes", as
  // `pickle convert` loads them): where CPython requires text (STACK_GLOBAL's names,
  // getattr's), a Python 2 str serves as text, as it does with the default encoding.
  // Its bytes are taken as latin-1, which maps every byte (Python 2 names are ASCII).
  bool text_of(Value v, std::string_view& out) override {
    if (v.kind() == Kind::Str) {
      out = v.str().text;
      return true;
    }
    if (v.kind() != Kind::Bytes || !(v.bytes().flags & kPy2Str)) return false;
    std::string_view raw = v.bytes().data;
    if (is_ascii(raw)) {
      out = raw;
    } else {
      std::string text;
      latin1_to_utf8(raw, text);
      out = g_.copy(text);
    }
    return true;
  }

  // A call of a reductions table entry (the caller's first, then the builtins) as the
  // value it rebuilds; `by` is the builtin entry that did it.
  bool rebuild(const GlobalNode& f, std::span<const Value> a, Value& out, const Reduction*& by) {
    if (opt_.registry && opt_.registry->has_reductions()) [[unlikely]] {
      if (const Registry::LoadReduction* load = opt_.registry->reduction(f.module, f.name)) {
        try {
          return (*load)(g_, a, out);
        } catch (const std::exception& e) {
          fail(ErrorCode::bad_argument,
               "the reduction of '" + dotted(f.module, f.name) + "' failed: " + e.what());
        }
      }
    }
    by = builtin_reduction(f.module, f.name);
    return by && by->load && by->load(*this, a, out);
  }

  Graph& g_;
  const LoadOptions& opt_;
  std::string_view py2_encoding_;
  size_t* buffer_cursor_;
  StrictDeferred& deferred_;
  LoadObserver* observer_;
  std::string scratch_;
};
static_assert(Builder<ValueBuilder>);

}  // namespace

Value load_value(Source& source, const LoadOptions& options, Graph& g,
                 std::string_view py2_encoding, size_t& buffer_cursor, StrictDeferred& deferred,
                 MachineState<Value>& state, LoadObserver* observer) {
  ValueBuilder b(g, options, py2_encoding, &buffer_cursor, &deferred, observer);
  Decoder<ValueBuilder> d(source, options, b, state);
  return d.run();
}

}  // namespace pickle::detail
