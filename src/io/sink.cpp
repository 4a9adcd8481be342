// The Sinks of pickle/sink.hpp, and the output buffer's huge-page advice.
#include "io/sink.hpp"

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

#include <cerrno>
#include <cstring>
#include <string>

#include "pickle/error.hpp"

namespace pickle {

Sink::~Sink() = default;

void FileSink::write(const char* data, size_t size) {
  if (size && std::fwrite(data, 1, size, file_) != size)
    throw PicklingError("write failed: " + std::string(std::strerror(errno)));
}
void FileSink::flush() {
  if (std::fflush(file_) != 0)
    throw PicklingError("flush failed: " + std::string(std::strerror(errno)));
}
void StreamSink::write(const char* data, size_t size) {
  out_.write(data, static_cast<std::streamsize>(size));
  if (!out_) throw PicklingError("write to stream failed");
}
void StreamSink::flush() {
  out_.flush();
  if (!out_) throw PicklingError("flush of stream failed");
}

namespace detail {

void advise_huge_pages([[maybe_unused]] void* p, [[maybe_unused]] size_t size) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = uintptr_t(2) << 20;
  auto begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  auto end = (reinterpret_cast<uintptr_t>(p) + size) & ~(kHuge - 1);
  if (begin < end) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

}  // namespace detail
}  // namespace pickle
