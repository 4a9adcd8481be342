// The lossless JSON of a value (docs/json.md): two walks over the graph on explicit
// stacks. The first counts references, so that only shared nodes get an "$id", and
// elects each text's key str; the second writes.
#include <bit>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/bigint.hpp"
#include "pickle/json.hpp"
#include "text/text.hpp"
#include "tools/json/json_writer.hpp"
#include "tools/json/node_table.hpp"
#include "tools/json/plain.hpp"

namespace pickle {
namespace {

using detail::JsonNodeInfo;
using detail::JsonNodeTable;
using detail::JsonWriter;

/// Ints of more bytes than this are written as {"$int": "0x..."}: decimal conversion is
/// quadratic, and 1700 bytes stay below the 4300 digits CPython's json.loads accepts.
constexpr size_t kMaxDecimalIntBytes = 1700;

std::span<const Value> states_of(const ListNode* states) {
  return states ? std::span<const Value>(states->items) : std::span<const Value>();
}

const char* how_name(BuildKind how) {
  switch (how) {
    case BuildKind::reduce: return "reduce";
    case BuildKind::newobj: return "newobj";
    case BuildKind::newobj_ex: return "newobj_ex";
    case BuildKind::inst: return "inst";
    case BuildKind::obj: return "obj";
  }
  return "reduce";
}

// Stages of a container's frame. Every container writes its elements, then (some)
// its BUILD states; an Object walks through its fields in the order of docs/json.md.
// The stages whose name ends in 0 open their section, or skip it when it is empty.
enum Stage : uint32_t {
  kItems,
  kPairs,
  kStates,
  kEnd,
  // Objects
  kCallable,
  kArgs,
  kArgItems,
  kKwargs,
  kObjectStates0,
  kObjectStates,
  kListItems0,
  kListItems,
  kDictItems0,
  kDictItems,
  kCalls,
  kObjectEnd,
};

class LosslessWriter {
 public:
  LosslessWriter(std::string& out, const JsonOptions& options, size_t nodes)
      : w_(out, options.indent), table_(nodes) {}

  void run(Value root) {
    count(root);
    value(root);
    while (!stack_.empty()) step();
  }

 private:
  struct Frame {
    const Node* node;
    uint32_t stage;
    uint32_t sub;  // pair lists: the half (0 open, 1 value, 2 close); else wrapped or not
    size_t index;
  };

  // ---- the first walk: references and key strs --------------------------------

  // In document order (children pushed last first), so that the key str of a text is
  // the first str of that text used as a key, as a reader of the JSON would expect.
  void count(Value root) {
    work_.push_back({root, false});
    while (!work_.empty()) {
      auto [v, key] = work_.back();
      work_.pop_back();
      if (!v.is_node() || v.is_bigint()) continue;
      if (key) elect(v);
      if (++table_.at(v.node()).refs == 1) children(v.node());
    }
  }

  // A str used as a dict key competes for its text.
  void elect(Value k) {
    if (k.kind() != Kind::Str) return;
    const StrNode& s = k.str();
    JsonNodeInfo& info = table_.at(&s);
    if (info.key != 0) return;
    if ((s.flags & kPy2Str) || detail::has_lone_surrogate(s.text)) {
      info.key = 2;
      return;
    }
    info.key = key_strs_.try_emplace(s.text, &s).second ? 1 : 2;
  }

  void later(Value v) { work_.push_back({v, false}); }
  void later_all(std::span<const Value> items) {
    for (size_t i = items.size(); i-- > 0;) later(items[i]);
  }
  void later_pairs(std::span<const std::pair<Value, Value>> pairs, bool keys) {
    for (size_t i = pairs.size(); i-- > 0;) {
      later(pairs[i].second);
      work_.push_back({pairs[i].first, keys});
    }
  }

