#include "text.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "bigint.hpp"

namespace pickle::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// Removes single underscores between digits of `base`; false on any other character
// or a misplaced underscore. `leading_underscore_ok` allows "_" right after a prefix.
bool collect_digits(std::string_view s, int base, bool leading_underscore_ok, std::string& out) {
  out.clear();
  bool prev_digit = leading_underscore_ok;
  for (char c : s) {
    if (c == '_') {
      if (!prev_digit) return false;
      prev_digit = false;
      continue;
    }
    if (digit_value(c) >= base) return false;
    out.push_back(c);
    prev_digit = true;
  }
  return !out.empty() && prev_digit;
}

}  // namespace

IntParse parse_int(std::string_view text, int base, size_t max_digits, ParsedInt& out) {
  std::string_view s = strip(text);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int b = 10;
  bool after_prefix = false;
  if (base == 0 && s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x' || p == 'o' || p == 'b') {
      b = p == 'x' ? 16 : p == 'o' ? 8 : 2;
      s.remove_prefix(2);
      after_prefix = true;
    }
  }
  std::string digits;
  if (!collect_digits(s, b, after_prefix, digits)) return IntParse::invalid;
  if (base == 0 && b == 10 && digits.size() > 1 && digits[0] == '0') {
    // Base 0 forbids leading zeros unless the number is zero.
    for (char c : digits)
      if (c != '0') return IntParse::invalid;
  }
  if (digits.size() > max_digits) return IntParse::too_many_digits;
  // Fast path: the magnitude fits in 2**63.
  constexpr uint64_t kLimit = uint64_t(1) << 63;
  uint64_t acc = 0;
  bool fits = true;
  for (char c : digits) {
    auto d = static_cast<uint64_t>(digit_value(c));
    if (acc > (kLimit - d) / static_cast<uint64_t>(b)) {
      fits = false;
      break;
    }
    acc = acc * static_cast<uint64_t>(b) + d;
  }
  if (fits && (neg || acc < kLimit)) {
    out.small = true;
    out.value = neg ? static_cast<int64_t>(0 - acc) : static_cast<int64_t>(acc);
    out.big.clear();
    return IntParse::ok;
  }
  out.small = false;
  out.big = b == 10 ? decimal_to_twos(digits, neg) : based_to_twos(digits, b, neg);
  return IntParse::ok;
}

namespace {

bool iequal(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != lower[i]) return false;
  return true;
}

// inf, infinity or nan in any case (after the sign).
bool special_float(std::string_view s, bool neg, double& out) {
  if (iequal(s, "inf") || iequal(s, "infinity")) {
    out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (iequal(s, "nan")) {
    out =
        neg ? -std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  return false;
}

// Whether a decimal literal (digits [. digits] [e [sign] digits], no sign, no
// underscores) that from_chars found out of range is too large (true) or too small.
// The value's order of magnitude is that of its first nonzero digit plus the exponent.
bool too_large(std::string_view clean) {
  size_t e = clean.find_first_of("eE");
  std::string_view mantissa = clean.substr(0, e);
  int64_t exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view x = clean.substr(e + 1);
    bool neg = !x.empty() && x[0] == '-';
    if (!x.empty() && (x[0] == '-' || x[0] == '+')) x.remove_prefix(1);
    for (char c : x) exponent = std::min<int64_t>(exponent * 10 + (c - '0'), int64_t(1) << 40);
    if (neg) exponent = -exponent;
  }
  size_t dot = mantissa.find('.');
  size_t int_digits = dot == std::string_view::npos ? mantissa.size() : dot;
  size_t first = mantissa.find_first_not_of("0.");
  if (first == std::string_view::npos) return false;  // zero: never out of range
  // The first nonzero digit stands for 10**magnitude.
  int64_t magnitude =
      first < int_digits ? int64_t(int_digits - first) - 1 : -int64_t(first - int_digits);
  return magnitude + exponent >= 0;
}

// from_chars of a checked decimal literal: false when it overflows (out is then +-inf);
// an underflow gives 0 (or a denormal), as Python's float() does.
bool convert_decimal(std::string_view clean, bool neg, double& out) {
  double v = 0;
  auto r = std::from_chars(clean.data(), clean.data() + clean.size(), v);
  bool ok = true;
  if (r.ec == std::errc::result_out_of_range) {
    ok = !too_large(clean);
    v = ok ? 0.0 : std::numeric_limits<double>::infinity();
  }
  out = neg ? -v : v;
  return ok;
}

}  // namespace

