// Text codecs: UTF-8 (with CPython's surrogatepass), Latin-1, the escape decoders of
// protocol 0, and encoding names.
#include "text/text.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace pickle::detail {

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
