// The Pickler: walks a graph with an explicit stack and writes the opcodes CPython's
// C pickler (_pickle, 3.8–3.13) chooses, so the bytes are the same.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dump/emitter.hpp"
#include "pickle/dump.hpp"
#include "text/text.hpp"

namespace pickle {

namespace detail {

namespace {

struct Rename4 {
  std::string_view from_module, from_name, to_module, to_name;
};
struct Rename2 {
  std::string_view from, to;
};
#define PICKLE_IMPORT_2TO3(...)
#define PICKLE_NAME_2TO3(...)
#define PICKLE_IMPORT_3TO2(...) constexpr Rename2 kImport3to2[] = {__VA_ARGS__};
#define PICKLE_NAME_3TO2(...) constexpr Rename4 kName3to2[] = {__VA_ARGS__};
#include "reductions/compat_names.inc"
#undef PICKLE_IMPORT_2TO3
#undef PICKLE_NAME_2TO3
#undef PICKLE_IMPORT_3TO2
#undef PICKLE_NAME_3TO2

// Python 3 -> 2 names, as CPython's fix_imports writes them below protocol 3.
void reverse_fix_import(std::string_view& module, std::string_view& name) {
  for (const auto& r : kName3to2)
    if (r.from_module == module && r.from_name == name) {
      module = r.to_module;
      name = r.to_name;
      return;
    }
  for (const auto& r : kImport3to2)
    if (r.from == module) {
      module = r.to;
      return;
    }
}

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

// The Encoder's own nodes (reductions, their argument tuples and lists, names): a
// Graph whose every node carries kWriterScratch, so they can be told from the user's.
class ScratchGraph {
 public:
  void clear() {
    g_.clear();
    globals_.clear();
  }
  std::pmr::memory_resource* resource() const { return g_.resource(); }
  template <class T, class... A>
  T* make(A&&... a) {
    T* n = g_.make<T>(std::forward<A>(a)...);
    n->flags |= kWriterScratch;
    return n;
  }
  Value tuple(std::initializer_list<Value> items) { return mark(g_.tuple(items)); }
  Value tuple(std::span<const Value> items) { return mark(g_.tuple(items)); }
  Value list(std::span<const Value> items) { return mark(g_.list(items)); }
  Value str(std::string_view s) { return mark(g_.str(s)); }
  Value bytes(std::string_view d) { return mark(g_.bytes(d)); }
  // The str whose code points are these bytes (CPython's bytes.decode('latin-1')),
  // written straight into the graph.
  Value latin1_str(std::string_view bytes) {
    auto* n = make<StrNode>();
    size_t length = utf8_length_of_latin1(bytes);
    auto* p = static_cast<char*>(g_.allocate(length + 1, 1));
    n->text = std::string_view(p, latin1_to_utf8(bytes, p));
    return Value(n);
  }
  // The writer's own globals (_codecs.encode for every bytes below protocol 3, ...):
  // one node per name while there are few, so that the identity memo finds it again
  // without building a key (see [NOTE memo-keys]).
  Value global(std::string_view module, std::string_view name) {
    for (const Value& g : globals_)
      if (g.global().module == module && g.global().name == name) return g;
    Value v = mark(g_.global(module, name));
    if (globals_.size() < 16) globals_.push_back(v);
    return v;
  }

 private:
  static Value mark(Value v) {
    v.node()->flags |= kWriterScratch;
    return v;
  }
  Graph g_;
  std::vector<Value> globals_;
};

constexpr size_t kPrefetch = 8;  // items (and rehashed entries) ahead whose memo slot is prefetched

// Identity memo: node address -> memo index, open addressing.
class IdentityMemo {
 public:
  struct Slot {
    const void* key = nullptr;
    uint32_t index = 0;
    uint32_t gen = 0;  // the slot is taken when this is the table's generation
  };

