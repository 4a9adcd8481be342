// Arbitrary-precision helpers. Expected encodings are CPython 3.13's
// pickle.encode_long(x).hex() and float(x); large cases use oracles computed here by
// a different method (decimal doubling, byte-wise multiplication).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/bigint.hpp"
#include "pickle/error.hpp"

namespace {

using pickle::detail::based_to_twos;
using pickle::detail::decimal_to_twos;
using pickle::detail::double_to_twos;
using pickle::detail::int64_to_twos;
using pickle::detail::minimal_twos;
using pickle::detail::twos_to_decimal;
using pickle::detail::twos_to_double;
using pickle::detail::twos_to_hex;
using pickle::detail::twos_to_int64;

std::string hex(const std::vector<uint8_t>& bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

std::vector<uint8_t> unhex(std::string_view s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

/// base^exp as minimal two's complement, by byte-wise multiplication.
std::vector<uint8_t> power_twos(uint32_t base, int exp, bool negative) {
  std::vector<uint8_t> mag{1};
  for (int e = 0; e < exp; ++e) {
    uint32_t carry = 0;
    for (uint8_t& b : mag) {
      uint32_t t = b * base + carry;
      b = static_cast<uint8_t>(t);
      carry = t >> 8;
    }
    while (carry) {
      mag.push_back(static_cast<uint8_t>(carry));
      carry >>= 8;
    }
  }
  mag.push_back(0);  // sign byte
  if (negative) {
    unsigned carry = 1;
    for (uint8_t& b : mag) {
      unsigned t = static_cast<uint8_t>(~b) + carry;
      b = static_cast<uint8_t>(t);
      carry = t >> 8;
    }
  }
  mag.resize(minimal_twos(mag).size());
  return mag;
}

/// +-2^exp as minimal two's complement, by setting one bit.
std::vector<uint8_t> bit_twos(int exp, bool negative) {
  std::vector<uint8_t> b(static_cast<size_t>(exp / 8 + 2), 0);
  b[static_cast<size_t>(exp / 8)] = static_cast<uint8_t>(1 << (exp % 8));
  if (negative) {
    unsigned carry = 1;
    for (uint8_t& x : b) {
      unsigned t = static_cast<uint8_t>(~x) + carry;
      x = static_cast<uint8_t>(t);
      carry = t >> 8;
    }
  }
  b.resize(minimal_twos(b).size());
  return b;
}

/// 2^exp in decimal, by doubling a digit string.
std::string power_of_two_decimal(int exp) {
  std::string digits = "1";  // least significant first
  for (int e = 0; e < exp; ++e) {
    int carry = 0;
    for (char& c : digits) {
      int d = (c - '0') * 2 + carry;
      c = static_cast<char>('0' + d % 10);
      carry = d / 10;
    }
    if (carry) digits += static_cast<char>('0' + carry);
  }
  return std::string(digits.rbegin(), digits.rend());
}

struct Case {
  const char* decimal;
  const char* twos_hex;
};

// pickle.encode_long(x).hex() in CPython 3.13.
const Case kCases[] = {
    {"0", ""},
    {"1", "01"},
    {"-1", "ff"},
    {"127", "7f"},
    {"128", "8000"},
    {"255", "ff00"},
    {"256", "0001"},
    {"-128", "80"},
    {"-129", "7fff"},
    {"-256", "00ff"},
    {"9223372036854775807", "ffffffffffffff7f"},
    {"-9223372036854775808", "0000000000000080"},
    {"9223372036854775808", "000000000000008000"},
    {"-9223372036854775809", "ffffffffffffff7fff"},
    {"18446744073709551616", "000000000000000001"},
    {"1000000000000000000000000000000", "00000040eaed7446d09c2c9f0c"},
    {"-1000000000000000000000000000000", "000000c015128bb92f63d360f3"},
    {"12345678901234567890123456789", "1581396eb1c9be46321be427"},
    {"-99999999999999999999", "0100f09cd2a13894fa"},
};

TEST(BigInt, DecimalToTwosMatchesCPython) {
  for (const Case& c : kCases) {
    std::string_view d = c.decimal;
    bool negative = d[0] == '-';
    if (negative) d.remove_prefix(1);
    EXPECT_EQ(hex(decimal_to_twos(d, negative)), c.twos_hex) << c.decimal;
  }
}

TEST(BigInt, TwosToDecimalMatchesCPython) {
  for (const Case& c : kCases) {
    EXPECT_EQ(twos_to_decimal(unhex(c.twos_hex)), c.decimal) << c.twos_hex;
  }
}

TEST(BigInt, NegativeZeroAndLeadingZeros) {
  EXPECT_TRUE(decimal_to_twos("0", true).empty());
  EXPECT_TRUE(decimal_to_twos("0000000000000000000000", false).empty());
  EXPECT_EQ(hex(decimal_to_twos("000000000000000000000128", false)), "8000");
  EXPECT_EQ(hex(decimal_to_twos("00000000000000000000128", true)), "80");
}

TEST(BigInt, DecimalRejectsNonDigits) {
  EXPECT_THROW(decimal_to_twos("", false), pickle::UsageError);
  EXPECT_THROW(decimal_to_twos("12a", false), pickle::UsageError);
  EXPECT_THROW(decimal_to_twos("-1", false), pickle::UsageError);
  EXPECT_THROW(decimal_to_twos("1_000", false), pickle::UsageError);
}

TEST(BigInt, NonMinimalInputToDecimal) {
  EXPECT_EQ(twos_to_decimal(unhex("0000")), "0");
  EXPECT_EQ(twos_to_decimal(unhex("ffff")), "-1");
  EXPECT_EQ(twos_to_decimal(unhex("7f0000")), "127");
}

TEST(BigInt, PowersOfTwoAgainstDoubling) {
  for (int exp : {0, 7, 8, 31, 32, 63, 64, 65, 100, 1000, 10000}) {
    ASSERT_EQ(bit_twos(exp, false), power_twos(2, exp, false));
    ASSERT_EQ(bit_twos(exp, true), power_twos(2, exp, true));
    std::string expected = power_of_two_decimal(exp);
    auto positive = power_twos(2, exp, false);
    auto negative = power_twos(2, exp, true);
    EXPECT_EQ(twos_to_decimal(positive), expected) << exp;
    EXPECT_EQ(twos_to_decimal(negative), "-" + expected) << exp;
    EXPECT_EQ(decimal_to_twos(expected, false), positive) << exp;
    EXPECT_EQ(decimal_to_twos(expected, true), negative) << exp;
  }
}

TEST(BigInt, PowersOfTenRoundTrip) {
  for (int exp : {1, 9, 10, 18, 19, 20, 100, 999, 3000}) {
    std::string digits = "1" + std::string(static_cast<size_t>(exp), '0');
    EXPECT_EQ(decimal_to_twos(digits, false), power_twos(10, exp, false)) << exp;
    EXPECT_EQ(decimal_to_twos(digits, true), power_twos(10, exp, true)) << exp;
    EXPECT_EQ(twos_to_decimal(power_twos(10, exp, true)), "-" + digits) << exp;
  }
}

TEST(BigInt, RandomDecimalRoundTrip) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    size_t length = 1 + rng() % (trial < 250 ? 60 : 4000);
    std::string digits;
    digits += static_cast<char>('1' + rng() % 9);
    while (digits.size() < length) digits += static_cast<char>('0' + rng() % 10);
    bool negative = rng() & 1;
    auto twos = decimal_to_twos(digits, negative);
    ASSERT_EQ(minimal_twos(twos).size(), twos.size());
    EXPECT_EQ(twos_to_decimal(twos), (negative ? "-" : "") + digits);
  }
}

TEST(BigInt, BasedToTwos) {
  // int('7fffffffffffffffff', 16), -0xdeadbeef, 0o777, 0b101 in CPython 3.13.
  EXPECT_EQ(hex(based_to_twos("7fffffffffffffffff", 16, false)), "ffffffffffffffff7f");
  EXPECT_EQ(hex(based_to_twos("7FFFFFFFFFFFFFFFFF", 16, false)), "ffffffffffffffff7f");
  EXPECT_EQ(hex(based_to_twos("deadbeef", 16, true)), "11415221ff");
  EXPECT_EQ(hex(based_to_twos("777", 8, false)), "ff01");
  EXPECT_EQ(hex(based_to_twos("101", 2, false)), "05");
  EXPECT_EQ(hex(based_to_twos("000", 2, true)), "");
  EXPECT_EQ(hex(based_to_twos("1234", 10, false)), hex(decimal_to_twos("1234", false)));
  // 8^100 in octal and hex agree with the power.
  EXPECT_EQ(based_to_twos("1" + std::string(100, '0'), 8, false), power_twos(8, 100, false));
  EXPECT_EQ(based_to_twos("1" + std::string(75, '0'), 16, true), power_twos(2, 300, true));
  EXPECT_THROW(based_to_twos("12", 2, false), pickle::UsageError);
  EXPECT_THROW(based_to_twos("8", 8, false), pickle::UsageError);
  EXPECT_THROW(based_to_twos("g", 16, false), pickle::UsageError);
  EXPECT_THROW(based_to_twos("", 16, false), pickle::UsageError);
  EXPECT_THROW(based_to_twos("1", 7, false), pickle::UsageError);
}

TEST(BigInt, TwosToHex) {
  // hex(x) in CPython 3.13, and based_to_twos read back.
  EXPECT_EQ(twos_to_hex(unhex("")), "0x0");
  EXPECT_EQ(twos_to_hex(unhex("ff")), "-0x1");
  EXPECT_EQ(twos_to_hex(unhex("80")), "-0x80");
  EXPECT_EQ(twos_to_hex(unhex("0f")), "0xf");
  EXPECT_EQ(twos_to_hex(unhex("ffffffffffffffff7f")), "0x7fffffffffffffffff");
  EXPECT_EQ(twos_to_hex(unhex("11415221ff")), "-0xdeadbeef");
  EXPECT_EQ(twos_to_hex(unhex("0001")), "0x100");
  for (bool negative : {false, true}) {
    std::vector<uint8_t> p = power_twos(2, 300, negative);
    std::string h = twos_to_hex(p);
    EXPECT_EQ(h, std::string(negative ? "-0x1" : "0x1") + std::string(75, '0'));
    EXPECT_EQ(based_to_twos(h.substr(negative ? 3 : 2), 16, negative), p);
  }
}

TEST(BigInt, MinimalTwos) {
  auto minimal = [](std::string_view h) {
    auto bytes = unhex(h);
    return hex(std::vector<uint8_t>(
        bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(minimal_twos(bytes).size())));
  };
  EXPECT_EQ(minimal(""), "");
  EXPECT_EQ(minimal("00"), "");
  EXPECT_EQ(minimal("000000"), "");
  EXPECT_EQ(minimal("ff"), "ff");
  EXPECT_EQ(minimal("ffffff"), "ff");
  EXPECT_EQ(minimal("7f00"), "7f");
  EXPECT_EQ(minimal("8000"), "8000");
  EXPECT_EQ(minimal("80ff"), "80");
  EXPECT_EQ(minimal("7fff"), "7fff");
  EXPECT_EQ(minimal("01000000"), "01");
}

TEST(BigInt, Int64ToTwos) {
  EXPECT_EQ(hex(int64_to_twos(0)), "");
  EXPECT_EQ(hex(int64_to_twos(1)), "01");
  EXPECT_EQ(hex(int64_to_twos(-1)), "ff");
  EXPECT_EQ(hex(int64_to_twos(128)), "8000");
  EXPECT_EQ(hex(int64_to_twos(-128)), "80");
  EXPECT_EQ(hex(int64_to_twos(-129)), "7fff");
  EXPECT_EQ(hex(int64_to_twos(INT64_MAX)), "ffffffffffffff7f");
  EXPECT_EQ(hex(int64_to_twos(INT64_MIN)), "0000000000000080");
}

TEST(BigInt, TwosToInt64) {
  int64_t v = 7;
  EXPECT_TRUE(twos_to_int64({}, v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(twos_to_int64(unhex("ff"), v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(twos_to_int64(unhex("7fff"), v));
  EXPECT_EQ(v, -129);
  EXPECT_TRUE(twos_to_int64(unhex("0000000000000080"), v));
  EXPECT_EQ(v, INT64_MIN);
  EXPECT_TRUE(twos_to_int64(unhex("ffffffffffffff7f"), v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(twos_to_int64(unhex("ffffffffffffffffffff"), v));  // not minimal: -1
  EXPECT_EQ(v, -1);
  v = 7;
  EXPECT_FALSE(twos_to_int64(unhex("000000000000008000"), v));
  EXPECT_FALSE(twos_to_int64(unhex("ffffffffffffff7fff"), v));
  EXPECT_EQ(v, 7);
  for (int64_t x : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{255}, int64_t{-256},
                    int64_t{1} << 40, -(int64_t{1} << 55) - 3, INT64_MAX, INT64_MIN}) {
    ASSERT_TRUE(twos_to_int64(int64_to_twos(x), v));
    EXPECT_EQ(v, x);
    EXPECT_EQ(twos_to_decimal(int64_to_twos(x)), std::to_string(x));
  }
}

TEST(BigInt, TwosToDoubleRoundsHalfEven) {
  double d = 0;
  // float(2**53 + 1), float(2**53 + 3), float(2**54 + 2), float(2**54 + 3)
  auto plus = [](int exp, int add) {
    auto b = power_twos(2, exp, false);
    b[0] = static_cast<uint8_t>(b[0] + add);
    return b;
  };
  ASSERT_TRUE(twos_to_double(plus(53, 1), d));
  EXPECT_EQ(d, 9007199254740992.0);
  ASSERT_TRUE(twos_to_double(plus(53, 3), d));
  EXPECT_EQ(d, 9007199254740996.0);
  ASSERT_TRUE(twos_to_double(plus(54, 2), d));
  EXPECT_EQ(d, 1.8014398509481984e+16);
  ASSERT_TRUE(twos_to_double(plus(54, 3), d));
  EXPECT_EQ(d, 1.8014398509481988e+16);
  ASSERT_TRUE(twos_to_double({}, d));
  EXPECT_EQ(d, 0.0);
  ASSERT_TRUE(twos_to_double(unhex("80"), d));
  EXPECT_EQ(d, -128.0);
  ASSERT_TRUE(twos_to_double(unhex("0000000000000080"), d));
  EXPECT_EQ(d, -9223372036854775808.0);
  // float(3**600) == 0x1.f813b8e393478p+950
  ASSERT_TRUE(twos_to_double(power_twos(3, 600, false), d));
  EXPECT_EQ(d, 0x1.f813b8e393478p+950);
  ASSERT_TRUE(twos_to_double(power_twos(3, 600, true), d));
  EXPECT_EQ(d, -0x1.f813b8e393478p+950);
  ASSERT_TRUE(twos_to_double(power_twos(2, 1023, true), d));
  EXPECT_EQ(d, -0x1p+1023);
}

TEST(BigInt, TwosToDoubleOverflow) {
  // 2**1024 - 2**970 is halfway between DBL_MAX and 2**1024: rounds to even, overflows.
  // One less rounds down to DBL_MAX.
  double d = 0;
  std::vector<uint8_t> halfway(129, 0);  // 2**1024 - 2**970: bits 970..1023 set
  for (int bit = 970; bit < 1024; ++bit) halfway[static_cast<size_t>(bit / 8)] |= 1 << (bit % 8);
  EXPECT_FALSE(twos_to_double(halfway, d));
  std::vector<uint8_t> below = halfway;  // minus one: bits 0..969 set as well
  for (int bit = 0; bit < 970; ++bit) below[static_cast<size_t>(bit / 8)] |= 1 << (bit % 8);
  below[121] &= static_cast<uint8_t>(~(1 << 2));  // bit 970 cleared
  ASSERT_TRUE(twos_to_double(below, d));
  EXPECT_EQ(d, 0x1.fffffffffffffp+1023);
  EXPECT_FALSE(twos_to_double(power_twos(2, 1024, false), d));
  EXPECT_FALSE(twos_to_double(power_twos(2, 1024, true), d));
  EXPECT_FALSE(twos_to_double(power_twos(10, 400, false), d));
}

TEST(BigInt, DoubleToTwos) {
  std::vector<uint8_t> out{1, 2, 3};
  EXPECT_TRUE(double_to_twos(0.0, out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(double_to_twos(-0.0, out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(double_to_twos(-128.0, out));
  EXPECT_EQ(hex(out), "80");
  EXPECT_TRUE(double_to_twos(9223372036854775808.0, out));
  EXPECT_EQ(hex(out), "000000000000008000");
  EXPECT_TRUE(double_to_twos(-0x1p+1023, out));
  EXPECT_EQ(out, power_twos(2, 1023, true));
  EXPECT_TRUE(double_to_twos(1e300, out));
  double back = 0;
  ASSERT_TRUE(twos_to_double(out, back));
  EXPECT_EQ(back, 1e300);
  EXPECT_TRUE(double_to_twos(0x1.fffffffffffffp+1023, out));
  ASSERT_TRUE(twos_to_double(out, back));
  EXPECT_EQ(back, 0x1.fffffffffffffp+1023);
  EXPECT_FALSE(double_to_twos(0.5, out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(double_to_twos(1e15 + 0.5, out));
  EXPECT_FALSE(double_to_twos(INFINITY, out));
  EXPECT_FALSE(double_to_twos(-INFINITY, out));
  EXPECT_FALSE(double_to_twos(NAN, out));
  // Every power of two in range, both signs.
  for (int exp = 0; exp < 1024; ++exp) {
    ASSERT_TRUE(double_to_twos(std::ldexp(1.0, exp), out));
    EXPECT_EQ(out, bit_twos(exp, false)) << exp;
    ASSERT_TRUE(double_to_twos(-std::ldexp(1.0, exp), out));
    EXPECT_EQ(out, bit_twos(exp, true)) << exp;
  }
}

}  // namespace
