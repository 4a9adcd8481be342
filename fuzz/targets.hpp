// The bodies of the fuzz targets, shared with tests/unit/regressions_test.cpp, which
// replays every input in tests/regressions/ through them in the normal build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "pickle/pickle.hpp"
#include "same_shape.hpp"

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
      DumpOptions d;
      d.protocol = static_cast<int>(size % 6);
      dumps(v, d);
    } catch (const PicklingError&) {
    }
    if (unpickler.at_end()) break;
  }
}

/// Load, dump at every protocol, load again: the same data comes back.
inline void roundtrip_target(const uint8_t* data, size_t size) {
  LoadOptions options;
  options.limits.max_memo_entries = 1 << 12;
  options.limits.max_stack = 1 << 14;
  options.limits.max_marks = 1 << 12;
  options.limits.max_int_digits = 2000;
  options.limits.max_long_bytes = 1 << 12;
  Graph graph;
  Value v;
  try {
    v = loads(std::span<const uint8_t>(data, size), graph, options);
  } catch (const UnpicklingError&) {
    return;
  }
  for (int protocol = 0; protocol <= HIGHEST_PROTOCOL; ++protocol) {
    std::string bytes;
    try {
      DumpOptions d;
      d.protocol = protocol;
      bytes = dumps(v, d);
    } catch (const PicklingError&) {
      continue;  // e.g. a non-ASCII persistent id at protocol 0
    }
    Graph again;
    Value w = loads(bytes, again);  // must load: an error here is a finding
    std::string why;
    if (!same_shape(v, w, &why)) {
      fprintf(stderr, "round trip at protocol %d changed the data: %s\n", protocol, why.c_str());
      __builtin_trap();
    }
  }
}

}  // namespace pickle::fuzz
