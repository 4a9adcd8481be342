// Python literals as repr() writes them: ints, floats, complex numbers, str, bytes,
// bytearray and Python 2 str. The one implementation behind `repr`/`show`, `dis` and
// the Pickler's text opcodes (DESIGN.md, the text layer).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "text/text.hpp"

namespace pickle::detail {
namespace {

struct CodePointRange {
  uint32_t first, last;
};

// Code points str.isprintable() rejects in CPython 3.13: categories Cc, Cf, Cs, Co,
// Cn, Zl, Zp and Zs except the ASCII space. repr() escapes exactly these.
constexpr CodePointRange kNonPrintable[] = {
#include "text/unicode_printable.inc"
};

bool is_printable(uint32_t cp) {
  const CodePointRange* end = std::end(kNonPrintable);
  const CodePointRange* it =
      std::upper_bound(std::begin(kNonPrintable), end, cp,
                       [](uint32_t c, const CodePointRange& r) { return c < r.first; });
  if (it == std::begin(kNonPrintable)) return true;
  --it;
  return cp > it->last;
}

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string& out, uint32_t value, int digits) {
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
}

/// Decodes one code point at s[i]; returns its length in bytes. Lone surrogates in
/// their 3-byte form are code points like any other. A byte that starts no valid
/// sequence decodes as U+DC80..U+DCFF (as Python's surrogateescape would see it).
size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp) {
  auto at = [&](size_t k) -> uint32_t { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k) { return k < s.size() && (at(k) & 0xC0) == 0x80; };
  uint32_t c0 = at(i);
  if (c0 >= 0xC2 && c0 <= 0xDF && cont(i + 1)) {
    cp = ((c0 & 0x1F) << 6) | (at(i + 1) & 0x3F);
    return 2;
  }
  if (c0 >= 0xE0 && c0 <= 0xEF && cont(i + 1) && cont(i + 2) && !(c0 == 0xE0 && at(i + 1) < 0xA0)) {
    cp = ((c0 & 0x0F) << 12) | ((at(i + 1) & 0x3F) << 6) | (at(i + 2) & 0x3F);
    return 3;
  }
  if (c0 >= 0xF0 && c0 <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3) &&
      !(c0 == 0xF0 && at(i + 1) < 0x90) && !(c0 == 0xF4 && at(i + 1) > 0x8F)) {
    cp = ((c0 & 0x07) << 18) | ((at(i + 1) & 0x3F) << 12) | ((at(i + 2) & 0x3F) << 6) |
         (at(i + 3) & 0x3F);
    return 4;
  }
  cp = 0xDC00 + c0;
  return 1;
}

/// The float formatting both float and complex repr use: shortest round-trip digits,
/// positional when the decimal exponent is in [-4, 16), else d.ddde+XX.
/// `add_dot_0` makes integral positional values end in ".0" (float, not complex);
/// `force_sign` writes '+' before non-negative values (complex's imaginary part).
void format_double(std::string& out, double d, bool add_dot_0, bool force_sign) {
  if (std::isnan(d)) {  // Python ignores the sign of a NaN
    out += force_sign ? "+nan" : "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : force_sign ? "+inf" : "inf";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const char* p = buf;
  const char* end = res.ptr;
  if (*p == '-') {
    out += '-';
    ++p;
  } else if (force_sign) {
    out += '+';
  }
  char digits[32];
  int nd = 0;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') digits[nd++] = *p;
  }
  ++p;  // 'e'
  bool exp_negative = p < end && *p == '-';
  if (p < end && (*p == '-' || *p == '+')) ++p;
  int exp = 0;
  std::from_chars(p, end, exp);
  if (exp_negative) exp = -exp;

  if (exp >= -4 && exp < 16) {
    int point = exp + 1;  // digits before the decimal point
    if (point <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-point), '0');
      out.append(digits, static_cast<size_t>(nd));
    } else if (point >= nd) {
      out.append(digits, static_cast<size_t>(nd));
      out.append(static_cast<size_t>(point - nd), '0');
      if (add_dot_0) out += ".0";
    } else {
      out.append(digits, static_cast<size_t>(point));
      out += '.';
      out.append(digits + point, static_cast<size_t>(nd - point));
    }
  } else {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits + 1, static_cast<size_t>(nd - 1));
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    int mag = std::abs(exp);
    if (mag < 10) out += '0';
    char eb[8];
    auto er = std::to_chars(eb, eb + sizeof eb, mag);
    out.append(eb, er.ptr);
  }
}

}  // namespace

