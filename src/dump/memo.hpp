// The Encoder's tables keyed by node identity: the memo (node -> memo index) and the
// reductions being written (see [NOTE unwritable-cycles] in encoder.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/sink.hpp"  // PICKLE_COLD
#include "pickle/value.hpp"

namespace pickle::detail {

constexpr size_t kPrefetch = 8;  // items (and rehashed entries) ahead whose memo slot is prefetched

// Identity memo: node -> memo index, open addressing. [NOTE node-stamp] A node is
// known by its address and its stamp (the epoch of the graph state that made it): a
// node made where a freed one was, after its graph was cleared or destroyed, has another
// stamp, so the entry of the freed one is a miss, and is replaced. Dumps that mix
// graphs, or outlive a graph, without clear_memo() can never write a GET of a node that
// is gone.
class IdentityMemo {
 public:
  struct Slot {
    // The node's address, with the table's generation in the low bits (nodes are
    // 8-byte aligned, pickle/value.hpp): the slot is taken when they are the table's
    // generation. Keeps a slot at 16 bytes with the stamp beside it.
    uintptr_t tag = 0;
    uint32_t index = 0;
    uint32_t stamp = 0;
  };

  const uint32_t* find(const Node* n) const {
    if (slots_.empty()) return nullptr;
    const uintptr_t tag = address(n) | gen_;
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash(address(n)) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.tag == tag) return s.stamp == n->stamp ? &s.index : nullptr;
      if ((s.tag & kGenMask) != gen_) return nullptr;
    }
  }
  void insert(const Node* n, uint32_t index) {
    reserve_one();
    fill(slot(n), n, index);
  }
  // One probe for a lookup and the insertion that may follow: reserve_one(), then
  // slot(n) is the entry for n's address (n's own when taken(), else a freed node's)
  // or the free slot where it goes, valid until the next insertion; fill() takes it.
  void reserve_one() {
    if (2 * (count_ + 1) > slots_.size()) grow();
  }
  bool taken(const Slot& s, const Node* n) const {
    return s.tag == (address(n) | gen_) && s.stamp == n->stamp;
  }
  Slot& slot(const Node* n) { return probe(address(n)); }
  void fill(Slot& s, const Node* n, uint32_t index) { put(s, address(n), n->stamp, index); }
  // Empties the memo in O(1): a new generation frees every slot at once (and every
  // kGenMask generations, the table is wiped so the generation can start again).
  void clear() {
    count_ = 0;
    if (++gen_ > kGenMask) {
      std::fill(slots_.begin(), slots_.end(), Slot{});
      gen_ = 1;
    }
  }
  // Asks for key's first slot to be loaded into the cache (a lookup of it follows).
  void prefetch([[maybe_unused]] const Node* n) const {
#if defined(__GNUC__)
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash(address(n)) & (slots_.size() - 1)]);
#endif
  }

  // The table, handed from one memo to the next (see [NOTE spare-memory]).
  struct Storage {
    std::vector<Slot> slots;
    uintptr_t gen = 1;
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
    if (slots_.size() > 4 * fit || gen_ == 0 || gen_ > kGenMask)
      slots_.assign(fit, Slot{}), gen_ = 0;
    clear();
  }
  void release(Storage& to) {
    to.last_count = count_;
    to.gen = gen_;
    slots_.swap(to.slots);
    slots_.clear();
  }

 private:
  static constexpr uintptr_t kGenMask = 7;
  static uintptr_t address(const Node* n) {
    return reinterpret_cast<uintptr_t>(n);
  }
  // The slot of this address (taken, by a node of any stamp) or the free slot where
  // it goes.
  Slot& probe(uintptr_t a) {
    const uintptr_t tag = a | gen_;
    const size_t mask = slots_.size() - 1;
    size_t i = hash(a) & mask;
    while (slots_[i].tag != tag && (slots_[i].tag & kGenMask) == gen_) i = (i + 1) & mask;
    return slots_[i];
  }
  void put(Slot& s, uintptr_t a, uint32_t stamp, uint32_t index) {
    // A freed node's entry replaced counts as one more: count_ only paces the growth.
    ++count_;
    s = {a | gen_, index, stamp};
  }
  // Nodes are mostly written in the order they were allocated, so neighbours in
  // memory are looked up one after another. The slot is the address / 8 (neighbours
  // get neighbouring slots: the table is walked as a stream, which the hardware
  // prefetches, instead of one cache miss per node), plus a random-looking offset per
  // 4 MiB of memory, so regions a table size apart do not pile onto the same slots.
  // Measured on the instances and records workloads of docs/performance.md: writing
  // takes about half the time it took with a mixing hash. Nodes laid out to collide
  // must lie a table size (16 bytes per entry, times two) apart, so the probing a
  // graph can cause this way stays in proportion to the memory it occupies.
  static size_t hash(uintptr_t x) {
    return static_cast<size_t>((x >> 3) + (x >> 22) * 0x9e3779b97f4a7c15ULL);
  }
  PICKLE_COLD void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const uintptr_t old_gen = gen_;
    // By four while small, then by two, as CPython's memo table grows.
    size_t size = old.size() < (size_t(1) << 17) ? old.size() * 4 : old.size() * 2;
    slots_.assign(std::max<size_t>(64, size), Slot{});
    gen_ = 1;
    count_ = 0;
    for (size_t k = 0; k < old.size(); ++k) {  // the new slots are prefetched ahead
      if (k + kPrefetch < old.size() && (old[k + kPrefetch].tag & kGenMask) == old_gen) {
#if defined(__GNUC__)
        __builtin_prefetch(&slots_[hash(old[k + kPrefetch].tag & ~kGenMask) & (slots_.size() - 1)]);
#endif
      }
      if ((old[k].tag & kGenMask) != old_gen) continue;
      uintptr_t a = old[k].tag & ~kGenMask;
      put(probe(a), a, old[k].stamp, old[k].index);
    }
  }
  std::vector<Slot> slots_;
  uintptr_t gen_ = 1;  // 1..kGenMask
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

}  // namespace pickle::detail
