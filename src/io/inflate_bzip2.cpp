// bzip2 streams through libbz2.
#include <bzlib.h>

#include <algorithm>
#include <limits>
#include <new>

#include "io/inflate.hpp"

namespace pickle::detail {
namespace {

class Bzip2Inflate final : public Inflate {
 public:
  Bzip2Inflate() { start(); }
  ~Bzip2Inflate() override { BZ2_bzDecompressEnd(&z_); }

  InflateStep step(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size,
                   bool input_ends) override {
    constexpr size_t kMax = std::numeric_limits<unsigned>::max();
    z_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in));
    z_.avail_in = static_cast<unsigned>(std::min(in_size, kMax));
    z_.next_out = reinterpret_cast<char*>(out);
    z_.avail_out = static_cast<unsigned>(std::min(out_size, kMax));
    unsigned in_before = z_.avail_in, out_before = z_.avail_out;
    int rc = BZ2_bzDecompress(&z_);
    InflateStep s;
    s.read = in_before - z_.avail_in;
    s.written = out_before - z_.avail_out;
    switch (rc) {
      case BZ_STREAM_END: s.stream_end = true; break;
      case BZ_OK: break;
      case BZ_MEM_ERROR: throw std::bad_alloc();
      case BZ_DATA_ERROR_MAGIC:
        throw InflateFailure("not a bzip2 stream (bad magic)", s.read, s.written);
      case BZ_DATA_ERROR:
        throw InflateFailure("invalid compressed data (bad block or CRC)", s.read, s.written);
      default: throw InflateFailure("invalid compressed data", s.read, s.written);
    }
    if (!s.stream_end && input_ends && z_.avail_in == 0 && z_.avail_out > 0)
      throw InflateFailure("the compressed data ends before the end of the stream", s.read,
                           s.written);
    return s;
  }

  void reset() override {
    BZ2_bzDecompressEnd(&z_);
    z_ = bz_stream{};
    start();
  }

 private:
  void start() {
    int rc = BZ2_bzDecompressInit(&z_, 0, 0);
    if (rc == BZ_MEM_ERROR) throw std::bad_alloc();
    if (rc != BZ_OK) throw InflateFailure("libbz2 could not start");
  }
  bz_stream z_{};
};

}  // namespace

std::unique_ptr<Inflate> make_inflate_bzip2() {
  return std::make_unique<Bzip2Inflate>();
}

}  // namespace pickle::detail
