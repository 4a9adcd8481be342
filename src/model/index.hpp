// What index.cpp offers the engine beyond DictNode's own methods.
#pragma once

#include <span>

#include "pickle/value.hpp"

namespace pickle::detail {

/// d[k] = v for each (k, v) of pairs (key, value, key, value, ...), as DictNode::set
/// would, in one call: SETITEMS sets a whole batch. Throws TypeError when a key is
/// unhashable and LimitError when the dict grows too large.
void set_pairs(DictNode& d, std::span<const Value> pairs);

}  // namespace pickle::detail
