// TrickleSource: a Source that hands out its bytes a few at a time, each refill into
// a freshly allocated buffer (the old one is freed), like a stream read in tiny
// chunks. Under ASan, a reader that keeps a view across a refill reads freed memory,
// and every refill path of the Reader (lines, payloads, frames crossing a chunk
// boundary) runs on small inputs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "pickle/load.hpp"

namespace pickle::fuzz {

class TrickleSource final : public Source {
 public:
  TrickleSource(std::span<const uint8_t> data, size_t chunk)
      : data_(data), chunk_(std::max<size_t>(chunk, 1)) {
    set_window(nullptr, nullptr, nullptr, 0);
  }

 protected:
  bool refill(size_t need) override {
    size_t consumed = static_cast<size_t>(pos_ - begin_);
    uint64_t at = base_ + consumed;  // absolute offset of the first unread byte
    size_t left = data_.size() - static_cast<size_t>(at);
    // As a stream at its end: when `need` cannot be met, everything left is shown.
    size_t give = need > left ? left : std::min(left, std::max(need, chunk_));
    auto fresh = std::make_unique<uint8_t[]>(give + 1);
    std::copy_n(data_.data() + at, give, fresh.get());
    buf_ = std::move(fresh);
    set_window(buf_.get(), buf_.get(), buf_.get() + give, at);
    return give >= need;
  }

 private:
  std::span<const uint8_t> data_;
  size_t chunk_;
  std::unique_ptr<uint8_t[]> buf_;
};

}  // namespace pickle::fuzz
