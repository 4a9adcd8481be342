// The Encoder: the Pickler's graph walk. It walks a graph with an explicit stack and a
// memo keyed by node identity, and writes through the Emitter the opcodes CPython's C
// pickler (_pickle, 3.8–3.13) chooses, so the bytes are the same. The walk and the
// containers are in encoder.cpp; how kinds without an opcode of their own at the
// protocol are written (CPython's reductions for them), and globals, in lowering.cpp.
#pragma once

#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dump/emitter.hpp"
#include "dump/memo.hpp"
#include "model/pool.hpp"
#include "pickle/dump.hpp"
#include "reductions/table.hpp"
#include "text/text.hpp"

namespace pickle::detail {

// The names a global goes under in a text GLOBAL/INST line below protocol 3: the
// Python 2 names it was read under, when fix_imports renamed it on loading (so
// `long` stays `long`), else fix_imports' reverse renames.
void text_names(const GlobalNode& g, int proto, bool fix_imports, std::string_view& module,
                std::string_view& name);

// The Encoder's own nodes (reductions, their argument tuples and lists, names): a
// Graph whose every node carries kWriterScratch, so they can be told from the user's.
// The reductions table's lower functions make their nodes here (see [NOTE reductions]).
class ScratchGraph final : public Lowerer {
 public:
  explicit ScratchGraph(MemoryPool* pool) : g_(pool) {}
  void clear() {
    g_.clear();
    globals_.clear();
    constants_.clear();
  }
  std::pmr::memory_resource* resource() const { return g_.resource(); }
  template <class T, class... A>
  T* make(A&&... a) {
    T* n = g_.make<T>(std::forward<A>(a)...);
    n->flags |= kWriterScratch;
    return n;
  }
  Value tuple(std::initializer_list<Value> items) { return mark(g_.tuple(items)); }
  Value tuple(std::span<const Value> items) override { return mark(g_.tuple(items)); }
  Value list(std::span<const Value> items) override { return mark(g_.list(items)); }
  Value str(std::string_view s) override { return mark(g_.str(s)); }
  Value bytes(std::string_view d) override { return mark(g_.bytes(d)); }
  Value bytearray(std::string_view d) { return mark(g_.bytearray(d)); }
  Value complex(double real, double imag) { return mark(g_.complex(real, imag)); }
  // The str whose code points are these bytes (CPython's bytes.decode('latin-1')),
  // written straight into the graph.
  Value latin1_str(std::string_view bytes) override {
    auto* n = make<StrNode>();
    size_t length = utf8_length_of_latin1(bytes);
    auto* p = static_cast<char*>(g_.allocate(length + 1, 1));
    n->text = std::string_view(p, latin1_to_utf8(bytes, p));
    return Value(n);
  }
  // The writer's own globals (_codecs.encode for every bytes below protocol 3, ...)
  // and constant strs ('latin1'): one node per name while there are few, so that the
  // identity memo finds it again without building a key (see [NOTE memo-keys]).
  Value global(std::string_view module, std::string_view name) override {
    for (const Value& g : globals_)
      if (g.global().module == module && g.global().name == name) return g;
    Value v = mark(g_.global(module, name));
    if (globals_.size() < 16) globals_.push_back(v);
    return v;
  }
  Value constant_str(std::string_view text) override {
    for (const Value& c : constants_)
      if (c.str().text == text) return c;
    Value v = str(text);
    if (constants_.size() < 16) constants_.push_back(v);
    return v;
  }

