// Hashing and equality helpers shared by hash.cpp, equal.cpp and index.cpp. Inline
// here because the dict and set index calls them once per key: the common keys (str
// and small ints) hash and compare without a call out of the index's loop.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "pickle/value.hpp"

namespace pickle::detail {

/// The node of v as T, unchecked: for code that has already looked at v's kind.
template <class T>
T& node_of(Value v) noexcept {
  return *static_cast<T*>(v.node());
}

constexpr uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/// A random key, drawn once per process (hash.cpp). See [NOTE hash-key].
uint64_t draw_hash_key() noexcept;

inline uint64_t hash_key() noexcept {
  static const uint64_t key = draw_hash_key();
  return key;
}

inline uint64_t hash_bytes(std::string_view s, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed ^ hash_key();
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  // The last 0-7 bytes as one word, without a call to memcpy of a variable length:
  // two overlapping loads (or three bytes); with the length mixed in below, equal
  // words still mean equal tails.
  uint64_t w = 0;
  if (s.size() >= 8) {
    if (n) std::memcpy(&w, s.data() + s.size() - 8, 8);
  } else if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    w = lo | (uint64_t(hi) << 32);
  } else if (n) {
    w = uint64_t(uint8_t(p[0])) | uint64_t(uint8_t(p[n / 2])) << 8 |
        uint64_t(uint8_t(p[n - 1])) << 16;
  }
  return mix(h ^ w ^ (uint64_t(s.size()) << 56));
}

constexpr uint64_t kTagBig = 0x1, kTagStr = 0x2, kTagBytes = 0x3, kTagGlobal = 0x4;

inline uint64_t hash_int64(int64_t i) {
  return mix(static_cast<uint64_t>(i) ^ 0x5555 ^ hash_key());
}

/// d as an int64 when it is an integral value in range.
inline bool double_as_int64(double d, int64_t& out) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
  auto i = static_cast<int64_t>(d);
  if (static_cast<double>(i) != d) return false;
  out = i;
  return true;
}

/// hash(v), with the str and small-int cases inline.
inline uint64_t hash_inline(Value v) {
  if (v.kind() == Kind::Str) return hash_bytes(node_of<StrNode>(v).text, kTagStr);
  if (v.kind() == Kind::Int && !v.is_bigint()) return hash_int64(v.raw_int());
  return hash(v);
}

/// equal(a, b) past its str and small-int cases (equal.cpp).
bool equal_general(Value a, Value b);

/// equal(a, b), with the common cases of dict keys inline: without the general
/// walk's bookkeeping.
inline bool equal_inline(Value a, Value b) {
  if (a.kind() == Kind::Str && b.kind() == Kind::Str)
    return node_of<StrNode>(a).text == node_of<StrNode>(b).text;
  if (a.kind() == Kind::Int && b.kind() == Kind::Int && !a.is_bigint() && !b.is_bigint())
    return a.raw_int() == b.raw_int();
  return equal_general(a, b);
}

}  // namespace pickle::detail
