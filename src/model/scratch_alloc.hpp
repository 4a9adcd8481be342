// An allocator for the engine's large scratch vectors (the Unpickler's memo and
// stack): big buffers come from the graph block cache of src/model/arena.cpp, so a new
// Unpickler reuses memory an earlier one touched. See [NOTE arena-blocks].
#pragma once

#include <cstddef>
#include <new>

namespace pickle::detail {

/// At least `bytes` bytes, aligned for any node; large requests are served from the
/// block cache.
void* scratch_allocate(size_t bytes);
/// Returns what scratch_allocate gave (the same size).
void scratch_deallocate(void* p, size_t bytes) noexcept;

template <class T>
struct ScratchAllocator {
  using value_type = T;
  ScratchAllocator() = default;
  template <class U>
  ScratchAllocator(const ScratchAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > size_t(-1) / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(scratch_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { scratch_deallocate(p, n * sizeof(T)); }
  friend bool operator==(const ScratchAllocator&, const ScratchAllocator&) { return true; }
};

}  // namespace pickle::detail