 private:
  static Value mark(Value v) {
    v.node()->flags |= kWriterScratch;
    return v;
  }
  Graph g_;
  std::vector<Value> globals_;
  std::vector<Value> constants_;
};

// [NOTE spare-memory] A dump needs an output buffer and a memo table that grow with
// the pickle, and fresh memory costs a page fault per 4 KiB on its first touch: more
// than all the rest of writing small values, on the machine of docs/performance.md.
// So with a MemoryPool (DumpOptions::pool), the buffer and the memo tables of a
// dumps() call (or of a Pickler, when it is destroyed) are kept in the pool for the
// next one, when they are at most kSpareLimit bytes each. Without a pool they are
// freed.
struct Spares final : PoolItem {
  Spares() noexcept : PoolItem(Kind::writer_spares) {}
  size_t bytes() const noexcept override {
    return out.capacity() + memo.slots.capacity() * sizeof(IdentityMemo::Slot);
  }
  ByteBuffer out;
  IdentityMemo::Storage memo;
};
constexpr size_t kSpareLimit = 32u << 20;

// A map key for a node, that tells it from a freed node at its address by the stamp
// ([NOTE node-stamp]): what the Encoder made of a node is never used for another.
struct StampedNode {
  const Node* node;
  uint32_t stamp;
  StampedNode(const Node* n) noexcept : node(n), stamp(n->stamp) {}  // implicit: a key
  bool operator==(const StampedNode&) const = default;
};
struct StampedNodeHash {
  size_t operator()(const StampedNode& k) const noexcept {
    return std::hash<const void*>()(k.node) ^ k.stamp;
  }
};

class Encoder {
 public:
  // sink == nullptr: the output stays in the Emitter for take_output() (dumps()).
  // With a pool, starts with the spares it keeps (see [NOTE spare-memory]).
  Encoder(Sink* sink, DumpOptions options)
      : opt_(std::move(options)),
        em_(sink, opt_.protocol),
        proto_(em_.protocol()),
        scratch_(opt_.pool) {
    for (size_t f = 0; f < std::size(lowered_); ++f)
      lowered_[f] = proto_ < lowering(static_cast<Form>(f)).native_from;
    if (!opt_.pool) return;
    std::unique_ptr<PoolItem> item =
        PoolAccess::take_item(*opt_.pool, PoolItem::Kind::writer_spares);
    if (!item) return;
    spares_.reset(static_cast<Spares*>(item.release()));
    em_.buffer().swap(spares_->out);
    memo_.adopt(spares_->memo);
  }
  // With a pool, gives it the buffer and the memo table.
  ~Encoder() {
    if (!opt_.pool) return;
    if (!spares_) {
      spares_.reset(new (std::nothrow) Spares);
      if (!spares_) return;
    }
    Spares& s = *spares_;
    if (em_.buffer().capacity() <= kSpareLimit) em_.buffer().swap(s.out);
    memo_.release(s.memo);
    if (s.memo.slots.size() * sizeof(IdentityMemo::Slot) > kSpareLimit)
      s.memo = IdentityMemo::Storage{};
    PoolAccess::give_item(*opt_.pool, std::move(spares_));
  }
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;

  int protocol() const { return proto_; }

  void clear_memo() {
    memo_.clear();
    named_memo_.clear();
    address_memo_.clear();
    em_.clear_memo();
    py2_converted_.clear();
    scratch_.clear();
  }

  void dump(Value v);
  // Whether a str's UTF-8 is the empty str or one character below U+0100: a singleton
  // in CPython, keyed by value in the memo (see [NOTE memo-keys]).
  static bool single_char(std::string_view t) {
    return t.size() <= 1 || (t.size() == 2 && (static_cast<uint8_t>(t[0]) & 0xFE) == 0xC2);
  }
  // dumps(): the bytes written (see [NOTE output-buffer]).
  std::string take_output() { return em_.take_output(); }

