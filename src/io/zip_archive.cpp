// ZipArchive: the central directory (ZIP64 included), local headers, and members as
// views or Sources. The choices where readers differ are PyTorch's, and are listed in
// docs/containers.md ("Zip archives").
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "io/inflate.hpp"
#include "pickle/zip.hpp"

namespace pickle {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50, kCentralHeader = 0x02014b50,
                   kEndOfDirectory = 0x06054b50, kZip64Locator = 0x07064b50, kZip64End = 0x06064b50;
constexpr size_t kLocalSize = 30, kCentralSize = 46, kEndSize = 22, kLocatorSize = 20,
                 kZip64EndSize = 56;

uint64_t le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// An inflated member: owns its bytes.
class OwnedSource final : public Source {
 public:
  explicit OwnedSource(std::vector<uint8_t> data) : data_(std::move(data)) {
    set_window(data_.data(), data_.data(), data_.data() + data_.size(), 0);
  }

 protected:
  bool refill(size_t) override { return false; }

 private:
  std::vector<uint8_t> data_;
};

uint32_t crc_of(std::span<const uint8_t> data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (!data.empty()) {
    auto n = static_cast<uInt>(std::min<size_t>(data.size(), 1u << 30));
    crc = crc32(crc, data.data(), n);
    data = data.subspan(n);
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

ZipArchive::ZipArchive(std::span<const uint8_t> bytes, const ZipLimits& limits)
    : bytes_(bytes), limits_(limits) {
  read_directory();
}

void ZipArchive::fail(ErrorCode code, uint64_t offset, const std::string& detail) const {
  throw ContainerError(code, Container::zip, offset, detail);
}

// [NOTE zip-directory] The end-of-central-directory record is searched backwards from
// the end of the file, over at most a 64 KiB comment, as every reader does; bytes after
// it (a suffix) are ignored. Offsets are taken as written: an archive with a prefix
// does not start with a local header, so it is not recognised as a zip at all (PyTorch
// opens a checkpoint as a zip only when it starts so, and reads anything else as a
// legacy pickle file).
void ZipArchive::read_directory() {
  const uint8_t* b = bytes_.data();
  size_t n = bytes_.size();
  if (n < kEndSize) fail(ErrorCode::bad_container, n, "too short for a zip archive");
  size_t lowest = n - kEndSize > 65535 ? n - kEndSize - 65535 : 0;
  size_t end = n - kEndSize + 1;
  bool found = false;
  while (end-- > lowest) {
    if (le(b + end, 4) == kEndOfDirectory && end + kEndSize + le(b + end + 20, 2) <= n) {
      found = true;
      break;
    }
  }
  if (!found)
    fail(ErrorCode::bad_container, n, "no end of central directory record (not a whole archive)");
  uint64_t disk = le(b + end + 4, 2), cd_disk = le(b + end + 6, 2);
  uint64_t count = le(b + end + 10, 2), count_here = le(b + end + 8, 2);
  uint64_t cd_size = le(b + end + 12, 4), cd_offset = le(b + end + 16, 4);
  // ZIP64: a locator right before the record points at the ZIP64 end record.
  if (end >= kLocatorSize && le(b + end - kLocatorSize, 4) == kZip64Locator) {
    uint64_t z = le(b + end - kLocatorSize + 8, 8);
    if (z > n || n - z < kZip64EndSize || le(b + z, 4) != kZip64End)
      fail(ErrorCode::bad_container, end - kLocatorSize,
           "the ZIP64 locator points at no ZIP64 end record");
    disk = le(b + z + 16, 4);
    cd_disk = le(b + z + 20, 4);
    count_here = le(b + z + 24, 8);
    count = le(b + z + 32, 8);
    cd_size = le(b + z + 40, 8);
    cd_offset = le(b + z + 48, 8);
  }
  if (disk != 0 || cd_disk != 0 || count_here != count)
    fail(ErrorCode::bad_container, end, "a multi-disk (spanned) archive");
  if (count > limits_.max_members)
    fail(ErrorCode::limit_exceeded, end,
         "the central directory claims " + std::to_string(count) + " members, more than " +
             std::to_string(limits_.max_members) + " (ZipLimits::max_members)");
  if (cd_offset > n || cd_size > n - cd_offset)
    fail(ErrorCode::bad_container, end, "the central directory lies beyond the end of the file");
  if (count > cd_size / kCentralSize)
    fail(ErrorCode::bad_container, end,
         "the central directory is too small for the " + std::to_string(count) +
             " members it claims");

  members_.reserve(static_cast<size_t>(count));
  uint64_t at = cd_offset, cd_end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (cd_end - at < kCentralSize || le(b + at, 4) != kCentralHeader)
      fail(ErrorCode::bad_container, at,
           "central directory entry " + std::to_string(i) + " is missing or has a bad signature");
    const uint8_t* h = b + at;
    ZipMember m;
    m.flags = static_cast<uint16_t>(le(h + 8, 2));
    m.method = static_cast<uint16_t>(le(h + 10, 2));
    m.crc32 = static_cast<uint32_t>(le(h + 16, 4));
    m.compressed_size = le(h + 20, 4);
    m.size = le(h + 24, 4);
    uint64_t name_len = le(h + 28, 2), extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
    m.header_offset = le(h + 42, 4);
    if (cd_end - at - kCentralSize < name_len + extra_len + comment_len)
      fail(ErrorCode::bad_container, at,
           "central directory entry " + std::to_string(i) + " runs past the directory");
    m.name.assign(reinterpret_cast<const char*>(h + kCentralSize), name_len);
    // ZIP64 extra field: the 8-byte values of the fields written as 0xFFFFFFFF, in order.
    const uint8_t* x = h + kCentralSize + name_len;
    const uint8_t* x_end = x + extra_len;
    while (x_end - x >= 4) {
      uint64_t id = le(x, 2), len = le(x + 2, 2);
      if (static_cast<uint64_t>(x_end - x - 4) < len) break;
      if (id == 0x0001) {
        const uint8_t* v = x + 4;
        uint64_t left = len;
        auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFFu) return;
          if (left < 8)
            fail(ErrorCode::bad_container, at, "member '" + m.name + "': a short ZIP64 field");
          field = le(v, 8);
          v += 8;
          left -= 8;
        };
        take(m.size);
        take(m.compressed_size);
        take(m.header_offset);
      }
      x += 4 + len;
    }
    read_local_header(m);
    members_.push_back(std::move(m));
    at += kCentralSize + name_len + extra_len + comment_len;
  }