  const uint32_t* find(const void* key) const {
    if (slots_.empty()) return nullptr;
    size_t mask = slots_.size() - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
      if (slots_[i].gen != gen_) return nullptr;
      if (slots_[i].key == key) return &slots_[i].index;
    }
  }
  void insert(const void* key, uint32_t index) {
    reserve_one();
    fill(slot(key), key, index);
  }
  // One probe for a lookup and the insertion that may follow: reserve_one(), then
  // slot(key) is key's entry (taken()) or the free slot where it goes, valid until the
  // next insertion; fill() takes it.
  void reserve_one() {
    if (2 * (count_ + 1) > slots_.size()) grow();
  }
  bool taken(const Slot& s) const { return s.gen == gen_; }
  Slot& slot(const void* key) {
    size_t mask = slots_.size() - 1;
    size_t i = hash(key) & mask;
    while (slots_[i].gen == gen_ && slots_[i].key != key) i = (i + 1) & mask;
    return slots_[i];
  }
  void fill(Slot& s, const void* key, uint32_t index) {
    s = {key, index, gen_};
    ++count_;
  }
  // Empties the memo in O(1): a new generation frees every slot at once.
  void clear() {
    count_ = 0;
    if (++gen_ == 0) {  // wrapped: slots of generation 0 must not look taken
      std::fill(slots_.begin(), slots_.end(), Slot{});
      gen_ = 1;
    }
  }
  // Asks for key's first slot to be loaded into the cache (a lookup of it follows).
  void prefetch([[maybe_unused]] const void* key) const {
#if defined(__GNUC__)
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash(key) & (slots_.size() - 1)]);
#endif
  }

  // The table, handed from one memo to the next (see [NOTE spare-memory]).
  struct Storage {
    std::vector<Slot> slots;
    uint32_t gen = 1;
    size_t last_count = 0;  // entries the last memo held
  };
  // Takes the table of the last dumps() in this thread, emptied by a new generation:
  // dumps of similar size find it the right size, with nothing to allocate, zero or
  // rehash. After a much smaller dump it shrinks, so small dumps keep a small table
  // (their probes stay in cache).
  void adopt(Storage& from) {
    slots_.swap(from.slots);
    gen_ = from.gen;
    count_ = 0;
    size_t fit = 64;
    while (fit < 4 * from.last_count) fit *= 2;
    if (slots_.size() > 4 * fit) slots_.assign(fit, Slot{}), gen_ = 0;
    clear();
  }
  void release(Storage& to) {
    to.last_count = count_;
    to.gen = gen_;
    slots_.swap(to.slots);
    slots_.clear();
  }

 private:
  // Nodes are mostly written in the order they were allocated, so neighbours in
  // memory are looked up one after another. The slot is the address / 8 (neighbours
  // get neighbouring slots: the table is walked as a stream, which the hardware
  // prefetches, instead of one cache miss per node), plus a random-looking offset per
  // 4 MiB of memory, so regions a table size apart do not pile onto the same slots.
  // Measured on the instances and records workloads of docs/performance.md: writing
  // takes about half the time it took with a mixing hash. Nodes laid out to collide
  // must lie a table size (16 bytes per entry, times two) apart, so the probing a
  // graph can cause this way stays in proportion to the memory it occupies.
  static size_t hash(const void* p) {
    auto x = reinterpret_cast<uintptr_t>(p);
    return static_cast<size_t>((x >> 3) + (x >> 22) * 0x9e3779b97f4a7c15ULL);
  }
  PICKLE_COLD void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    uint32_t old_gen = gen_;
    // By four while small, then by two, as CPython's memo table grows.
    size_t size = old.size() < (size_t(1) << 17) ? old.size() * 4 : old.size() * 2;
    slots_.assign(std::max<size_t>(64, size), Slot{});
    gen_ = 1;
    count_ = 0;
    for (size_t k = 0; k < old.size(); ++k) {  // the new slots are prefetched ahead
      if (k + kPrefetch < old.size() && old[k + kPrefetch].gen == old_gen)
        prefetch(old[k + kPrefetch].key);
      if (old[k].gen == old_gen) fill(slot(old[k].key), old[k].key, old[k].index);
    }
  }
  std::vector<Slot> slots_;
  uint32_t gen_ = 1;
  size_t count_ = 0;
};