  // ---- the seam of the typed writer (src/typed/writer.cpp) -------------------------
  // [NOTE typed-seam] A typed dump writes its values straight through the Emitter,
  // and asks the Encoder only for what it owns: the pickle's start, end and failure
  // handling, the memo (whose indices both count), globals and the lowered leaf forms
  // (written from scratch nodes, as for a graph), and a graph's values held by a typed
  // one (pickle::Value members).
  //
  // One pickle: PROTO, what `write` writes (exactly one value), STOP. On failure
  // nothing is kept of it, as for dump().
  template <class F>
  void dump_with(F&& write) {
    tasks_.clear();
    in_progress_.clear();
    open_.clear();
    size_t memo_before = em_.memo_size();
    try {
      em_.start();
      write();
      em_.stop();
    } catch (...) {
      em_.abandon();
      if (em_.memo_size() != memo_before) clear_memo();
      throw;
    }
  }
  Emitter& emitter() noexcept { return em_; }
  const DumpOptions& options() const noexcept { return opt_; }
  // A graph's value, written whole before this returns.
  void save_now(Value v) {
    save(v);
    run();
  }
  // The global module.name, memoized by name (see [NOTE memo-keys]).
  void save_global_now(std::string_view module, std::string_view name) {
    save_now(scratch_.global(module, name));
  }
  ScratchGraph& scratch() noexcept { return scratch_; }
  // Memo entries the typed writer makes. Keyed by value (the same keys as
  // value_key's, and 'A' for interned attribute and field names), or by the
  // address of a C++ object with a tag for its type; the latter keeps the object
  // alive while the memo holds it, as CPython's memo holds its objects. In fast mode
  // the typed writer memoizes nothing (memoize_keyed() returns false, writing nothing).
  const uint32_t* find_keyed(const std::string& key) const {
    auto it = named_memo_.find(key);
    return it == named_memo_.end() ? nullptr : &it->second;
  }
  bool memoize_keyed(std::string key) {
    if (opt_.fast) return false;
    named_memo_.emplace(std::move(key), memoize_typed());
    return true;
  }
  struct AddressKey {
    const void* address;
    const void* tag;
    bool operator==(const AddressKey&) const = default;
  };
  struct AddressKeyHash {
    size_t operator()(const AddressKey& k) const noexcept {
      return std::hash<const void*>()(k.address) * 31 + std::hash<const void*>()(k.tag);
    }
  };
  const uint32_t* find_address(const AddressKey& key) const {
    auto it = address_memo_.find(key);
    return it == address_memo_.end() ? nullptr : &it->second.index;
  }
  void remember_address(const AddressKey& key, uint32_t index, std::shared_ptr<const void> keep) {
    address_memo_.insert_or_assign(key, AddressEntry{index, std::move(keep)});
  }
  // The next memo index, written (PUT, BINPUT, ...), for a value of the typed writer.
  uint32_t memoize_typed() {
    ++user_memos_;
    return em_.memoize();
  }

 private:
  // ---- memo --------------------------------------------------------------------
  // [NOTE memo-keys] The memo is keyed by node identity. Values CPython keeps as
  // singletons are keyed by value instead, so their identity matches CPython's: a
  // global is one class object; the empty str and one-character latin-1 strs, the
  // empty bytes and one-byte bytes are cached objects; module and class names and
  // the 'latin1' codec name are interned strings. Once such a node was found or
  // memoized by its key, its address also goes in the identity memo, so that the next
  // save of the same node builds no key.
  static bool value_keyed(Value v) {
    switch (v.kind()) {
      case Kind::Global: return true;
      case Kind::Str: return single_char(as<StrNode>(v).text) && !(as<StrNode>(v).flags & kPy2Str);
      case Kind::Bytes:
        return as<BytesNode>(v).data.size() <= 1 && !(as<BytesNode>(v).flags & kPy2Str);
      default: return false;
    }
  }
  std::string value_key(Value v) const;
  const uint32_t* memo_find(Value v) {
    if (const uint32_t* i = memo_.find(v.node())) return i;
    if (!value_keyed(v)) return nullptr;
    auto it = named_memo_.find(value_key(v));
    if (it == named_memo_.end()) return nullptr;
    memo_.insert(v.node(), it->second);
    return &it->second;
  }
  void memoize(Value v) {
    if (opt_.fast) return;
    if (!(v.node()->flags & kWriterScratch)) ++user_memos_;
    uint32_t i = em_.memoize();
    if (value_keyed(v)) named_memo_.emplace(value_key(v), i);
    memo_.insert(v.node(), i);
  }
  // Interned identifier strings (module and qualified names at protocol 4+).
  // CPython shares a module's name between its globals; a qualified name is its own
  // object, even when it spells the same as a module.
  void save_interned(char space, std::string_view s);
  // ---- tasks ---------------------------------------------------------------------
  enum class T : uint8_t {
    save,
    tuple,
    list,
    dict,
    set,
    frozenset,
    reduce,
    global_path,
    persid,
    call,
    states
  };
  static constexpr uint8_t kNoPersistentId = 1;  // T::save phase: skip persistent_id
  // phase, i (items or values written so far) and j (batches: where the current run
  // ends) are the task's progress.
  struct Task : BatchCursor {
    T kind;
    Value v;                        // the value whose opcodes this task writes
    const ObjectNode* o = nullptr;  // reduce: the reduction (maybe a scratch node)
    Task(T k, uint8_t ph, uint32_t at, Value x, const ObjectNode* r)
        : BatchCursor{ph, at, 0}, kind(k), v(x), o(r) {}
  };
  std::vector<Task> tasks_;