  void children(const Node* n) {
    switch (n->kind) {
      case Kind::Tuple: return later_all(static_cast<const TupleNode*>(n)->items);
      case Kind::List: {
        auto* l = static_cast<const ListNode*>(n);
        later_all(states_of(l->states));
        return later_all(l->items);
      }
      case Kind::Set:
      case Kind::FrozenSet: {
        auto* s = static_cast<const SetNode*>(n);
        later_all(states_of(s->states));
        return later_all(s->items);
      }
      case Kind::Dict: {
        auto* d = static_cast<const DictNode*>(n);
        later_all(states_of(d->states));
        return later_pairs(d->entries, true);
      }
      case Kind::Object: {
        auto* o = static_cast<const ObjectNode*>(n);
        later(o->calls);
        later_pairs(o->dict_items, false);
        later_all(o->list_items);
        later_all(o->states);
        later(o->kwargs);
        later(o->args);
        return later(o->callable);
      }
      case Kind::PersistentRef: return later(static_cast<const PersistentRefNode*>(n)->pid);
      default: return;
    }
  }

  // ---- the second walk: writing ------------------------------------------------

  std::string& out() { return w_.out(); }

  void value(Value v) {
    switch (v.kind()) {
      case Kind::None: return w_.null();
      case Kind::Bool: return w_.boolean(v.raw_int() != 0);
      case Kind::Int:
        if (v.is_bigint()) return bigint(v.bigint());
        w_.element();
        return detail::append_int_repr(out(), v.raw_int());
      case Kind::Float: return floating(v.raw_float());
      default: return node(v.node());
    }
  }

  void floating(double d) {
    if (d - d == 0) {  // finite
      w_.element();
      return detail::append_float_repr(out(), d);
    }
    w_.open_object();
    w_.plain_key("$float");
    auto bits = std::bit_cast<uint64_t>(d);
    if (d > 0) {
      w_.raw("\"inf\"");
    } else if (d < 0) {
      w_.raw("\"-inf\"");
    } else if (bits == 0x7ff8000000000000ull) {
      w_.raw("\"nan\"");
    } else if (bits == 0xfff8000000000000ull) {
      w_.raw("\"-nan\"");
    } else {
      char buf[24];
      std::snprintf(buf, sizeof buf, "\"0x%016llx\"", static_cast<unsigned long long>(bits));
      w_.raw(buf);
    }
    w_.close_object();
  }

  void bigint(const BigIntNode& b) {
    if (b.bytes.size() <= kMaxDecimalIntBytes) {
      w_.element();
      out() += detail::twos_to_decimal(b.bytes);
      return;
    }
    std::string text = detail::twos_to_hex(b.bytes);
    w_.open_object();
    w_.plain_key("$int");
    w_.string(text);
    w_.close_object();
  }

  // Opens the object form of a node: {"$id": n, "$kind": ...
  void open_form(uint32_t id, std::string_view kind_key) {
    w_.open_object();
    if (id != 0) {
      w_.plain_key("$id");
      w_.element();
      detail::append_int_repr(out(), id);
    }
    w_.plain_key(kind_key);
  }

  void flag(bool on, std::string_view name) {
    if (!on) return;
    w_.plain_key(name);
    w_.boolean(true);
  }

  void push(const Node* n, uint32_t stage) { stack_.push_back(Frame{n, stage, 0, 0}); }

