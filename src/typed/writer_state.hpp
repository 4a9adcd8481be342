// What a typed dump keeps while it writes (src/typed/writer.cpp): the Encoder it
// writes through (see [NOTE typed-seam] in dump/encoder.hpp), the shared objects being
// written, and the interned names met so far.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dump/encoder.hpp"
#include "pickle/typed/writer.hpp"

namespace pickle::detail {

struct WriterState {
  explicit WriterState(Encoder& e)
      : enc(e), em(e.emitter()), fast(e.options().fast), writer(*this) {}

  Encoder& enc;
  Emitter& em;
  bool fast;
  // [NOTE shared-identity] A shared object is one Python object: once written, a memo
  // reference. Its memo index is the first value memoized at the depth its own value
  // is written at (bind()): what a list, dict, set, str or object is memoized as before
  // its items, or a tuple or reduction after its parts (which the Writer writes one
  // level deeper, so they never bind).
  struct Pending {
    Encoder::AddressKey key;
    std::shared_ptr<const void> keep;
    size_t depth;
    bool bound;
  };
  std::vector<Pending> pending;
  std::unordered_set<Encoder::AddressKey, Encoder::AddressKeyHash> open;
  // Interned names by the address of their text (a field name's literal), for this
  // dump, with the text they were (a codec may build names in a buffer it reuses).
  struct NameKey {
    const char* data;
    size_t size;
    bool operator==(const NameKey&) const = default;
  };
  struct NameKeyHash {
    size_t operator()(const NameKey& k) const noexcept {
      return std::hash<const void*>()(k.data) ^ k.size;
    }
  };
  struct Name {
    uint32_t index;
    std::string text;
  };
  std::unordered_map<NameKey, Name, NameKeyHash> names;
  Writer writer;

  // A value of the Writer's depth was memoized as `index`: the shared object being
  // written at that depth, if any, is that index from now on.
  void bind(size_t depth, uint32_t index) {
    if (pending.empty()) return;
    Pending& p = pending.back();
    if (p.bound || p.depth != depth) return;
    enc.remember_address(p.key, index, p.keep);
    p.bound = true;
  }
};

}  // namespace pickle::detail
