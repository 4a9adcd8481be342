// zlib as the container tests use it to lay out archives byte by byte (zip_test.cpp,
// array_test.cpp): the CRC-32 of a member, its deflate stream, gzip and zlib streams.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>

namespace pickle_test {

inline uint32_t crc(const std::string& s) {
  return static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size())));
}

/// s compressed by deflate with zlib's window_bits: -MAX_WBITS a raw stream,
/// MAX_WBITS a zlib stream, MAX_WBITS + 16 a gzip member.
inline std::string deflate_with(const std::string& s, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  // Room for a gzip header and trailer too, which deflateBound counts only once set.
  std::string out(deflateBound(&z, static_cast<uLong>(s.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string deflate_raw(const std::string& s) {
  return deflate_with(s, -MAX_WBITS);
}

}  // namespace pickle_test
