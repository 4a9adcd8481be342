// The Graph's arena: memory blocks, the process-wide block cache, scratch buffers.
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <new>
#include <vector>

#include "model/scratch_alloc.hpp"
#include "pickle/value.hpp"

namespace pickle {

// [NOTE arena] Nodes and the vectors inside them live in the graph's blocks: nothing
// is destroyed one by one, the blocks are released at once. Node members that own
// memory use the arena's memory_resource, so skipping their destructors leaks nothing.
// See [NOTE arena-blocks] for where blocks come from and go.
namespace {

struct Block {
  Block* next;
  size_t size;  // bytes, this header included
  bool mapped;  // from mmap (large blocks), else from operator new
};
constexpr size_t kHeader = 64;  // room for the header, a multiple of every node's alignment
constexpr size_t kFirstBlock = size_t(64) << 10;
constexpr size_t kMaxBlock = size_t(4) << 20;  // blocks double up to this size
constexpr size_t kOwnBlock = size_t(1) << 20;  // larger requests get a block of their own
constexpr size_t kMapBlock = size_t(2) << 20;  // blocks this large come from mmap
constexpr size_t kHugePage = size_t(2) << 20;

Block* new_block(size_t size) {
  void* p;
  bool mapped = size >= kMapBlock;
  if (mapped) {
    size = (size + kHugePage - 1) & ~(kHugePage - 1);
    p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    // Fewer page faults for a large block: first touches are the costly part.
    ::madvise(p, size, MADV_HUGEPAGE);
#endif
  } else {
    p = ::operator new(size);
  }
  return new (p) Block{nullptr, size, mapped};
}

void free_block(Block* b) {
  if (b->mapped)
    ::munmap(b, b->size);
  else
    ::operator delete(b);
}

// Whether a block of n bytes should serve a request of `size`: large enough, and not
// more than about twice as large: a graph's bytes_allocated() counts whole blocks, and
// a small load must not count (or hold) a large block that a big load left behind.
bool fits(size_t n, size_t size) {
  return n >= size && n <= 2 * size + kFirstBlock;
}

// The smallest fitting block of a list, or nullptr.
Block** best_fit(Block** list, size_t size) {
  Block** best = nullptr;
  for (Block** b = list; *b; b = &(*b)->next) {
    size_t n = (*b)->size;
    if (fits(n, size) && (!best || n < (*best)->size)) best = b;
  }
  return best;
}

// Freed blocks, kept for the next graphs up to a limit. See [NOTE arena-blocks]. They
// are held in a vector, not linked through each other: a leak checker does not scan
// mmap'd blocks, so a block reachable only from one would look leaked.
class BlockCache {
 public:
  // The smallest fitting block, or nullptr.
  Block* take(size_t size) {
    std::lock_guard lock(mutex_);
    size_t best = blocks_.size();
    for (size_t i = 0; i < blocks_.size(); ++i) {
      size_t n = blocks_[i]->size;
      if (fits(n, size) && (best == blocks_.size() || n < blocks_[best]->size)) best = i;
    }
    if (best == blocks_.size()) return nullptr;
    Block* r = blocks_[best];
    blocks_[best] = blocks_.back();
    blocks_.pop_back();
    bytes_ -= r->size;
    r->next = nullptr;
    return r;
  }
  // Keeps the chain's blocks while they fit under the limit, frees the others.
  void give(Block* chain) noexcept {
    std::lock_guard lock(mutex_);
    while (chain) {
      Block* next = chain->next;
      chain->next = nullptr;
      if (!keep(chain)) free_block(chain);
      chain = next;
    }
  }
  void trim(size_t limit) noexcept {
    std::lock_guard lock(mutex_);
    limit_ = limit;
    while (bytes_ > limit_ && !blocks_.empty()) {
      bytes_ -= blocks_.back()->size;
      free_block(blocks_.back());
      blocks_.pop_back();
    }
  }
  size_t limit() {
    std::lock_guard lock(mutex_);
    return limit_;
  }

