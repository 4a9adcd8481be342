// Plain JSON: json.dumps's output for builtin-typed data, and readable objects for
// what JSON has no type for. Written on an explicit stack; shared values are written
// out each time (JSON has no references), so the output is bounded by max_bytes.
#include "tools/json/plain.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/bigint.hpp"
#include "pickle/repr.hpp"
#include "text/text.hpp"
#include "tools/json/json_writer.hpp"
#include "tools/json/node_table.hpp"

namespace pickle::detail {
namespace {

constexpr std::string_view kKeyColor = "\x1b[34;1m";
constexpr std::string_view kStrColor = "\x1b[32m";
constexpr std::string_view kReset = "\x1b[0m";
constexpr size_t kMaxDecimalIntBytes = 1800;  // at most 4335 digits: converted, then checked
constexpr size_t kMaxDigits = 4300;           // CPython's int_max_str_digits

enum Stage : uint32_t {
  kItems,
  // Objects
  kClass,
  kArgs0,
  kArgs,
  kKwargs,
  kState,
  kStateMerged,
  kStateList,
  kListItems0,
  kListItems,
  kDictItems0,
  kDictItems,
  kEnd,
};

// The one state an Object's attributes can be merged from: a dict of str keys.
const DictNode* mergeable_state(const ObjectNode& o) {
  if (o.states.size() != 1 || o.states[0].kind() != Kind::Dict) return nullptr;
  const DictNode& d = o.states[0].dict();
  for (const auto& [k, v] : d.entries) {
    if (k.kind() != Kind::Str || k.str().text == "__class__") return nullptr;
  }
  return &d;
}

class PlainWriter {
 public:
  PlainWriter(std::string& out, const JsonOptions& o)
      : w_(out, o.indent, true),
        start_(out.size()),
        max_bytes_(o.max_bytes),
        ascii_(o.ensure_ascii),
        color_(o.color),
        open_(64) {}

  void run(Value root) {
    value(root);
    check();
    while (!stack_.empty()) {
      step();
      check();
    }
  }

 private:
  struct Frame {
    const Node* node;
    uint32_t stage;
    size_t index;
  };

  std::string& out() { return w_.out(); }

  void check() {
    if (out().size() - start_ > max_bytes_)
      throw LimitError(ErrorCode::limit_exceeded,
                       "pickle::to_json: the plain JSON passes JsonOptions::max_bytes (" +
                           std::to_string(max_bytes_) +
                           " bytes); shared values are written out in full each time");
  }

  void colored(std::string_view color, std::string_view text) {
    w_.element();
    if (color_) out() += color;
    out() += text;
    if (color_) out() += kReset;
  }

  void string(std::string_view s) {
    w_.element();
    if (color_) out() += kStrColor;
    append_json_string(out(), s, ascii_);
    if (color_) out() += kReset;
  }

  void key(std::string_view k) { w_.key(k, ascii_, color_ ? kKeyColor : std::string_view()); }

  void number(std::string_view text) { colored({}, text); }

  void floating(double d) {
    if (d != d) return number("NaN");
    if (d - d != 0) return number(d > 0 ? "Infinity" : "-Infinity");
    std::string t;
    append_float_repr(t, d);
    number(t);
  }

  // An int in decimal, as json.dumps writes it up to CPython's 4300 digits; beyond,
  // where json.dumps raises, its hex (`0x…`), which `quoted` says is not a number.
  std::string bigint_text(const BigIntNode& b, bool& quoted) {
    quoted = false;
    if (b.bytes.size() <= kMaxDecimalIntBytes) {
      std::string d = twos_to_decimal(b.bytes);
      if (d.size() - (d[0] == '-') <= kMaxDigits) return d;
    }
    quoted = true;
    return repr(Value(const_cast<BigIntNode*>(&b)), ReprOptions{.max_int_digits = 0});
  }

  void base64(std::string_view data) {
    w_.element();
    if (color_) out() += kStrColor;
    out() += '"';
    append_base64(out(), data);
    out() += '"';
    if (color_) out() += kReset;
  }

  // A dict key as json.dumps converts it; what it refuses, as Python's str() of it.
  std::string key_text(Value k) {
    switch (k.kind()) {
      case Kind::Str: return std::string(k.str().text);
      case Kind::None: return "null";
      case Kind::Bool: return k.raw_int() ? "true" : "false";
      case Kind::Int: {
        bool quoted = false;
        if (k.is_bigint()) return bigint_text(k.bigint(), quoted);
        return std::to_string(k.raw_int());
      }
      case Kind::Float: {
        double d = k.raw_float();
        if (d != d) return "NaN";
        if (d - d != 0) return d > 0 ? "Infinity" : "-Infinity";
        std::string t;
        append_float_repr(t, d);
        return t;
      }
      default: {
        ReprOptions r;
        r.max_bytes = 4096;
        r.cut_at_limit = true;
        return repr(k, r);
      }
    }
  }

  void value(Value v) {
    switch (v.kind()) {
      case Kind::None: return colored({}, "null");
      case Kind::Bool: return colored({}, v.raw_int() ? "true" : "false");
      case Kind::Int:
        if (v.is_bigint()) {
          bool quoted = false;
          std::string text = bigint_text(v.bigint(), quoted);
          return quoted ? string(text) : number(text);
        }
        return number(std::to_string(v.raw_int()));
      case Kind::Float: return floating(v.raw_float());
      default: return node(v.node());
    }
  }

