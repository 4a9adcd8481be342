// Memory blocks from the system, and the MemoryPool that keeps freed ones (and the
// writer's spares) for reuse. See [NOTE memory-pool] in pickle/pool.hpp.
#include "model/pool.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define PICKLE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PICKLE_ASAN 1
#endif
#endif
#ifdef PICKLE_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace pickle {
namespace detail {

namespace {
constexpr size_t kMapBlock = size_t(2) << 20;  // blocks this large come from mmap
// Under AddressSanitizer every block comes from operator new, so that a use after it
// is freed is reported as such (an unmapped block would be a bare SEGV, and a block
// mapped again later no error at all).
#ifdef PICKLE_ASAN
constexpr bool kMapLargeBlocks = false;
#else
constexpr bool kMapLargeBlocks = true;
#endif
constexpr size_t kHugePage = size_t(2) << 20;
constexpr size_t kFirstBlock = size_t(64) << 10;
constexpr size_t kMaxItems = 8;  // writer spares kept: about one per thread that dumps at once
}  // namespace

Block* new_block(size_t size) {
  void* p;
  const bool mapped = kMapLargeBlocks && size >= kMapBlock;
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

void free_block(Block* b) noexcept {
  if (b->mapped)
    ::munmap(b, b->size);
  else
    ::operator delete(b);
}

bool block_fits(size_t n, size_t size) noexcept {
  return n >= size && n <= 2 * size + kFirstBlock;
}

#ifdef PICKLE_ASAN
void poison(void* p, size_t n) noexcept {
  ASAN_POISON_MEMORY_REGION(p, n);
}
void unpoison(void* p, size_t n) noexcept {
  ASAN_UNPOISON_MEMORY_REGION(p, n);
}
#else
void poison(void*, size_t) noexcept {}
void unpoison(void*, size_t) noexcept {}
#endif

}  // namespace detail

using detail::Block;
using detail::PoolItem;

// Blocks are held in a vector, not linked through each other: a leak checker does not
// scan mmap'd blocks, so a block reachable only from one would look leaked.
struct MemoryPool::Impl {
  mutable std::mutex mutex;
  std::vector<Block*> blocks;
  std::vector<std::unique_ptr<PoolItem>> items;
  size_t bytes = 0;  // of blocks and items kept
  size_t limit;
  std::atomic<size_t> users{0};
  explicit Impl(size_t l) : limit(l) {}

  // Frees what is kept beyond the limit; the mutex is held.
  void trim() noexcept {
    while (bytes > limit && !items.empty()) {
      bytes -= items.back()->bytes();
      items.pop_back();
    }
    while (bytes > limit && !blocks.empty()) {
      bytes -= blocks.back()->size;
      detail::free_block(blocks.back());
      blocks.pop_back();
    }
  }
};

MemoryPool::MemoryPool(size_t limit) : impl_(std::make_unique<Impl>(limit)) {}

MemoryPool::~MemoryPool() {
  if (impl_->users.load() != 0) {
    // A graph still using the pool would give its blocks back to freed memory later.
    std::fputs("pickle::MemoryPool destroyed while a Graph still uses it\n", stderr);
    std::abort();
  }
  set_limit(0);
}

size_t MemoryPool::limit() const noexcept {
  std::lock_guard lock(impl_->mutex);
  return impl_->limit;
}
void MemoryPool::set_limit(size_t bytes) noexcept {
  std::lock_guard lock(impl_->mutex);
  impl_->limit = bytes;
  impl_->trim();
}
size_t MemoryPool::bytes_kept() const noexcept {
  std::lock_guard lock(impl_->mutex);
  return impl_->bytes;
}
void MemoryPool::release() noexcept {
  std::lock_guard lock(impl_->mutex);
  size_t limit = impl_->limit;
  impl_->limit = 0;
  impl_->trim();
  impl_->limit = limit;
}

MemoryPool& MemoryPool::shared() {
  // Never destroyed: a graph that is a static object may be destroyed after it.
  static MemoryPool* pool = new MemoryPool;
  return *pool;
}

namespace detail {

Block* PoolAccess::take_block(MemoryPool& pool, size_t size) {
  MemoryPool::Impl& m = *pool.impl_;
  Block* r;
  {
    std::lock_guard lock(m.mutex);
    std::vector<Block*>& blocks = m.blocks;
    size_t best = blocks.size();
    for (size_t i = 0; i < blocks.size(); ++i) {
      size_t n = blocks[i]->size;
      if (block_fits(n, size) && (best == blocks.size() || n < blocks[best]->size)) best = i;
    }
    if (best == blocks.size()) return nullptr;
    r = blocks[best];
    blocks[best] = blocks.back();
    blocks.pop_back();
    m.bytes -= r->size;
  }
  unpoison_block(r);
  r->next = nullptr;
  return r;
}

void PoolAccess::give_blocks(MemoryPool& pool, Block* chain) noexcept {
  MemoryPool::Impl& m = *pool.impl_;
  std::lock_guard lock(m.mutex);
  while (chain) {
    Block* b = chain;
    chain = b->next;
    b->next = nullptr;
    bool kept = false;
    if (m.bytes + b->size <= m.limit) {
      try {
        m.blocks.push_back(b);
        m.bytes += b->size;
        kept = true;
      } catch (const std::bad_alloc&) {
      }
    }
    if (kept)
      poison_block(b);
    else
      free_block(b);
  }
}

std::unique_ptr<PoolItem> PoolAccess::take_item(MemoryPool& pool, PoolItem::Kind kind) {
  MemoryPool::Impl& m = *pool.impl_;
  std::lock_guard lock(m.mutex);
  for (size_t i = m.items.size(); i-- > 0;) {
    if (m.items[i]->kind != kind) continue;
    std::unique_ptr<PoolItem> r = std::move(m.items[i]);
    m.items.erase(m.items.begin() + static_cast<std::ptrdiff_t>(i));
    m.bytes -= r->bytes();
    return r;
  }
  return nullptr;
}

void PoolAccess::give_item(MemoryPool& pool, std::unique_ptr<PoolItem> item) noexcept {
  MemoryPool::Impl& m = *pool.impl_;
  std::unique_lock lock(m.mutex);
  size_t n = item->bytes();
  if (m.items.size() < kMaxItems && m.bytes + n <= m.limit) {
    try {
      m.items.push_back(std::move(item));
      m.bytes += n;
      return;
    } catch (const std::bad_alloc&) {
    }
  }
  lock.unlock();
  item.reset();  // freed outside the lock
}

void PoolAccess::attach(MemoryPool& pool) noexcept {
  pool.impl_->users.fetch_add(1, std::memory_order_relaxed);
}
void PoolAccess::detach(MemoryPool& pool) noexcept {
  pool.impl_->users.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace detail
}  // namespace pickle
