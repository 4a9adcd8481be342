// Zip archives (PyTorch checkpoints, numpy .npz): the central directory read as
// PyTorch's reader reads it, members as zero-copy views or Sources, within limits that
// name their attack. See docs/containers.md.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/container.hpp"
#include "pickle/io.hpp"

namespace pickle {

/// Bounds on reading a zip archive.
struct ZipLimits {
  /// Absurd member counts: a central directory that claims more members than this.
  uint64_t max_members = uint64_t(1) << 20;
  /// Decompression bombs in deflated members (max_decompressed, max_ratio).
  ContainerLimits decompress;
};

/// One member, as the central directory describes it.
struct ZipMember {
  std::string name;              ///< the central directory's name
  uint16_t method = 0;           ///< 0: stored, 8: deflated (others cannot be read)
  uint16_t flags = 0;            ///< general purpose flags (bit 0: encrypted)
  uint32_t crc32 = 0;            ///< of the uncompressed bytes
  uint64_t compressed_size = 0;  ///< bytes of data in the archive
  uint64_t size = 0;             ///< uncompressed bytes
  uint64_t header_offset = 0;    ///< the local header, in the archive's bytes
  uint64_t data_offset = 0;      ///< the first byte of data, after the local header
  bool name_differs = false;     ///< the local header names it otherwise
};

/// A zip archive held whole in memory or mapped (FileSource maps files). The central
/// directory is read once, at construction; members are then views into the bytes,
/// which must outlive the archive. Throws ContainerError (container zip): code
/// bad_container for a malformed archive, limit_exceeded for ZipLimits.
class ZipArchive {
 public:
  explicit ZipArchive(std::span<const uint8_t> bytes PICKLE_LIFETIMEBOUND,
                      const ZipLimits& limits = {});

  /// Every member, in central directory order.
  std::span<const ZipMember> members() const noexcept { return members_; }
  /// The first member of that name in central directory order (as PyTorch's reader
  /// picks it), or nullptr.
  const ZipMember* find(std::string_view name) const noexcept;
  /// The member's data as it lies in the archive (compressed_size bytes from
  /// data_offset), whatever its method and flags claim: what a reader that ignores them
  /// (PyTorch's, for the encryption flag) reads, and what a scanner must see.
  std::span<const uint8_t> data(const ZipMember& member) const noexcept {
    return bytes_.subspan(static_cast<size_t>(member.data_offset),
                          static_cast<size_t>(member.compressed_size));
  }
  /// A stored member's bytes, without a copy. ContainerError for a compressed member.
  /// The CRC is not checked (that would read all of it; see docs/containers.md).
  std::span<const uint8_t> stored_bytes(const ZipMember& member) const;
  /// The member's uncompressed bytes as a Source: a view of a stored member, or a
  /// deflated one inflated whole; either way its window() holds them all at once. Both
  /// are checked against the size and CRC-32 the central directory gives.
  /// ContainerError when they differ, for another method, an encrypted member, or a
  /// ZipLimits bound.
  std::unique_ptr<Source> open(const ZipMember& member) const;

 private:
  [[noreturn]] void fail(ErrorCode code, uint64_t offset, const std::string& detail) const;
  void read_directory();
  void read_local_header(ZipMember& m) const;

  std::span<const uint8_t> bytes_;
  ZipLimits limits_;
  std::vector<ZipMember> members_;
};

}  // namespace pickle

#pragma GCC visibility pop