  void node(const Node* n) {
    JsonNodeInfo& info = open_.at(n);
    if (info.refs != 0) {  // a container inside itself
      return string(n->kind == Kind::List ? "[...]" : n->kind == Kind::Dict ? "{...}" : "...");
    }
    switch (n->kind) {
      case Kind::Str: return string(static_cast<const StrNode*>(n)->text);
      case Kind::Bytes:
      case Kind::ByteArray: return base64(static_cast<const BytesNode*>(n)->data);
      case Kind::Buffer: {
        auto* b = static_cast<const BufferNode*>(n);
        return base64({reinterpret_cast<const char*>(b->data.data()), b->data.size()});
      }
      case Kind::Complex: {
        auto* c = static_cast<const ComplexNode*>(n);
        w_.open_object();
        key("__complex__");
        w_.open_array();
        floating(c->real);
        floating(c->imag);
        w_.close_array();
        return w_.close_object();
      }
      case Kind::Global: {
        auto* g = static_cast<const GlobalNode*>(n);
        w_.open_object();
        key("__global__");
        string(std::string(g->module) + "." + std::string(g->name));
        return w_.close_object();
      }
      case Kind::Tuple:
      case Kind::List:
      case Kind::Set:
      case Kind::FrozenSet: w_.open_array(); return push(n, kItems);
      case Kind::Dict: w_.open_object(); return push(n, kItems);
      case Kind::Object: w_.open_object(); return push(n, kClass);
      case Kind::PersistentRef:
        w_.open_object();
        key("__persistent_id__");
        push(n, kEnd);
        return value(static_cast<const PersistentRefNode*>(n)->pid);
      default: return colored({}, "null");
    }
  }

  void push(const Node* n, uint32_t stage) {
    open_.at(n).refs = 1;
    stack_.push_back(Frame{n, stage, 0});
  }

  void pop() {
    open_.at(stack_.back().node).refs = 0;
    stack_.pop_back();
  }

  bool next_of(Frame& f, std::span<const Value> items) {
    if (f.index >= items.size()) return false;
    value(items[f.index++]);
    return true;
  }

  bool next_entry(Frame& f, std::span<const std::pair<Value, Value>> entries) {
    if (f.index >= entries.size()) return false;
    const auto& [k, v] = entries[f.index++];
    key(key_text(k));
    value(v);
    return true;
  }

  void step() {
    Frame& f = stack_.back();
    switch (f.node->kind) {
      case Kind::Tuple:
        if (next_of(f, static_cast<const TupleNode*>(f.node)->items)) return;
        break;
      case Kind::List:
        if (next_of(f, static_cast<const ListNode*>(f.node)->items)) return;
        break;
      case Kind::Set:
      case Kind::FrozenSet:
        if (next_of(f, static_cast<const SetNode*>(f.node)->items)) return;
        break;
      case Kind::Dict:
        if (next_entry(f, static_cast<const DictNode*>(f.node)->entries)) return;
        w_.close_object();
        return pop();
      case Kind::Object: return step_object(f);
      default:  // PersistentRef
        w_.close_object();
        return pop();
    }
    w_.close_array();
    pop();
  }

  void step_object(Frame& f) {
    auto* o = static_cast<const ObjectNode*>(f.node);
    switch (f.stage) {
      case kClass:
        f.stage = kArgs0;
        if (const GlobalNode* g = o->callable_global()) {
          key("__class__");
          return string(std::string(g->module) + "." + std::string(g->name));
        }
        key("__callable__");
        return value(o->callable);
      case kArgs0:
        f.stage = kKwargs;
        if (o->args.kind() != Kind::Tuple || o->args.tuple().items.empty()) return;
        key("__args__");
        w_.open_array();
        f.stage = kArgs;
        return;
      case kArgs:
        if (next_of(f, o->args.tuple().items)) return;
        w_.close_array();
        f.index = 0;
        f.stage = kKwargs;
        return;
      case kKwargs:
        f.stage = kState;
        if (o->kwargs.is_none()) return;
        key("__kwargs__");
        return value(o->kwargs);
      case kState:
        f.stage = kListItems0;
        if (o->states.empty()) return;
        if (mergeable_state(*o)) {
          f.stage = kStateMerged;
          return;
        }
        key("__state__");
        if (o->states.size() == 1) return value(o->states[0]);
        w_.open_array();
        f.stage = kStateList;  // several BUILDs: their states as a list
        return;
      case kStateMerged:
        if (next_entry(f, mergeable_state(*o)->entries)) return;
        f.index = 0;
        f.stage = kListItems0;
        return;
      case kStateList:
        if (next_of(f, o->states)) return;
        w_.close_array();
        f.index = 0;
        f.stage = kListItems0;
        return;
      case kListItems0:
        f.stage = kDictItems0;
        if (o->list_items.empty()) return;
        key("__items__");
        w_.open_array();
        f.stage = kListItems;
        return;
      case kListItems:
        if (next_of(f, o->list_items)) return;
        w_.close_array();
        f.index = 0;
        f.stage = kDictItems0;
        return;
      case kDictItems0:
        f.stage = kEnd;
        if (o->dict_items.empty()) return;
        key("__dict_items__");
        w_.open_object();
        f.stage = kDictItems;
        return;
      case kDictItems:
        if (next_entry(f, o->dict_items)) return;
        w_.close_object();
        f.index = 0;
        f.stage = kEnd;
        return;
      default: w_.close_object(); pop();
    }
  }

  JsonWriter w_;
  size_t start_;
  size_t max_bytes_;
  bool ascii_, color_;
  JsonNodeTable open_;  // refs = 1 while a node is being written
  std::vector<Frame> stack_;
};

}  // namespace

void write_plain_json(std::string& out, Value v, const JsonOptions& options) {
  PlainWriter(out, options).run(v);
}

}  // namespace pickle::detail
