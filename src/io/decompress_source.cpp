// DecompressSource: a Source over a compressed stream, decompressed as it is read, with
// the rules for streams that follow one another and the decompression-bomb limits; and
// open_compressed, which opens the layers at the start of an input.
#include <algorithm>
#include <cstring>
#include <string>

#include "io/inflate.hpp"
#include "io/peek.hpp"
#include "pickle/container.hpp"

namespace pickle {

ContainerError::ContainerError(ErrorCode code, Container kind, uint64_t offset, std::string detail)
    : PickleError(code, std::string(container_name(kind)) + " at byte " + std::to_string(offset) +
                            ": " + detail),
      kind_(kind),
      offset_(offset),
      detail_(std::move(detail)) {}

namespace {

std::unique_ptr<detail::Inflate> make_inflate(Container kind) {
  switch (kind) {
    case Container::gzip: return detail::make_inflate_zlib(true);
    case Container::zlib: return detail::make_inflate_zlib(false);
    case Container::bzip2: return detail::make_inflate_bzip2();
    case Container::xz: return detail::make_inflate_xz();
    default:
      throw UsageError("DecompressSource: " + std::string(container_name(kind)) +
                       " is not a compressed stream");
  }
}

}  // namespace

DecompressSource::DecompressSource(Source& compressed, Container kind,
                                   const ContainerLimits& limits, Partial partial)
    : in_(compressed),
      kind_(kind),
      limits_(limits),
      inflate_(make_inflate(kind)),
      start_(compressed.offset()),
      partial_(partial) {}

DecompressSource::~DecompressSource() = default;

void DecompressSource::fail(ErrorCode code, const std::string& detail) const {
  throw ContainerError(code, kind_, in_.offset(), detail);
}

bool DecompressSource::refill(size_t need) {
  constexpr size_t kChunk = 64 * 1024;
  size_t have = compact(buf_);
  // The window is set again after every change of the buffer, so that it is valid (the
  // bytes not yet read, at the right offset) wherever a ContainerError leaves from.
  set_window(buf_.data(), buf_.data(), buf_.data() + have, base_);
  // Grow only as data arrives: a length read from the pickle never sizes the buffer.
  while (have < need && !done_) {
    size_t want = std::max(kChunk, std::min(need - have, have + kChunk));
    if (buf_.size() < have + want) {
      buf_.resize(have + want);
      set_window(buf_.data(), buf_.data(), buf_.data() + have, base_);
    }
    have += decompress_into(buf_.data() + have, want);
    set_window(buf_.data(), buf_.data(), buf_.data() + have, base_);
  }
  if (have < need && !failure_.empty())
    throw ContainerError(ErrorCode::bad_container, kind_, failure_offset_, failure_);
  return have >= need;
}

size_t DecompressSource::decompress_into(uint8_t* out, size_t room) {
  size_t written = 0;
  while (written < room && !done_) {
    in_.ensure(1);
    auto w = in_.window();
    detail::InflateStep s;
    try {
      s = inflate_->step(w.data(), w.size(), out + written, room - written, w.empty());
    } catch (const detail::InflateFailure& f) {
      in_.consume(f.read);  // the offset says how far the decoder got
      // [NOTE corrupt-tail] For a scanner (Partial::deliver), what decompressed before
      // the corruption is delivered, as a reader of the stream (Python's gzip module, a
      // pickle loaded from it) may get it and act on it before the error: the error
      // comes when the reader asks for more. For the other tools the error comes now,
      // since those bytes may be wrong (a block's check comes at its end).
      if (partial_ == Partial::drop || written + f.written == 0)
        fail(ErrorCode::bad_container, f.what());
      written += f.written;
      produced_ += f.written;
      failure_ = f.what();
      failure_offset_ = in_.offset();
      done_ = true;
      break;
    }
    in_.consume(s.read);
    written += s.written;
    produced_ += s.written;
    check_limits();
    if (s.read || s.written) stalled_ = 0;
    if (s.stream_end) {
      if (!next_stream()) done_ = true;
    } else if (s.read == 0 && s.written == 0) {
      // liblzma reports a truncation only at the second call without progress.
      if (w.empty() && ++stalled_ < 2) continue;
      fail(ErrorCode::bad_container, w.empty()
                                         ? "the compressed data ends before the end of the stream"
                                         : "the decoder made no progress");
    }
  }
  return written;
}

// After a stream ends: true when another one follows and was started.
bool DecompressSource::next_stream() {
  if (kind_ == Container::gzip) {
    // gzip members follow one another; zeros after the last one are padding, as
    // Python's gzip module reads them. Anything else is not a gzip file.
    for (;;) {
      if (!in_.ensure(1)) return false;
      auto w = in_.window();
      size_t zeros = 0;
      while (zeros < w.size() && w[zeros] == 0) ++zeros;
      if (zeros == 0) break;
      in_.consume(zeros);
    }
    if (detail::peek_container(in_) != Container::gzip)
      fail(ErrorCode::bad_container,
           "the bytes after a gzip member are neither another member nor zero padding");
    inflate_->reset();
    return true;
  }
  // bzip2 and xz: another stream when the bytes begin with its magic; otherwise they
  // are ignored, as Python's bz2 and lzma modules ignore them. zlib: one stream.
  if (kind_ != Container::zlib && detail::peek_container(in_) == kind_) {
    inflate_->reset();
    return true;
  }
  while (in_.ensure(1)) {
    size_t n = in_.window().size();
    ignored_ += n;
    in_.consume(n);
  }
  return false;
}

void DecompressSource::check_limits() {
  if (produced_ > limits_.max_decompressed)
    fail(ErrorCode::limit_exceeded, "decompression bomb: more than " +
                                        std::to_string(limits_.max_decompressed) +
                                        " decompressed bytes (ContainerLimits::max_decompressed)");
  if (produced_ <= limits_.ratio_grace) return;
  uint64_t read = std::max<uint64_t>(in_.offset() - start_, 1);
  if (produced_ / read > limits_.max_ratio)
    fail(ErrorCode::limit_exceeded,
         "decompression bomb: " + std::to_string(produced_) + " decompressed bytes from " +
             std::to_string(read) + " compressed bytes, more than " +
             std::to_string(limits_.max_ratio) + " to 1 (ContainerLimits::max_ratio)");
}

Opened open_compressed(Source& input, const ContainerLimits& limits) {
  Opened o;
  o.top_ = &input;
  for (;;) {
    Container kind = detail::peek_container(*o.top_);
    if (kind != Container::gzip && kind != Container::bzip2 && kind != Container::xz &&
        kind != Container::zlib)
      return o;
    if (o.chain_.size() >= limits.max_layers)
      throw ContainerError(ErrorCode::limit_exceeded, kind, o.top_->offset(),
                           "more than " + std::to_string(limits.max_layers) +
                               " nested layers of compression (ContainerLimits::max_layers)");
    o.chain_.push_back(std::make_unique<DecompressSource>(*o.top_, kind, limits));
    o.kinds_.push_back(kind);
    o.top_ = o.chain_.back().get();
  }
}

}  // namespace pickle
