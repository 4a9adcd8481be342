// The text layer: Python's number grammars (numbers.cpp), string codecs (codecs.cpp), Python
// literals as repr() writes them (literal.cpp), and JSON text (json.cpp). The parsers and codecs return
// false (or an error message) instead of throwing; the decoder adds the offset and
// opcode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pickle::detail {

/// The value of a digit in bases up to 36 (either case), or 99 for any other byte.
inline int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

/// A parsed Python int: small when it fits in int64, else two's-complement bytes.
struct ParsedInt {
  bool small = true;
  int64_t value = 0;
  std::vector<uint8_t> big;
};

enum class IntParse { ok, invalid, too_many_digits };

/// Python's int(text, base) for bytes input, base 10 or 0 (0: prefixes 0x/0o/0b, no
/// leading zeros on decimals). Surrounding ASCII whitespace and single underscores
/// between digits are accepted. `invalid` when Python would raise ValueError;
/// `too_many_digits` when there are more than max_digits digits (sign, whitespace and
/// underscores do not count, as for CPython's int_max_str_digits).
IntParse parse_int(std::string_view text, int base, size_t max_digits, ParsedInt& out);

/// Python's float(text) for bytes input (inf, infinity, nan, underscores, whitespace);
/// a value too large is +-inf, too small 0 or a denormal. pickletools reads FLOAT so.
bool parse_float(std::string_view text, double& out);

/// CPython's C unpickler (pickle.loads) on the line of an INT: C's strtol in base 0
/// (octal after a leading 0), then Python's int(s, 0) when strtol does not read it
/// all; `boolean` when the line is two characters that strtol reads as 0 or 1.
IntParse c_int_line(std::string_view line, size_t max_digits, ParsedInt& out, bool& boolean);
/// ... on the line of a LONG: one trailing 'L' removed, then Python's int(s, 0).
IntParse c_long_line(std::string_view line, size_t max_digits, ParsedInt& out);
enum class CFloat { ok, invalid, overflow };
/// ... on the line of a FLOAT: C's strtod grammar (no whitespace, no underscores; inf,
/// infinity, nan); a value too large is `overflow` (CPython raises OverflowError).
CFloat c_float_line(std::string_view line, double& out);

/// Appends code point cp as UTF-8; surrogates get their 3-byte form (surrogatepass).
void append_utf8(std::string& out, uint32_t cp);

/// Whether every byte of s is below 0x80 (8 bytes at a time).
bool is_ascii(std::string_view s);

/// Checks UTF-8 as Python's decode('utf-8', 'surrogatepass'). Returns the offset of the
/// first invalid byte, or npos when valid.
size_t check_utf8(std::string_view s, bool allow_surrogates);

/// How many code points UTF-8 text holds (its bytes that are not continuation bytes),
/// the length of its Latin-1 form; npos when a lead byte starts a code point at or
/// past limit (0x80 or 0x100), checked before anything is allocated for the result.
size_t latin1_length(std::string_view text, uint32_t limit);

/// Valid UTF-8 text (as check_utf8 accepts it) to the bytes of its code points, when
/// every one is below limit (0x80: ASCII, 0x100: Latin-1); false otherwise.
bool utf8_to_latin1(std::string_view text, uint32_t limit, std::string& out);
/// The same into out, which must have room for latin1_length(text) + 8 bytes (the
/// 8-byte steps may write one lane past the end). Returns the bytes written, or npos.
size_t utf8_to_latin1(std::string_view text, uint32_t limit, char* out);

/// Bytes read as Latin-1 code points, written as UTF-8 (1 or 2 bytes each).
void latin1_to_utf8(std::string_view bytes, std::string& out);
/// The length of that UTF-8.
size_t utf8_length_of_latin1(std::string_view bytes);
/// The same into out, which must have room for utf8_length_of_latin1(bytes) + 1 bytes
/// (an ASCII byte also writes the byte after its own). Returns the bytes written.
size_t latin1_to_utf8(std::string_view bytes, char* out);

