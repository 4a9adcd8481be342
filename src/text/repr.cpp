// repr(): CPython 3.13's repr() of builtin-typed data, a constructor form for
// Objects, printed with an explicit stack so that depth costs heap, not call stack.
#include "pickle/repr.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "model/bigint.hpp"
#include "text/text.hpp"

namespace pickle {
namespace {

/// The nodes currently being printed (CPython's Py_ReprEnter list): a linear-probing
/// pointer set with backward-shift deletion, so that ten million open containers
/// cost one flat array rather than ten million allocations.
class NodeSet {
 public:
  bool contains(const Node* p) const {
    if (slots_.empty()) return false;
    for (size_t i = home(p);; i = (i + 1) & mask_) {
      if (slots_[i] == p) return true;
      if (slots_[i] == nullptr) return false;
    }
  }

  void insert(const Node* p) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    size_t i = home(p);
    while (slots_[i] != nullptr) i = (i + 1) & mask_;
    slots_[i] = p;
    ++size_;
  }

  void erase(const Node* p) {
    size_t i = home(p);
    while (slots_[i] != p) i = (i + 1) & mask_;
    // Pull later members of the probe run back into the hole when the hole lies on
    // their path from their home slot.
    for (size_t j = (i + 1) & mask_; slots_[j] != nullptr; j = (j + 1) & mask_) {
      size_t k = home(slots_[j]);
      bool reachable_without_hole = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (!reachable_without_hole) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = nullptr;
    --size_;
  }

 private:
  size_t home(const Node* p) const {
    // Fibonacci hashing: the top bits of the product mix every bit of the address.
    auto x = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
    return static_cast<size_t>((x * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void grow() {
    std::vector<const Node*> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, nullptr);
    mask_ = slots_.size() - 1;
    shift_ = 64 - std::countr_zero(static_cast<uint64_t>(slots_.size()));
    size_ = 0;
    for (const Node* p : old) {
      if (p != nullptr) insert(p);
    }
  }

  std::vector<const Node*> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t size_ = 0;
};

// Phases of an Object's constructor form.
enum ObjectStage : uint32_t {
  kCallable,
  kOpenArgs,
  kArgs,
  kKwargs,
  kCloseArgs,
  kStates,
  kOpenExtend,
  kExtend,
  kOpenUpdate,
  kUpdate,
  kObjectDone,
};

// kwargs spelling, decided once per Object (Frame::sub in the kKwargs stage).
enum KwargsMode : uint32_t { kKwargsUndecided, kKwargsNamed, kKwargsSplat };

class Printer {
 public:
  Printer(std::string& out, const ReprOptions& options)
      : out_(out),
        start_(out.size()),
        max_(options.max_bytes),
        max_int_digits_(options.max_int_digits),
        max_visits_(options.max_visits),
        cut_at_limit_(options.cut_at_limit),
        object_form_(options.object_form ? &options.object_form : nullptr) {}

  ReprCut run(Value root) {
    try {
      value(root);
      check();
      while (!stack_.empty()) {
        step();
        check();
      }
    } catch (const Cut& cut) {
      // Keep at most max_ bytes, ending before a UTF-8 continuation byte.
      size_t keep = out_.size() - start_ > max_ ? start_ + max_ : out_.size();
      while (keep > start_ && keep < out_.size() &&
             (static_cast<unsigned char>(out_[keep]) & 0xC0) == 0x80)
        --keep;
      out_.resize(keep);
      out_ += "...";
      return cut.why;
    } catch (...) {
      out_.resize(start_);
      throw;
    }
    return ReprCut::none;
  }

 private:
  // Thrown to stop at a limit when the printout is to be cut there.
  struct Cut {
    ReprCut why;
  };

  struct Frame {
    const Node* node;
    size_t index;    // next element of the current sequence
    uint32_t stage;  // ObjectStage for Objects, else 0 or 1
    uint32_t sub;    // key/value half of a pair, or per-stage state
  };

  void check() const {
    if (out_.size() - start_ > max_) check_fail();
  }

  // Whether what is left of max_bytes cannot hold `need` more bytes. Only when a limit
  // fails: a printout that is cut is printed up to the limit (check() cuts it).
  bool no_room_for(size_t need) const {
    if (cut_at_limit_) return false;
    size_t used = out_.size() - start_;
    return used > max_ || need > max_ - used;
  }

  void open(const Node* node, std::string_view prefix) {
    out_ += prefix;
    busy_.insert(node);
    stack_.push_back(Frame{node, 0, 0, 0});
  }

  // An empty container with BUILD states: printed already, its states follow.
  void open_states(const Node* node) {
    busy_.insert(node);
    stack_.push_back(Frame{node, 0, 1, 0});
  }

  void close(std::string_view suffix) {
    out_ += suffix;
    busy_.erase(stack_.back().node);
    stack_.pop_back();
  }

  void append_global(const GlobalNode& g) {
    if (!g.module.empty()) {
      detail::append_name_repr(out_, g.module);
      out_ += '.';
    }
    detail::append_name_repr(out_, g.name);
  }

  void append_bigint(const BigIntNode& b) {
    // Decimal conversion is quadratic; beyond ReprOptions::max_int_digits (CPython
    // refuses repr() past 4300 digits) the int is shown in hex, which is linear.
    size_t min_digits = b.bytes.size() >= 2 ? (b.bytes.size() - 2) * 12 / 5 : 0;
    if (min_digits > max_int_digits_) return append_bigint_hex(b);
    if (no_room_for(min_digits)) check_fail();
    out_ += detail::twos_to_decimal(b.bytes);
  }

  void append_bigint_hex(const BigIntNode& b) {
    if (no_room_for(2 * b.bytes.size() + 3)) check_fail();
    out_ += detail::twos_to_hex(b.bytes);
  }

  [[noreturn]] void check_fail() const {
    if (cut_at_limit_) throw Cut{ReprCut::max_bytes};
    throw LimitError(ErrorCode::repr_limit, "repr: output exceeds ReprOptions::max_bytes");
  }

  [[noreturn]] void visits_fail() const {
    if (cut_at_limit_) throw Cut{ReprCut::max_visits};
    throw LimitError(ErrorCode::repr_limit,
                     "repr: more than " + std::to_string(max_visits_) +
                         " values to print (ReprOptions::max_visits); a value shared "
                         "through the memo is printed once per reference");
  }

  /// Prints a leaf, or opens a container and leaves its frame on the stack.
  void value(Value v) {
    if (++visits_ > max_visits_) [[unlikely]]
      visits_fail();
    switch (v.kind()) {
      case Kind::None: out_ += "None"; return;
      case Kind::Bool: out_ += v.raw_int() ? "True" : "False"; return;
      case Kind::Int:
        if (v.is_bigint()) {
          append_bigint(v.bigint());
        } else {
          detail::append_int_repr(out_, v.raw_int());
        }
        return;
      case Kind::Float: detail::append_float_repr(out_, v.raw_float()); return;
      case Kind::Complex: {
        const ComplexNode& c = v.complex();
        detail::append_complex_repr(out_, c.real, c.imag);
        return;
      }
      case Kind::Str: detail::append_str_repr(out_, v.str().text); return;
      case Kind::Bytes: detail::append_bytes_repr(out_, v.bytes().data); return;
      case Kind::ByteArray: detail::append_bytearray_repr(out_, v.bytes().data); return;
      case Kind::Global: append_global(v.global()); return;
      case Kind::Buffer: {
        const BufferNode& b = v.buffer();
        out_ += "pickle.PickleBuffer(";
        detail::append_bytes_repr(
            out_, std::string_view(reinterpret_cast<const char*>(b.data.data()), b.data.size()));
        out_ += b.readonly() ? ").toreadonly()" : ")";
        return;
      }
      default: break;
    }
    const Node* node = v.node();
    bool busy = busy_.contains(node);
    switch (v.kind()) {
      case Kind::Tuple:
        if (v.tuple().items.empty()) {
          out_ += "()";
        } else if (busy) {
          out_ += "(...)";
        } else {
          open(node, "(");
        }
        return;
      case Kind::List:
        if (v.list().items.empty()) {
          out_ += "[]";
          if (v.list().states && !busy) open_states(node);
        } else if (busy) {
          out_ += "[...]";
        } else {
          open(node, "[");
        }
        return;
      case Kind::Dict: {
        bool ordered = node->flags & kOrderedDict;
        if (v.dict().entries.empty()) {
          out_ += ordered ? "OrderedDict()" : "{}";
          if (v.dict().states && !busy) open_states(node);
        } else if (busy) {
          out_ += ordered ? "..." : "{...}";
        } else {
          open(node, ordered ? "OrderedDict({" : "{");
        }
        return;
      }
      case Kind::Set:
      case Kind::FrozenSet: {
        bool frozen = v.kind() == Kind::FrozenSet;
        if (v.set().items.empty()) {
          out_ += frozen ? "frozenset()" : "set()";
          if (v.set().states && !busy) open_states(node);
        } else if (busy) {
          out_ += frozen ? "frozenset(...)" : "set(...)";
        } else {
          open(node, frozen ? "frozenset({" : "{");
        }
        return;
      }
      case Kind::Object:
        if (busy) {
          out_ += "...";
        } else if (object_form_ && (*object_form_)(v, out_)) {
          return;
        } else {
          open(node, "");
        }
        return;
      case Kind::PersistentRef:
        if (busy) {
          out_ += "...";
        } else if (object_form_ && (*object_form_)(v, out_)) {
          return;
        } else {
          open(node, "persistent_id(");
        }
        return;
      default: throw PickleError(ErrorCode::internal, "repr: unknown value kind");
    }
  }

  /// Prints the next of `items` (", " between them); false when all are printed.
  bool next_item(std::span<const Value> items) {
    Frame& f = stack_.back();
    if (f.index >= items.size()) return false;
    size_t i = f.index++;
    if (i != 0) out_ += ", ";
    value(items[i]);  // may push a frame: f is dead from here
    return true;
  }

  /// Prints the next key or value of `pairs` as `k: v, ...`; false when done.
  bool next_pair(std::span<const std::pair<Value, Value>> pairs) {
    Frame& f = stack_.back();
    if (f.index >= pairs.size()) return false;
    if (f.sub == 0) {
      if (f.index != 0) out_ += ", ";
      f.sub = 1;
      value(pairs[f.index].first);
    } else {
      out_ += ": ";
      f.sub = 0;
      size_t i = f.index++;
      value(pairs[i].second);
    }
    return true;
  }

  /// Advances the top frame by one child (or closes it).
  void step() {
    const Node* node = stack_.back().node;
    switch (node->kind) {
      case Kind::Tuple: {
        auto items = static_cast<const TupleNode*>(node)->items;
        if (!next_item(items)) close(items.size() == 1 ? ",)" : ")");
        return;
      }
      case Kind::List: {
        auto* list = static_cast<const ListNode*>(node);
        if (stack_.back().stage != 0 || !next_item(list->items)) close_with_states("]", list);
        return;
      }
      case Kind::Set:
      case Kind::FrozenSet: {
        auto* set = static_cast<const SetNode*>(node);
        if (stack_.back().stage != 0 || !next_item(set->items))
          close_with_states(node->kind == Kind::Set ? "}" : "})", set);
        return;
      }
      case Kind::Dict: {
        auto* dict = static_cast<const DictNode*>(node);
        if (stack_.back().stage != 0 || !next_pair(dict->entries))
          close_with_states(node->flags & kOrderedDict ? "})" : "}", dict);
        return;
      }
      case Kind::PersistentRef:
        if (stack_.back().stage == 0) {
          stack_.back().stage = 1;
          value(static_cast<const PersistentRefNode*>(node)->pid);
        } else {
          close(")");
        }
        return;
      case Kind::Object: step_object(*static_cast<const ObjectNode*>(node)); return;
      default: throw PickleError(ErrorCode::internal, "repr: unexpected frame");
    }
  }

  /// After a container's items: its closing bracket, then its BUILD states as
  /// `.__setstate__(state)` each (see [NOTE container-states]), one per call; the
  /// frame closes after the last.
  template <class N>
  void close_with_states(std::string_view suffix, const N* node) {
    std::span<const Value> states;
    if (node->states) states = node->states->items;
    Frame& f = stack_.back();
    if (f.stage == 0) {
      if (states.empty()) return close(suffix);
      out_ += suffix;
      f.stage = 1;
      f.index = 0;
      f.sub = 0;
    }
    if (f.sub != 0) {  // the previous state is printed
      out_ += ')';
      f.sub = 0;
    }
    if (f.index < states.size()) {
      out_ += ".__setstate__(";
      f.sub = 1;
      value(states[f.index++]);  // may push a frame: f is dead from here
      return;
    }
    close("");
  }

  static size_t positional_count(Value args) {
    if (args.is_tuple()) return args.tuple().items.size();
    return args.is_none() ? 0 : 1;
  }

  /// Objects print as callable(args, key=value).__setstate__(s).extend([...]).update({...}).
  /// Each pass through the loop either finishes a stage or hands one child to value()
  /// and returns, so the frame reference is never used after a push.
  void step_object(const ObjectNode& o) {
    for (;;) {
      Frame& f = stack_.back();
      switch (f.stage) {
        case kCallable:
          f.stage = kOpenArgs;
          if (o.callable.kind() == Kind::Global) {
            append_global(o.callable.global());
            break;
          }
          value(o.callable);
          return;
        case kOpenArgs:
          out_ += '(';
          f.stage = kArgs;
          f.index = 0;
          break;
        case kArgs:
          if (o.args.is_tuple()) {
            if (next_item(o.args.tuple().items)) return;
          } else if (!o.args.is_none() && f.index == 0) {
            f.index = 1;
            out_ += '*';
            value(o.args);
            return;
          }
          f.stage = kKwargs;
          f.index = 0;
          f.sub = kKwargsUndecided;
          break;
        case kKwargs: {
          if (o.kwargs.is_none()) {
            f.stage = kCloseArgs;
            break;
          }
          if (f.sub == kKwargsUndecided) {
            f.sub = kKwargsSplat;
            if (o.kwargs.is_dict()) {
              const auto& entries = o.kwargs.dict().entries;
              bool all_str = std::all_of(entries.begin(), entries.end(),
                                         [](const auto& e) { return e.first.is_str(); });
              if (all_str) f.sub = kKwargsNamed;
            }
          }
          bool comma = positional_count(o.args) != 0 || f.index != 0;
          if (f.sub == kKwargsNamed) {
            const auto& entries = o.kwargs.dict().entries;
            if (f.index < entries.size()) {
              size_t i = f.index++;
              if (comma) out_ += ", ";
              detail::append_name_repr(out_, entries[i].first.str().text);
              out_ += '=';
              value(entries[i].second);
              return;
            }
          } else if (f.index == 0) {
            f.index = 1;
            if (comma) out_ += ", ";
            out_ += "**";
            value(o.kwargs);
            return;
          }
          f.stage = kCloseArgs;
          break;
        }
        case kCloseArgs:
          out_ += ')';
          f.stage = kStates;
          f.index = 0;
          f.sub = 0;
          break;
        case kStates:
          if (f.sub != 0) {  // the previous state is printed
            out_ += ')';
            f.sub = 0;
          }
          if (f.index < o.states.size()) {
            out_ += ".__setstate__(";
            f.sub = 1;
            value(o.states[f.index++]);
            return;
          }
          f.stage = kOpenExtend;
          break;
        case kOpenExtend:
          if (o.list_items.empty()) {
            f.stage = kOpenUpdate;
            break;
          }
          out_ += ".extend([";
          f.stage = kExtend;
          f.index = 0;
          break;
        case kExtend:
          if (next_item(o.list_items)) return;
          out_ += "])";
          f.stage = kOpenUpdate;
          break;
        case kOpenUpdate:
          if (o.dict_items.empty()) {
            f.stage = kObjectDone;
            break;
          }
          out_ += ".update({";
          f.stage = kUpdate;
          f.index = 0;
          f.sub = 0;
          break;
        case kUpdate:
          if (next_pair(o.dict_items)) return;
          out_ += "})";
          f.stage = kObjectDone;
          break;
        default: close(""); return;
      }
    }
  }

  std::string& out_;
  size_t start_;
  size_t max_;
  size_t max_int_digits_;
  size_t max_visits_;
  bool cut_at_limit_;
  const std::function<bool(Value, std::string&)>* object_form_;
  size_t visits_ = 0;
  std::vector<Frame> stack_;
  NodeSet busy_;
};

}  // namespace

ReprCut repr_to(std::string& out, Value v, const ReprOptions& options) {
  return Printer(out, options).run(v);
}

std::string repr(Value v, const ReprOptions& options) {
  std::string out;
  repr_to(out, v, options);
  return out;
}

}  // namespace pickle
