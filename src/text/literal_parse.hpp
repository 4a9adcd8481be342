// Python literals read back into values: what an .npy header holds (a dict of str,
// bool, int, tuples and lists).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pickle/value.hpp"

namespace pickle::detail {

/// Where and why parse_literal stopped.
struct LiteralError {
  size_t offset = 0;
  std::string what;
};

/// Reads one Python literal into g: str ('...' or "..." with backslash escapes), int,
/// True, False, None, and tuples, lists and dicts of them, nested up to `max_depth`
/// (with an explicit stack: no recursion). Whitespace around is allowed; anything
/// after is an error. Returns false with `error` set when the text is not such a
/// literal.
bool parse_literal(std::string_view text, Graph& g, Value& out, LiteralError& error,
                   size_t max_depth = 64);

}  // namespace pickle::detail
