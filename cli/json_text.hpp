// JSON strings for the tools' --json output: UTF-8 passed through, control
// characters, quotes and backslashes escaped, and bytes that are not UTF-8 (lone
// surrogates as a Str may hold them) escaped as \uXXXX of their code point or byte.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace pickle::cli {

inline void append_json_string(std::string& out, std::string_view s) {
  auto hex = [&out](unsigned cp) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    out += buf;
  };
  out += '"';
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20) {
      hex(c);
      ++i;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
    } else {
      // A whole UTF-8 sequence passes; a surrogate's 3-byte form and stray bytes are
      // escaped.
      size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      bool whole = n && i + n <= s.size();
      for (size_t k = 1; whole && k < n; ++k)
        whole = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      if (whole && n == 3 && c == 0xED && static_cast<unsigned char>(s[i + 1]) >= 0xA0) {
        hex(((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
            (static_cast<unsigned char>(s[i + 2]) & 0x3Fu));
        i += 3;
      } else if (whole) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        hex(c);
        ++i;
      }
    }
  }
  out += '"';
}

}  // namespace pickle::cli
