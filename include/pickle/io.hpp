// The io layer: where bytes come from. A Source is a contiguous span (MemorySource), a
// memory-mapped file (FileSource) or a buffered stream (StreamSource); containers
// (zip, compressed streams, .npy) are recognised by their first bytes.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <istream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/detail/lifetime.hpp"

namespace pickle {

// ---------------------------------------------------------------------------
// Sources

/// Where the Unpickler reads bytes from. A source exposes a window of contiguous
/// bytes; refill() makes more available. Implementations: MemorySource (a span, no
/// copy), FileSource (memory-mapped, or read whole when mapping fails), StreamSource
/// (a std::istream or FILE*, read in chunks).
class Source {
 public:
  virtual ~Source();
  /// Bytes available now, from the current position.
  std::span<const uint8_t> window() const noexcept { return {pos_, end_}; }
  /// Absolute offset of window().data() in the input.
  uint64_t offset() const noexcept { return base_ + static_cast<uint64_t>(pos_ - begin_); }
  /// Marks n bytes of the window as consumed.
  void consume(size_t n) noexcept { pos_ += n; }
  /// Tries to make at least `need` bytes available; false if the input ends first.
  /// Never allocates more than the bytes actually read plus one chunk.
  bool ensure(size_t need) { return size_t(end_ - pos_) >= need || refill(need); }
  /// True when no byte remains.
  bool at_end() { return !ensure(1); }
  /// Appends every byte left to `out`, consuming them (the whole of a stream, for
  /// formats that need random access).
  void append_rest(std::vector<uint8_t>& out);

 protected:
  virtual bool refill(size_t need) = 0;
  /// For a source whose window is its own buffer `buf`: drops the consumed bytes,
  /// moves the unread ones to the front of `buf`, advances the window's offset past
  /// what was dropped, and returns how many bytes remain (the window is then stale:
  /// set it again).
  size_t compact(std::vector<uint8_t>& buf) noexcept;
  void set_window(const uint8_t* begin, const uint8_t* pos, const uint8_t* end,
                  uint64_t base) noexcept {
    begin_ = begin, pos_ = pos, end_ = end, base_ = base;
  }
  const uint8_t* begin_ = nullptr;
  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t base_ = 0;  // absolute offset of begin_
  friend class Unpickler;
};

/// Bytes in memory; the caller keeps them alive while loading (and while any Buffer
/// value refers to them).
class MemorySource final : public Source {
 public:
  explicit MemorySource(std::span<const uint8_t> data PICKLE_LIFETIMEBOUND);
  explicit MemorySource(std::span<const std::byte> data PICKLE_LIFETIMEBOUND);
  explicit MemorySource(std::string_view data PICKLE_LIFETIMEBOUND);
  /// A temporary string or vector would be freed while the source still points into
  /// it: such calls do not compile ([NOTE dangling-views]).
  template <class R>
  requires detail::dangling_range<R>
  explicit MemorySource(R&& temporary) = delete;

 protected:
  bool refill(size_t) override { return false; }
};

/// Reads from a FILE* or std::istream in chunks (standard input, pipes, sockets).
class StreamSource final : public Source {
 public:
  explicit StreamSource(std::FILE* file);
  explicit StreamSource(std::istream& stream);
  ~StreamSource() override;

 protected:
  bool refill(size_t need) override;

 private:
  size_t read_some(uint8_t* into, size_t max);
  std::FILE* file_ = nullptr;
  std::istream* stream_ = nullptr;
  std::vector<uint8_t> buf_;
  bool eof_ = false;
};

/// A whole file, memory-mapped when possible. Throws OSError (code io) if it cannot
/// be opened.
class FileSource final : public Source {
 public:
  explicit FileSource(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  /// The whole file as mapped, or empty when it was read into memory instead.
  std::span<const uint8_t> mapping() const noexcept {
    return {static_cast<const uint8_t*>(map_), map_size_};
  }
  /// The mapped file's descriptor, open while the source lives (for copies the kernel
  /// makes, copy_file_range and sendfile); -1 when it was read into memory.
  int descriptor() const noexcept { return fd_; }

 protected:
  bool refill(size_t) override { return false; }

 private:
  void* map_ = nullptr;
  size_t map_size_ = 0;
  int fd_ = -1;
  std::vector<uint8_t> copy_;
};

/// How bytes of a memory-mapped file will be read, told to the kernel (madvise) so its
/// read-ahead fits: an archive's directory, headers and pickles are read here and
/// there (read-ahead would pull in megabytes of tensor data around each), a tensor's
/// bytes from start to end.
enum class Access : uint8_t { random, sequential };
/// Advises the kernel about the pages of `bytes` (whole pages within it). Harmless on
/// memory that is not a mapped file; errors are ignored (it is advice).
void advise(std::span<const uint8_t> bytes, Access access) noexcept;

/// Formats that hold pickles, or other data, but are not pickles themselves,
/// recognised by their first bytes. An Unpickler (and the opcode walker of the tools)
/// checks the start of its source before the first pickle and refuses a container
/// with ErrorCode::container, naming it, instead of failing on its bytes as opcodes.
/// See [NOTE container-magic] (src/io/source.cpp) for why each magic is safe to claim.
enum class Container : uint8_t {
  none,   ///< not a container this library recognises (it may still not be a pickle)
  zip,    ///< `PK\x03\x04`, or `PK\x05\x06` (empty), `PK\x07\x08` (spanned): a
          ///< PyTorch checkpoint, a numpy .npz
  gzip,   ///< `\x1f\x8b`
  bzip2,  ///< `BZh` and a block size digit 1-9
  xz,     ///< `\xfd7zXZ\x00`
  zlib,   ///< `\x78` and a flag byte that passes zlib's header check (joblib's compression)
  npy,    ///< `\x93NUMPY`: a numpy array file
  tar,    ///< `ustar` at byte 257: a legacy PyTorch checkpoint (torch before 0.4); never
          ///< returned by detect_container (it needs 262 bytes), named in errors
};

/// The container whose magic bytes begin `head`; none when they begin no magic, or
/// when `head` is too short to tell (at most 6 bytes are needed).
Container detect_container(std::span<const uint8_t> head) noexcept;
/// A name for messages: "a zip archive", "gzip-compressed data", ...
std::string_view container_name(Container kind) noexcept;

}  // namespace pickle

#pragma GCC visibility pop