  void node(const Node* n) {
    JsonNodeInfo& info = table_.at(n);
    if (info.key == 1) {  // the key str of its text
      w_.open_object();
      w_.plain_key("$key");
      w_.string(static_cast<const StrNode*>(n)->text);
      return w_.close_object();
    }
    if (info.id != 0) {
      w_.open_object();
      w_.plain_key("$ref");
      w_.element();
      detail::append_int_repr(out(), info.id);
      return w_.close_object();
    }
    uint32_t id = info.refs > 1 ? (info.id = ++next_id_) : 0;
    switch (n->kind) {
      case Kind::Str: return str(*static_cast<const StrNode*>(n), id);
      case Kind::Bytes:
      case Kind::ByteArray: {
        auto* b = static_cast<const BytesNode*>(n);
        open_form(id, n->kind == Kind::Bytes ? "$bytes" : "$bytearray");
        base64(b->data);
        flag(b->flags & kPy2Str, "py2");
        return w_.close_object();
      }
      case Kind::Complex: {
        auto* c = static_cast<const ComplexNode*>(n);
        open_form(id, "$complex");
        w_.open_array();
        floating(c->real);
        floating(c->imag);
        w_.close_array();
        return w_.close_object();
      }
      case Kind::Global: return global(*static_cast<const GlobalNode*>(n), id);
      case Kind::Buffer: {
        auto* b = static_cast<const BufferNode*>(n);
        open_form(id, "$buffer");
        base64({reinterpret_cast<const char*>(b->data.data()), b->data.size()});
        w_.plain_key("index");
        w_.element();
        out() += std::to_string(b->index);
        flag(b->readonly(), "readonly");
        return w_.close_object();
      }
      case Kind::Tuple:
        open_form(id, "$tuple");
        w_.open_array();
        return push(n, kItems);
      case Kind::List: {
        bool wrapped = id != 0 || static_cast<const ListNode*>(n)->states != nullptr;
        if (wrapped) open_form(id, "$list");
        w_.open_array();
        push(n, kItems);
        stack_.back().sub = wrapped;
        return;
      }
      case Kind::Set:
      case Kind::FrozenSet:
        open_form(id, n->kind == Kind::Set ? "$set" : "$frozenset");
        w_.open_array();
        return push(n, kItems);
      case Kind::Dict: return dict(*static_cast<const DictNode*>(n), id);
      case Kind::Object: open_form(id, "$object"); return push(n, kCallable);
      case Kind::PersistentRef: open_form(id, "$persistent"); return push(n, kItems);
      default: return w_.null();  // Int, Float, None, Bool are not nodes
    }
  }

  void base64(std::string_view data) {
    w_.element();
    out() += '"';
    detail::append_base64(out(), data);
    out() += '"';
  }

  void str(const StrNode& s, uint32_t id) {
    bool py2 = s.flags & kPy2Str;
    bool lone = detail::has_lone_surrogate(s.text);
    if (id == 0 && !py2 && !lone) return w_.string(s.text);
    open_form(id, "$str");
    if (lone) {
      pieces(s.text);
    } else {
      w_.string(s.text);
    }
    if (py2) {
      w_.plain_key("py2");
      w_.string(s.py2_encoding.empty() ? std::string_view("latin1") : s.py2_encoding);
    }
    w_.close_object();
  }

  // Text with lone surrogates: runs of valid text as strings, each surrogate as its
  // code unit.
  void pieces(std::string_view t) {
    w_.open_array();
    size_t run = 0;
    for (size_t i = 0; i < t.size();) {
      uint32_t cp = 0;
      size_t n = static_cast<unsigned char>(t[i]) < 0x80 ? 1 : detail::utf8_sequence(t, i, cp);
      if (n == 0)
        throw PickleError("pickle::to_json: a str holds bytes that are not UTF-8 at byte " +
                          std::to_string(i));
      if (n == 3 && cp >= 0xD800 && cp <= 0xDFFF) {
        if (i > run) w_.string(t.substr(run, i - run));
        w_.element();
        detail::append_int_repr(out(), cp);
        run = i + 3;
      }
      i += n;
    }
    if (run < t.size()) w_.string(t.substr(run));
    w_.close_array();
  }

  void global(const GlobalNode& g, uint32_t id) {
    open_form(id, "$global");
    w_.open_array();
    w_.string(g.module);
    w_.string(g.name);
    w_.close_array();
    if (!g.py2_module.empty() || !g.py2_name.empty()) {
      w_.plain_key("py2");
      w_.open_array();
      w_.string(g.py2_module);
      w_.string(g.py2_name);
      w_.close_array();
    }
    flag(g.flags & kGetattrForm, "getattr");
    w_.close_object();
  }