// The reductions being written, for [NOTE unwritable-cycles]: how deep each is open
// and the progress mark of its last start. As many entries as reductions nested at
// once, so the table stays small and in cache; open addressing, as a node-based map
// would allocate and free a node for every object written.
class OpenTable {
 public:
  struct Entry {
    const void* key = nullptr;
    uint32_t depth = 0;
    uint64_t progress = 0;
  };
  // key's entry, made (depth 0) when absent.
  Entry& get(const void* key) {
    if (2 * (count_ + 1) > slots_.size()) grow();
    Entry& e = slots_[find(key)];
    if (!e.key) {
      e = {key, 0, 0};
      ++count_;
    }
    return e;
  }
  // One level of key closed; the entry goes at depth 0 (backward-shift deletion, so
  // no tombstones).
  void close(const void* key) {
    if (slots_.empty()) return;
    size_t i = find(key);
    if (!slots_[i].key || --slots_[i].depth > 0) return;
    const size_t mask = slots_.size() - 1;
    for (size_t j = (i + 1) & mask; slots_[j].key; j = (j + 1) & mask) {
      size_t home = hash(slots_[j].key) & mask;
      // Move j's entry into the hole at i unless its home lies in (i, j].
      bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!stays) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Entry{};
    --count_;
  }
  void clear() {
    if (count_) std::fill(slots_.begin(), slots_.end(), Entry{});
    count_ = 0;
  }

 private:
  static size_t hash(const void* p) {
    auto x = reinterpret_cast<uintptr_t>(p);
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ULL;
    return static_cast<size_t>(x ^ (x >> 29));
  }
  size_t find(const void* key) const {
    const size_t mask = slots_.size() - 1;
    size_t i = hash(key) & mask;
    while (slots_[i].key && slots_[i].key != key) i = (i + 1) & mask;
    return i;
  }
  PICKLE_COLD void grow() {
    std::vector<Entry> old(std::max<size_t>(16, 2 * slots_.size()));
    old.swap(slots_);
    for (const Entry& e : old)
      if (e.key) slots_[find(e.key)] = e;
  }
  std::vector<Entry> slots_;
  size_t count_ = 0;
};

// [NOTE spare-memory] A dumps() call needs an output buffer and a memo table that
// grow with the pickle, and fresh memory costs a page fault per 4 KiB on its first
// touch: more than all the rest of writing small values, on the machine of
// docs/performance.md. So each thread keeps the buffer and the memo tables of its
// last dumps() for the next one, when they are at most kSpareLimit bytes each.
struct Spares {
  ByteBuffer out;
  IdentityMemo::Storage memo;
};
constexpr size_t kSpareLimit = 32u << 20;
Spares& thread_spares() {
  thread_local Spares spares;
  return spares;
}

}  // namespace

class Encoder {
 public:
  // sink == nullptr: the output stays in the Emitter for take_output() (dumps()).
  Encoder(Sink* sink, DumpOptions options)
      : opt_(std::move(options)), em_(sink, opt_.protocol), proto_(em_.protocol()) {}

  int protocol() const { return proto_; }

  // See [NOTE spare-memory]. Only between dumps.
  void adopt(Spares& s) {
    em_.buffer().swap(s.out);
    memo_.adopt(s.memo);
  }
  void release(Spares& s) {
    if (em_.buffer().capacity() <= kSpareLimit) em_.buffer().swap(s.out);
    memo_.release(s.memo);
    if (s.memo.slots.size() * sizeof(IdentityMemo::Slot) > kSpareLimit)
      s.memo = IdentityMemo::Storage{};
  }

  void clear_memo() {
    memo_.clear();
    named_memo_.clear();
    em_.clear_memo();
    py2_converted_.clear();
    scratch_.clear();
    latin1_ = Value();  // they were scratch nodes
  }

  void dump(Value v) {
    tasks_.clear();
    in_progress_.clear();
    open_.clear();
    size_t memo_before = em_.memo_size();
    try {
      em_.start();
      save(v);
      run();
      em_.stop();
    } catch (...) {
      em_.abandon();
      if (em_.memo_size() != memo_before) {
        // A failed dump leaves no half-written memo behind for the next dump.
        clear_memo();
      }
      throw;
    }
  }

  // dumps(): the bytes written (see [NOTE output-buffer]).
  std::string take_output() { return em_.take_output(); }

