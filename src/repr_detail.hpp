// Pieces of repr() the engine reuses (the protocol 0 FLOAT opcode writes repr(float)).
#pragma once

#include <string>
#include <string_view>

namespace pickle::detail {

/// Python's repr(float): shortest round-trip digits, 'inf', '-inf', 'nan', '1e+16'.
void append_float_repr(std::string& out, double d);

/// Python's repr(str) of UTF-8 text (lone surrogates allowed in their 3-byte form).
void append_str_repr(std::string& out, std::string_view utf8);

/// Python's repr(bytes): b'...' with the quote choice and escapes CPython uses.
void append_bytes_repr(std::string& out, std::string_view data);

/// Python's repr(bytearray): bytearray(b'...'); unlike bytes, every ' is escaped.
void append_bytearray_repr(std::string& out, std::string_view data);

}  // namespace pickle::detail