void append_int_repr(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_complex_repr(std::string& out, double real, double imag) {
  if (real == 0 && !std::signbit(real)) {  // +0 real part: just the imaginary part
    format_double(out, imag, false, false);
    out += 'j';
    return;
  }
  out += '(';
  format_double(out, real, false, false);
  format_double(out, imag, false, true);
  out += "j)";
}

void append_float_repr(std::string& out, double d) {
  format_double(out, d, true, false);
}

namespace {

/// The characters of UTF-8 text as repr(str) writes them between its quotes. `quote`
/// is the quote repr chose, escaped with \ as repr escapes it; 0 for a name, which
/// keeps \ and both quotes as they are and escapes only what is not printable.
void append_escaped(std::string& out, std::string_view s, char quote) {
  auto plain = [quote](unsigned char c) {
    return c >= 0x20 && c < 0x7f &&
           (quote == 0 || (c != '\\' && c != static_cast<unsigned char>(quote)));
  };
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (plain(c)) {
      size_t j = i + 1;
      while (j < s.size() && plain(static_cast<unsigned char>(s[j]))) ++j;
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        default:
          if (quote != 0 && c == static_cast<unsigned char>(quote)) {
            out += '\\';
            out += quote;
          } else {
            out += "\\x";
            append_hex(out, c, 2);
          }
      }
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len = decode_utf8(s, i, cp);
    if (is_printable(cp)) {
      out.append(s.data() + i, len);
    } else if (cp <= 0xff) {
      out += "\\x";
      append_hex(out, cp, 2);
    } else if (cp <= 0xffff) {
      out += "\\u";
      append_hex(out, cp, 4);
    } else {
      out += "\\U";
      append_hex(out, cp, 8);
    }
    i += len;
  }
}

}  // namespace

void append_str_repr(std::string& out, std::string_view s) {
  // Single quotes unless the text has a ' and no ".
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  out.reserve(out.size() + s.size() + 2);
  out += quote;
  append_escaped(out, s, quote);
  out += quote;
}

void append_name_repr(std::string& out, std::string_view name) {
  append_escaped(out, name, 0);
}

std::string quoted_name(std::string_view name) {
  std::string s;
  append_name_repr(s, name);
  return s;
}

namespace {

/// A bytes literal as bytes and bytearray print it (`prefix` "b"), or as Python 2
/// printed its str (no prefix). They pick the quote alike, but bytearray's printer
/// escapes every ' even inside double quotes: b"x\'y".
void append_bytes_literal(std::string& out, std::string_view data, std::string_view prefix,
                          bool escape_all_single) {
  bool has_single = data.find('\'') != std::string_view::npos;
  bool has_double = data.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  out.reserve(out.size() + data.size() + 3);
  out += prefix;
  out += quote;
  for (char ch : data) {
    auto c = static_cast<unsigned char>(ch);
    if (ch == quote || ch == '\\' || (ch == '\'' && escape_all_single)) {
      out += '\\';
      out += ch;
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      append_hex(out, c, 2);
    } else {
      out += ch;
    }
  }
  out += quote;
}

}  // namespace

void append_bytes_repr(std::string& out, std::string_view data) {
  append_bytes_literal(out, data, "b", false);
}

void append_bytearray_repr(std::string& out, std::string_view data) {
  out += "bytearray(";
  append_bytes_literal(out, data, "b", true);
  out += ')';
}

void append_py2_str_repr(std::string& out, std::string_view data) {
  append_bytes_literal(out, data, "", false);
}

}  // namespace pickle::detail
