// MemoryPool: freed memory kept for reuse, where the caller asks for it.
//
//   pickle::MemoryPool pool;                        // or pickle::MemoryPool::shared()
//   for (const std::string& message : messages) {
//     pickle::Document doc = pickle::loads(message, {.pool = &pool});
//     handle(doc.root());
//     std::string reply = pickle::dumps(answer(doc.root()), {.pool = &pool});
//   }                                               // each doc's blocks go back to the pool
//
// The pool must outlive every Graph, Unpickler and Pickler that uses it.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <memory>

namespace pickle {

namespace detail {
// The layers that draw from a pool (src/model/pool.hpp); not exported, see
// [NOTE visibility].
struct __attribute__((visibility("hidden"))) PoolAccess;
}  // namespace detail

/// [NOTE memory-pool] Memory a pickle++ object freed, kept for the next one: the blocks
/// of destroyed Graphs, the Unpickler's large scratch tables, and the Pickler's output
/// buffer and memo table. On many machines a first touch of a fresh memory page costs
/// more than loading or dumping the data that fills it, and CPython's allocator keeps
/// freed memory too, so a program that loads or dumps again and again should use one.
///
/// Nothing uses a pool unless asked: a Graph made with one (`Graph g(pool);`), and what
/// loads()/dumps()/Unpickler/Pickler make when their options name one
/// (`LoadOptions::pool`, `DumpOptions::pool`). Without a pool, freed memory goes back
/// to the system at once, so a Value used after its Graph was destroyed is a
/// use-after-free that AddressSanitizer reports. Memory inside a pool is poisoned for
/// AddressSanitizer (in a build with it), so such a use is reported even with a pool, as
/// use-after-poison, until the memory is handed out again.
///
/// A pool keeps at most limit() bytes (256 MiB by default); memory given back beyond it
/// is freed. It is thread-safe: graphs on several threads may share one (taking and
/// giving back memory locks a mutex; a graph takes a block at most once per block it
/// fills). The pool frees everything it holds when destroyed.
class MemoryPool {
 public:
  static constexpr size_t kDefaultLimit = size_t(256) << 20;
  explicit MemoryPool(size_t limit = kDefaultLimit);
  /// Frees what the pool holds. Every Graph, Unpickler and Pickler that uses the pool
  /// must be destroyed first.
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  /// The most bytes the pool keeps.
  size_t limit() const noexcept;
  /// Sets the limit, freeing at once what the pool holds beyond it;
  /// set_limit(0) frees everything and keeps nothing from now on.
  void set_limit(size_t bytes) noexcept;
  /// Bytes the pool holds now (not counting memory handed out).
  size_t bytes_kept() const noexcept;
  /// Frees everything the pool holds now (the limit stays).
  void release() noexcept;

  /// One process-wide pool, for programs that want a single one without passing it
  /// around (the command-line tool uses it). Made on first use and never destroyed,
  /// so that graphs with static storage duration may use it.
  static MemoryPool& shared();

 private:
  friend struct detail::PoolAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pickle
#pragma GCC visibility pop
