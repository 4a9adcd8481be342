// The noload builder: walks the opcode machine building only what persistent ids are
// made of, so that noload() can give each BINPERSID id as a Value.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "load/builder.hpp"
#include "load/decoder.hpp"
#include "pickle/load.hpp"

namespace pickle::detail {

// [NOTE noload-ids] cPickle's noload() exists to collect persistent ids, and a
// BINPERSID id is whatever object is on the stack: PyTorch writes
// ('storage', torch.FloatStorage, '0', 'cpu', 4), ZODB (oid, class). Building
// everything would make noload a load, so this builder builds the leaves (None,
// bools, ints, floats, str, bytes, bytearray, Python 2 str), tuples, globals (by name)
// and persistent refs, into a scratch graph, and nothing else: lists, dicts, sets,
// frozensets, the results of REDUCE, NEWOBJ, INST and OBJ, and out-of-band buffers are
// one `unbuilt` marker, and what is appended or set into them, or given to BUILD, is
// dropped. At BINPERSID the id's value is copied into the NoloadResult's own graph
// (an unbuilt part as None, with `complete` false). The scratch graph counts against
// the limits as a load's graph does (max_nodes_per_byte, max_alloc_per_byte); it
// lives as long as the memo that points into it (Unpickler::clear_memo frees it).
class NoloadBuilder {
 public:
  using Item = Value;

  NoloadBuilder(Graph& scratch, Value unbuilt, NoloadResult& r, const LoadOptions& opt,
                std::string_view py2_encoding)
      : g_(scratch), unbuilt_(unbuilt), r_(r), opt_(opt), py2_encoding_(py2_encoding) {}

  static constexpr bool runs_machine = true;

  Usage usage() const {
    return {g_.node_count() + r_.graph.node_count(),
            g_.bytes_allocated() + r_.graph.bytes_allocated()};
  }

  Item none(At) { return Value(); }
  Item boolean(At, bool b) { return Value(b); }
  Item integer(At, int64_t v) { return Value(v); }
  Item big_integer(At, std::span<const uint8_t> le) { return g_.integer(le); }
  Item floating(At, double d) { return Value(d); }
  Item str(At, std::string_view s) { return g_.str(s); }
  Item bytes(At, std::string_view s) { return g_.bytes(s); }
  Item bytearray(At, std::string_view s) { return g_.bytearray(s); }
  Item py2_string(At, std::string_view raw) {
    // As load() decodes it; what does not decode stays bytes (noload never fails on it).
    Value v;
    std::string err;
    if (py2_encoding_ != "bytes" &&
        decode_py2(raw, py2_encoding_, opt_.py2_str.errors, scratch_, err)) {
      v = g_.str(scratch_);
      v.str().py2_encoding = py2_encoding_ == "ascii"    ? std::string_view("ascii")
                             : py2_encoding_ == "latin1" ? std::string_view("latin1")
                                                         : std::string_view("utf-8");
    } else {
      v = g_.bytes(raw);
    }
    v.node()->flags |= kPy2Str;
    return v;
  }
  Item next_buffer(At) { return unbuilt_; }
  void readonly_buffer(At, Item&) {}
  Item list(At, std::span<Item>) { return unbuilt_; }
  Item tuple(At, std::span<Item> items) {
    size_t max = opt_.limits.max_container_items;
    if (items.size() > max)
      fail(ErrorCode::limit_exceeded,
           "tuple of more than " + std::to_string(max) + " items (the max_container_items limit)");
    return g_.tuple(items);
  }
  Item set(At) { return unbuilt_; }
  Item frozenset(At, std::span<Item>) { return unbuilt_; }
  Item dict(At, std::span<Item>) { return unbuilt_; }
  void append(At, Item&, std::span<Item>) {}
  void add(At, Item&, std::span<Item>) {}
  void setitems(At, Item&, std::span<Item>) {}
  Item global(At, std::string_view module, std::string_view name) {
    return g_.global(module, name);
  }
  bool stack_global(At, const Item& module, const Item& name, std::string_view& m,
                    std::string_view& n) {
    // noload accepts any operands, as it always has.
    m = module.kind() == Kind::Str ? module.str().text : std::string_view("?");
    n = name.kind() == Kind::Str ? name.str().text : std::string_view("?");
    return true;
  }
  Item reduce(At, Item, Item) { return unbuilt_; }
  void build(At, Item&, Item) {}
  Item instantiate(At, Item, std::span<Item>, BuildKind) { return unbuilt_; }
  Item newobj(At, Item, Item, Item*) { return unbuilt_; }
  Item persistent_text(At at, std::string_view pid) {
    r_.persistent_ids.push_back({at.offset, false, std::string(pid), r_.graph.str(pid), true});
    Value ref = g_.persistent_ref(g_.str(pid));
    ref.node()->flags |= kTextPid;
    return ref;
  }
  Item persistent_binary(At at, Item pid) {
    bool complete = true;
    Value id = copy(pid, complete);
    r_.persistent_ids.push_back({at.offset, true, {}, id, complete});
    return g_.persistent_ref(pid);
  }
  // Hooks of the value builder that noload has no use for.
  void used(At, Item) {}
  void memoized(At, Item) {}
  void discarded(At, Item) {}
  void renamed(At, Item, std::string_view, std::string_view) {}
  void argument(At, uint64_t) {}
  bool reads_after_build(At, Item&) { return false; }
  void read_after_build(At, Item&, Source&) {}

