// xz streams through liblzma.
#include <lzma.h>

#include <new>

#include "io/inflate.hpp"

namespace pickle::detail {
namespace {

class XzInflate final : public Inflate {
 public:
  XzInflate() { start(); }
  ~XzInflate() override { lzma_end(&z_); }

  InflateStep step(const uint8_t* in, size_t in_size, uint8_t* out, size_t out_size,
                   bool input_ends) override {
    z_.next_in = in;
    z_.avail_in = in_size;
    z_.next_out = out;
    z_.avail_out = out_size;
    lzma_ret rc = lzma_code(&z_, input_ends ? LZMA_FINISH : LZMA_RUN);
    InflateStep s;
    s.read = in_size - z_.avail_in;
    s.written = out_size - z_.avail_out;
    switch (rc) {
      case LZMA_STREAM_END: s.stream_end = true; break;
      case LZMA_OK: break;
      case LZMA_BUF_ERROR:
        if (input_ends)
          throw InflateFailure("the compressed data ends before the end of the stream", s.read,
                               s.written);
        break;
      case LZMA_MEM_ERROR: throw std::bad_alloc();
      case LZMA_MEMLIMIT_ERROR:
        throw InflateFailure("the stream needs more memory than the decoder's limit", s.read,
                             s.written);
      case LZMA_FORMAT_ERROR:
        throw InflateFailure("not an xz stream (bad magic)", s.read, s.written);
      case LZMA_OPTIONS_ERROR:
        throw InflateFailure("unsupported compression options", s.read, s.written);
      case LZMA_DATA_ERROR: throw InflateFailure("invalid compressed data", s.read, s.written);
      default: throw InflateFailure("invalid compressed data", s.read, s.written);
    }
    return s;
  }

  void reset() override {
    lzma_end(&z_);
    z_ = LZMA_STREAM_INIT;
    start();
  }

 private:
  void start() {
    // A memory limit for the decoder's dictionary: xz's largest preset needs 64 MiB;
    // a header asking for more is refused rather than allocated.
    lzma_ret rc = lzma_stream_decoder(&z_, uint64_t(256) << 20, 0);
    if (rc == LZMA_MEM_ERROR) throw std::bad_alloc();
    if (rc != LZMA_OK) throw InflateFailure("liblzma could not start");
  }
  lzma_stream z_ = LZMA_STREAM_INIT;
};

}  // namespace

std::unique_ptr<Inflate> make_inflate_xz() {
  return std::make_unique<XzInflate>();
}

}  // namespace pickle::detail
