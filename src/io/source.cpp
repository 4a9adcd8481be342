// Sources: memory spans, memory-mapped files, chunked streams.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "io/peek.hpp"
#include "pickle/load.hpp"

namespace pickle {

Source::~Source() = default;

size_t Source::compact(std::vector<uint8_t>& buf) noexcept {
  size_t consumed = static_cast<size_t>(pos_ - begin_);
  size_t have = static_cast<size_t>(end_ - pos_);
  if (consumed > 0 && have > 0) std::memmove(buf.data(), pos_, have);
  base_ += consumed;
  return have;
}

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
  size_t have = compact(buf_);
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

void Source::append_rest(std::vector<uint8_t>& out) {
  while (ensure(1)) {
    std::span<const uint8_t> w = window();
    out.insert(out.end(), w.begin(), w.end());
    consume(w.size());
  }
}

void advise(std::span<const uint8_t> bytes, Access access) noexcept {
  static const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<uintptr_t>(bytes.data());
  uintptr_t end = begin + bytes.size();
  begin = (begin + page - 1) / page * page;  // whole pages only: advice is per page
  end = end / page * page;
  if (begin >= end) return;
  ::madvise(reinterpret_cast<void*>(begin), end - begin,
            access == Access::random ? MADV_RANDOM : MADV_SEQUENTIAL);
}

FileSource::FileSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw OSError(std::error_code(errno, std::generic_category()), path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw OSError(std::error_code(e, std::generic_category()), path);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw OSError(std::error_code(EISDIR, std::generic_category()), path);
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      map_ = p;
      map_size_ = static_cast<size_t>(st.st_size);
      fd_ = fd;
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
      throw OSError(std::error_code(e, std::generic_category()), path);
    }
    if (n == 0) break;
    copy_.insert(copy_.end(), chunk, chunk + n);
  }
  ::close(fd);
  set_window(copy_.data(), copy_.data(), copy_.data() + copy_.size(), 0);
}

FileSource::~FileSource() {
  if (map_) ::munmap(map_, map_size_);
  if (fd_ >= 0) ::close(fd_);
}

// ---------------------------------------------------------------------------
// Containers

// [NOTE container-magic] A magic is claimed only where no pickle can begin with it, or
// where a pickle that did would be absurd:
// - \x1f (gzip), \xfd (xz) and \x78 'x' (zlib) are not opcodes: no pickle starts so.
// - \x93 is STACK_GLOBAL, which pops two items: it cannot be a pickle's first opcode.
// - `BZh1`..`BZh9` is BINBYTES with a length of at least 0x3139685a (825 MB) read
//   from "Zh9" and the next byte (bzip2's block magic starts with '1', its empty
//   stream's end marker with \x17: still 389 MB): a pickle would need that many bytes
//   of payload beginning with bzip2's own block header.
// - `PK\x03\x04`, `PK\x05\x06`, `PK\x07\x08` is PERSID of an id starting with the
//   ASCII control characters \x03\x04 (...): CPython would load it if a newline and a
//   STOP followed, but no pickler writes such an id, while every zip file starts so.
// The check reads one byte more only while the bytes so far are a proper prefix of a
// magic; no such prefix is a whole pickle, so it never waits for bytes that a reader
// of a valid pickle would not wait for (a socket that sends "N." and waits is safe).
namespace {

enum class Sniff { no, more, yes };

Sniff match(std::span<const uint8_t> h, std::string_view magic) {
  size_t n = std::min(h.size(), magic.size());
  if (std::memcmp(h.data(), magic.data(), n) != 0) return Sniff::no;
  return n == magic.size() ? Sniff::yes : Sniff::more;
}

Sniff sniff(std::span<const uint8_t> h, Container& kind) {
  using namespace std::string_view_literals;
  if (h.empty()) return Sniff::more;
  switch (h[0]) {
    case 'P':
      for (std::string_view m : {"PK\x03\x04"sv, "PK\x05\x06"sv, "PK\x07\x08"sv}) {
        Sniff s = match(h, m);
        if (s != Sniff::no) return kind = Container::zip, s;
      }
      return Sniff::no;
    case 0x1f: kind = Container::gzip; return match(h, "\x1f\x8b"sv);
    case 'B': {
      kind = Container::bzip2;
      Sniff s = match(h, "BZh"sv);
      if (s != Sniff::yes) return s;
      if (h.size() < 4) return Sniff::more;
      return h[3] >= '1' && h[3] <= '9' ? Sniff::yes : Sniff::no;
    }
    case 0xfd:
      kind = Container::xz;
      return match(h,
                   "\xfd"
                   "7zXZ\x00"sv);
    case 0x93: kind = Container::npy; return match(h, "\x93NUMPY"sv);
    case 0x78:
      // zlib: CM 8 with a 32 KiB window, no preset dictionary, FCHECK correct.
      kind = Container::zlib;
      if (h.size() < 2) return Sniff::more;
      return (h[1] & 0x20) == 0 && (0x7800u + h[1]) % 31 == 0 ? Sniff::yes : Sniff::no;
    default: return Sniff::no;
  }
}

}  // namespace

Container detect_container(std::span<const uint8_t> head) noexcept {
  Container kind = Container::none;
  return sniff(head, kind) == Sniff::yes ? kind : Container::none;
}

std::string_view container_name(Container kind) noexcept {
  switch (kind) {
    case Container::none: return "not a container";
    case Container::zip: return "a zip archive";
    case Container::gzip: return "gzip-compressed data";
    case Container::bzip2: return "bzip2-compressed data";
    case Container::xz: return "xz-compressed data";
    case Container::zlib: return "zlib-compressed data";
    case Container::npy: return "a numpy .npy file";
    case Container::tar: return "a tar archive";
  }
  return "?";
}

namespace detail {

Container peek_container(Source& source) {
  Container kind = Container::none;
  for (size_t want = 1;; ++want) {
    if (!source.ensure(want)) return Container::none;
    auto w = source.window();
    Sniff s = sniff(w.first(std::min<size_t>(w.size(), 8)), kind);
    if (s == Sniff::no) return Container::none;
    if (s == Sniff::yes) return kind;
    want = std::min<size_t>(w.size(), 8);
  }
}

void refuse_container(Source& source) {
  Container kind = peek_container(source);
  if (kind == Container::none) return;
  std::string detail = "the input is " + std::string(container_name(kind)) + ", not a pickle";
  switch (kind) {
    case Container::zip:
      detail +=
          " (a PyTorch checkpoint or a numpy .npz keeps its pickles as members of the "
          "archive, such as archive/data.pkl: extract the member first)";
      break;
    case Container::gzip:
    case Container::bzip2:
    case Container::xz:
    case Container::zlib: detail += "; decompress it first"; break;
    case Container::npy:
      detail +=
          " (an array with a header; numpy.load reads it, and only an object array "
          "holds a pickle, after the header)";
      break;
    case Container::tar:
    case Container::none: break;
  }
  throw UnpicklingError(ErrorCode::container, source.offset(), std::nullopt, std::move(detail));
}

}  // namespace detail

}  // namespace pickle