  // Overlapping members: a zip bomb that makes many members of the same compressed
  // bytes (as Python's zipfile refuses them since 3.12).
  std::vector<const ZipMember*> by_offset;
  by_offset.reserve(members_.size());
  for (const ZipMember& m : members_) by_offset.push_back(&m);
  std::sort(by_offset.begin(), by_offset.end(), [](const ZipMember* a, const ZipMember* c) {
    return a->header_offset < c->header_offset;
  });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const ZipMember& prev = *by_offset[i - 1];
    if (by_offset[i]->header_offset < prev.data_offset + prev.compressed_size)
      fail(ErrorCode::bad_container, by_offset[i]->header_offset,
           "members '" + prev.name + "' and '" + by_offset[i]->name +
               "' overlap (a zip bomb reuses compressed bytes so)");
  }
  if (!by_offset.empty()) {
    const ZipMember& last = *by_offset.back();
    if (last.data_offset + last.compressed_size > cd_offset)
      fail(ErrorCode::bad_container, last.header_offset,
           "member '" + last.name + "' overlaps the central directory");
  }
}

// The local header gives where the data starts (its own name and extra lengths, which
// may differ from the central directory's). The sizes and CRC are the central
// directory's: a member written with a data descriptor (flag bit 3) has zeros here.
void ZipArchive::read_local_header(ZipMember& m) const {
  const uint8_t* b = bytes_.data();
  uint64_t n = bytes_.size();
  uint64_t h = m.header_offset;
  if (h > n || n - h < kLocalSize || le(b + h, 4) != kLocalHeader)
    fail(ErrorCode::bad_container, h, "member '" + m.name + "': no local header at its offset");
  uint64_t name_len = le(b + h + 26, 2), extra_len = le(b + h + 28, 2);
  if (n - h - kLocalSize < name_len + extra_len)
    fail(ErrorCode::bad_container, h,
         "member '" + m.name + "': the local header runs past the file");
  std::string_view local(reinterpret_cast<const char*>(b + h + kLocalSize), name_len);
  m.name_differs = local != m.name;
  m.data_offset = h + kLocalSize + name_len + extra_len;
  if (m.compressed_size > n - m.data_offset)
    fail(ErrorCode::bad_container, h,
         "member '" + m.name + "': " + std::to_string(m.compressed_size) +
             " bytes of data run past the end of the file");
}

