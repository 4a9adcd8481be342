// The bodies of the fuzz targets, shared with tests/unit/regressions_test.cpp, which
// replays every input in tests/regressions/ through them in the normal build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "pickle/pickle.hpp"

namespace pickle::fuzz {

/// Loading never crashes, hangs or leaks; every failure is an UnpicklingError. Each
/// loaded value is also printed (repr) and written back at some protocol.
inline void load_target(const uint8_t* data, size_t size) {
  LoadOptions options;
  // Tight limits keep each run small; the limits themselves are under test too.
  options.limits.max_memo_entries = 1 << 12;
  options.limits.max_stack = 1 << 14;
  options.limits.max_marks = 1 << 12;
  options.limits.max_int_digits = 2000;
  options.limits.max_long_bytes = 1 << 12;
  options.py2_str.undecodable_as_bytes = (size & 1) != 0;
  MemorySource source(std::span<const uint8_t>(data, size));
  Unpickler unpickler(source, options);
  Graph graph;
  for (int i = 0; i < 4; ++i) {
    Value v;
    try {
      v = unpickler.load(graph);
    } catch (const UnpicklingError&) {
      return;
    }
    try {
      repr(v, {.max_bytes = 1 << 16});
    } catch (const std::length_error&) {
    }
    try {
      dumps(v, {.protocol = static_cast<int>(size % 6)});
    } catch (const PicklingError&) {
    }
    if (unpickler.at_end()) break;
  }
}

}  // namespace pickle::fuzz
