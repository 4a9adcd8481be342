// The Pickler: walks a graph with an explicit stack and writes the opcodes CPython's
// C pickler (_pickle, 3.8–3.13) chooses, so the bytes are the same.
#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "model/bigint.hpp"
#include "pickle/dump.hpp"
#include "text/text.hpp"

namespace pickle {

Sink::~Sink() = default;

void FileSink::write(const char* data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size)
    throw PicklingError("write failed: " + std::string(std::strerror(errno)));
}
void FileSink::flush() {
  if (std::fflush(file_) != 0)
    throw PicklingError("flush failed: " + std::string(std::strerror(errno)));
}
void StreamSink::write(const char* data, size_t size) {
  out_.write(data, static_cast<std::streamsize>(size));
  if (!out_) throw PicklingError("write to stream failed");
}
void StreamSink::flush() {
  out_.flush();
  if (!out_) throw PicklingError("flush of stream failed");
}

namespace detail {

// Slow paths kept out of line, so that the fast paths around them inline.
#if defined(__GNUC__)
#define PICKLE_COLD __attribute__((noinline, cold))
#else
#define PICKLE_COLD
#endif

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

// Asks for transparent huge pages under the 2 MiB-aligned part of [p, p + size): the
// first touch of fresh memory is what costs most in writing a large pickle, and a
// huge page takes one fault where 4 KiB pages take 512 (as the Graph's large blocks).
void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] size_t size) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  auto begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  auto end = (reinterpret_cast<uintptr_t>(p) + size) & ~(kHuge - 1);
  if (begin < end) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

// Growable raw bytes: malloc/realloc, so growing neither zero-fills nor, for large
// blocks, copies.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  void swap(ByteBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(cap_, other.cap_);
  }
  char* data() noexcept { return data_; }
  size_t capacity() const noexcept { return cap_; }
  PICKLE_COLD void grow_to(size_t n) {  // room for at least n bytes
    size_t cap = std::max({n, 2 * cap_, size_t(4096)});
    void* p = std::realloc(data_, cap);
    if (!p) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    cap_ = cap;
  }

 private:
  char* data_ = nullptr;
  size_t cap_ = 0;
};

constexpr size_t kFrameSizeTarget = 64 * 1024;  // CPython's _FRAME_SIZE_TARGET
constexpr size_t kFrameSizeMin = 4;             // smaller frames get no FRAME opcode
constexpr size_t kFrameHeader = 9;
constexpr size_t kBatch = 1000;  // CPython's _BATCHSIZE
constexpr size_t kPrefetch = 8;  // items (and rehashed entries) ahead whose memo slot is prefetched

