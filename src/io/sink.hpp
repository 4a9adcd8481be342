// The growable output buffer that writers fill before a Sink takes the bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "pickle/sink.hpp"

// Slow paths kept out of line, so that the fast paths around them inline.
#if !defined(PICKLE_COLD)
#if defined(__GNUC__)
#define PICKLE_COLD __attribute__((noinline, cold))
#else
#define PICKLE_COLD
#endif
#endif

namespace pickle::detail {

// Asks for transparent huge pages under the 2 MiB-aligned part of [p, p + size): the
// first touch of fresh memory is what costs most in writing a large pickle, and a
// huge page takes one fault where 4 KiB pages take 512 (as the Graph's large blocks).
void advise_huge_pages(void* p, size_t size);

// Growable raw bytes: malloc/realloc, so growing neither zero-fills nor, for large
// blocks, copies.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  void swap(ByteBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(cap_, other.cap_);
  }
  char* data() noexcept { return data_; }
  size_t capacity() const noexcept { return cap_; }
  PICKLE_COLD void grow_to(size_t n) {  // room for at least n bytes
    size_t cap = std::max({n, 2 * cap_, size_t(4096)});
    void* p = std::realloc(data_, cap);
    if (!p) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
    cap_ = cap;
  }

 private:
  char* data_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace pickle::detail
