// TarArchive: 512-byte headers (ustar; pax 'x' records for the next member's path and
// size; GNU 'L' long names), each followed by its data padded to 512 bytes, ended by
// zero blocks or the end of the bytes.
#include "pickle/tar.hpp"

#include <cstring>
#include <string>

namespace pickle {

namespace {

constexpr uint64_t kBlock = 512;

[[noreturn]] void fail(ErrorCode code, uint64_t at, const std::string& what) {
  throw ContainerError(code, Container::tar, at, what);
}

// A numeric field: octal digits, NUL- or space-terminated, or base-256 (a high bit).
bool number(const uint8_t* field, size_t n, uint64_t& out) {
  out = 0;
  if (field[0] & 0x80) {
    for (size_t i = 1; i < n; ++i) {
      if (out >> 55) return false;
      out = (out << 8) | field[i];
    }
    return (field[0] & 0x7F) == 0;
  }
  size_t i = 0;
  while (i < n && field[i] == ' ') ++i;
  bool any = false;
  for (; i < n && field[i] >= '0' && field[i] <= '7'; ++i, any = true) {
    if (out >> 60) return false;
    out = out * 8 + (field[i] - '0');
  }
  for (; i < n; ++i)
    if (field[i] != ' ' && field[i] != 0) return false;
  return any;
}

bool checksum_ok(const uint8_t* h) {
  uint64_t want = 0;
  if (!number(h + 148, 8, want)) return false;
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == want;
}

std::string field(const uint8_t* p, size_t n) {
  size_t len = 0;
  while (len < n && p[len]) ++len;
  return std::string(reinterpret_cast<const char*>(p), len);
}

}  // namespace

bool TarArchive::looks_like_tar(std::span<const uint8_t> bytes) noexcept {
  return bytes.size() >= kBlock && std::memcmp(bytes.data() + 257, "ustar", 5) == 0 &&
         checksum_ok(bytes.data());
}

TarArchive::TarArchive(std::span<const uint8_t> bytes, uint64_t max_members) : bytes_(bytes) {
  uint64_t at = 0;
  std::string next_name;  // from a pax 'x' or GNU 'L' header, for the member after it
  uint64_t next_size = UINT64_MAX;
  while (at < bytes.size() && bytes.size() - at >= kBlock) {
    const uint8_t* h = bytes.data() + at;
    bool zero = true;
    for (size_t i = 0; i < kBlock && zero; ++i) zero = h[i] == 0;
    if (zero) break;  // the end-of-archive blocks
    if (!checksum_ok(h)) fail(ErrorCode::bad_container, at, "a header whose checksum is wrong");
    uint64_t size = 0;
    if (!number(h + 124, 12, size))
      fail(ErrorCode::bad_container, at + 124, "a size that is not a number");
    char type = static_cast<char>(h[156]);
    if (type == 'x' || type == 'g' || type == 'L') {
      if (size > bytes.size() - at - kBlock)
        fail(ErrorCode::bad_container, at, "a header's data passes the end of the archive");
      std::string_view data(reinterpret_cast<const char*>(h + kBlock), size);
      if (type == 'L') {
        next_name = field(h + kBlock, size);
      } else if (type == 'x') {
        // Records "LEN key=value\n".
        while (!data.empty()) {
          size_t space = data.find(' ');
          uint64_t len = 0;
          for (size_t i = 0; i < space && i < data.size(); ++i) {
            if (data[i] < '0' || data[i] > '9' || len > (uint64_t(1) << 40)) {
              len = 0;
              break;
            }
            len = len * 10 + uint64_t(data[i] - '0');
          }
          if (space == std::string_view::npos || len <= space + 1 || len > data.size())
            fail(ErrorCode::bad_container, at + kBlock, "a pax record that does not parse");
          std::string_view record = data.substr(space + 1, len - space - 2);
          if (record.starts_with("path=")) next_name = std::string(record.substr(5));
          if (record.starts_with("size=")) {
            uint64_t n = 0;
            for (char c : record.substr(5)) {
              if (c < '0' || c > '9' || n > (uint64_t(1) << 58))
                fail(ErrorCode::bad_container, at + kBlock, "a pax size that is not a number");
              n = n * 10 + uint64_t(c - '0');
            }
            next_size = n;
          }
          data.remove_prefix(len);
        }
      }
      at += kBlock + (size + kBlock - 1) / kBlock * kBlock;
      continue;
    }
    TarMember m;
    m.type = type ? type : '0';
    m.header_offset = at;
    m.data_offset = at + kBlock;
    m.size = next_size != UINT64_MAX ? next_size : size;
    if (!next_name.empty()) {
      m.name = std::move(next_name);
    } else {
      std::string prefix = std::memcmp(h + 257, "ustar", 5) == 0 ? field(h + 345, 155) : "";
      m.name = prefix.empty() ? field(h, 100) : prefix + "/" + field(h, 100);
    }
    next_name.clear();
    next_size = UINT64_MAX;
    // Only regular files carry data here (links and directories carry none).
    uint64_t data_size = (m.type == '0' || m.type == '7') ? m.size : 0;
    if (data_size > bytes.size() - m.data_offset)
      fail(ErrorCode::bad_container, at, "member '" + m.name + "' passes the end of the archive");
    if (members_.size() >= max_members)
      fail(ErrorCode::limit_exceeded, at, "more than " + std::to_string(max_members) + " members");
    members_.push_back(std::move(m));
    at += kBlock + (data_size + kBlock - 1) / kBlock * kBlock;
  }
}

const TarMember* TarArchive::find(std::string_view name) const noexcept {
  const TarMember* found = nullptr;
  for (const TarMember& m : members_)
    if (m.name == name && (m.type == '0' || m.type == '7')) found = &m;
  return found;
}

}  // namespace pickle
