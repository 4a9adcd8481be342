// gzip, zlib and raw deflate streams through zlib's inflate.
#include <zlib.h>

#include <limits>
#include <new>

#include "io/inflate.hpp"

namespace pickle::detail {
namespace {

class ZlibInflate final : public Inflate {
 public:
  // 16 + MAX_WBITS: a gzip header and trailer; MAX_WBITS: a zlib header; -MAX_WBITS:
  // raw deflate.
  explicit ZlibInflate(int window_bits) {
    int rc = inflateInit2(&z_, window_bits);
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) throw InflateFailure("zlib could not start");
  }
  ~ZlibInflate() override { inflateEnd(&z_); }

  InflateStep step(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size,
                   bool input_ends) override {
    constexpr size_t kMax = std::numeric_limits<uInt>::max();
    z_.next_in = const_cast<Bytef*>(in);
    z_.avail_in = static_cast<uInt>(std::min(in_size, kMax));
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(std::min(out_size, kMax));
    uInt in_before = z_.avail_in, out_before = z_.avail_out;
    int rc = inflate(&z_, Z_NO_FLUSH);
    InflateStep s;
    s.read = in_before - z_.avail_in;
    s.written = out_before - z_.avail_out;
    switch (rc) {
      case Z_STREAM_END: s.stream_end = true; break;
      case Z_OK:
      case Z_BUF_ERROR: break;  // no progress: it needs input or room (checked below)
      case Z_MEM_ERROR: throw std::bad_alloc();
      case Z_NEED_DICT:
        throw InflateFailure("the stream needs a preset dictionary", s.read, s.written);
      default: throw InflateFailure(z_.msg ? z_.msg : "invalid compressed data", s.read, s.written);
    }
    // All input taken, room left, and not at the end: it needs bytes that never come.
    if (!s.stream_end && input_ends && z_.avail_in == 0 && z_.avail_out > 0)
      throw InflateFailure("the compressed data ends before the end of the stream", s.read,
                           s.written);
    return s;
  }

  void reset() override { inflateReset(&z_); }

 private:
  z_stream z_{};
};

}  // namespace

std::unique_ptr<Inflate> make_inflate_zlib(bool gzip) {
  return std::make_unique<ZlibInflate>(gzip ? 16 + MAX_WBITS : MAX_WBITS);
}
std::unique_ptr<Inflate> make_inflate_deflate() {
  return std::make_unique<ZlibInflate>(-MAX_WBITS);
}

}  // namespace pickle::detail
