// Memory blocks (from the system, or kept by a MemoryPool) for the Graph's arena, the
// loader's scratch tables and the writer's spares. See [NOTE memory-pool] in
// pickle/pool.hpp.
#pragma once

#include <cstddef>
#include <memory>

#include "pickle/pool.hpp"

namespace pickle::detail {

/// A block: this header, then the memory handed out.
struct Block {
  Block* next;
  size_t size;  ///< bytes, this header included
  bool mapped;  ///< from mmap (large blocks), else from operator new
};
/// Room for the header, a multiple of every node's alignment.
constexpr size_t kBlockHeader = 64;

/// A new block of at least `size` bytes, from the system.
Block* new_block(size_t size);
/// Returns a block to the system.
void free_block(Block* b) noexcept;
/// Whether a block of n bytes should serve a request of `size`: large enough, and not
/// more than about twice as large (a graph's bytes_allocated() counts whole blocks, and
/// a small load must not hold a large block that a big load left behind).
bool block_fits(size_t n, size_t size) noexcept;

/// [NOTE pool-poison] Memory that nobody may use right now (a block kept by a pool, a
/// block a cleared Graph keeps) is poisoned for AddressSanitizer, and unpoisoned when
/// handed out again; no-ops in a build without it.
void poison(void* p, size_t n) noexcept;
void unpoison(void* p, size_t n) noexcept;
/// The memory after a block's header.
inline void poison_block(Block* b) noexcept {
  poison(reinterpret_cast<char*>(b) + kBlockHeader, b->size - kBlockHeader);
}
inline void unpoison_block(Block* b) noexcept {
  unpoison(reinterpret_cast<char*>(b) + kBlockHeader, b->size - kBlockHeader);
}

/// What a pool keeps besides blocks (the writer's spare buffers): owned by the pool
/// while kept, its bytes() counted against the pool's limit.
struct PoolItem {
  enum class Kind : unsigned char { writer_spares };
  explicit PoolItem(Kind k) noexcept : kind(k) {}
  virtual ~PoolItem() = default;
  virtual size_t bytes() const noexcept = 0;
  const Kind kind;
};

/// A pool's internals, for the layers that draw from it (hidden: not part of the API).
struct __attribute__((visibility("hidden"))) PoolAccess {
  /// The smallest fitting block the pool keeps (unpoisoned, `next` null), or nullptr.
  static Block* take_block(MemoryPool& pool, size_t size);
  /// Keeps the chain's blocks while they fit under the limit (poisoned); frees the rest.
  static void give_blocks(MemoryPool& pool, Block* chain) noexcept;
  /// An item of this kind the pool keeps, or nullptr.
  static std::unique_ptr<PoolItem> take_item(MemoryPool& pool, PoolItem::Kind kind);
  /// Keeps the item if it fits under the limit, else destroys it.
  static void give_item(MemoryPool& pool, std::unique_ptr<PoolItem> item) noexcept;
  /// Counts a Graph that uses the pool (a pool destroyed while one is left aborts:
  /// the graph would give its blocks to freed memory).
  static void attach(MemoryPool& pool) noexcept;
  static void detach(MemoryPool& pool) noexcept;
};

}  // namespace pickle::detail