bool parse_float(std::string_view text, double& out) {
  std::string_view s = strip(text);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (special_float(s, neg, out)) return true;
  // digits [. digits] [e [sign] digits], underscores only between digits.
  std::string clean;
  size_t i = 0;
  auto run = [&](bool& any) {
    bool prev_digit = false;
    any = false;
    while (i < s.size()) {
      char c = s[i];
      if (c >= '0' && c <= '9') {
        clean.push_back(c);
        prev_digit = any = true;
      } else if (c == '_') {
        if (!prev_digit || i + 1 >= s.size() || s[i + 1] < '0' || s[i + 1] > '9') return false;
        prev_digit = false;
      } else {
        break;
      }
      ++i;
    }
    return true;
  };
  bool int_digits = false, frac_digits = false, exp_digits = false;
  if (!run(int_digits)) return false;
  if (i < s.size() && s[i] == '.') {
    clean.push_back('.');
    ++i;
    if (!run(frac_digits)) return false;
  }
  if (!int_digits && !frac_digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    clean.push_back('e');
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean.push_back(s[i++]);
    if (!run(exp_digits) || !exp_digits) return false;
  }
  if (i != s.size()) return false;
  convert_decimal(clean, neg, out);  // overflow is inf, as float() gives
  return true;
}

// ---------------------------------------------------------------------------
// CPython's C unpickler (Modules/_pickle.c) on INT, LONG and FLOAT lines, as observed
// by running it; see [NOTE text-numbers] in decoder.hpp. Every one reads the line as a
// C string, so it ends at the first NUL byte.

namespace {

std::string_view c_string(std::string_view line) {
  return line.substr(0, line.find('\0'));
}

// C's strtol(s, &end, 0) on a 64-bit long: true when it reads all of s without
// overflow. Leading whitespace, a sign, then 0x and a hex digit (hexadecimal), 0
// (octal) or decimal digits. With no digit at all, end is the start of s.
bool c_strtol(std::string_view s, int64_t& out, size_t& digits) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  int base = 10;
  if (i < s.size() && s[i] == '0') {
    base = 8;
    if (i + 2 < s.size() && (s[i + 1] | 0x20) == 'x' && digit_value(s[i + 2]) < 16) {
      base = 16;
      i += 2;
    }
  }
  size_t first = i;
  uint64_t acc = 0;
  bool overflow = false;
  const uint64_t limit = neg ? uint64_t(1) << 63 : (uint64_t(1) << 63) - 1;
  for (; i < s.size() && digit_value(s[i]) < base; ++i) {
    auto d = static_cast<uint64_t>(digit_value(s[i]));
    if (acc > (limit - d) / static_cast<uint64_t>(base))
      overflow = true;
    else
      acc = acc * static_cast<uint64_t>(base) + d;
  }
  digits = i - first;
  if (i == first) return s.empty();  // no digits: end is the start of s
  if (i != s.size() || overflow) return false;
  out = neg ? static_cast<int64_t>(0 - acc) : static_cast<int64_t>(acc);
  return true;
}

}  // namespace

IntParse c_int_line(std::string_view line, size_t max_digits, ParsedInt& out, bool& boolean) {
  boolean = false;
  if (line.empty()) return IntParse::invalid;
  std::string_view s = c_string(line);
  int64_t v = 0;
  size_t digits = 0;
  if (c_strtol(s, v, digits)) {
    if (digits > max_digits) return IntParse::too_many_digits;  // leading zeros
    // A two-character line read whole as 0 or 1 is a bool (CPython checks the
    // length of the line, not its text: "-0" and " 1" are bools too).
    boolean = line.size() == 2 && (v == 0 || v == 1);
    out.small = true;
    out.value = v;
    out.big.clear();
    return IntParse::ok;
  }
  return parse_int(s, 0, max_digits, out);  // then Python's int(s, 0)
}

IntParse c_long_line(std::string_view line, size_t max_digits, ParsedInt& out) {
  if (line.empty()) return IntParse::invalid;
  if (line.back() == 'L') line.remove_suffix(1);
  return parse_int(c_string(line), 0, max_digits, out);
}

CFloat c_float_line(std::string_view line, double& out) {
  if (line.empty()) return CFloat::invalid;
  std::string_view s = c_string(line);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (special_float(s, neg, out)) return CFloat::ok;
  // digits [. digits] [e [sign] digits]: no whitespace, no underscores.
  size_t i = 0, digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return CFloat::invalid;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t k = j;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
    if (k > j) i = k;  // else the exponent is not part of the number
  }
  if (i != s.size()) return CFloat::invalid;
  return convert_decimal(s, neg, out) ? CFloat::ok : CFloat::overflow;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid; `bad_len` receives
