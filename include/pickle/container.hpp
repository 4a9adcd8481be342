// Containers of the io layer: the compressed streams pickles are stored in (gzip,
// bzip2, xz, zlib), opened by content into a Source of their decompressed bytes, within
// limits that name the attack they stop. See docs/containers.md.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/io.hpp"

namespace pickle {

/// Bounds on what opening containers may cost. Each is named after what it stops.
struct ContainerLimits {
  /// Decompression bomb: at most this many decompressed bytes from one stream
  /// (default 4 GiB). A pickle may ask for one payload of all of them at once, so this
  /// bounds the memory a small compressed file can make a load take; raise it for
  /// larger files.
  uint64_t max_decompressed = uint64_t(4) << 30;
  /// Decompression bomb: past the first `ratio_grace` decompressed bytes, at most this
  /// many decompressed bytes per compressed byte read so far. gzip and zlib cannot
  /// pass about 1,032; bzip2 and xz reach tens of thousands on runs of one byte
  /// (an array of zeros), hence the default.
  uint64_t max_ratio = 100'000;
  uint64_t ratio_grace = uint64_t(64) << 20;
  /// Nested compression (a gzip of a gzip ...): at most this many layers.
  unsigned max_layers = 4;
};

/// A container whose structure or compressed data is malformed (code
/// `bad_container`), or one that passed a ContainerLimits bound (code
/// `limit_exceeded`). what() reads `gzip-compressed data at byte 1234: invalid block
/// type`, where the offset is in the container's own bytes (the compressed input).
class ContainerError : public PickleError {
 public:
  ContainerError(ErrorCode code, Container kind, uint64_t offset, std::string detail);
  Container container() const noexcept { return kind_; }
  /// Offset in the container's input (for a compressed stream, in the compressed bytes).
  uint64_t offset() const noexcept { return offset_; }
  /// What was wrong, without the container and offset prefix.
  const std::string& detail() const noexcept { return detail_; }

 private:
  Container kind_;
  uint64_t offset_;
  std::string detail_;
};

namespace detail {
class Inflate;
}

/// The decompressed bytes of a gzip, bzip2, xz or zlib stream read from `compressed`,
/// decompressed as the reader asks for them (memory: the unread bytes plus a chunk).
/// Streams that follow one another are read as Python's modules read them: gzip
/// members one after another (zero padding after the last one is skipped, any other
/// bytes are an error); bzip2 and xz streams one after another, bytes after the last
/// that do not begin another stream ignored; zlib one stream, bytes after it ignored.
/// Offsets of the Unpickler's errors are in the decompressed bytes. Throws
/// ContainerError at a corruption; with `Partial::deliver`, the bytes the decoder made
/// before it are delivered first (they may be wrong: a block's check comes at its end),
/// and the error comes when the reader asks for more, as a scanner wants it (see
/// [NOTE corrupt-tail]). `compressed` must outlive this source.
class DecompressSource final : public Source {
 public:
  /// What to do with the bytes decompressed before a corruption.
  enum class Partial : uint8_t { drop, deliver };
  DecompressSource(Source& compressed PICKLE_LIFETIMEBOUND, Container kind,
                   const ContainerLimits& limits = {}, Partial partial = Partial::drop);
  ~DecompressSource() override;
  DecompressSource(const DecompressSource&) = delete;
  DecompressSource& operator=(const DecompressSource&) = delete;

  Container kind() const noexcept { return kind_; }
  /// Compressed bytes after the last stream that were ignored (bzip2, xz, zlib), known
  /// once the decompressed bytes have been read to their end.
  uint64_t ignored_trailing_bytes() const noexcept { return ignored_; }

 protected:
  bool refill(size_t need) override;

 private:
  size_t decompress_into(uint8_t* out, size_t room);
  bool next_stream();
  void check_limits();
  [[noreturn]] void fail(ErrorCode code, const std::string& detail) const;

  Source& in_;
  Container kind_;
  ContainerLimits limits_;
  std::unique_ptr<detail::Inflate> inflate_;
  std::vector<uint8_t> buf_;
  uint64_t produced_ = 0;  // decompressed bytes so far
  uint64_t start_ = 0;     // offset of the compressed stream in in_
  uint64_t ignored_ = 0;
  int stalled_ = 0;  // steps in a row without progress at the end of the input
  bool done_ = false;
  Partial partial_;
  std::string failure_;  // a corruption after delivered bytes, raised past them
  uint64_t failure_offset_ = 0;
};

/// A source with the compressed layers around its pickles opened: `source()` reads the
/// innermost decompressed bytes, `layers()` lists what was opened, outermost first
/// (empty when the input was not compressed; then source() is the input itself).
/// Zip archives and .npy files are not compressed streams: they are left as they are.
class Opened {
 public:
  Source& source() noexcept { return *top_; }
  std::span<const Container> layers() const noexcept { return kinds_; }

 private:
  friend Opened open_compressed(Source& input, const ContainerLimits& limits);
  Source* top_ = nullptr;
  std::vector<std::unique_ptr<DecompressSource>> chain_;
  std::vector<Container> kinds_;
};

/// Opens every compressed layer at the start of `input`, by content (never by file
/// name): while the bytes begin with a gzip, bzip2, xz or zlib magic, decompresses
/// them. `input` must outlive the result. Throws ContainerError (more layers than
/// `limits.max_layers`, or a stream that is malformed at its start).
Opened open_compressed(Source& input PICKLE_LIFETIMEBOUND, const ContainerLimits& limits = {});

}  // namespace pickle

#pragma GCC visibility pop
