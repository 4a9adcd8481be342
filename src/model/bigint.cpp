// Arbitrary-precision conversions. Values are kept as a sign and a magnitude in
// 32-bit limbs (little-endian, no high zero limbs) while they are worked on; the
// schoolbook algorithms here are quadratic in the number of limbs, which is fast for
// the thousands of digits real pickles carry.
#include "model/bigint.hpp"

#include <bit>
#include <cmath>

#include "pickle/error.hpp"

namespace pickle::detail {
namespace {

using Limbs = std::vector<uint32_t>;

constexpr uint32_t kDecimalBase = 1000000000;  // 10^9: the most that fits in a limb
constexpr int kDecimalDigits = 9;

void trim(Limbs& mag) {
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
}

/// Splits two's-complement bytes into a sign and a magnitude.
Limbs to_magnitude(std::span<const uint8_t> bytes, bool& negative) {
  negative = !bytes.empty() && (bytes.back() & 0x80);
  Limbs mag((bytes.size() + 3) / 4, 0);
  uint32_t carry = 1;  // negation: invert every byte, then add one
  for (size_t i = 0; i < bytes.size(); ++i) {
    uint32_t b = bytes[i];
    if (negative) {
      b = (~b & 0xffu) + carry;
      carry = b >> 8;
      b &= 0xffu;
    }
    mag[i / 4] |= b << (8 * (i % 4));
  }
  trim(mag);
  return mag;
}

/// A sign and a magnitude to minimal two's-complement bytes.
std::vector<uint8_t> from_magnitude(const Limbs& mag, bool negative) {
  std::vector<uint8_t> out(mag.size() * 4 + 1, 0);  // one spare byte for the sign
  for (size_t i = 0; i < mag.size(); ++i) {
    for (size_t j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(mag[i] >> (8 * j));
  }
  if (negative) {
    uint32_t carry = 1;
    for (uint8_t& b : out) {
      uint32_t t = (~static_cast<uint32_t>(b) & 0xffu) + carry;
      b = static_cast<uint8_t>(t);
      carry = t >> 8;
    }
  }
  out.resize(minimal_twos(out).size());
  return out;
}

/// mag = mag * mul + add.
void mul_add(Limbs& mag, uint32_t mul, uint32_t add) {
  uint64_t carry = add;
  for (uint32_t& limb : mag) {
    uint64_t t = static_cast<uint64_t>(limb) * mul + carry;
    limb = static_cast<uint32_t>(t);
    carry = t >> 32;
  }
  if (carry) mag.push_back(static_cast<uint32_t>(carry));
}

/// mag /= kDiv; returns the remainder. Keeps mag trimmed. The divisor is a constant
/// so that the compiler divides by multiplying.
template <uint32_t kDiv>
uint32_t div_small(Limbs& mag) {
  uint64_t rem = 0;
  for (size_t i = mag.size(); i-- > 0;) {
    uint64_t cur = (rem << 32) | mag[i];
    mag[i] = static_cast<uint32_t>(cur / kDiv);
    rem = cur % kDiv;
  }
  trim(mag);
  return static_cast<uint32_t>(rem);
}

size_t bit_length(const Limbs& mag) {
  if (mag.empty()) return 0;
  return 32 * (mag.size() - 1) + static_cast<size_t>(std::bit_width(mag.back()));
}

/// Bits [pos, pos + count) of mag, count <= 64.
uint64_t bits_at(const Limbs& mag, size_t pos, size_t count) {
  uint64_t v = 0;
  for (size_t k = 0; k < count; ++k) {
    size_t bit = pos + k;
    size_t limb = bit / 32;
    if (limb < mag.size() && ((mag[limb] >> (bit % 32)) & 1u)) v |= uint64_t{1} << k;
  }
  return v;
}

/// True if any of bits [0, count) of mag is set.
bool any_bits_below(const Limbs& mag, size_t count) {
  size_t full = count / 32;
  for (size_t i = 0; i < full && i < mag.size(); ++i) {
    if (mag[i]) return true;
  }
  size_t rest = count % 32;
  if (rest && full < mag.size()) return (mag[full] & ((uint32_t{1} << rest) - 1)) != 0;
  return false;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

}  // namespace

std::vector<uint8_t> decimal_to_twos(std::string_view digits, bool negative) {
  if (digits.empty()) throw UsageError("decimal_to_twos: no digits");
  Limbs mag;
  mag.reserve(digits.size() / 9 + 1);
  // The first chunk takes the odd digits so that every later one has exactly nine.
  size_t chunk = digits.size() % kDecimalDigits;
  if (chunk == 0) chunk = kDecimalDigits;
  size_t pos = 0;
  while (pos < digits.size()) {
    uint32_t value = 0;
    for (size_t i = pos; i < pos + chunk; ++i) {
      char c = digits[i];
      if (c < '0' || c > '9') throw UsageError("decimal_to_twos: not a digit");
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    mul_add(mag, kDecimalBase, value);
    pos += chunk;
    chunk = kDecimalDigits;
  }
  trim(mag);
  return from_magnitude(mag, negative);
}

std::vector<uint8_t> based_to_twos(std::string_view digits, int base, bool negative) {
  if (base == 10) return decimal_to_twos(digits, negative);
  int shift = base == 2 ? 1 : base == 8 ? 3 : base == 16 ? 4 : 0;
  if (shift == 0) throw UsageError("based_to_twos: base must be 2, 8, 10 or 16");
  if (digits.empty()) throw UsageError("based_to_twos: no digits");
  Limbs mag((digits.size() * static_cast<size_t>(shift) + 31) / 32, 0);
  size_t bit = 0;
  for (size_t i = digits.size(); i-- > 0;) {  // least significant digit first
    int d = digit_value(digits[i]);
    if (d >= base) throw UsageError("based_to_twos: not a digit of the base");
    auto v = static_cast<uint64_t>(d) << (bit % 32);
    mag[bit / 32] |= static_cast<uint32_t>(v);
    if ((v >> 32) != 0) mag[bit / 32 + 1] |= static_cast<uint32_t>(v >> 32);
    bit += static_cast<size_t>(shift);
  }
  trim(mag);
  return from_magnitude(mag, negative);
}

std::string twos_to_hex(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> mag(bytes.begin(), bytes.end());
  bool negative = !mag.empty() && (mag.back() & 0x80);
  if (negative) {  // the magnitude: invert and add one
    unsigned carry = 1;
    for (uint8_t& x : mag) {
      unsigned v = static_cast<uint8_t>(~x) + carry;
      x = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
  }
  while (!mag.empty() && mag.back() == 0) mag.pop_back();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = negative ? "-0x" : "0x";
  if (mag.empty()) return out + '0';
  out.reserve(out.size() + 2 * mag.size());
  if (mag.back() >> 4) out += kHex[mag.back() >> 4];
  out += kHex[mag.back() & 15];
  for (size_t i = mag.size() - 1; i-- > 0;) {
    out += kHex[mag[i] >> 4];
    out += kHex[mag[i] & 15];
  }
  return out;
}

std::string twos_to_decimal(std::span<const uint8_t> bytes) {
  bool negative = false;
  Limbs mag = to_magnitude(bytes, negative);
  if (mag.empty()) return "0";
  std::vector<uint32_t> chunks;  // base 10^9, least significant first
  chunks.reserve(mag.size() * 32 / 29 + 2);
  while (!mag.empty()) chunks.push_back(div_small<kDecimalBase>(mag));
  std::string out;
  out.reserve(chunks.size() * kDecimalDigits + 1);
  if (negative) out.push_back('-');
  out += std::to_string(chunks.back());
  for (size_t i = chunks.size() - 1; i-- > 0;) {
    char buf[kDecimalDigits];
    uint32_t c = chunks[i];
    for (int j = kDecimalDigits - 1; j >= 0; --j) {
      buf[j] = static_cast<char>('0' + c % 10);
      c /= 10;
    }
    out.append(buf, kDecimalDigits);
  }
  return out;
}

std::span<const uint8_t> minimal_twos(std::span<const uint8_t> bytes) {
  size_t n = bytes.size();
  while (n > 0) {
    uint8_t last = bytes[n - 1];
    if (n == 1) {
      if (last == 0) n = 0;
      break;
    }
    bool prev_high = (bytes[n - 2] & 0x80) != 0;
    if ((last == 0x00 && !prev_high) || (last == 0xff && prev_high)) {
      --n;
    } else {
      break;
    }
  }
  return bytes.first(n);
}

std::vector<uint8_t> int64_to_twos(int64_t v) {
  auto u = static_cast<uint64_t>(v);
  std::vector<uint8_t> out(8);
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(u >> (8 * i));
  out.resize(minimal_twos(out).size());
  return out;
}

bool twos_to_int64(std::span<const uint8_t> bytes, int64_t& out) {
  if (bytes.size() > 8) bytes = minimal_twos(bytes);  // redundant sign bytes may remain
  if (bytes.size() > 8) return false;
  if (bytes.empty()) {
    out = 0;
    return true;
  }
  // The bytes as an unsigned number, then the top byte's sign bit copied above them.
  uint64_t u = 0;
  for (size_t i = 0; i < bytes.size(); ++i) u |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  int shift = static_cast<int>(64 - 8 * bytes.size());
  out = static_cast<int64_t>(u << shift) >> shift;
  return true;
}

bool twos_to_double(std::span<const uint8_t> bytes, double& out) {
  bool negative = false;
  Limbs mag = to_magnitude(bytes, negative);
  size_t nbits = bit_length(mag);
  double result;
  if (nbits <= 53) {
    result = static_cast<double>(bits_at(mag, 0, nbits));  // exact
  } else {
    // Keep 53 bits plus one rounding bit; the bits below only matter as "sticky".
    size_t low = nbits - 54;
    uint64_t top = bits_at(mag, low, 54);
    bool sticky = any_bits_below(mag, low);
    uint64_t q = top >> 1;
    if ((top & 1) && (sticky || (q & 1))) ++q;  // round half to even
    auto exp = static_cast<long>(low + 1);
    if (q == (uint64_t{1} << 53)) {
      q >>= 1;
      ++exp;
    }
    if (exp + 53 > 1024) return false;  // q * 2^exp >= 2^1024 > DBL_MAX
    result = std::ldexp(static_cast<double>(q), static_cast<int>(exp));
  }
  out = negative ? -result : result;
  return true;
}

bool double_to_twos(double d, std::vector<uint8_t>& out) {
  out.clear();
  if (!std::isfinite(d) || d != std::trunc(d)) return false;
  int exp = 0;
  double frac = std::frexp(std::fabs(d), &exp);  // |d| = frac * 2^exp, frac in [0.5, 1)
  auto mant = static_cast<uint64_t>(std::ldexp(frac, 53));
  Limbs mag;
  if (exp <= 53) {
    uint64_t v = mant >> (53 - exp);  // exact: d is integral
    mag = {static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
  } else {
    auto shift = static_cast<size_t>(exp - 53);
    mag.assign(shift / 32 + 3, 0);
    size_t s = shift % 32;
    uint64_t lo = mant << s;
    uint64_t hi = s ? mant >> (64 - s) : 0;
    mag[shift / 32] = static_cast<uint32_t>(lo);
    mag[shift / 32 + 1] = static_cast<uint32_t>(lo >> 32);
    mag[shift / 32 + 2] = static_cast<uint32_t>(hi);
  }
  trim(mag);
  out = from_magnitude(mag, d < 0);
  return true;
}

}  // namespace pickle::detail