// the length of the maximal invalid subpart (at least 1), as CPython's decoder counts.
size_t utf8_sequence(std::string_view s, size_t i, bool allow_surrogates, size_t& bad_len) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t c = b(i);
  bad_len = 1;
  if (c < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED && !allow_surrogates) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) {
      bad_len = k;
      return 0;
    }
    uint8_t x = b(i + k);
    uint8_t l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (x < l || x > h) {
      bad_len = k;
      return 0;
    }
  }
  return n;
}

}  // namespace

namespace {

constexpr uint64_t kHighBits = 0x8080808080808080u;

// Whether the 8 bytes at p are all ASCII.
inline bool ascii8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return (w & kHighBits) == 0;
}

}  // namespace

// [NOTE latin1-text] Below protocol 3, CPython writes every bytes object as
// _codecs.encode(text, 'latin1'), text being the bytes read as Latin-1: a 64 MiB
// payload is 64 MiB of 1- and 2-byte UTF-8 sequences, about half of each for binary
// data. A loop that branches on each byte's kind mispredicts half the time on such
// data, and one that steps by 1 or 2 waits on each load for the next. So the loops
// here read 8 bytes at a time and classify them at once (SWAR: bit tricks on a
// 64-bit word, lane k being byte k): in each lane, whether the high bit is set, and
// whether the byte is a lead (11xxxxxx) or a continuation (10xxxxxx). A block whose
// continuations are exactly the lanes after its 2-byte leads is handled whole; any
// other block (3- and 4-byte sequences, errors) goes to the byte-by-byte code.
namespace {

constexpr uint64_t kLanes = 0x0101010101010101u;

inline uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The lanes of w (bit 7 of each) holding 2-byte leads 110xxxxx, C2 to DF, with
// every continuation of the block right after one of them, and the byte after the
// block (next) a continuation when lane 7 holds a lead. 0 with ok = false otherwise.
inline uint64_t two_byte_leads(uint64_t w, uint8_t next, bool& ok) {
  uint64_t high = w & kHighBits;
  uint64_t bit6 = (w << 1) & kHighBits;
  uint64_t bit5 = (w << 2) & kHighBits;
  uint64_t lead = high & bit6;
  uint64_t cont = high & ~bit6;
  uint64_t nonzero_4_1 = ((w & (0x1E * kLanes)) + 0x7E * kLanes) & kHighBits;  // not C0/C1
  ok = (lead & bit5) == 0 && (lead & ~nonzero_4_1) == 0 && cont == (lead << 8) &&
       (!(lead >> 63) || (next & 0xC0) == 0x80);
  return lead;
}

}  // namespace

bool is_ascii(std::string_view s) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t high = 0;
  if (n >= 8) {  // whole words, the last one overlapping the one before
    for (size_t i = 0; i + 8 <= n; i += 8) high |= load8(p + i);
    high |= load8(p + n - 8);
  } else if (n >= 4) {  // two overlapping 4-byte words
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    high = a | b;
  } else {
    for (size_t i = 0; i < n; ++i) high |= static_cast<uint8_t>(p[i]);
  }
  return (high & kHighBits) == 0;
}

size_t check_utf8(std::string_view s, bool allow_surrogates) {
  // Most text in pickles is ASCII, much of it short: settle that without the byte loop.
  if (is_ascii(s)) return std::string_view::npos;
  const char* b = s.data();
  const size_t n = s.size();
  size_t i = 0, bad;
  while (i < n) {
    if (n - i >= 9) {  // a whole block and the byte after it
      uint64_t w = load8(b + i);
      if ((w & kHighBits) == 0) {
        i += 8;
        continue;
      }
      bool ok;
      uint64_t lead = two_byte_leads(w, static_cast<uint8_t>(b[i + 8]), ok);
      if (ok) {
        i += 8 + (lead >> 63);  // lane 7's continuation is byte 8
        continue;
      }
    }
    // Byte by byte, up to the next block start.
    for (size_t stop = std::min(n, i + 8); i < stop;) {
      size_t k = utf8_sequence(s, i, allow_surrogates, bad);
      if (k == 0) return i;
      i += k;
    }
  }
  return std::string_view::npos;
}