  void push_save(Value v) { tasks_.push_back({T::save, 0, 0, v, nullptr}); }

  void run();
  // [NOTE inline-items] An item of a container is saved from the container's own loop,
  // not through a task of its own: t (already advanced past the item) is pushed as
  // the continuation, then the item saved; when that wrote the item outright (a leaf,
  // a memo GET) and scheduled nothing, the continuation is popped again and the loop
  // goes on. Immediates, strs and (from protocol 3) bytes, which never schedule a
  // task, skip even that (not a Python 2 str: written as bytes below protocol 3, it
  // becomes a reduction). Returns true when tasks were scheduled: the
  // caller returns, and run() resumes it after them.
  bool save_item(const Task& t, Value x) {
    if (!opt_.persistent_id) {
      if (!x.is_node()) {
        em_.boundary();
        save_immediate(x);
        return false;
      }
      if ((x.kind() == Kind::Str || (x.kind() == Kind::Bytes && proto_ >= 3)) &&
          !(x.node()->flags & kPy2Str)) {
        save(x);  // never schedules a task
        return false;
      }
      // An item already written (shared references, the bulk of a graph with many)
      // is a GET, with no task pushed and popped around it.
      if (!opt_.fast && x.kind() != Kind::Int) {
        if (const uint32_t* i = memo_.find(x.node())) {
          em_.boundary();
          em_.get(*i);
          return false;
        }
      }
    }
    tasks_.push_back(t);
    size_t depth = tasks_.size();
    save(x);
    if (tasks_.size() != depth) return true;
    tasks_.pop_back();
    return false;
  }
  void save_immediate(Value v) {
    switch (v.kind()) {
      case Kind::None: return em_.none();
      case Kind::Bool: return em_.boolean(v.raw_int() != 0);
      case Kind::Int: return save_int(v);
      case Kind::Float: return em_.float64(v.raw_float());
      default: return;
    }
  }

  // A str, or a bytes at protocol 3+, neither from Python 2 nor keyed by value: the
  // commonest leaf, written with a single probe of the memo (not in fast mode).
  bool plain_text(Value v) const {
    if (v.kind() == Kind::Str)
      return !(as<StrNode>(v).flags & kPy2Str) && !single_char(as<StrNode>(v).text);
    return v.kind() == Kind::Bytes && proto_ >= 3 && !(as<BytesNode>(v).flags & kPy2Str) &&
           as<BytesNode>(v).data.size() > 1;
  }
  void save_plain_text(Value v) {
    memo_.reserve_one();
    IdentityMemo::Slot& slot = memo_.slot(v.node());
    if (memo_.taken(slot, v.node())) return em_.get(slot.index);
    // Checked and written before the memo takes it, so a failure leaves no entry.
    if (v.kind() == Kind::Str)
      em_.str(checked_text(as<StrNode>(v).text));
    else
      em_.bytes(as<BytesNode>(v).data);
    if (!(v.node()->flags & kWriterScratch)) ++user_memos_;
    memo_.fill(slot, v.node(), em_.memoize());  // writing leaves the memo as it was
  }