  // Dict forms: 0 plain object, 1 {"$dict": {...}}, 2 {"$dict": [[k, v], ...]}.
  void dict(const DictNode& d, uint32_t id) {
    bool str_keys = true, dollar = false;
    for (const auto& [k, v] : d.entries) {
      if (k.kind() != Kind::Str || table_.at(k.node()).key != 1) {
        str_keys = false;
        break;
      }
      dollar = dollar || k.str().text.starts_with('$');
    }
    if (!str_keys) {
      open_form(id, "$dict");
      w_.open_array();
      return push(&d, kPairs);
    }
    bool wrapped = id != 0 || dollar || d.states || (d.flags & kOrderedDict);
    if (wrapped) open_form(id, "$dict");
    w_.open_object();
    push(&d, kItems);
    stack_.back().sub = wrapped;
  }

  void step() {
    Frame& f = stack_.back();
    switch (f.node->kind) {
      case Kind::Tuple: return step_tuple(f);
      case Kind::List: return step_list(f);
      case Kind::Set:
      case Kind::FrozenSet: return step_set(f);
      case Kind::Dict: return step_dict(f);
      case Kind::Object: return step_object(f);
      case Kind::PersistentRef: return step_persistent(f);
      default: stack_.pop_back();
    }
  }

  // The next of a run of values; false (with the array closed) at its end.
  bool next_of(Frame& f, std::span<const Value> items) {
    if (f.index < items.size()) {
      value(items[f.index++]);  // may push: f is not used after this
      return true;
    }
    w_.close_array();
    return false;
  }

  // "states": [...] after a container's items, when it has any.
  bool open_states(std::span<const Value> states) {
    if (states.empty()) return false;
    w_.plain_key("states");
    w_.open_array();
    return true;
  }

  void step_tuple(Frame& f) {
    auto* t = static_cast<const TupleNode*>(f.node);
    if (next_of(f, t->items)) return;
    flag(t->flags & kMemoized, "memoized");
    w_.close_object();
    stack_.pop_back();
  }

  void step_list(Frame& f) {
    auto* l = static_cast<const ListNode*>(f.node);
    if (f.stage == kItems) {
      if (next_of(f, l->items)) return;
      if (!f.sub) return stack_.pop_back();
      f.index = 0;
      f.stage = open_states(states_of(l->states)) ? kStates : kEnd;
      return;
    }
    if (f.stage == kStates && next_of(f, states_of(l->states))) return;
    w_.close_object();
    stack_.pop_back();
  }

  void step_set(Frame& f) {
    auto* s = static_cast<const SetNode*>(f.node);
    if (f.stage == kItems) {
      if (next_of(f, s->items)) return;
      f.index = 0;
      f.stage = open_states(states_of(s->states)) ? kStates : kEnd;
      return;
    }
    if (f.stage == kStates && next_of(f, states_of(s->states))) return;
    w_.close_object();
    stack_.pop_back();
  }

  // One [key, value] pair of a pair list per two calls (three with the close).
  bool next_pair(Frame& f, std::span<const std::pair<Value, Value>> pairs) {
    if (f.index >= pairs.size()) {
      w_.close_array();
      return false;
    }
    const auto& [k, v] = pairs[f.index];
    if (f.sub == 0) {
      w_.open_array();
      f.sub = 1;
      value(k);
    } else if (f.sub == 1) {
      f.sub = 2;
      value(v);
    } else {
      w_.close_array();
      f.sub = 0;
      ++f.index;
    }
    return true;
  }