size_t latin1_length(std::string_view text, uint32_t limit) {
  size_t n = text.size(), cont = 0, i = 0;
  // Lanes past limit: any high bit for ASCII; for Latin-1, bytes C4 and up (leads of
  // code points 0x100 and up), found as (b & 0x7F) + 0x3C reaching 0x80.
  const uint64_t low7 = 0x7F * kLanes, add = (limit > 0x80 ? 0x3C : 0x80) * kLanes;
  uint64_t past = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = load8(text.data() + i);
    cont += static_cast<size_t>(std::popcount(w & ~(w << 1) & kHighBits));  // 10xxxxxx
    past |= w & ((w & low7) + add);
  }
  for (; i < n; ++i) {
    auto c = static_cast<uint8_t>(text[i]);
    cont += (c & 0xC0) == 0x80;
    past |= c & ((c & 0x7Fu) + (add & 0xFF));
  }
  if (past & kHighBits) return std::string_view::npos;
  return n - cont;
}

size_t utf8_to_latin1(std::string_view text, uint32_t limit, char* out) {
  char* o = out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (end - p >= 9) {
    uint64_t w = load8(p);
    if ((w & kHighBits) == 0) {
      std::memcpy(o, p, 8);
      p += 8;
      o += 8;
      continue;
    }
    bool ok;
    uint64_t lead = two_byte_leads(w, static_cast<uint8_t>(p[8]), ok);
    // Leads C2 and C3 give the code points 0x80-0xFF; anything else is past limit.
    uint64_t lead_bytes = (lead >> 7) * 0xFF;
    if (!ok || limit <= 0x80 || ((w ^ (0xC2 * kLanes)) & (0xFE * kLanes) & lead_bytes) != 0)
      return std::string_view::npos;
    // Each lead lane becomes its code point, from its low 2 bits and the next lane's
    // (or byte 8's) low 6; continuation lanes are dropped.
    uint64_t after = load8(p + 1);
    uint64_t decoded = ((w & (0x03 * kLanes)) << 6) | (after & (0x3F * kLanes));
    uint64_t val = (w & ~lead_bytes) | (decoded & lead_bytes);
    uint64_t cont = (w & kHighBits) & ~lead;
    for (int k = 0; k < 8; ++k) {
      *o = static_cast<char>(val >> (8 * k));
      o += 1 - ((cont >> (8 * k + 7)) & 1);
    }
    p += 8 + (lead >> 63);
  }
  while (p < end) {  // the last few bytes
    auto c = static_cast<uint8_t>(*p);
    if (c < 0x80) {
      *o++ = static_cast<char>(c);
      ++p;
      continue;
    }
    if (c < 0xC2 || c > (limit > 0x80 ? 0xC3 : 0xC1) || end - p < 2 ||
        (static_cast<uint8_t>(p[1]) & 0xC0) != 0x80)
      return std::string_view::npos;
    *o++ = static_cast<char>(((c & 0x03) << 6) | (static_cast<uint8_t>(p[1]) & 0x3F));
    p += 2;
  }
  return static_cast<size_t>(o - out);
}

bool utf8_to_latin1(std::string_view text, uint32_t limit, std::string& out) {
  size_t length = latin1_length(text, limit);
  if (length == std::string_view::npos) return false;
  out.resize(length + 8);
  size_t n = utf8_to_latin1(text, limit, out.data());
  if (n == std::string_view::npos) return false;
  out.resize(n);
  return true;
}

size_t utf8_length_of_latin1(std::string_view bytes) {
  size_t n = bytes.size(), high = 0, i = 0;
  for (; i + 8 <= n; i += 8)
    high += static_cast<size_t>(std::popcount(load8(bytes.data() + i) & kHighBits));
  for (; i < n; ++i) high += static_cast<uint8_t>(bytes[i]) >> 7;
  return n + high;  // two bytes for each of 0x80-0xFF
}

size_t latin1_to_utf8(std::string_view bytes, char* out) {
  char* o = out;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    while (end - p >= 8 && ascii8(p)) {
      std::memcpy(o, p, 8);
      p += 8;
      o += 8;
    }
    for (const char* stop = std::min(end, p + 64); p < stop; ++p) {
      auto c = static_cast<uint8_t>(*p);
      unsigned high = c >> 7;
      o[0] = static_cast<char>(high ? 0xC0 | (c >> 6) : c);
      o[1] = static_cast<char>(0x80 | (c & 0x3F));
      o += 1 + high;
    }
  }
  return static_cast<size_t>(o - out);
}

void latin1_to_utf8(std::string_view bytes, std::string& out) {
  out.resize(utf8_length_of_latin1(bytes) + 1);  // an ASCII byte writes one past its own
  out.resize(latin1_to_utf8(bytes, out.data()));
}