/// codecs.escape_decode of a STRING argument (quotes already removed). On failure
/// returns false and sets `error`.
bool escape_decode(std::string_view s, std::string& out, std::string& error);

/// raw-unicode-escape decode of a UNICODE line into UTF-8 (surrogates allowed).
bool raw_unicode_escape_decode(std::string_view s, std::string& out, std::string& error);

/// Python 2 str bytes decoded as bytes.decode(encoding, errors). encoding is one of
/// "ascii", "latin1", "utf-8" (normalised); errors one of strict, ignore, replace,
/// surrogateescape, backslashreplace.
bool decode_py2(std::string_view data, std::string_view encoding, std::string_view errors,
                std::string& out, std::string& error);

/// Normalises a codec name as Python's lookup does for the codecs we support; returns
/// "ascii", "latin1", "utf-8", "bytes", or empty for an unknown codec.
std::string normalize_encoding(std::string_view name);

// ---------------------------------------------------------------------------
// Python literals: the one implementation that repr (`pickle show`), dis and the
// Pickler's protocol 0 text opcodes share.

/// Python's repr(int) of a 64-bit int.
void append_int_repr(std::string& out, int64_t v);

/// Python's repr(float): shortest round-trip digits, 'inf', '-inf', 'nan', '1e+16'.
void append_float_repr(std::string& out, double d);

/// Python's repr(complex): '1j', '(1+2j)', '(-0-1j)', '(nan+infj)'.
void append_complex_repr(std::string& out, double real, double imag);

/// Python's repr(str) of UTF-8 text (lone surrogates allowed in their 3-byte form; a
/// byte that starts no valid sequence prints as \udcXX, so the output is valid UTF-8).
void append_str_repr(std::string& out, std::string_view utf8);

/// A name (of a module, a global, a keyword argument) as it prints in `show` and in
/// messages: unchanged when printable, so `module.qualname` stays as it is; what
/// str.isprintable() rejects is escaped as repr(str) escapes it (\n, \t, \x85,
/// \ud800, \U000e0001), so a name never breaks a line. No quotes, and \ and quotes
/// are not escaped.
void append_name_repr(std::string& out, std::string_view name);
/// The same as a new string.
std::string quoted_name(std::string_view name);

/// Python's repr(bytes): b'...' with the quote choice and escapes CPython uses.
void append_bytes_repr(std::string& out, std::string_view data);

/// Python's repr(bytearray): bytearray(b'...'); unlike bytes, every ' is escaped.
void append_bytearray_repr(std::string& out, std::string_view data);

/// Python 2's repr(str) of those bytes: the bytes literal without its b ('caf\xe9'), as
/// the protocol 0 STRING opcode carries it.
void append_py2_str_repr(std::string& out, std::string_view data);

// ---------------------------------------------------------------------------
// JSON text (json.cpp): what the JSON tools write, in one place.

/// A JSON string of UTF-8 text, quotes included: `"`, `\` and control characters
/// escaped as json.dumps escapes them (\n, \t, ... and \u00XX); with ensure_ascii,
/// DEL and every non-ASCII character as \uXXXX (a surrogate pair beyond U+FFFF), as
/// json.dumps's default writes it. A lone surrogate (3-byte form) is written as its
/// \uXXXX escape, and a byte that starts no valid sequence as \u00XX of the byte.
void append_json_string(std::string& out, std::string_view utf8, bool ensure_ascii);

/// The length of the UTF-8 sequence at s[i] (a surrogate's 3-byte form included) and
/// its code point in cp; 0 when no valid sequence starts there.
size_t utf8_sequence(std::string_view s, size_t i, uint32_t& cp);

/// True if the UTF-8 text holds a lone surrogate or a byte that starts no valid
/// sequence: JSON strings cannot carry it (json_string_pieces splits it).
bool has_lone_surrogate(std::string_view utf8);

/// Base64 (RFC 4648, with padding) of the bytes.
void append_base64(std::string& out, std::string_view data);
/// Decodes base64 with padding; false on any other character or a bad length.
bool decode_base64(std::string_view text, std::string& out);

}  // namespace pickle::detail
