// The Graph's arena: its memory blocks (from its MemoryPool, or the system), and the
// loader's scratch buffers.
#include <algorithm>
#include <atomic>
#include <limits>
#include <new>

#include "model/pool.hpp"
#include "model/scratch_alloc.hpp"
#include "pickle/value.hpp"

namespace pickle {

// [NOTE arena] Nodes and the vectors inside them live in the graph's blocks: nothing
// is destroyed one by one, the blocks are released at once. Node members that own
// memory use the arena's memory_resource, so skipping their destructors leaks nothing.
// See [NOTE arena-blocks] for where blocks come from and go.
namespace {

using detail::Block;
using detail::kBlockHeader;
using detail::PoolAccess;

constexpr size_t kFirstBlock = size_t(64) << 10;
constexpr size_t kMaxBlock = size_t(4) << 20;  // blocks double up to this size
constexpr size_t kOwnBlock = size_t(1) << 20;  // larger requests get a block of their own

// The smallest fitting block of a list, or nullptr.
Block** best_fit(Block** list, size_t size) {
  Block** best = nullptr;
  for (Block** b = list; *b; b = &(*b)->next) {
    size_t n = (*b)->size;
    if (detail::block_fits(n, size) && (!best || n < (*best)->size)) best = b;
  }
  return best;
}

// Frees a chain of blocks, to the pool when there is one.
void give_back(MemoryPool* pool, Block* chain) noexcept {
  if (pool) return PoolAccess::give_blocks(*pool, chain);
  while (chain) {
    Block* next = chain->next;
    detail::free_block(chain);
    chain = next;
  }
}

}  // namespace

namespace detail {

// Below this, scratch buffers come from operator new; larger ones from the pool's
// blocks when there is a pool, since glibc hands freed memory at the top of its heap
// back to the system.
constexpr size_t kScratchPooled = size_t(16) << 10;

void* scratch_allocate(MemoryPool* pool, size_t bytes) {
  if (!pool || bytes < kScratchPooled) return ::operator new(bytes);
  size_t need = bytes + kBlockHeader;
  Block* b = PoolAccess::take_block(*pool, need);
  if (!b) b = new_block(need);
  return reinterpret_cast<char*>(b) + kBlockHeader;
}

void scratch_deallocate(MemoryPool* pool, void* p, size_t bytes) noexcept {
  if (!pool || bytes < kScratchPooled) return ::operator delete(p);
  auto* b = reinterpret_cast<Block*>(static_cast<char*>(p) - kBlockHeader);
  b->next = nullptr;
  PoolAccess::give_blocks(*pool, b);
}

}  // namespace detail

struct Graph::Arena final : std::pmr::memory_resource {
  Graph* graph;
  MemoryPool* pool;
  Block* used = nullptr;   // blocks in use, the current one first
  Block* spare = nullptr;  // blocks kept by clear() (poisoned, see [NOTE pool-poison])
  size_t next_size = kFirstBlock;

  Arena(Graph* g, MemoryPool* p) noexcept : graph(g), pool(p) {
    if (pool) PoolAccess::attach(*pool);
  }
  ~Arena() override {
    release_to(&spare);
    give_back(pool, spare);
    if (pool) PoolAccess::detach(*pool);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  void* do_allocate(size_t n, size_t a) override { return graph->allocate(n, a); }
  void do_deallocate(void*, size_t, size_t) override {}  // freed all at once
  bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }

  void release_to(Block** list) noexcept {
    while (used) {
      Block* b = used;
      used = b->next;
      detail::poison_block(b);
      b->next = *list;
      *list = b;
    }
    graph->cursor_ = {};
    next_size = kFirstBlock;
  }

  // A block of at least `size` bytes: one this graph kept, one from the pool, or new.
  Block* obtain(size_t size) {
    Block* b = nullptr;
    if (Block** best = best_fit(&spare, size)) {
      b = *best;
      *best = b->next;
      detail::unpoison_block(b);
    } else if (!pool || !(b = PoolAccess::take_block(*pool, size))) {
      b = detail::new_block(size);
    }
    graph->cursor_.in_use += b->size;
    return b;
  }

  void* allocate(size_t n, size_t align) {
    if (n > std::numeric_limits<size_t>::max() / 2) throw std::bad_alloc();
    size_t need = n + align + kBlockHeader;
    if (need > kOwnBlock) {
      // A large payload gets its own block, behind the current one, so that the
      // rest of the current block is still used.
      Block* b = obtain(need);
      if (used) {
        b->next = used->next;
        used->next = b;
      } else {
        b->next = nullptr;
        used = b;
      }
      auto p =
          (reinterpret_cast<uintptr_t>(b) + kBlockHeader + (align - 1)) & ~uintptr_t(align - 1);
      return reinterpret_cast<void*>(p);
    }
    Block* b = obtain(std::max(next_size, need));
    next_size = std::min(next_size * 2, kMaxBlock);
    b->next = used;
    used = b;
    graph->cursor_.cur = reinterpret_cast<char*>(b) + kBlockHeader;
    graph->cursor_.end = reinterpret_cast<char*>(b) + b->size;
    return graph->allocate(n, align);
  }
};

namespace {
uint64_t next_epoch() noexcept {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace

Graph::Graph() : Graph(static_cast<MemoryPool*>(nullptr)) {}
Graph::Graph(MemoryPool& pool) : Graph(&pool) {}
Graph::Graph(MemoryPool* pool) : pool_(pool), epoch_(next_epoch()) {}
Graph::~Graph() = default;

// [NOTE moved-from-graph] A moved-from graph is empty and usable: no arena (its next
// allocation makes one, from the same pool), a new epoch, no nodes.
Graph::Graph(Graph&& o) noexcept
    : cursor_(std::exchange(o.cursor_, {})),
      arena_(std::move(o.arena_)),
      pool_(o.pool_),
      nodes_(std::exchange(o.nodes_, 0)),
      epoch_(std::exchange(o.epoch_, next_epoch())) {
  if (arena_) arena_->graph = this;
}
Graph& Graph::operator=(Graph&& o) noexcept {
  if (this != &o) {
    arena_ = std::move(o.arena_);  // frees this graph's blocks first
    cursor_ = std::exchange(o.cursor_, {});
    pool_ = o.pool_;
    nodes_ = std::exchange(o.nodes_, 0);
    epoch_ = std::exchange(o.epoch_, next_epoch());
    if (arena_) arena_->graph = this;
  }
  return *this;
}

void Graph::clear() {
  if (arena_) arena_->release_to(&arena_->spare);
  nodes_ = 0;
  epoch_ = next_epoch();
}

Graph::Arena& Graph::arena() const {
  if (!arena_) arena_ = std::make_unique<Arena>(const_cast<Graph*>(this), pool_);
  return *arena_;
}

std::pmr::memory_resource* Graph::resource() const {
  return &arena();
}

void* Graph::allocate_slow(size_t size, size_t align) {
  return arena().allocate(size, align);
}

}  // namespace pickle