bool escape_decode(std::string_view s, std::string& out, std::string& error) {
  out.clear();
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == s.size()) {
      error = "trailing \\ in string";
      return false;
    }
    c = s[i];
    switch (c) {
      case '\n': break;
      case '\\': out.push_back('\\'); break;
      case '\'': out.push_back('\''); break;
      case '"': out.push_back('"'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 't': out.push_back('\t'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 'v': out.push_back('\v'); break;
      case 'a': out.push_back('\a'); break;
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7': {
        unsigned v = static_cast<unsigned>(c - '0');
        for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
          v = v * 8 + static_cast<unsigned>(s[++i] - '0');
        out.push_back(static_cast<char>(v & 0xFF));
        break;
      }
      case 'x': {
        if (i + 2 < s.size() && digit_value(s[i + 1]) < 16 && digit_value(s[i + 2]) < 16) {
          out.push_back(static_cast<char>(digit_value(s[i + 1]) * 16 + digit_value(s[i + 2])));
          i += 2;
        } else {
          error = "invalid \\x escape at position " + std::to_string(i - 1);
          return false;
        }
        break;
      }
      default:
        // Unknown escapes keep their backslash, as CPython does.
        out.push_back('\\');
        out.push_back(c);
    }
  }
  return true;
}

bool raw_unicode_escape_decode(std::string_view s, std::string& out, std::string& error) {
  out.clear();
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i++]);
    if (c != '\\' || i == s.size()) {
      append_utf8(out, c);
      continue;
    }
    auto e = static_cast<uint8_t>(s[i++]);
    int count = e == 'u' ? 4 : e == 'U' ? 8 : 0;
    if (count == 0) {
      out.push_back('\\');
      append_utf8(out, e);
      continue;
    }
    uint32_t cp = 0;
    for (int k = 0; k < count; ++k, ++i) {
      if (i >= s.size() || digit_value(s[i]) >= 16) {
        error = count == 4 ? "truncated \\uXXXX escape" : "truncated \\UXXXXXXXX escape";
        return false;
      }
      cp = cp * 16 + static_cast<uint32_t>(digit_value(s[i]));
    }
    if (cp > 0x10FFFF) {
      error = "\\Uxxxxxxxx out of range";
      return false;
    }
    append_utf8(out, cp);
  }
  return true;
}

std::string normalize_encoding(std::string_view name) {
  std::string n;
  for (char c : name) {
    char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    n.push_back(l == '-' || l == ' ' ? '_' : l);
  }
  if (n == "ascii" || n == "us_ascii" || n == "646") return "ascii";
  if (n == "latin1" || n == "latin_1" || n == "iso_8859_1" || n == "iso8859_1" || n == "l1" ||
      n == "8859" || n == "cp819" || n == "latin")
    return "latin1";
  if (n == "utf_8" || n == "utf8" || n == "u8" || n == "utf") return "utf-8";
  if (n == "bytes") return "bytes";
  return {};
}

bool decode_py2(std::string_view data, std::string_view encoding, std::string_view errors,
                std::string& out, std::string& error) {
  out.clear();
  out.reserve(data.size());
  auto on_error = [&](size_t start, size_t end) {
    if (errors == "strict") {
      error = "'" + std::string(encoding == "ascii" ? "ascii" : "utf-8") +
              "' codec can't decode byte 0x";
      static const char kHex[] = "0123456789abcdef";
      auto b = static_cast<uint8_t>(data[start]);
      error += kHex[b >> 4];
      error += kHex[b & 15];
      error += " in position " + std::to_string(start);
      return false;
    }
    if (errors == "ignore") return true;
    if (errors == "replace") {
      append_utf8(out, 0xFFFD);
      return true;
    }
    for (size_t k = start; k < end; ++k) {
      auto b = static_cast<uint8_t>(data[k]);
      if (errors == "surrogateescape") {
        if (b < 0x80) {
          error = "surrogateescape cannot escape an ASCII byte";
          return false;
        }
        append_utf8(out, 0xDC00 + b);
      } else {  // backslashreplace
        static const char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 15];
      }
    }
    return true;
  };
  if (encoding == "latin1") {
    for (char c : data) append_utf8(out, static_cast<uint8_t>(c));
    return true;
  }
  if (encoding == "ascii") {
    for (size_t i = 0; i < data.size(); ++i) {
      if (static_cast<uint8_t>(data[i]) < 0x80)
        out.push_back(data[i]);
      else if (!on_error(i, i + 1))
        return false;
    }
    return true;
  }
  // utf-8, strict about surrogates.
  size_t i = 0, bad;
  while (i < data.size()) {
    size_t n = utf8_sequence(data, i, false, bad);
    if (n == 0) {
      if (!on_error(i, i + bad)) return false;
      i += bad;
      continue;
    }
    out.append(data.substr(i, n));
    i += n;
  }
  return true;
}

}  // namespace pickle::detail