 private:
  // ---- memo --------------------------------------------------------------------
  // [NOTE memo-keys] The memo is keyed by node identity. Values CPython keeps as
  // singletons are keyed by value instead, so their identity matches CPython's: a
  // global is one class object; the empty str and one-character latin-1 strs, the
  // empty bytes and one-byte bytes are cached objects; module and class names and
  // the 'latin1' codec name are interned strings. Once such a node was found or
  // memoized by its key, its address also goes in the identity memo, so that the next
  // save of the same node builds no key.
  static bool single_char(std::string_view t) {
    return t.size() <= 1 || (t.size() == 2 && (static_cast<uint8_t>(t[0]) & 0xFE) == 0xC2);
  }
  static bool value_keyed(Value v) {
    switch (v.kind()) {
      case Kind::Global: return true;
      case Kind::Str: return single_char(as<StrNode>(v).text) && !(as<StrNode>(v).flags & kPy2Str);
      case Kind::Bytes:
        return as<BytesNode>(v).data.size() <= 1 && !(as<BytesNode>(v).flags & kPy2Str);
      default: return false;
    }
  }
  std::string value_key(Value v) const {
    switch (v.kind()) {
      case Kind::Global: {
        // Keyed by the names written, so Python 2's `int` and `long` stay two globals.
        std::string_view module, name;
        text_names(as<GlobalNode>(v), proto_, opt_.fix_imports, module, name);
        return std::string("G") + std::string(module) + '\n' + std::string(name);
      }
      case Kind::Str: {
        auto t = as<StrNode>(v).text;
        if (single_char(t) && !(as<StrNode>(v).flags & kPy2Str)) return "S" + std::string(t);
        return {};
      }
      case Kind::Bytes:
        if (as<BytesNode>(v).data.size() <= 1 && !(as<BytesNode>(v).flags & kPy2Str))
          return "B" + std::string(as<BytesNode>(v).data);
        return {};
      default: return {};
    }
  }
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
  void save_interned(char space, std::string_view s) {
    std::string key = std::string(1, space) + std::string(s);
    if (!opt_.fast) {
      auto it = named_memo_.find(key);
      if (it != named_memo_.end()) return em_.get(it->second);
    }
    em_.str(s);
    if (!opt_.fast) named_memo_.emplace(std::move(key), em_.memoize());
  }

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

  void run() {
    while (!tasks_.empty()) {
      Task t = tasks_.back();
      tasks_.pop_back();
      switch (t.kind) {
        case T::save: save(t.v, t.phase != kNoPersistentId); break;
        case T::persid: em_.opcode(Op::binpersid); break;
        case T::tuple: tuple_step(t); break;
        case T::list: list_step(t); break;
        case T::dict: dict_step(t); break;
        case T::set: set_step(t); break;
        case T::frozenset: frozenset_step(t); break;
        case T::reduce: reduce_step(t); break;
        case T::global_path: global_path_step(t); break;
        case T::call: call_step(t); break;
        case T::states: states_step(t); break;
      }
    }
  }

