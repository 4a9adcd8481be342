// Zip archives laid out byte by byte for the tests, so each field a hostile archive
// can lie in is set on purpose (zip_test.cpp, scan_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "zlib_bytes.hpp"

namespace pickle_test {

inline void put(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// One member as the writer lays it out; the fields a test lies in are overridable.
struct Entry {
  std::string name;
  std::string data;  // uncompressed
  bool deflated = false;
  bool descriptor = false;  // sizes and CRC after the data (flag bit 3), zeros in the header
  bool zip64 = false;       // sizes and offset in a ZIP64 extra field of the directory
  std::optional<std::string> local_name;
  std::optional<uint32_t> crc_override;
  std::optional<uint64_t> size_override;  // the declared uncompressed size
  std::optional<uint64_t> offset_override;
  uint16_t flags = 0;
  std::optional<uint16_t> method_override;
};

struct Layout {
  std::vector<Entry> entries;
  std::string prefix, suffix;
  bool zip64_end = false;  // ZIP64 end record and locator
  std::optional<uint64_t> count_override;
};

inline std::string build(const Layout& layout) {
  std::string out = layout.prefix, dir;
  for (const Entry& e : layout.entries) {
    std::string payload = e.deflated ? deflate_raw(e.data) : e.data;
    uint16_t method = e.method_override.value_or(e.deflated ? 8 : 0);
    uint16_t flags = static_cast<uint16_t>(e.flags | (e.descriptor ? 8 : 0));
    uint32_t c = e.crc_override.value_or(crc(e.data));
    uint64_t size = e.size_override.value_or(e.data.size());
    uint64_t offset = e.offset_override.value_or(out.size());
    std::string local_name = e.local_name.value_or(e.name);
    put(out, 0x04034b50, 4);
    put(out, 20, 2);
    put(out, flags, 2);
    put(out, method, 2);
    put(out, 0, 4);  // time, date
    put(out, e.descriptor ? 0 : c, 4);
    put(out, e.descriptor ? 0 : payload.size(), 4);
    put(out, e.descriptor ? 0 : size, 4);
    put(out, local_name.size(), 2);
    put(out, 0, 2);
    out += local_name + payload;
    if (e.descriptor) {
      put(out, 0x08074b50, 4);
      put(out, c, 4);
      put(out, payload.size(), 4);
      put(out, size, 4);
    }
    std::string extra;
    if (e.zip64) {
      put(extra, 0x0001, 2);
      put(extra, 24, 2);
      put(extra, size, 8);
      put(extra, payload.size(), 8);
      put(extra, offset, 8);
    }
    put(dir, 0x02014b50, 4);
    put(dir, 20, 2);
    put(dir, 20, 2);
    put(dir, flags, 2);
    put(dir, method, 2);
    put(dir, 0, 4);
    put(dir, c, 4);
    put(dir, e.zip64 ? 0xFFFFFFFFu : payload.size(), 4);
    put(dir, e.zip64 ? 0xFFFFFFFFu : size, 4);
    put(dir, e.name.size(), 2);
    put(dir, extra.size(), 2);
    put(dir, 0, 2);  // comment
    put(dir, 0, 2);  // disk
    put(dir, 0, 2);
    put(dir, 0, 4);
    put(dir, e.zip64 ? 0xFFFFFFFFu : offset, 4);
    dir += e.name + extra;
  }
  uint64_t dir_offset = out.size();
  out += dir;
  uint64_t count = layout.count_override.value_or(layout.entries.size());
  if (layout.zip64_end) {
    uint64_t z = out.size();
    put(out, 0x06064b50, 4);
    put(out, 44, 8);
    put(out, 45, 2);
    put(out, 45, 2);
    put(out, 0, 4);
    put(out, 0, 4);
    put(out, count, 8);
    put(out, count, 8);
    put(out, dir.size(), 8);
    put(out, dir_offset, 8);
    put(out, 0x07064b50, 4);
    put(out, 0, 4);
    put(out, z, 8);
    put(out, 1, 4);
  }
  put(out, 0x06054b50, 4);
  put(out, 0, 4);
  put(out, layout.zip64_end ? 0xFFFF : count, 2);
  put(out, layout.zip64_end ? 0xFFFF : count, 2);
  put(out, layout.zip64_end ? 0xFFFFFFFFu : dir.size(), 4);
  put(out, layout.zip64_end ? 0xFFFFFFFFu : dir_offset, 4);
  put(out, 0, 2);
  return out + layout.suffix;
}

}  // namespace pickle_test