  // Saves v: writes it now when it is a leaf, or schedules a task.
  void save(Value v, bool ask_persistent_id = true) {
    em_.boundary();
    if (ask_persistent_id && opt_.persistent_id) {
      if (std::optional<Value> pid = opt_.persistent_id(v)) return save_persistent(*pid);
    }
    // Big ints are nodes, but never memoized (CPython does not memoize ints).
    if (v.is_node() && !opt_.fast && v.kind() != Kind::Int) {
      if (plain_text(v)) return save_plain_text(v);
      if (const uint32_t* i = memo_find(v)) return em_.get(*i);
    }
    switch (v.kind()) {
      case Kind::None:
      case Kind::Bool:
      case Kind::Float: return save_immediate(v);
      case Kind::Int: return save_int(v);
      case Kind::Str:
        if (as<StrNode>(v).flags & kPy2Str) return save_py2(v);
        em_.str(checked_text(as<StrNode>(v).text));
        return memoize(v);
      case Kind::Bytes:
        if (as<BytesNode>(v).flags & kPy2Str) return save_py2(v);
        return save_bytes(v);
      case Kind::ByteArray: return save_bytearray(v);
      case Kind::Complex: return save_lowered(Form::complex, v);
      case Kind::Tuple: return enter(T::tuple, v);
      case Kind::List: return enter(T::list, v);
      case Kind::Dict: {
        const DictNode& d = as<DictNode>(v);
        if (d.flags & kOrderedDict)
          return save_lowered(Form::ordered_dict, v, std::span(d.entries.data(), d.entries.size()));
        return enter(T::dict, v);
      }
      case Kind::Set:
        if (lowered(Form::set)) return save_lowered(Form::set, v);
        return enter(T::set, v);
      case Kind::FrozenSet:
        if (lowered(Form::frozenset)) return save_lowered(Form::frozenset, v);
        open(v);
        return enter(T::frozenset, v);
      case Kind::Global: return save_global(v);
      case Kind::Object: return save_object(v);
      case Kind::PersistentRef: return save_persistent(v.persistent_ref().pid);
      case Kind::Buffer: return save_buffer(v);
    }
  }

  // Containers in progress, for `fast` mode, which has no memo to break cycles.
  void enter(T kind, Value v) {
    if (opt_.fast && !in_progress_.insert(v.node()).second)
      throw PicklingError("cannot write a recursive " + std::string(kind_name(v.kind())) +
                          " in fast mode (no memo)");
    tasks_.push_back({kind, 0, 0, v, nullptr});
  }
  void leave(Value v) {
    if (opt_.fast) in_progress_.erase(v.node());
  }
  // A list, dict or set is written whole: its BUILD states follow (see [NOTE
  // container-states]).
  void finish(Value v) {
    leave(v);
    schedule_states(v);
  }
  void schedule_states(Value v) {
    if (!build_states(v).empty()) tasks_.push_back({T::states, 0, 0, v, nullptr});
  }
  void states_step(Task t);
  // [NOTE unwritable-cycles] A reduction (an Object, or a set, frozenset, ... written
  // as one) is memoized only after its arguments, so a graph where it reaches itself
  // through its own arguments makes the writer start it again and again: a set whose
  // member's constructor arguments hold the set, below protocol 4. CPython fails there
  // with RecursionError. A value may legitimately be started again while open (a
  // tuple that holds itself through a list: the list was memoized in between, and the
  // second start ends at the list's GET), but only after some node of the user's graph
  // was memoized since it was last started; with no such progress it would loop
  // forever. Tuples alone cannot form such a cycle (they are built from finished
  // items), so only reductions and frozensets are tracked.
  void open(Value v) {
    OpenTable::Entry& o = open_.get(v.node());
    if (o.depth > 0 && o.progress == user_memos_)
      throw PicklingError("cannot write this " + std::string(kind_name(v.kind())) +
                          ": it holds itself through its own constructor arguments, which "
                          "protocol " +
                          std::to_string(proto_) + " cannot express (CPython fails the same way)");
    ++o.depth;
    o.progress = user_memos_;
  }
  void close(Value v) { open_.close(v.node()); }

  // ---- leaves (the lowered ones in lowering.cpp) ----------------------------------
  void save_int(Value v) {
    if (!v.is_bigint()) return em_.int64(v.raw_int());
    em_.bigint(v.bigint().bytes);
  }

