// What the JSON writer knows about each node of a graph before writing it: how often
// it is referenced, the id it was given, whether it is the document's key str of its
// text. A linear-probing table from node address to a dense index, so that a graph of
// millions of nodes costs two flat arrays.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pickle/value.hpp"

namespace pickle::detail {

struct JsonNodeInfo {
  uint32_t refs = 0;  ///< references to the node in the graph walked
  uint32_t id = 0;    ///< the "$id" written, once written (0: none yet)
  /// Str only: 1 when the node is the key str of its text (docs/json.md), 2 when it
  /// is used as a dict key but another node is, 0 when not decided.
  uint8_t key = 0;
};

class JsonNodeTable {
 public:
  explicit JsonNodeTable(size_t expected) {
    size_t n = 16;
    while (n < 2 * expected) n *= 2;
    resize(n);
    infos_.reserve(expected);
  }

  /// The info of n, added (zeroed) when absent.
  JsonNodeInfo& at(const Node* n) {
    size_t i = home(n);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].node == n) return infos_[slots_[i].index];
      if (slots_[i].node == nullptr) break;
    }
    if (2 * (infos_.size() + 1) > slots_.size()) {
      resize(slots_.size() * 2);
      return at(n);
    }
    slots_[i] = {n, static_cast<uint32_t>(infos_.size())};
    infos_.emplace_back();
    return infos_.back();
  }

 private:
  struct Slot {
    const Node* node = nullptr;
    uint32_t index = 0;
  };

  size_t home(const Node* n) const {
    auto x = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(n));
    return static_cast<size_t>((x * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  void resize(size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64 - std::countr_zero(static_cast<uint64_t>(n));
    for (const Slot& s : old) {
      if (s.node == nullptr) continue;
      size_t i = home(s.node);
      while (slots_[i].node != nullptr) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::vector<JsonNodeInfo> infos_;
  size_t mask_ = 0;
  int shift_ = 64;
};

}  // namespace pickle::detail