  void step_dict(Frame& f) {
    auto* d = static_cast<const DictNode*>(f.node);
    if (f.stage == kItems) {
      if (f.index < d->entries.size()) {
        const auto& [k, v] = d->entries[f.index++];
        w_.key(k.str().text);
        return value(v);
      }
      w_.close_object();
      if (!f.sub) return stack_.pop_back();
    } else if (f.stage == kPairs) {
      if (next_pair(f, d->entries)) return;
    } else {
      if (f.stage == kStates && next_of(f, states_of(d->states))) return;
      w_.close_object();
      return stack_.pop_back();
    }
    flag(d->flags & kOrderedDict, "ordered");
    f.index = 0;
    f.stage = open_states(states_of(d->states)) ? kStates : kEnd;
  }

  void step_persistent(Frame& f) {
    auto* p = static_cast<const PersistentRefNode*>(f.node);
    if (f.stage == kItems) {
      f.stage = kEnd;
      return value(p->pid);
    }
    flag(p->flags & kTextPid, "text");
    w_.close_object();
    stack_.pop_back();
  }

  void step_object(Frame& f) {
    auto* o = static_cast<const ObjectNode*>(f.node);
    switch (f.stage) {
      case kCallable: f.stage = kArgs; return value(o->callable);
      case kArgs: {
        if (o->how != BuildKind::reduce) {
          w_.plain_key("how");
          w_.string(how_name(o->how));
        }
        w_.plain_key("args");
        // A tuple of its own, shared with nothing and unmarked, is an array.
        if (o->args.kind() == Kind::Tuple && table_.at(o->args.node()).refs == 1 &&
            !(o->args.node()->flags & kMemoized)) {
          w_.open_array();
          f.stage = kArgItems;
          return;
        }
        f.stage = kKwargs;
        return value(o->args);
      }
      case kArgItems:
        if (next_of(f, o->args.tuple().items)) return;
        f.index = 0;
        f.stage = kKwargs;
        return;
      case kKwargs:
        f.stage = kObjectStates0;
        if (o->kwargs.is_none()) return;
        w_.plain_key("kwargs");
        return value(o->kwargs);
      case kObjectStates0: f.stage = open_states(o->states) ? kObjectStates : kListItems0; return;
      case kObjectStates:
        if (next_of(f, o->states)) return;
        f.index = 0;
        f.stage = kListItems0;
        return;
      case kListItems0:
        f.stage = kDictItems0;
        if (o->list_items.empty()) return;
        w_.plain_key("items");
        w_.open_array();
        f.stage = kListItems;
        return;
      case kListItems:
        if (next_of(f, o->list_items)) return;
        f.index = 0;
        f.stage = kDictItems0;
        return;
      case kDictItems0:
        f.stage = kCalls;
        if (o->dict_items.empty()) return;
        w_.plain_key("dict_items");
        w_.open_array();
        f.stage = kDictItems;
        return;
      case kDictItems:
        if (next_pair(f, o->dict_items)) return;
        f.index = 0;
        f.stage = kCalls;
        return;
      case kCalls:
        f.stage = kObjectEnd;
        if (o->calls.is_none()) return;
        w_.plain_key("calls");
        return value(o->calls);
      default:
        flag(o->flags & kReconstructed, "reconstructed");
        flag(o->flags & kMemoized, "memoized");
        w_.close_object();
        stack_.pop_back();
    }
  }

  JsonWriter w_;
  JsonNodeTable table_;
  std::unordered_map<std::string_view, const StrNode*> key_strs_;
  std::vector<std::pair<Value, bool>> work_;  // values to count; true: a dict key
  std::vector<Frame> stack_;
  uint32_t next_id_ = 0;
};

}  // namespace

void to_json(std::string& out, Value v, const JsonOptions& options) {
  size_t start = out.size();
  try {
    if (options.plain) {
      detail::write_plain_json(out, v, options);
    } else {
      LosslessWriter(out, options, v.is_node() ? 1024 : 0).run(v);
    }
  } catch (...) {
    out.resize(start);
    throw;
  }
}

std::string to_json(Value v, const JsonOptions& options) {
  std::string out;
  to_json(out, v, options);
  return out;
}

}  // namespace pickle