 private:
  bool keep(Block* b) noexcept {
    if (bytes_ + b->size > limit_) return false;
    try {
      blocks_.push_back(b);
    } catch (const std::bad_alloc&) {
      return false;
    }
    bytes_ += b->size;
    return true;
  }
  std::mutex mutex_;
  std::vector<Block*> blocks_;
  size_t bytes_ = 0;
  size_t limit_ = size_t(256) << 20;
};

BlockCache& block_cache() {
  // Never destroyed: a graph that is a static object may be destroyed after it.
  static BlockCache* cache = new BlockCache;
  return *cache;
}

}  // namespace

namespace detail {

// Below this, scratch buffers come from operator new; larger ones from the block
// cache, since glibc hands freed memory at the top of its heap back to the system.
constexpr size_t kScratchCached = size_t(16) << 10;

void* scratch_allocate(size_t bytes) {
  if (bytes < kScratchCached) return ::operator new(bytes);
  size_t need = bytes + kHeader;
  Block* b = block_cache().take(need);
  if (!b) b = new_block(need);
  return reinterpret_cast<char*>(b) + kHeader;
}

void scratch_deallocate(void* p, size_t bytes) noexcept {
  if (bytes < kScratchCached) return ::operator delete(p);
  auto* b = reinterpret_cast<Block*>(static_cast<char*>(p) - kHeader);
  b->next = nullptr;
  block_cache().give(b);
}

}  // namespace detail

struct Graph::Arena final : std::pmr::memory_resource {
  detail::ArenaCursor cursor;
  Graph* graph;
  Block* used = nullptr;   // blocks in use, the current one first
  Block* spare = nullptr;  // blocks kept by clear()
  size_t next_size = kFirstBlock;

  explicit Arena(Graph* g) : graph(g) {}
  ~Arena() override {
    release_to(&spare);
    block_cache().give(spare);
  }
  void* do_allocate(size_t n, size_t a) override { return graph->allocate(n, a); }
  void do_deallocate(void*, size_t, size_t) override {}  // freed all at once
  bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }

  void release_to(Block** list) {
    while (used) {
      Block* b = used;
      used = b->next;
      b->next = *list;
      *list = b;
    }
    cursor = {};
    next_size = kFirstBlock;
  }

  // A block of at least `size` bytes: one this graph kept, one from the cache, or new.
  Block* obtain(size_t size) {
    Block* b = nullptr;
    if (Block** best = best_fit(&spare, size)) {
      b = *best;
      *best = b->next;
    } else if (!(b = block_cache().take(size))) {
      b = new_block(size);
    }
    cursor.in_use += b->size;
    return b;
  }

  void* allocate(size_t n, size_t align) {
    if (n > std::numeric_limits<size_t>::max() / 2) throw std::bad_alloc();
    size_t need = n + align + kHeader;
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
      auto p = (reinterpret_cast<uintptr_t>(b) + kHeader + (align - 1)) & ~uintptr_t(align - 1);
      return reinterpret_cast<void*>(p);
    }
    Block* b = obtain(std::max(next_size, need));
    next_size = std::min(next_size * 2, kMaxBlock);
    b->next = used;
    used = b;
    cursor.cur = reinterpret_cast<char*>(b) + kHeader;
    cursor.end = reinterpret_cast<char*>(b) + b->size;
    return graph->allocate(n, align);
  }
};

namespace {
uint64_t next_epoch() noexcept {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace

Graph::Graph()
    : arena_(std::make_unique<Arena>(this)), cursor_(&arena_->cursor), epoch_(next_epoch()) {}
Graph::~Graph() = default;
Graph::Graph(Graph&& o) noexcept
    : arena_(std::move(o.arena_)),
      cursor_(std::exchange(o.cursor_, nullptr)),
      nodes_(std::exchange(o.nodes_, 0)),
      epoch_(std::exchange(o.epoch_, next_epoch())) {
  if (arena_) arena_->graph = this;
}
Graph& Graph::operator=(Graph&& o) noexcept {
  if (this != &o) {
    arena_ = std::move(o.arena_);
    cursor_ = std::exchange(o.cursor_, nullptr);
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
std::pmr::memory_resource* Graph::resource() const noexcept {
  return arena_.get();
}
size_t Graph::cache_limit() noexcept {
  return block_cache().limit();
}
void Graph::set_cache_limit(size_t bytes) noexcept {
  block_cache().trim(bytes);
}

void* Graph::allocate_slow(size_t size, size_t align) {
  if (!arena_) throw UsageError("pickle::Graph used after it was moved from");
  return arena_->allocate(size, align);
}

}  // namespace pickle
