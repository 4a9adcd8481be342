// Sources: memory spans, memory-mapped files, chunked streams.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "pickle/load.hpp"

namespace pickle {

Source::~Source() = default;

MemorySource::MemorySource(std::span<const uint8_t> data) {
  set_window(data.data(), data.data(), data.data() + data.size(), 0);
}
MemorySource::MemorySource(std::span<const std::byte> data)
    : MemorySource(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size())) {}
MemorySource::MemorySource(std::string_view data)
    : MemorySource(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size())) {}

StreamSource::StreamSource(std::FILE* file) : file_(file) {}
StreamSource::StreamSource(std::istream& stream) : stream_(&stream) {}
StreamSource::~StreamSource() = default;

size_t StreamSource::read_some(uint8_t* into, size_t max) {
  if (file_) return std::fread(into, 1, max, file_);
  stream_->read(reinterpret_cast<char*>(into), static_cast<std::streamsize>(max));
  return static_cast<size_t>(stream_->gcount());
}

bool StreamSource::refill(size_t need) {
  constexpr size_t kChunk = 64 * 1024;
  // Drop consumed bytes, keep the unread tail at the front.
  size_t consumed = static_cast<size_t>(pos_ - begin_);
  size_t have = static_cast<size_t>(end_ - pos_);
  if (consumed > 0 && have > 0) std::memmove(buf_.data(), pos_, have);
  base_ += consumed;
  // Grow only as data arrives: a length prefix never sizes an allocation by itself.
  while (have < need && !eof_) {
    size_t want = std::max(kChunk, std::min(need - have, have + kChunk));
    if (buf_.size() < have + want) buf_.resize(have + want);
    size_t got = read_some(buf_.data() + have, want);
    if (got == 0) eof_ = true;
    have += got;
  }
  set_window(buf_.data(), buf_.data(), buf_.data() + have, base_);
  return have >= need;
}

FileSource::FileSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw std::system_error(EISDIR, std::generic_category(), path);
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      map_ = p;
      map_size_ = static_cast<size_t>(st.st_size);
      ::close(fd);
      auto* b = static_cast<const uint8_t*>(p);
      set_window(b, b, b + map_size_, 0);
      return;
    }
  }
  // Not mappable (a pipe, a special file, an empty file): read it whole.
  uint8_t chunk[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw std::system_error(e, std::generic_category(), path);
    }
    if (n == 0) break;
    copy_.insert(copy_.end(), chunk, chunk + n);
  }
  ::close(fd);
  set_window(copy_.data(), copy_.data(), copy_.data() + copy_.size(), 0);
}

FileSource::~FileSource() {
  if (map_) ::munmap(map_, map_size_);
}

}  // namespace pickle
