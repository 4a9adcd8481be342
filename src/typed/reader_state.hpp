// What a typed load keeps while it reads (src/typed/reader.cpp): its options, how
// deep it is, and the shared objects read so far (by node and C++ type).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>

#include "pickle/load.hpp"
#include "pickle/value.hpp"

namespace pickle::detail {

struct ReaderState {
  ReaderState(const TypedLoadOptions& o, bool outlives, size_t budget)
      : options(o), graph_outlives(outlives), values_left(budget) {}
  const TypedLoadOptions& options;
  bool graph_outlives;
  size_t values_left;  // see TypedLoadOptions::max_values
  size_t depth = 0;
  struct SharedKey {
    const Node* node;
    const void* tag;
    bool operator==(const SharedKey&) const = default;
  };
  struct SharedKeyHash {
    size_t operator()(const SharedKey& k) const noexcept {
      return std::hash<const void*>()(k.node) * 31 + std::hash<const void*>()(k.tag);
    }
  };
  struct Shared {
    std::shared_ptr<void> object;
    bool filling;  // being read: reaching it again is a cycle
  };
  std::unordered_map<SharedKey, Shared, SharedKeyHash> shared;
};

}  // namespace pickle::detail
