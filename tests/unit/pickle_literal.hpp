// The `_pk` literal of the unit tests, and py_bytes for a literal held in a variable: the
// bytes of a Python bytes-literal body, so a pickle reads as pickletools shows it, e.g.
// R"(\x80\x04K\x01.)"_pk.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pickle_test {

inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw std::invalid_argument("bad hex digit in test literal");
}

// The bytes of the body of a Python bytes literal (as repr() prints it).
inline std::string py_bytes(std::string_view s) {
  const size_t n = s.size();
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == n) throw std::invalid_argument("trailing backslash in test literal");
    switch (s[i]) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'x':
        if (i + 2 >= n) throw std::invalid_argument("short \\x escape in test literal");
        out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
        i += 2;
        break;
      default: throw std::invalid_argument("unknown escape in test literal");
    }
  }
  return out;
}

inline std::string operator""_pk(const char* s, size_t n) {
  return py_bytes({s, n});
}

}  // namespace pickle_test