 private:
  // Copies v from the scratch graph into the result's graph, without recursion; a node
  // met twice (in one id or several) is copied once.
  Value copy(Value v, bool& complete) {
    struct Frame {
      Value from;
      size_t next = 0;
      std::vector<Value> items;
    };
    std::vector<Frame> stack;
    Value result;
    auto leaf = [&](Value x, bool& done) -> Value {
      done = true;
      if (!x.is_node()) return x;
      if (x.node() == unbuilt_.node()) {
        complete = false;
        return Value();
      }
      if (auto it = copied_.find(x.node()); it != copied_.end()) return it->second;
      Graph& out = r_.graph;
      Value c;
      switch (x.kind()) {
        case Kind::Int: c = out.integer(x.bigint().bytes); break;
        case Kind::Str:
          c = out.str(x.str().text);
          c.str().py2_encoding = x.str().py2_encoding;
          break;
        case Kind::Bytes: c = out.bytes(x.bytes().data); break;
        case Kind::ByteArray: c = out.bytearray(x.bytes().data); break;
        case Kind::Global: c = out.global(x.global().module, x.global().name); break;
        case Kind::Tuple:
        case Kind::PersistentRef: done = false; return Value();
        default: complete = false; return Value();  // not made by this builder
      }
      c.node()->flags = x.node()->flags;
      copied_.emplace(x.node(), c);
      return c;
    };
    auto finish = [&](Frame& f) {
      Value c = f.from.kind() == Kind::Tuple ? r_.graph.tuple(f.items)
                                             : r_.graph.persistent_ref(f.items[0]);
      c.node()->flags = f.from.node()->flags;
      copied_.emplace(f.from.node(), c);
      return c;
    };
    bool done = false;
    result = leaf(v, done);
    if (done) return result;
    stack.push_back({v, 0, {}});
    while (!stack.empty()) {
      Frame& f = stack.back();
      std::span<const Value> kids = f.from.kind() == Kind::Tuple
                                        ? f.from.tuple().items
                                        : std::span<const Value>(&f.from.persistent_ref().pid, 1);
      if (f.next == kids.size()) {
        Value c = finish(f);
        stack.pop_back();
        if (stack.empty()) return c;
        stack.back().items.push_back(c);
        ++stack.back().next;
        continue;
      }
      Value kid = kids[f.next];
      Value c = leaf(kid, done);
      if (done) {
        f.items.push_back(c);
        ++f.next;
      } else {
        stack.push_back({kid, 0, {}});
      }
    }
    return result;
  }

  Graph& g_;
  Value unbuilt_;
  NoloadResult& r_;
  const LoadOptions& opt_;
  std::string_view py2_encoding_;
  std::string scratch_;
  std::unordered_map<const Node*, Value> copied_;
};
static_assert(Builder<NoloadBuilder>);

}  // namespace pickle::detail
