// The memo of the opcode machine (decoder.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model/scratch_alloc.hpp"
#include "pickle/load.hpp"

namespace pickle::detail {

/// The memo: a dense vector for small indices with a sparse map for far ones, so
/// `LONG_BINPUT 0xFFFFFFFF` costs one map entry. See [NOTE memo-sparse].
template <class Item>
class Memo {
 public:
  // [NOTE memo-sparse] CPython once sized its memo by the largest index seen, so a
  // 5-byte pickle could ask for gigabytes (CVE-2018-20406). We grow the dense part
  // only geometrically from what is already used; anything farther goes to a map.
  void put(uint64_t index, const Item& item, const Limits& limits) {
    if (index < dense_.size()) {
      if (!present_[index]) ++count_;
      dense_[index] = item;
      present_[index] = 1;
      return;
    }
    if (index <= 2 * dense_.size() + 64 && index < limits.dense_memo_span) {
      // Geometric growth, never past the dense span.
      size_t n = std::min(std::max<size_t>(index + 1, 2 * dense_.size()), limits.dense_memo_span);
      dense_.resize(n);
      present_.resize(n, 0);
      dense_[index] = item;
      present_[index] = 1;
      ++count_;
      return;
    }
    auto [it, added] = sparse_.insert_or_assign(index, item);
    (void)it;
    if (added) ++count_;
  }
  const Item* get(uint64_t index) const {
    if (index < dense_.size()) return present_[index] ? &dense_[index] : nullptr;
    auto it = sparse_.find(index);
    return it == sparse_.end() ? nullptr : &it->second;
  }
  size_t size() const noexcept { return count_; }
  /// Draws the dense table from this pool (nullptr: the system); empties the memo.
  void use_pool(MemoryPool* pool) {
    clear();
    dense_ = std::vector<Item, ScratchAllocator<Item>>(ScratchAllocator<Item>(pool));
    present_ = std::vector<uint8_t, ScratchAllocator<uint8_t>>(ScratchAllocator<uint8_t>(pool));
  }
  void clear() {
    dense_.clear();
    present_.clear();
    sparse_.clear();
    count_ = 0;
  }

 private:
  std::vector<Item, ScratchAllocator<Item>> dense_;
  std::vector<uint8_t, ScratchAllocator<uint8_t>> present_;
  std::unordered_map<uint64_t, Item> sparse_;
  size_t count_ = 0;
};

}  // namespace pickle::detail
