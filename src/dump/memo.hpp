// The Encoder's tables keyed by node identity: the memo (node -> memo index) and the
// reductions being written (see [NOTE unwritable-cycles] in encoder.hpp).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/sink.hpp"  // PICKLE_COLD

namespace pickle::detail {

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

}  // namespace pickle::detail