char op(Op o) {
  return static_cast<char>(o);
}

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
  // direct: the output stays in the Encoder for take_output() (dumps).
  Encoder(Sink& sink, DumpOptions options, bool direct = false)
      : sink_(sink), opt_(std::move(options)), direct_(direct) {
    proto_ = opt_.protocol < 0 ? HIGHEST_PROTOCOL : opt_.protocol;
    if (proto_ > HIGHEST_PROTOCOL)
      throw UsageError("pickle protocol must be <= " + std::to_string(HIGHEST_PROTOCOL));
  }

  int protocol() const { return proto_; }

  // See [NOTE spare-memory]. Only between dumps.
  void adopt(Spares& s) {
    out_.swap(s.out);
    memo_.adopt(s.memo);
  }
  void release(Spares& s) {
    if (out_.capacity() <= kSpareLimit) out_.swap(s.out);
    memo_.release(s.memo);
    if (s.memo.slots.size() * sizeof(IdentityMemo::Slot) > kSpareLimit)
      s.memo = IdentityMemo::Storage{};
  }

  void clear_memo() {
    memo_.clear();
    named_memo_.clear();
    memo_count_ = 0;
    py2_converted_.clear();
    scratch_.clear();
    latin1_ = Value();  // they were scratch nodes
  }

  void dump(Value v) {
    len_ = 0;
    deferred_.clear();
    deferred_size_ = 0;
    frame_start_ = npos;
    frame_limit_ = npos;
    tasks_.clear();
    in_progress_.clear();
    open_.clear();
    size_t memo_before = memo_count_;
    try {
      if (proto_ >= 2) {
        put(op(Op::proto));
        put(static_cast<char>(proto_));
      }
      framing_ = proto_ >= 4;
      save(v);
      run();
      put(op(Op::stop));
      commit_frame();
      framing_ = false;
      flush();
      sink_.flush();
    } catch (...) {
      framing_ = false;
      if (memo_count_ != memo_before) {
        // A failed dump leaves no half-written memo behind for the next dump.
        clear_memo();
      }
      throw;
    }
  }

  // dumps(): the bytes written, with the deferred payloads in their places (see
  // [NOTE output-buffer]).
  std::string take_output() {
    std::string result;
    result.reserve(len_ + deferred_size_);
    advise_huge_pages(result.data(), len_ + deferred_size_);
    size_t from = 0;
    for (const Deferred& d : deferred_) {
      result.append(out_.data() + from, d.at - from);
      result.append(d.data);
      from = d.at;
    }
    result.append(out_.data() + from, len_ - from);
    return result;
  }

 private:
  static constexpr size_t npos = size_t(-1);

  // ---- output, framing -------------------------------------------------------
  // [NOTE output-buffer] out_ is raw storage: its first len_ bytes are the output, the
  // rest is room to write into (grown geometrically by realloc, which neither fills
  // nor, for large blocks, copies; each opcode is a capacity check and a few stores).
  // For dumps() (direct_) nothing is flushed: payloads of 64 KiB and more are not
  // copied as they come but recorded in deferred_, and take_output() copies
  // everything once into a string reserved to the final size (on huge pages when
  // large, see advise_huge_pages).
  char* room(size_t n) {
    if (frame_start_ == npos && framing_) [[unlikely]]
      open_frame();
    if (out_.capacity() - len_ < n) [[unlikely]]
      out_.grow_to(len_ + n);
    return out_.data() + len_;
  }
  PICKLE_COLD void open_frame() {
    if (out_.capacity() - len_ < kFrameHeader) out_.grow_to(len_ + kFrameHeader);
    len_ += kFrameHeader;  // filled in by commit_frame
    frame_start_ = len_;
    frame_limit_ = len_ + kFrameSizeTarget;
  }
  void put(char c) {
    *room(1) = c;
    ++len_;
  }
  void put(std::string_view s) {
    if (s.empty()) return;  // an empty view may have no data pointer for memcpy
    std::memcpy(room(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  static void store_le(char* p, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  // An opcode and its n-byte little-endian argument.
  void put_op_le(Op o, uint64_t v, int n) {
    char* p = room(9);
    p[0] = op(o);
    store_le(p + 1, v, n);
    len_ += 1 + static_cast<size_t>(n);
  }
  void put_op_byte(Op o, uint8_t b) {
    char* p = room(2);
    p[0] = op(o);
    p[1] = static_cast<char>(b);
    len_ += 2;
  }
  void commit_frame() {
    if (frame_start_ == npos) return;
    size_t len = len_ - frame_start_;
    size_t header = frame_start_ - kFrameHeader;
    if (len >= kFrameSizeMin) {
      out_.data()[header] = op(Op::frame);
      store_le(out_.data() + header + 1, len, 8);
    } else {
      std::memmove(out_.data() + header, out_.data() + frame_start_, len);
      len_ -= kFrameHeader;
    }
    frame_start_ = npos;
    frame_limit_ = npos;
    if (len_ >= (1u << 20)) flush();
  }
  void flush() {
    if (frame_start_ != npos || direct_) return;  // an open frame's header is not final yet
    sink_.write(out_.data(), len_);
    len_ = 0;
  }
  // Header and payload of a large str/bytes: outside any frame, and written straight
  // to the sink to avoid a copy (as CPython does for 64 KiB and more). `stable`: the
  // payload outlives dump() (it is in a graph), so dumps() may place it at the end.
  void put_payload(std::string_view header, std::string_view payload, bool stable = true) {
    if (payload.size() >= kFrameSizeTarget) {
      commit_frame();
      flush();
      bool was_framing = std::exchange(framing_, false);
      put(header);
      framing_ = was_framing;
      if (direct_ && stable) {
        deferred_.push_back({len_, payload});
        deferred_size_ += payload.size();
        return;
      }
      if (direct_) return put_unframed(payload);
      flush();
      sink_.write(payload.data(), payload.size());
      return;
    }
    char* p = room(header.size() + payload.size());
    std::memcpy(p, header.data(), header.size());
    if (!payload.empty()) std::memcpy(p + header.size(), payload.data(), payload.size());
    len_ += header.size() + payload.size();
  }
  void put_unframed(std::string_view s) {
    bool was_framing = std::exchange(framing_, false);
    put(s);
    framing_ = was_framing;
  }

  // ---- memo --------------------------------------------------------------------
  void put_index(Op binary_small, Op binary_large, Op text, uint64_t i) {
    if (proto_ >= 1) {
      if (i < 256)
        put_op_byte(binary_small, static_cast<uint8_t>(i));
      else
        put_op_le(binary_large, i, 4);
    } else {
      put(op(text));
      put(std::to_string(i));
      put('\n');
    }
  }
  void write_get(uint32_t i) { put_index(Op::binget, Op::long_binget, Op::get, i); }
  uint32_t memoize_write() {
    uint32_t i = memo_count_++;
    if (proto_ >= 4)
      put(op(Op::memoize));
    else
      put_index(Op::binput, Op::long_binput, Op::put, i);
    return i;
  }
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
    uint32_t i = memoize_write();
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
      if (it != named_memo_.end()) return write_get(it->second);
    }
    write_str_opcode(s);
    if (!opt_.fast) named_memo_.emplace(std::move(key), memoize_write());
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
  struct Task {
    T kind;
    uint8_t phase = 0;
    uint32_t i = 0;                 // items (or values) written so far
    Value v;                        // the value whose opcodes this task writes
    const ObjectNode* o = nullptr;  // reduce: the reduction (maybe a scratch node)
    uint32_t j = 0;                 // batches: where the current batch ends
  };
  std::vector<Task> tasks_;

  void push_save(Value v) { tasks_.push_back({T::save, 0, 0, v, nullptr}); }

  void run() {
    while (!tasks_.empty()) {
      Task t = tasks_.back();
      tasks_.pop_back();
      switch (t.kind) {
        case T::save: save(t.v, t.phase != kNoPersistentId); break;
        case T::persid: put(op(Op::binpersid)); break;
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
        if (len_ >= frame_limit_) commit_frame();
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
          if (len_ >= frame_limit_) commit_frame();
          write_get(*i);
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
      case Kind::None: return put(op(Op::none));
      case Kind::Bool:
        if (proto_ >= 2) return put(op(v.raw_int() ? Op::newtrue : Op::newfalse));
        return put(v.raw_int() ? "I01\n" : "I00\n");
      case Kind::Int: return save_int(v);
      case Kind::Float: return save_float(v.raw_float());
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
    if (memo_.taken(slot)) return write_get(slot.index);
    // Checked and written before the memo takes it, so a failure leaves no entry.
    if (v.kind() == Kind::Str)
      write_str_opcode(checked_text(as<StrNode>(v).text));
    else
      write_bytes_opcode(as<BytesNode>(v).data);
    if (!(v.node()->flags & kWriterScratch)) ++user_memos_;
    memo_.fill(slot, v.node(), memoize_write());  // writing leaves the memo as it was
  }

  // Saves v: writes it now when it is a leaf, or schedules a task.
  void save(Value v, bool ask_persistent_id = true) {
    if (len_ >= frame_limit_) commit_frame();
    if (ask_persistent_id && opt_.persistent_id) {
      if (std::optional<Value> pid = opt_.persistent_id(v)) return save_persistent(*pid);
    }
    // Big ints are nodes, but never memoized (CPython does not memoize ints).
    if (v.is_node() && !opt_.fast && v.kind() != Kind::Int) {
      if (plain_text(v)) return save_plain_text(v);
      if (const uint32_t* i = memo_find(v)) return write_get(*i);
    }
    switch (v.kind()) {
      case Kind::None:
      case Kind::Bool:
      case Kind::Float: return save_immediate(v);
      case Kind::Int: return save_int(v);
      case Kind::Str:
        if (as<StrNode>(v).flags & kPy2Str) return save_py2(v);
        write_str_opcode(checked_text(as<StrNode>(v).text));
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
    if (t.i > 0) put(op(Op::build));
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
    if (!v.is_bigint()) {
      int64_t x = v.raw_int();
      if (proto_ >= 1) {
        if (x >= 0 && x <= 0xff) return put_op_byte(Op::binint1, static_cast<uint8_t>(x));
        if (x >= 0 && x <= 0xffff) return put_op_le(Op::binint2, static_cast<uint64_t>(x), 2);
        if (x >= INT32_MIN && x <= INT32_MAX)
          return put_op_le(Op::binint, static_cast<uint32_t>(static_cast<int32_t>(x)), 4);
      }
      if (proto_ >= 2) {
        // LONG1: two's complement, little-endian, without redundant sign bytes; the
        // bytes needed are the significant bits and a sign bit, rounded up.
        int n = (64 - __builtin_clrsbll(x) + 7) / 8;
        char* p = room(10);
        p[0] = op(Op::long1);
        p[1] = static_cast<char>(n);
        store_le(p + 2, static_cast<uint64_t>(x), 8);
        len_ += 2 + static_cast<size_t>(n);
        return;
      }
      if (x >= INT32_MIN && x <= INT32_MAX) {
        put(op(Op::int_));
        put(std::to_string(x));
        return put('\n');
      }
      put(op(Op::long_));
      put(std::to_string(x));
      return put("L\n");
    }
    auto bytes = v.bigint().bytes;
    if (proto_ >= 2) return save_long_bytes(bytes);
    put(op(Op::long_));
    put(twos_to_decimal(bytes));
    put("L\n");
  }
  void save_long_bytes(std::span<const uint8_t> bytes) {
    if (bytes.size() < 256) {
      put_op_byte(Op::long1, static_cast<uint8_t>(bytes.size()));
    } else {
      if (bytes.size() > INT32_MAX) throw PicklingError("int too large to pickle");
      put_op_le(Op::long4, bytes.size(), 4);
    }
    put(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

  void save_float(double d) {
    if (proto_ >= 1) {
      uint64_t bits = std::bit_cast<uint64_t>(d);
      char* p = room(9);
      p[0] = op(Op::binfloat);
      for (int i = 0; i < 8; ++i) p[1 + i] = static_cast<char>((bits >> (8 * (7 - i))) & 0xff);
      len_ += 9;
      return;
    }
    std::string s;
    append_float_repr(s, d);
    put(op(Op::float_));
    put(s);
    put('\n');
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

  // The opcode CPython chooses for a str at this protocol (no memo).
  void write_str_opcode(std::string_view utf8) {
    if (proto_ >= 1) {
      size_t n = utf8.size();
      char h[9];
      if (n <= 0xff && proto_ >= 4) {
        h[0] = op(Op::short_binunicode);
        h[1] = static_cast<char>(n);
        return put_payload(std::string_view(h, 2), utf8);
      }
      if (n > 0xffffffffu) {
        if (proto_ < 4) throw PicklingError("str longer than 4 GiB needs protocol 4");
        h[0] = op(Op::binunicode8);
        for (int i = 0; i < 8; ++i) h[1 + i] = static_cast<char>((uint64_t(n) >> (8 * i)) & 0xff);
        return put_payload(std::string_view(h, 9), utf8);
      }
      h[0] = op(Op::binunicode);
      for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((uint64_t(n) >> (8 * i)) & 0xff);
      return put_payload(std::string_view(h, 5), utf8);
    }
    // Protocol 0: raw-unicode-escape, with \, NUL, \n, \r and ^Z escaped too.
    std::string s;
    s.reserve(utf8.size() + 2);
    s.push_back(op(Op::unicode_));
    static const char kHex[] = "0123456789abcdef";
    for (size_t i = 0; i < utf8.size();) {
      auto c = static_cast<uint8_t>(utf8[i]);
      uint32_t cp;
      int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      cp = len == 1 ? c : len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
      for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(utf8[i + k]) & 0x3Fu);
      i += static_cast<size_t>(len);
      if (cp >= 0x100 || cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a) {
        int digits = cp >= 0x10000 ? 8 : 4;
        s += digits == 8 ? "\\U" : "\\u";
        for (int k = digits - 1; k >= 0; --k) s.push_back(kHex[(cp >> (4 * k)) & 15]);
      } else {
        s.push_back(static_cast<char>(cp));
      }
    }
    s.push_back('\n');
    put(s);
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
    std::string raw = py2_raw(v);
    if (proto_ >= 1) {
      if (raw.size() < 256) {
        char h[2] = {op(Op::short_binstring), static_cast<char>(raw.size())};
        put_payload(std::string_view(h, 2), raw, false);
      } else {
        if (raw.size() > INT32_MAX) throw PicklingError("Python 2 str too large");
        char h[5] = {op(Op::binstring)};
        for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((raw.size() >> (8 * i)) & 0xff);
        put_payload(std::string_view(h, 5), raw, false);
      }
    } else {
      std::string s(1, op(Op::string));
      append_py2_str_repr(s, raw);
      s.push_back('\n');
      put(s);
    }
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
    write_bytes_opcode(d);
    memoize(v);
  }

  // SHORT_BINBYTES / BINBYTES / BINBYTES8 as CPython chooses (protocol 3+, no memo).
  void write_bytes_opcode(std::string_view d) {
    size_t n = d.size();
    char h[9];
    if (n <= 0xff) {
      h[0] = op(Op::short_binbytes);
      h[1] = static_cast<char>(n);
      put_payload(std::string_view(h, 2), d);
    } else if (n > 0xffffffffu) {
      if (proto_ < 4) throw PicklingError("bytes longer than 4 GiB need protocol 4");
      h[0] = op(Op::binbytes8);
      for (int i = 0; i < 8; ++i) h[1 + i] = static_cast<char>((uint64_t(n) >> (8 * i)) & 0xff);
      put_payload(std::string_view(h, 9), d);
    } else {
      h[0] = op(Op::binbytes);
      for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((uint64_t(n) >> (8 * i)) & 0xff);
      put_payload(std::string_view(h, 5), d);
    }
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
    write_bytearray_opcode(d);
    memoize(v);
  }

  void write_bytearray_opcode(std::string_view d) {
    char h[9] = {op(Op::bytearray8)};
    for (int i = 0; i < 8; ++i)
      h[1 + i] = static_cast<char>((uint64_t(d.size()) >> (8 * i)) & 0xff);
    put_payload(std::string_view(h, 9), d);
  }

  void save_buffer(Value v) {
    if (proto_ < 5) throw PicklingError("a buffer can only be written with protocol 5 or higher");
    const BufferNode& b = v.buffer();
    bool in_band = true;
    if (opt_.buffer_callback) in_band = opt_.buffer_callback(v);
    if (!in_band) {
      put(op(Op::next_buffer));
      if (b.readonly()) put(op(Op::readonly_buffer));
      return;
    }
    // In-band: the data as bytes (read-only) or bytearray, and the buffer itself is
    // memoized, as the C pickler does (a second reference is a GET).
    std::string_view d(reinterpret_cast<const char*>(b.data.data()), b.data.size());
    if (b.readonly())
      write_bytes_opcode(d);
    else
      write_bytearray_opcode(d);
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
    std::string_view s = py2_bytes ? pid.bytes().data : pid.str().text;
    for (char c : s)
      if (static_cast<uint8_t>(c) >= 0x80 || c == '\n')
        throw PicklingError("persistent IDs in protocol 0 must be ASCII strings");
    put(op(Op::persid));
    put(s);
    put('\n');
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
        uint32_t c = static_cast<uint32_t>(*code);
        if (c <= 0xff)
          put_op_byte(Op::ext1, static_cast<uint8_t>(c));
        else if (c <= 0xffff)
          put_op_le(Op::ext2, c, 2);
        else
          put_op_le(Op::ext4, c, 4);
        return;
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
      put(op(Op::stack_global));
      return memoize(v);
    }
    if (dotted_path(name)) {
      // getattr(getattr(module.first, attr1), attr2)..., as CPython 3.13 writes
      // dotted names below protocol 4.
      tasks_.push_back({T::global_path, 0, 0, v, nullptr});
      return;
    }
    text_names(g, proto_, opt_.fix_imports, module, name);
    write_global_line(module, name);
    memoize(v);
  }

  // One GLOBAL opcode; module and name are already as they are to be written.
  void write_global_line(std::string_view module, std::string_view name) {
    if (module.find('\n') != std::string_view::npos || name.find('\n') != std::string_view::npos)
      throw PicklingError("a global name with a newline needs protocol 4 or higher");
    if (proto_ < 3) {
      for (std::string_view s : {module, name})
        for (char c : s)
          if (static_cast<uint8_t>(c) >= 0x80)
            throw PicklingError("non-ASCII global name '" + quoted_name(s) +
                                "' needs protocol 3 or higher");
    }
    // A GLOBAL line is strict UTF-8: a lone surrogate (kept in a str as its 3-byte
    // form, ED A0..BF xx) cannot be written there, as CPython cannot encode it either.
    for (std::string_view s : {module, name})
      for (size_t i = 0; i + 1 < s.size(); ++i)
        if (static_cast<uint8_t>(s[i]) == 0xED && static_cast<uint8_t>(s[i + 1]) >= 0xA0)
          throw PicklingError("a global name with a lone surrogate needs protocol 4 or higher");
    put(op(Op::global));
    put(module);
    put('\n');
    put(name);
    put('\n');
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
        if (proto_ < 2) put(op(Op::mark));
        return;
      }
      std::string_view module = g.module, first = parts[0];
      if (proto_ < 3 && opt_.fix_imports) reverse_fix_import(module, first);
      write_global_line(module, first);
      t.phase = 1;
      t.i = 0;
    }
    if (t.i > 0) {
      put(op(proto_ < 2 ? Op::tuple : Op::tuple2));
      put(op(Op::reduce));
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
        return put(proto_ >= 1 ? std::string_view(")") : std::string_view("(t"));
      }
      if (!(n <= 3 && proto_ >= 2)) put(op(Op::mark));
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
        if (n <= 3 && proto_ >= 2) {
          for (size_t k = 0; k < n; ++k) put(op(Op::pop));
        } else if (proto_ >= 1) {
          put(op(Op::pop_mark));
        } else {
          for (size_t k = 0; k <= n; ++k) put(op(Op::pop));
        }
        return write_get(*i);
      }
    }
    if (n <= 3 && proto_ >= 2)
      put(static_cast<char>(static_cast<uint8_t>(Op::tuple1) + n - 1));
    else
      put(op(Op::tuple));
    memoize(t.v);
  }

  // [NOTE batching] CPython batches items by 1000 in two ways. Exact lists, dicts
  // and sets (batch_list_exact, batch_dict_exact, save_set): a lone list or dict item
  // gets APPEND/SETITEM, otherwise every batch is MARK ... APPENDS/SETITEMS/ADDITEMS,
  // and after a full batch of a dict or set another batch starts even when nothing
  // is left. Items of a reduction (an iterator): a batch of one gets APPEND/SETITEM,
  // and no empty batch is written. `per` is 1 for items, 2 for key/value pairs.
  enum : uint8_t { kStart, kOpen, kBatchStart, kBatchItem, kOneItem, kOneDone, kDone };

  // Exact-container batching. Returns true while a task was pushed.
  template <class ValueAt>
  bool exact_batches(Task& t, size_t count, size_t per, Op many, Op one, bool empty_after_full,
                     const ValueAt& value_at) {
    const size_t total = count * per, full = kBatch * per;
    for (;;) {
      switch (t.phase) {
        case kOpen: t.phase = (proto_ == 0 || count == 1) ? kOneItem : kBatchStart; continue;
        case kOneItem:  // key [, value], then the single-item opcode
          if (t.i > 0 && t.i % per == 0) put(op(one));
          if (t.i == total) return false;
          break;
        case kBatchStart:
          put(op(Op::mark));
          t.j = static_cast<uint32_t>(std::min(total, t.i + full));
          t.phase = kBatchItem;
          continue;
        case kBatchItem:
          if (t.i < t.j) {
            // A run of immediates (ints, floats, None, bools) is written right here:
            // the commonest items of big lists, and they schedule nothing.
            if (!opt_.persistent_id) {
              for (Value x; t.i < t.j && !(x = value_at(t.i)).is_node(); ++t.i) {
                if (len_ >= frame_limit_) commit_frame();
                save_immediate(x);
              }
              if (t.i == t.j) continue;
            }
            break;
          }
          put(op(many));
          if (t.i < total) {
            t.phase = kBatchStart;
            continue;
          }
          if (empty_after_full && t.j % full == 0) {
            put(op(Op::mark));  // the trailing empty batch
            put(op(many));
          }
          return false;
        default: return false;
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
    if (t.phase == kStart) {
      put(proto_ >= 1 ? std::string_view("]") : std::string_view("(l"));
      memoize(t.v);
      if (items.empty()) return finish(t.v);
      t.phase = kOpen;
    }
    if (!exact_batches(t, items.size(), 1, Op::appends, Op::append, false,
                       [&](size_t k) { return items[k]; }))
      finish(t.v);
  }

  void dict_step(Task t) {
    const DictNode& d = as<DictNode>(t.v);
    if (t.phase == kStart) {
      put(proto_ >= 1 ? std::string_view("}") : std::string_view("(d"));
      memoize(t.v);
      if (d.entries.empty()) return finish(t.v);
      t.phase = kOpen;
    }
    if (!exact_batches(t, d.entries.size(), 2, Op::setitems, Op::setitem, true, [&](size_t k) {
          return k % 2 ? d.entries[k / 2].second : d.entries[k / 2].first;
        }))
      finish(t.v);
  }

  void set_step(Task t) {
    const auto& items = as<SetNode>(t.v).items;
    if (t.phase == kStart) {
      put(op(Op::empty_set));
      memoize(t.v);
      if (items.empty()) return finish(t.v);
      t.phase = kBatchStart;  // sets always use MARK ... ADDITEMS, even for one item
    }
    if (!exact_batches(t, items.size(), 1, Op::additems, Op::additems, true,
                       [&](size_t k) { return items[k]; }))
      finish(t.v);
  }

  void frozenset_step(Task t) {
    const auto& items = as<SetNode>(t.v).items;
    if (t.phase == 0) {
      put(op(Op::mark));
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
        put(op(Op::pop_mark));
        return write_get(*i);
      }
    }
    put(op(Op::frozenset));
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
              put(op(Op::mark));
              return;
            }
            case BuildKind::inst: {
              auto args = o.args.tuple().items;
              for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
              put(op(Op::mark));
              return;
            }
          }
          return;
        }
        case 1: {
          switch (o.how) {
            case BuildKind::reduce: put(op(Op::reduce)); break;
            case BuildKind::newobj: put(op(Op::newobj)); break;
            case BuildKind::newobj_ex: put(op(Op::newobj_ex)); break;
            case BuildKind::obj: put(op(Op::obj)); break;
            case BuildKind::inst: {
              std::string_view module, name;
              text_names(*o.callable_global(), proto_, opt_.fix_imports, module, name);
              put(op(Op::inst));
              put(module);
              put('\n');
              put(name);
              put('\n');
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
              put(op(Op::pop));
              write_get(*i);
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
          if (!o.list_items.empty() &&
              iterator_batches(t, o.list_items.size(), 1, Op::appends, Op::append))
            return;
          next(3);
          continue;
        case 3:
          if (!o.dict_items.empty() &&
              iterator_batches(t, o.dict_items.size(), 2, Op::setitems, Op::setitem))
            return;
          next(4);
          continue;
        case 4:
          if (t.i > 0) put(op(Op::build));
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
        if (marked) put(op(Op::mark));
        tasks_.push_back({T::call, 2, 0, t.v, nullptr});
        for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
        return;
      default:
        if (marked)
          put(op(Op::tuple));
        else if (args.empty())
          put(op(Op::empty_tuple));
        else
          put(op(args.size() == 1 ? Op::tuple1 : args.size() == 2 ? Op::tuple2 : Op::tuple3));
        put(op(Op::reduce));
        put(op(Op::pop));
        return;
    }
  }

  // Items of a reduction, batched as CPython batches an iterator (see [NOTE
  // batching]). Returns true while a task was pushed.
  bool iterator_batches(Task& t, size_t count, size_t per, Op many, Op one) {
    const ObjectNode& o = *t.o;
    size_t total = count * per;
    if (proto_ == 0) {  // no MARK-based opcodes: one item at a time
      if (t.i > 0 && t.i % per == 0) put(op(one));
      if (t.i == total) return false;
      t.j = static_cast<uint32_t>(t.i + per);
    } else if (t.j == 0 || t.i == t.j) {
      if (t.j != 0) put(op(t.j - (t.j - 1) / (kBatch * per) * (kBatch * per) > per ? many : one));
      if (t.i == total) return false;
      size_t len = std::min(kBatch * per, total - t.i);
      if (len > per) put(op(Op::mark));
      t.j = static_cast<uint32_t>(t.i + len);
    }
    size_t k = t.i++;
    Value x = per == 1 ? o.list_items[k]
                       : (k % 2 ? o.dict_items[k / 2].second : o.dict_items[k / 2].first);
    tasks_.push_back(t);
    save(x);
    return true;
  }

  Sink& sink_;
  DumpOptions opt_;
  int proto_ = DEFAULT_PROTOCOL;
  bool direct_ = false;  // see [NOTE output-buffer]
  ByteBuffer out_;
  size_t len_ = 0;
  struct Deferred {
    size_t at;  // where in out_'s bytes the payload goes
    std::string_view data;
  };
  std::vector<Deferred> deferred_;
  size_t deferred_size_ = 0;
  size_t frame_start_ = npos;
  size_t frame_limit_ = npos;  // commit the open frame once len_ reaches this
  bool framing_ = false;
  IdentityMemo memo_;
  std::unordered_map<std::string, uint32_t> named_memo_;
  uint32_t memo_count_ = 0;
  std::unordered_set<const void*> in_progress_;
  ScratchGraph scratch_;  // reductions made while writing; lives as long as the memo
  std::unordered_map<const Node*, Value> py2_converted_;  // see save_py2
  // See [NOTE unwritable-cycles].
  OpenTable open_;
  uint64_t user_memos_ = 0;  // user nodes memoized so far
  Value latin1_;
};

}  // namespace detail

#undef PICKLE_COLD

struct Pickler::Impl {
  detail::Encoder encoder;
  Impl(Sink& s, DumpOptions o) : encoder(s, std::move(o)) {}
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
  StringSink unused;  // the output stays in the encoder's buffer
  detail::Encoder encoder(unused, options, true);
  struct Reuse {  // see [NOTE spare-memory]
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
