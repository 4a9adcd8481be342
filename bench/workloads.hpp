// The workload shapes of the benchmarks (docs/performance.md), built in C++ from a
// fixed seed so every run times the same data. scripts/bench-compare.py builds the
// same shapes in Python for the side-by-side comparison with CPython.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/value.hpp"

namespace pickle::bench {

/// One workload: a name, and a maker that builds its value in a graph.
struct Workload {
  std::string_view name;
  /// False when the value holds Objects (they compare by identity, so the check
  /// before timing is the byte-identical round trip only).
  bool comparable;
  /// Builds the value; `scale` multiplies the default sizes (1.0 = the sizes in
  /// docs/performance.md divided by ten, to keep a full run short).
  Value (*make)(Graph& g, double scale);
};

/// Every workload shape, in a fixed order.
const std::vector<Workload>& workloads();

}  // namespace pickle::bench
