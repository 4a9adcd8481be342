// One compressed format's decoder, as DecompressSource drives it: zlib's inflate for
// gzip and zlib (inflate_zlib.cpp), libbz2 (inflate_bzip2.cpp), liblzma for xz
// (inflate_xz.cpp). Each wraps its library's streaming API and nothing else: the
// Source, the limits and the stream-after-stream rules live in decompress_source.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "pickle/io.hpp"

namespace pickle::detail {

/// What a step of decompression did.
struct InflateStep {
  size_t read = 0;          ///< compressed bytes consumed
  size_t written = 0;       ///< decompressed bytes produced
  bool stream_end = false;  ///< the stream (member) ended; reset() starts the next one
};

/// Malformed compressed data: the library's own words, how many bytes of the input the
/// failed step read, and how many it wrote before failing (good bytes, which are
/// delivered). DecompressSource turns it into a ContainerError with the offset.
struct InflateFailure : std::runtime_error {
  explicit InflateFailure(const char* what, size_t read_before_failing = 0,
                          size_t written_before_failing = 0)
      : std::runtime_error(what), read(read_before_failing), written(written_before_failing) {}
  size_t read;
  size_t written;
};

class Inflate {
 public:
  virtual ~Inflate() = default;
  /// Decompresses from in[0, in_size) into out[0, out_size). `input_ends`: no
  /// compressed byte follows `in` (so a stream that needs more is truncated). Throws
  /// InflateFailure.
  virtual InflateStep step(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size,
                           bool input_ends) = 0;
  /// Starts a new stream after stream_end.
  virtual void reset() = 0;
};

/// The decoder for a gzip, bzip2, xz or zlib stream. Throws std::bad_alloc.
std::unique_ptr<Inflate> make_inflate_zlib(bool gzip);
/// Raw deflate, without a header (a zip member's data).
std::unique_ptr<Inflate> make_inflate_deflate();
std::unique_ptr<Inflate> make_inflate_bzip2();
std::unique_ptr<Inflate> make_inflate_xz();

}  // namespace pickle::detail
