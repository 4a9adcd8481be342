// An allocator for the engine's large scratch vectors (the Unpickler's memo and
// stack): with a MemoryPool, big buffers come from its blocks (src/model/arena.cpp),
// so a new Unpickler reuses memory an earlier one touched; without one, from
// operator new. See [NOTE memory-pool] in pickle/pool.hpp.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

#include "pickle/pool.hpp"

namespace pickle::detail {

/// At least `bytes` bytes, aligned for any node; with a pool, large requests are
/// served from its blocks.
void* scratch_allocate(MemoryPool* pool, size_t bytes);
/// Returns what scratch_allocate gave (the same pool and size).
void scratch_deallocate(MemoryPool* pool, void* p, size_t bytes) noexcept;

template <class T>
struct ScratchAllocator {
  using value_type = T;
  // A vector moved or swapped takes its memory's pool along.
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  ScratchAllocator() = default;
  explicit ScratchAllocator(MemoryPool* p) noexcept : pool(p) {}
  template <class U>
  ScratchAllocator(const ScratchAllocator<U>& o) noexcept : pool(o.pool) {}
  T* allocate(size_t n) {
    if (n > size_t(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(scratch_allocate(pool, n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { scratch_deallocate(pool, p, n * sizeof(T)); }
  friend bool operator==(const ScratchAllocator& a, const ScratchAllocator& b) {
    return a.pool == b.pool;
  }
  MemoryPool* pool = nullptr;
};

}  // namespace pickle::detail
