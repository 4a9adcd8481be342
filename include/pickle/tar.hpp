// Tar archives (ustar, with pax and GNU long names), as the legacy PyTorch checkpoints
// of torch before 0.4 hold their pickles and storages. Members are views into the
// bytes. See docs/containers.md.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/container.hpp"
#include "pickle/detail/lifetime.hpp"

namespace pickle {

struct TarMember {
  std::string name;
  char type = '0';  ///< '0' (or '\0'): a regular file; others are listed too
  uint64_t header_offset = 0;
  uint64_t data_offset = 0;  ///< the first byte of data
  uint64_t size = 0;
};

/// The members of a tar archive, read at construction. `bytes` must outlive it.
/// ContainerError (container tar, bad_container) for a header whose checksum or sizes
/// are wrong, or data past the end; at most `max_members` members (limit_exceeded).
class TarArchive {
 public:
  explicit TarArchive(std::span<const uint8_t> bytes PICKLE_LIFETIMEBOUND,
                      uint64_t max_members = uint64_t(1) << 20);
  /// True when bytes hold a ustar header at the start (`ustar` at byte 257, and a
  /// checksum that matches).
  static bool looks_like_tar(std::span<const uint8_t> bytes) noexcept;

  std::span<const TarMember> members() const noexcept { return members_; }
  /// The last regular file of that name (as tarfile's getmember picks it), or nullptr.
  const TarMember* find(std::string_view name) const noexcept;
  std::span<const uint8_t> bytes(const TarMember& m) const noexcept {
    return bytes_.subspan(m.data_offset, m.size);
  }

 private:
  std::span<const uint8_t> bytes_;
  std::vector<TarMember> members_;
};

}  // namespace pickle

#pragma GCC visibility pop
