// The UTF-8 and Latin-1 loops of src/text/codecs.cpp ([NOTE latin1-text]) against plain
// byte-by-byte definitions, on random text built to hit every block shape: ASCII,
// 2-byte sequences across block edges, longer sequences, surrogates and broken bytes.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "text/text.hpp"

namespace pickle::detail {
namespace {

// Python's bytes.decode('utf-8', 'surrogatepass' if surrogates else 'strict'): the
// offset of the first byte that does not start a valid sequence, or npos.
size_t first_invalid(const std::string& s, bool surrogates) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      lo = c == 0xE0 ? 0xA0 : 0x80;
      hi = c == 0xED && !surrogates ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      lo = c == 0xF0 ? 0x90 : 0x80;
      hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
      return i;
    }
    for (size_t k = 1; k < n; ++k) {
      if (i + k >= s.size()) return i;
      auto x = static_cast<uint8_t>(s[i + k]);
      if (x < (k == 1 ? lo : 0x80) || x > (k == 1 ? hi : 0xBF)) return i;
    }
    i += n;
  }
  return std::string::npos;
}

// Code points of valid UTF-8, when all are below limit.
bool code_points_below(const std::string& s, uint32_t limit, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0xC2 || c > 0xDF) return false;  // 3 or 4 bytes: 0x800 or more
    uint32_t cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3Fu);
    if (cp >= limit) return false;
    out += static_cast<char>(cp);
    i += 2;
  }
  return true;
}

std::string random_text(std::mt19937_64& r) {
  static const uint8_t kBytes[] = {'a',  '~',  0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xC3, 0xC4, 0xDF,
                                   0xE0, 0xED, 0xA0, 0x9F, 0xF0, 0xF4, 0x90, 0x8F, 0xFF, 0xA9};
  std::string s;
  size_t len = r() % 48;
  int mode = static_cast<int>(r() % 3);
  for (size_t k = 0; k < len; ++k) {
    if (mode == 0) {
      s += static_cast<char>(kBytes[r() % sizeof kBytes]);
    } else {
      uint32_t cp = mode == 1 ? r() % 0x100 : r() % 0x110000;
      if (mode == 2 && r() % 2) cp %= 0x800;
      append_utf8(s, cp);
    }
  }
  if (!s.empty() && r() % 5 == 0)
    s[r() % s.size()] = static_cast<char>(kBytes[r() % sizeof kBytes]);
  return s;
}

TEST(Text, CheckUtf8MatchesTheByteByByteDefinition) {
  std::mt19937_64 r(1);
  for (int n = 0; n < 200000; ++n) {
    std::string s = random_text(r);
    for (bool surrogates : {false, true})
      ASSERT_EQ(check_utf8(s, surrogates), first_invalid(s, surrogates))
          << testing::PrintToString(s);
  }
}

// Every length up to three words, with no high byte and with one at each position
// (is_ascii reads overlapping words and half-words).
TEST(Text, IsAsciiAtEveryLengthAndPosition) {
  for (size_t n = 0; n <= 24; ++n) {
    std::string s(n, 'a');
    EXPECT_TRUE(is_ascii(s)) << n;
    for (size_t k = 0; k < n; ++k) {
      std::string t = s;
      t[k] = static_cast<char>(0x80);
      EXPECT_FALSE(is_ascii(t)) << n << " " << k;
      t[k] = static_cast<char>(0xFF);
      EXPECT_FALSE(is_ascii(t)) << n << " " << k;
      t[k] = 0x7F;
      EXPECT_TRUE(is_ascii(t)) << n << " " << k;
    }
  }
}

TEST(Text, Utf8ToLatin1MatchesTheByteByByteDefinition) {
  std::mt19937_64 r(2);
  int converted = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string s = random_text(r);
    if (first_invalid(s, true) != std::string::npos) continue;  // only for valid text
    for (uint32_t limit : {0x80u, 0x100u}) {
      std::string ours, expected;
      bool ok = utf8_to_latin1(s, limit, ours);
      ASSERT_EQ(ok, code_points_below(s, limit, expected)) << testing::PrintToString(s);
      if (ok) {
        ASSERT_EQ(ours, expected);
        ++converted;
      }
    }
  }
  EXPECT_GT(converted, 10000);  // the random text does reach the conversion
}

TEST(Text, Latin1ToUtf8IsAppendUtf8OfEachByte) {
  std::mt19937_64 r(3);
  for (int n = 0; n < 100000; ++n) {
    std::string bytes = random_text(r), ours, expected;
    latin1_to_utf8(bytes, ours);
    for (char c : bytes) append_utf8(expected, static_cast<uint8_t>(c));
    ASSERT_EQ(ours, expected);
  }
}

TEST(Text, Latin1RoundTripOfEveryByteAtEveryBlockOffset) {
  // Each byte value at each position of a 9-byte window, and a long run.
  for (size_t offset = 0; offset < 10; ++offset) {
    for (int b = 0; b < 256; ++b) {
      std::string bytes(offset, 'x');
      bytes += static_cast<char>(b);
      bytes += std::string(9, static_cast<char>(0xE9));
      std::string text, back;
      latin1_to_utf8(bytes, text);
      ASSERT_EQ(check_utf8(text, false), std::string::npos);
      ASSERT_TRUE(utf8_to_latin1(text, 0x100, back));
      ASSERT_EQ(back, bytes);
      EXPECT_EQ(utf8_to_latin1(text, 0x80, back), false);  // 0xE9 is not ASCII
    }
  }
}

}  // namespace
}  // namespace pickle::detail