  // [NOTE inline-items] An item of a container is saved from the container's own loop,
  // not through a task of its own: t (already advanced past the item) is pushed as
  // the continuation, then the item saved; when that wrote the item outright (a leaf,
  // a memo GET) and scheduled nothing, the continuation is popped again and the loop
  // goes on. Immediates, strs and (from protocol 3) bytes, which never schedule a
  // task, skip even that. Returns true when tasks were scheduled: the
  // caller returns, and run() resumes it after them.
  bool save_item(const Task& t, Value x) {
    if (!opt_.persistent_id) {
      if (!x.is_node()) {
        em_.boundary();
        save_immediate(x);
        return false;
      }
      if (x.kind() == Kind::Str || (x.kind() == Kind::Bytes && proto_ >= 3)) {
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
    if (memo_.taken(slot)) return em_.get(slot.index);
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
      case Kind::Complex: {
        const auto& c = v.complex();
        return schedule_reduce(v, "builtins", "complex", scratch_.tuple({c.real, c.imag}));
      }
      case Kind::Tuple: return enter(T::tuple, v);
      case Kind::List: return enter(T::list, v);
      case Kind::Dict:
        if (as<DictNode>(v).flags & kOrderedDict) return save_ordered_dict(v);
        return enter(T::dict, v);
      case Kind::Set:
        if (proto_ >= 4) return enter(T::set, v);
        return schedule_reduce(v, "builtins", "set",
                               scratch_.tuple({scratch_.list(as<SetNode>(v).items)}));
      case Kind::FrozenSet:
        if (proto_ >= 4) {
          open(v);
          return enter(T::frozenset, v);
        }
        return schedule_reduce(v, "builtins", "frozenset",
                               scratch_.tuple({scratch_.list(as<SetNode>(v).items)}));
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
  void states_step(Task t) {
    auto states = build_states(t.v);
    if (t.i > 0) em_.opcode(Op::build);
    if (t.i < states.size()) {
      tasks_.push_back({T::states, 0, t.i + 1, t.v, nullptr});
      save(states[t.i]);
    }
  }

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

  // ---- leaves --------------------------------------------------------------------
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
  void save_py2(Value v) {
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

  // The bytes a Python 2 str held: loaded as bytes, or encoded again with the codec
  // that decoded it.
  std::string py2_raw(Value v) {
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

  // A Python 2 str, written back with the opcode family Python 2 used.
  void save_py2_str(Value v) {
    em_.py2_str(py2_raw(v), false);
    memoize(v);
  }

  void save_bytes(Value v) {
    std::string_view d = as<BytesNode>(v).data;
    if (proto_ < 3) {
      if (d.empty()) return schedule_reduce(v, "builtins", "bytes", scratch_.tuple({}));
      // _codecs.encode(text, 'latin1'): text is the bytes read as latin-1.
      // [NOTE latin1-text]
      Value args = scratch_.tuple({scratch_.latin1_str(d), latin1_name()});
      return schedule_reduce(v, "_codecs", "encode", args);
    }
    em_.bytes(d);
    memoize(v);
  }

  // The interned 'latin1' that CPython passes to _codecs.encode.
  Value latin1_name() {
    if (latin1_.kind() != Kind::Str) latin1_ = scratch_.str("latin1");
    return latin1_;
  }

  void save_bytearray(Value v) {
    std::string_view d = as<BytesNode>(v).data;
    if (proto_ < 5) {
      Value args = d.empty() ? scratch_.tuple({}) : scratch_.tuple({scratch_.bytes(d)});
      return schedule_reduce(v, "builtins", "bytearray", args);
    }
    em_.bytearray(d);
    memoize(v);
  }

  void save_buffer(Value v) {
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

  void save_persistent(Value pid) {
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

  // ---- globals ---------------------------------------------------------------------
  // A name as a message quotes it: escaped where not printable (one line).
  static std::string quoted_name(std::string_view name) {
    std::string s;
    append_name_repr(s, name);
    return s;
  }

  void save_global(Value v) {
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
      size_t dot = name.rfind('.');
      Value args = scratch_.tuple(
          {scratch_.global(module, name.substr(0, dot)), scratch_.str(name.substr(dot + 1))});
      return schedule_reduce(v, "builtins", "getattr", args);
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

  void global_path_step(Task t) {
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
  // ---- tuples, lists, dicts, sets ------------------------------------------------
  void tuple_step(Task t) {
    auto items = as<TupleNode>(t.v).items;
    size_t n = items.size();
    if (t.phase == 0) {
      if (n == 0) {
        leave(t.v);
        return em_.empty_tuple();
      }
      if (em_.tuple_marked(n)) em_.opcode(Op::mark);
      t.phase = 1;
    }
    while (t.i < n) {
      Value item = items[t.i];
      ++t.i;
      if (save_item(t, item)) return;
    }
    leave(t.v);
    if (!opt_.fast) {
      if (const uint32_t* i = memo_.find(t.v.node())) {
        // The tuple was written while writing its items: it is recursive. Drop what
        // the items pushed and fetch it from the memo.
        if (!em_.tuple_marked(n)) {
          for (size_t k = 0; k < n; ++k) em_.opcode(Op::pop);
        } else if (proto_ >= 1) {
          em_.opcode(Op::pop_mark);
        } else {
          for (size_t k = 0; k <= n; ++k) em_.opcode(Op::pop);
        }
        return em_.get(*i);
      }
    }
    em_.end_tuple(n);
    memoize(t.v);
  }

  // Items of an exact list, dict or set, in the Emitter's runs (see [NOTE batching]).
  // Returns true while a task was pushed.
  template <class ValueAt>
  bool exact_items(Task& t, size_t count, const BatchForm& form, const ValueAt& value_at) {
    const size_t total = count * form.per;
    for (;;) {
      if (t.i == t.j && !em_.next_exact_run(t, count, form)) return false;
      // A run of immediates (ints, floats, None, bools) is written right here: the
      // commonest items of big lists, and they schedule nothing.
      if (!opt_.persistent_id) {
        for (Value x; t.i < t.j && !(x = value_at(t.i)).is_node(); ++t.i) {
          em_.boundary();
          save_immediate(x);
        }
        if (t.i == t.j) continue;
      }
      if (t.i + kPrefetch < total) {
        if (Node* ahead = value_at(t.i + kPrefetch).node()) memo_.prefetch(ahead);
      }
      Value x = value_at(t.i++);
      if (save_item(t, x)) return true;
    }
  }

  void list_step(Task t) {
    const auto& items = as<ListNode>(t.v).items;
    if (t.phase == 0) {  // the opener
      em_.empty_list();
      memoize(t.v);
      if (items.empty()) return finish(t.v);
      t.phase = BatchCursor::kBatchOpen;
    }
    if (!exact_items(t, items.size(), kListItems, [&](size_t k) { return items[k]; })) finish(t.v);
  }

  void dict_step(Task t) {
    const DictNode& d = as<DictNode>(t.v);
    if (t.phase == 0) {  // the opener
      em_.empty_dict();
      memoize(t.v);
      if (d.entries.empty()) return finish(t.v);
      t.phase = BatchCursor::kBatchOpen;
    }
    if (!exact_items(t, d.entries.size(), kDictItems, [&](size_t k) {
          return k % 2 ? d.entries[k / 2].second : d.entries[k / 2].first;
        }))
      finish(t.v);
  }

  void set_step(Task t) {
    const auto& items = as<SetNode>(t.v).items;
    if (t.phase == 0) {  // the opener
      em_.opcode(Op::empty_set);
      memoize(t.v);
      if (items.empty()) return finish(t.v);
      t.phase = BatchCursor::kBatchOpen;  // sets use MARK ... ADDITEMS even for one item
    }
    if (!exact_items(t, items.size(), kSetItems, [&](size_t k) { return items[k]; })) finish(t.v);
  }

  void frozenset_step(Task t) {
    const auto& items = as<SetNode>(t.v).items;
    if (t.phase == 0) {
      em_.opcode(Op::mark);
      t.phase = 1;
    }
    if (t.i < items.size()) {
      Value item = items[t.i++];
      tasks_.push_back(t);
      return push_save(item);
    }
    leave(t.v);
    close(t.v);
    if (!opt_.fast) {
      if (const uint32_t* i = memo_.find(t.v.node())) {
        em_.opcode(Op::pop_mark);
        return em_.get(*i);
      }
    }
    em_.opcode(Op::frozenset);
    memoize(t.v);
    schedule_states(t.v);  // leave() was called above, before the memo check
  }

  // ---- objects -------------------------------------------------------------------
  // Writes `obj` as callable(*args) through a scratch reduction node.
  void schedule_reduce(Value obj, std::string_view module, std::string_view name, Value args,
                       std::span<const std::pair<Value, Value>> dict_items = {}) {
    ObjectNode* o = scratch_.make<ObjectNode>(scratch_.resource());
    o->callable = scratch_.global(module, name);
    o->args = args;
    o->how = BuildKind::reduce;
    o->dict_items.assign(dict_items.begin(), dict_items.end());
    auto states = build_states(obj);  // see [NOTE container-states]
    o->states.assign(states.begin(), states.end());
    if (opt_.fast && !in_progress_.insert(obj.node()).second)
      throw PicklingError("cannot write a recursive value in fast mode (no memo)");
    open(obj);
    tasks_.push_back({T::reduce, 0, 0, obj, o});
  }

  void save_ordered_dict(Value v) {
    const DictNode& d = as<DictNode>(v);
    schedule_reduce(v, "collections", "OrderedDict", scratch_.tuple({}),
                    std::span(d.entries.data(), d.entries.size()));
  }

  void save_object(Value v) {
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
    // Forms the target protocol lacks become what CPython writes or loads equally.
    // What was built by _reconstructor goes back that way at every protocol: it calls
    // object.__new__, where NEWOBJ would run the class's own __new__ (which may set
    // attributes the original never had).
    bool reconstructed =
        how == BuildKind::newobj && o.args.tuple().items.empty() && (o.flags & kReconstructed);
    if (how == BuildKind::newobj && (proto_ < 2 || reconstructed)) {
      ObjectNode* s = scratch_.make<ObjectNode>(scratch_.resource());
      copy_items(*s, o);
      s->how = BuildKind::reduce;
      // Anything else uses __newobj__, which also builds subclasses of builtins
      // (object.__new__ can't).
      if (reconstructed) {
        s->callable = scratch_.global("copyreg", "_reconstructor");
        s->args = scratch_.tuple({o.callable, scratch_.global("builtins", "object"), nullptr});
      } else {
        s->callable = scratch_.global("copyreg", "__newobj__");
        std::vector<Value> a{o.callable};
        for (Value x : o.args.tuple().items) a.push_back(x);
        s->args = scratch_.tuple(a);
      }
      r = s;
    } else if (how == BuildKind::newobj_ex && proto_ < 4) {
      ObjectNode* s = scratch_.make<ObjectNode>(scratch_.resource());
      copy_items(*s, o);
      s->how = BuildKind::reduce;
      s->callable = scratch_.global("copyreg", "__newobj_ex__");
      s->args = scratch_.tuple({o.callable, o.args, o.kwargs});
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

  static void copy_items(ObjectNode& to, const ObjectNode& from) {
    to.states.assign(from.states.begin(), from.states.end());
    to.list_items.assign(from.list_items.begin(), from.list_items.end());
    to.dict_items.assign(from.dict_items.begin(), from.dict_items.end());
    to.calls = from.calls;
  }

  // Phases: 0 start, 1 after callable/args (write the opcode, memo), 2 list items,
  // 3 dict items, 4 states, 5 discarded calls (state setters).
  void reduce_step(Task t) {
    const ObjectNode& o = *t.o;
    auto again = [&](uint8_t phase, uint32_t i) {
      t.phase = phase;
      t.i = i;
      tasks_.push_back(t);
    };
    // A phase with nothing left to write goes on to the next one in this loop, not
    // through a task of its own.
    auto next = [&](uint8_t phase) {
      t.phase = phase;
      t.i = 0;
      t.j = 0;
    };
    for (;;) switch (t.phase) {
        case 0: {
          again(1, 0);
          // Pushed in reverse: the callable is written first. What would be the last task
          // pushed is saved at once instead, as run() would do next (so below too).
          switch (o.how) {
            case BuildKind::reduce:
            case BuildKind::newobj: push_save(o.args); return save(o.callable);
            case BuildKind::newobj_ex:
              push_save(o.kwargs);
              push_save(o.args);
              return save(o.callable);
            case BuildKind::obj: {
              auto args = o.args.tuple().items;
              for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
              push_save(o.callable);
              em_.opcode(Op::mark);
              return;
            }
            case BuildKind::inst: {
              auto args = o.args.tuple().items;
              for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
              em_.opcode(Op::mark);
              return;
            }
          }
          return;
        }
        case 1: {
          switch (o.how) {
            case BuildKind::reduce: em_.opcode(Op::reduce); break;
            case BuildKind::newobj: em_.opcode(Op::newobj); break;
            case BuildKind::newobj_ex: em_.opcode(Op::newobj_ex); break;
            case BuildKind::obj: em_.opcode(Op::obj); break;
            case BuildKind::inst: {
              std::string_view module, name;
              text_names(*o.callable_global(), proto_, opt_.fix_imports, module, name);
              em_.inst(module, name);
              break;
            }
          }
          if (!opt_.fast) {
            if (const uint32_t* i = memo_find(t.v)) {
              // Written while writing its arguments: recursive. Use the memo's copy,
              // which was written whole, items and state included. CPython writes the
              // items and state a second time here, as its objects reduce afresh; in a
              // graph that would apply them twice on load, so a loaded pickle would not
              // load back the same.
              em_.opcode(Op::pop);
              em_.get(*i);
              close(t.v);
              return;
            } else {
              memoize(t.v);
            }
          }
          next(2);
          continue;
        }
        case 2:
          if (!o.list_items.empty() && iterator_item(t, o.list_items.size(), kListItems)) return;
          next(3);
          continue;
        case 3:
          if (!o.dict_items.empty() && iterator_item(t, o.dict_items.size(), kDictItems)) return;
          next(4);
          continue;
        case 4:
          if (t.i > 0) em_.opcode(Op::build);
          if (t.i < o.states.size()) {
            Value s = o.states[t.i];
            again(4, t.i + 1);
            return save(s);
          }
          next(5);
          continue;
        case 5: {
          size_t n = o.calls.kind() == Kind::List ? o.calls.list().items.size() : 0;
          if (t.i < n) {
            Value call = o.calls.list().items[t.i];
            again(5, t.i + 1);
            if (call.kind() != Kind::Object || call.object().args.kind() != Kind::Tuple)
              throw PicklingError("an object's discarded call must be an object with a tuple");
            tasks_.push_back({T::call, 0, 0, call, nullptr});
            return;
          }
          if (opt_.fast) in_progress_.erase(t.v.node());
          close(t.v);
          return;
        }
      }
  }

  // A call whose result is discarded: callable, the arguments as a tuple neither
  // memoized, REDUCE, POP. CPython writes a state setter so, but with TUPLE2 even at
  // protocols 0 and 1, which lack it; there the tuple is MARK ... TUPLE (and the
  // empty one EMPTY_TUPLE from protocol 1), so the pickle stays of its protocol.
  void call_step(Task t) {
    const ObjectNode& c = t.v.object();
    auto args = c.args.tuple().items;
    bool marked = args.empty() ? proto_ == 0 : args.size() > 3 || proto_ < 2;
    switch (t.phase) {
      case 0: tasks_.push_back({T::call, 1, 0, t.v, nullptr}); return save(c.callable);
      case 1:
        if (marked) em_.opcode(Op::mark);
        tasks_.push_back({T::call, 2, 0, t.v, nullptr});
        for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
        return;
      default:
        if (marked)
          em_.opcode(Op::tuple);
        else if (args.empty())
          em_.opcode(Op::empty_tuple);
        else
          em_.opcode(args.size() == 1 ? Op::tuple1 : args.size() == 2 ? Op::tuple2 : Op::tuple3);
        em_.opcode(Op::reduce);
        em_.opcode(Op::pop);
        return;
    }
  }

  // The next item of a reduction, in the Emitter's runs (see [NOTE batching]). Returns
  // true while a task was pushed.
  bool iterator_item(Task& t, size_t count, const BatchForm& form) {
    if (t.i == t.j && !em_.next_iterator_run(t, count, form)) return false;
    const ObjectNode& o = *t.o;
    size_t k = t.i++;
    Value x = form.per == 1 ? o.list_items[k]
                            : (k % 2 ? o.dict_items[k / 2].second : o.dict_items[k / 2].first);
    tasks_.push_back(t);
    save(x);
    return true;
  }

  DumpOptions opt_;
  Emitter em_;
  int proto_;
  IdentityMemo memo_;
  std::unordered_map<std::string, uint32_t> named_memo_;
  std::unordered_set<const void*> in_progress_;
  ScratchGraph scratch_;  // reductions made while writing; lives as long as the memo
  std::unordered_map<const Node*, Value> py2_converted_;  // see save_py2
  // See [NOTE unwritable-cycles].
  OpenTable open_;
  uint64_t user_memos_ = 0;  // user nodes memoized so far
  Value latin1_;
};

}  // namespace detail

struct Pickler::Impl {
  detail::Encoder encoder;
  Impl(Sink& s, DumpOptions o) : encoder(&s, std::move(o)) {}
};

Pickler::Pickler(Sink& sink, DumpOptions options)
    : impl_(std::make_unique<Impl>(sink, std::move(options))) {}
Pickler::~Pickler() = default;
void Pickler::dump(Value v) {
  impl_->encoder.dump(v);
}
void Pickler::clear_memo() {
  impl_->encoder.clear_memo();
}
int Pickler::protocol() const noexcept {
  return impl_->encoder.protocol();
}

std::string dumps(Value v, const DumpOptions& options) {
  detail::Encoder encoder(nullptr, options);  // the output stays in the Emitter
  struct Reuse {                              // see [NOTE spare-memory]
    detail::Encoder& e;
    explicit Reuse(detail::Encoder& en) : e(en) { e.adopt(detail::thread_spares()); }
    ~Reuse() { e.release(detail::thread_spares()); }
  } reuse(encoder);
  encoder.dump(v);
  return encoder.take_output();
}

void dump(Value v, std::ostream& out, const DumpOptions& options) {
  StreamSink sink(out);
  Pickler p(sink, options);
  p.dump(v);
}

}  // namespace pickle