const ZipMember* ZipArchive::find(std::string_view name) const noexcept {
  for (const ZipMember& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

std::span<const uint8_t> ZipArchive::stored_bytes(const ZipMember& m) const {
  if (m.flags & 1)
    fail(ErrorCode::unsupported, m.header_offset, "member '" + m.name + "' is encrypted");
  if (m.method != 0)
    fail(ErrorCode::bad_container, m.header_offset,
         "member '" + m.name + "' is compressed (method " + std::to_string(m.method) +
             "), not stored");
  if (m.size != m.compressed_size)
    fail(ErrorCode::bad_container, m.header_offset,
         "stored member '" + m.name + "' has a size of " + std::to_string(m.size) + " but " +
             std::to_string(m.compressed_size) + " bytes of data");
  return bytes_.subspan(static_cast<size_t>(m.data_offset), static_cast<size_t>(m.size));
}

std::unique_ptr<Source> ZipArchive::open(const ZipMember& m) const {
  if (m.flags & 1)
    fail(ErrorCode::unsupported, m.header_offset, "member '" + m.name + "' is encrypted");
  if (m.method == 0) {
    std::span<const uint8_t> data = stored_bytes(m);
    if (crc_of(data) != m.crc32)
      fail(ErrorCode::bad_container, m.data_offset, "member '" + m.name + "': CRC-32 mismatch");
    return std::make_unique<MemorySource>(data);
  }
  if (m.method != 8)
    fail(ErrorCode::unsupported, m.header_offset,
         "member '" + m.name + "' uses compression method " + std::to_string(m.method) +
             " (only stored and deflated members are read)");
  // Deflate cannot pass about 1032 to 1: a larger declared size is a lie, refused
  // before anything is allocated, as are the decompression limits.
  const ContainerLimits& lim = limits_.decompress;
  if (m.size > lim.max_decompressed)
    fail(ErrorCode::limit_exceeded, m.header_offset,
         "member '" + m.name + "': decompression bomb: " + std::to_string(m.size) +
             " bytes, more than " + std::to_string(lim.max_decompressed) +
             " (ContainerLimits::max_decompressed)");
  if (m.size > 1100 * m.compressed_size + 4096)
    fail(ErrorCode::bad_container, m.header_offset,
         "member '" + m.name + "' claims " + std::to_string(m.size) + " bytes from " +
             std::to_string(m.compressed_size) + " deflated bytes, more than deflate can make");
  std::vector<uint8_t> out(static_cast<size_t>(m.size));
  auto inflate = detail::make_inflate_deflate();
  const uint8_t* in = bytes_.data() + m.data_offset;
  size_t in_left = static_cast<size_t>(m.compressed_size), written = 0;
  for (;;) {
    detail::InflateStep s;
    try {
      // One byte of room past the declared size shows data that does not end there.
      uint8_t spare = 0;
      bool full = written == out.size();
      s = inflate->step(in, in_left, full ? &spare : out.data() + written,
                        full ? 1 : out.size() - written, true);
      if (full && s.written)
        fail(ErrorCode::bad_container, m.data_offset,
             "member '" + m.name + "' inflates to more than its declared size of " +
                 std::to_string(m.size) + " bytes");
    } catch (const detail::InflateFailure& f) {
      fail(ErrorCode::bad_container, m.data_offset + (m.compressed_size - in_left) + f.read,
           "member '" + m.name + "': " + f.what());
    }
    in += s.read;
    in_left -= s.read;
    written += s.written;
    if (s.stream_end) break;
    if (s.read == 0 && s.written == 0)
      fail(ErrorCode::bad_container, m.data_offset,
           "member '" + m.name + "': the deflated data ends early");
  }
  if (written != m.size)
    fail(ErrorCode::bad_container, m.data_offset,
         "member '" + m.name + "' inflates to " + std::to_string(written) +
             " bytes, not its declared " + std::to_string(m.size));
  if (crc_of(out) != m.crc32)
    fail(ErrorCode::bad_container, m.data_offset, "member '" + m.name + "': CRC-32 mismatch");
  return std::make_unique<OwnedSource>(std::move(out));
}

}  // namespace pickle
