// Python's number grammars for text: int(), float() and the C unpickler's INT, LONG and
// FLOAT lines. See [NOTE text-numbers] in load/reader.hpp.
#include "text/text.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "model/bigint.hpp"

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
// by running it; see [NOTE text-numbers] in load/reader.hpp. Every one reads the line as a
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

}  // namespace pickle::detail
