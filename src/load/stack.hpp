// The Decoder's stack of items. std::vector's push_back stayed a call per opcode in
// the Decoder's loop (too big to inline there); here a push is a compare, a store and
// an increment, inline, and only growth is out of line. Memory comes from the scratch
// allocator, so a MemoryPool serves it as it serves the memo (scratch_alloc.hpp).
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "model/scratch_alloc.hpp"

namespace pickle::detail {

template <class Item>
class ItemStack {
  static_assert(std::is_trivially_copyable_v<Item> && std::is_trivially_destructible_v<Item>,
                "items are copied with memcpy and never destroyed");

 public:
  ItemStack() = default;
  explicit ItemStack(MemoryPool* pool) noexcept : pool_(pool) {}
  ItemStack(ItemStack&& o) noexcept { take(o); }
  ItemStack& operator=(ItemStack&& o) noexcept {
    if (this != &o) {
      release();
      take(o);
    }
    return *this;
  }
  ~ItemStack() { release(); }

  size_t size() const noexcept { return static_cast<size_t>(end_ - begin_); }
  bool empty() const noexcept { return end_ == begin_; }
  Item* data() noexcept { return begin_; }
  Item& operator[](size_t i) noexcept { return begin_[i]; }
  Item& back() noexcept { return end_[-1]; }

  void push_back(const Item& item) {
    if (end_ == cap_) [[unlikely]]
      grow();
    *end_++ = item;
  }
  void pop_back() noexcept { --end_; }
  /// Drops the items from index n up (n <= size()).
  void truncate(size_t n) noexcept { end_ = begin_ + n; }
  void clear() noexcept { end_ = begin_; }

 private:
  [[gnu::noinline]] void grow() {
    size_t old = size();
    size_t cap = old ? 2 * old : 64;
    auto* fresh = static_cast<Item*>(scratch_allocate(pool_, cap * sizeof(Item)));
    if (old) std::memcpy(static_cast<void*>(fresh), begin_, old * sizeof(Item));
    release();
    begin_ = fresh;
    end_ = fresh + old;
    cap_ = fresh + cap;
  }
  void release() noexcept {
    if (begin_)
      scratch_deallocate(pool_, begin_, static_cast<size_t>(cap_ - begin_) * sizeof(Item));
    begin_ = end_ = cap_ = nullptr;
  }
  void take(ItemStack& o) noexcept {
    pool_ = o.pool_;
    begin_ = std::exchange(o.begin_, nullptr);
    end_ = std::exchange(o.end_, nullptr);
    cap_ = std::exchange(o.cap_, nullptr);
  }

  MemoryPool* pool_ = nullptr;
  Item* begin_ = nullptr;
  Item* end_ = nullptr;
  Item* cap_ = nullptr;
};

}  // namespace pickle::detail