  // The node of v, whose kind the caller knows (Value's accessors check it again).
  template <class N>
  static N& as(Value v) {
    return *static_cast<N*>(v.node());
  }

  std::string_view checked_text(std::string_view utf8) {
    if (check_utf8(utf8, true) != std::string_view::npos)
      throw PicklingError("str is not valid UTF-8");
    return utf8;
  }

  // A Python 2 str: kept, or as DumpOptions::py2_str asks, a Python 3 str or bytes.
  // The converted value is one scratch node per original, so that a Python 2 str
  // referenced twice is written once and then fetched from the memo.
  void save_py2(Value v);
  // The bytes a Python 2 str held: loaded as bytes, or encoded again with the codec
  // that decoded it.
  std::string py2_raw(Value v);
  // A Python 2 str, written back with the opcode family Python 2 used.
  void save_py2_str(Value v);
  void save_bytes(Value v);
  void save_bytearray(Value v);
  void save_buffer(Value v);
  void save_persistent(Value pid);
  // ---- globals (lowering.cpp) -----------------------------------------------------
  void save_global(Value v);
  void global_path_step(Task t);
  // ---- tuples, lists, dicts, sets (encoder.cpp) -----------------------------------
  void tuple_step(Task t);
  // Items of an exact list, dict or set, in the Emitter's runs (see [NOTE batching]).
  // Returns true while a task was pushed.
  template <class ValueAt>
  bool exact_items(Task& t, size_t count, const BatchForm& form, const ValueAt& value_at);
  void list_step(Task t);
  void dict_step(Task t);
  void set_step(Task t);
  void frozenset_step(Task t);
  // ---- objects (reductions: lowering.cpp; their steps: encoder.cpp) ---------------
  // Writes `obj` as callable(*args) through a scratch reduction node.
  void schedule_reduce(Value obj, Lowered call,
                       std::span<const std::pair<Value, Value>> dict_items = {});
  // Writes v as the call that the reductions table lowers its form to.
  void save_lowered(Form form, Value v, std::span<const std::pair<Value, Value>> dict_items = {}) {
    schedule_reduce(v, lowering(form).lower(scratch_, v), dict_items);
  }
  // Whether a form is written as a reduction at this protocol (see [NOTE reductions]).
  bool lowered(Form form) const { return lowered_[static_cast<size_t>(form)]; }
  void save_object(Value v);
  static void copy_items(ObjectNode& to, const ObjectNode& from);
  // Phases: 0 start, 1 after callable/args (write the opcode, memo), 2 list items,
  // 3 dict items, 4 states, 5 discarded calls (state setters).
  void reduce_step(Task t);
  // A call whose result is discarded: callable, the arguments as a tuple neither
  // memoized, REDUCE, POP. CPython writes a state setter so, but with TUPLE2 even at
  // protocols 0 and 1, which lack it; there the tuple is MARK ... TUPLE (and the
  // empty one EMPTY_TUPLE from protocol 1), so the pickle stays of its protocol.
  void call_step(Task t);
  // The next item of a reduction, in the Emitter's runs (see [NOTE batching]). Returns
  // true while a task was pushed.
  bool iterator_item(Task& t, size_t count, const BatchForm& form);
  DumpOptions opt_;
  Emitter em_;
  int proto_;
  IdentityMemo memo_;
  std::unordered_map<std::string, uint32_t> named_memo_;
  struct AddressEntry {
    uint32_t index;
    std::shared_ptr<const void> keep;  // see find_address
  };
  std::unordered_map<AddressKey, AddressEntry, AddressKeyHash> address_memo_;
  std::unordered_set<const void*> in_progress_;
  ScratchGraph scratch_;  // reductions made while writing; lives as long as the memo
  std::unordered_map<StampedNode, Value, StampedNodeHash> py2_converted_;  // see save_py2
  // See [NOTE unwritable-cycles].
  OpenTable open_;
  uint64_t user_memos_ = 0;  // user nodes memoized so far
  bool lowered_[static_cast<size_t>(Form::count)];
  std::unique_ptr<Spares> spares_;  // see [NOTE spare-memory]
};

}  // namespace pickle::detail
