// The dict and set hash index: DictNode::set/find, SetNode::add/contains.
#include <limits>

#include "model/index.hpp"

#include "model/hash.hpp"

namespace pickle {

using detail::HashIndex;
using detail::node_of;

namespace {

void index_insert(HashIndex& index, uint64_t h, size_t position) {
  size_t mask = index.slots.size() - 1;
  size_t s = h & mask;
  while (index.slots[s] != 0) s = (s + 1) & mask;
  index.slots[s] = static_cast<uint32_t>(position + 1);
}

// Keeps the index at most half full; builds it once the container passes kLinearMax.
void index_grow(HashIndex& index, std::span<const uint64_t> hashes) {
  size_t n = hashes.size();
  if (n <= HashIndex::kLinearMax) return;
  if (index.slots.size() >= 2 * n) return;
  size_t cap = 16;
  while (cap < 4 * n) cap <<= 1;
  index.slots.assign(cap, 0);
  for (size_t i = 0; i < n; ++i) index_insert(index, hashes[i], i);
}

template <class KeyAt>
[[gnu::always_inline]] inline size_t find_position(const HashIndex& index,
                                                   std::span<const uint64_t> hashes, Value key,
                                                   uint64_t h, KeyAt key_at) {
  if (index.slots.empty()) {
    for (size_t i = 0; i < hashes.size(); ++i)
      if (hashes[i] == h && detail::equal_inline(key_at(i), key)) return i;
    return size_t(-1);
  }
  size_t mask = index.slots.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    uint32_t slot = index.slots[s];
    if (slot == 0) return size_t(-1);
    if (hashes[slot - 1] == h && detail::equal_inline(key_at(slot - 1), key)) return slot - 1;
  }
}

// d[key] = value, inline in both callers: SETITEMS sets a batch with one call.
[[gnu::always_inline]] inline void set_one(DictNode& d, Value key, Value value) {
  uint64_t h = detail::hash_inline(key);
  size_t pos =
      find_position(d.index, d.hashes, key, h, [&](size_t i) { return d.entries[i].first; });
  if (pos != size_t(-1)) {
    d.entries[pos].second = value;  // CPython keeps the first key and its position
    return;
  }
  if (d.entries.size() >= std::numeric_limits<uint32_t>::max() - 1) [[unlikely]]
    throw LimitError(ErrorCode::limit_exceeded, "dict too large");
  d.entries.emplace_back(key, value);
  d.hashes.push_back(h);
  if (d.index.slots.size() < 2 * d.hashes.size()) {
    // No index up to kLinearMax entries (index_grow would return at once; not calling
    // it keeps small dicts off a call per key).
    if (d.hashes.size() > HashIndex::kLinearMax) index_grow(d.index, d.hashes);
  } else {
    index_insert(d.index, h, d.entries.size() - 1);
  }
}

}  // namespace

void DictNode::set(Value key, Value value) {
  set_one(*this, key, value);
}

void detail::set_pairs(DictNode& d, std::span<const Value> pairs) {
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) set_one(d, pairs[i], pairs[i + 1]);
}

void DictNode::reserve(size_t n) {
  entries.reserve(n);
  hashes.reserve(n);
  if (n > HashIndex::kLinearMax && index.slots.size() < 2 * n) {
    size_t cap = 16;
    while (cap < 4 * n) cap <<= 1;
    index.slots.reserve(cap);
  }
}

const Value* DictNode::find(Value key) const {
  if (!hashable(key)) return nullptr;
  uint64_t h = detail::hash_inline(key);
  size_t pos = find_position(index, hashes, key, h, [&](size_t i) { return entries[i].first; });
  return pos == size_t(-1) ? nullptr : &entries[pos].second;
}

const Value* DictNode::find(std::string_view str_key) const {
  uint64_t h = detail::hash_bytes(str_key, detail::kTagStr);
  if (index.slots.empty()) {
    for (size_t i = 0; i < entries.size(); ++i)
      if (hashes[i] == h && entries[i].first.kind() == Kind::Str &&
          node_of<StrNode>(entries[i].first).text == str_key)
        return &entries[i].second;
    return nullptr;
  }
  size_t mask = index.slots.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    uint32_t slot = index.slots[s];
    if (slot == 0) return nullptr;
    const auto& e = entries[slot - 1];
    if (hashes[slot - 1] == h && e.first.kind() == Kind::Str &&
        node_of<StrNode>(e.first).text == str_key)
      return &e.second;
  }
}

bool SetNode::add(Value key) {
  uint64_t h = detail::hash_inline(key);
  if (find_position(index, hashes, key, h, [&](size_t i) { return items[i]; }) != size_t(-1))
    return false;
  if (items.size() >= std::numeric_limits<uint32_t>::max() - 1)
    throw LimitError(ErrorCode::limit_exceeded, "set too large");
  items.push_back(key);
  hashes.push_back(h);
  if (index.slots.empty() || index.slots.size() < 2 * hashes.size())
    index_grow(index, hashes);
  else
    index_insert(index, h, items.size() - 1);
  return true;
}

bool SetNode::contains(Value key) const {
  if (!hashable(key)) return false;
  uint64_t h = detail::hash_inline(key);
  return find_position(index, hashes, key, h, [&](size_t i) { return items[i]; }) != size_t(-1);
}

}  // namespace pickle
