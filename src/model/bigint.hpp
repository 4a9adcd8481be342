// Arbitrary-precision integer helpers for the engine. Ints beyond int64 are stored as
// two's-complement little-endian bytes of minimal length (the LONG1/LONG4 encoding).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pickle::detail {

/// Decimal digits (no sign, no underscores, at least one digit) to minimal
/// two's-complement little-endian bytes of +value or -value.
std::vector<uint8_t> decimal_to_twos(std::string_view digits, bool negative);

/// Digits in another base (2, 8 or 16; no prefix, no underscores) to minimal
/// two's-complement little-endian bytes.
std::vector<uint8_t> based_to_twos(std::string_view digits, int base, bool negative);

/// Minimal two's-complement little-endian bytes to decimal text ("-123").
std::string twos_to_decimal(std::span<const uint8_t> bytes);

/// The same in hex, linear where decimal is quadratic: "0x1f", "-0x80", "0x0".
std::string twos_to_hex(std::span<const uint8_t> bytes);

/// The shortest prefix of `bytes` that encodes the same value (empty for zero).
std::span<const uint8_t> minimal_twos(std::span<const uint8_t> bytes);

/// Two's-complement little-endian encoding of an int64 of minimal length (empty for 0),
/// as CPython's encode_long.
std::vector<uint8_t> int64_to_twos(int64_t v);

/// If bytes (minimal) fit in int64, stores the value and returns true.
bool twos_to_int64(std::span<const uint8_t> bytes, int64_t& out);

/// The exact value as a double, rounded as Python's float(int) (round-half-even);
/// returns false on overflow (|value| too large for a double).
bool twos_to_double(std::span<const uint8_t> bytes, double& out);

/// If d is integral and finite, its minimal two's-complement bytes; else empty + false.
bool double_to_twos(double d, std::vector<uint8_t>& out);

}  // namespace pickle::detail
