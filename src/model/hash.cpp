// Hashing, consistent with equal(): numbers that compare equal hash equal.
#include <bit>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "model/bigint.hpp"
#include "model/hash.hpp"

namespace pickle {

namespace detail {

// [NOTE hash-key] Dict keys and set members are placed in the hash index by these
// hashes, so a fixed hash would let anyone precompute keys that all land in one run of
// slots and make building a dict quadratic (hash flooding). Strings, bytes and ints --
// the keys a pickle can choose freely -- are hashed under a key drawn at random once
// per process, as CPython randomizes str hashes. Not a keyed cryptographic hash
// (SipHash): it defeats precomputed collisions, not an attacker who can time many
// loads. The hashes are never written anywhere, so they need not be stable.
uint64_t draw_hash_key() noexcept {
  uint64_t k = 0;
  try {
    std::random_device rd;
    k = (uint64_t(rd()) << 32) ^ rd();
  } catch (...) {
  }
  // Without an entropy source, at least the address layout and the clock vary.
  k ^= mix(reinterpret_cast<uintptr_t>(&k) ^
           uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()));
  return k;
}

}  // namespace detail

namespace {

using detail::hash_bytes;
using detail::hash_int64;
using detail::hash_key;
using detail::kTagBig;
using detail::kTagBytes;
using detail::kTagGlobal;
using detail::kTagStr;
using detail::mix;
using detail::node_of;

uint64_t hash_twos(std::span<const uint8_t> b) {
  return hash_bytes(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), kTagBig);
}

uint64_t hash_double(double d) {
  int64_t i;
  if (detail::double_as_int64(d, i)) return hash_int64(i);
  std::vector<uint8_t> big;
  if (detail::double_to_twos(d, big)) return hash_twos(big);
  return mix(std::bit_cast<uint64_t>(d) ^ 0xf10a7 ^ hash_key());
}

[[noreturn]] void unhashable(Value v) {
  throw TypeError(ErrorCode::unhashable,
                  "unhashable type: '" + std::string(kind_name(v.kind())) + "'");
}

// Hash of a leaf (anything but Tuple/FrozenSet, whose hash combines children).
uint64_t leaf_hash(Value v) {
  switch (v.kind()) {
    case Kind::None: return 0x4e4f4e45;
    case Kind::Bool:
    case Kind::Int:
      if (v.is_bigint()) return hash_twos(node_of<BigIntNode>(v).bytes);
      return hash_int64(v.raw_int());
    case Kind::Float: return hash_double(v.raw_float());
    case Kind::Complex: {
      const auto& c = node_of<ComplexNode>(v);
      if (c.imag == 0) return hash_double(c.real);
      return mix(hash_double(c.real) * 31 + hash_double(c.imag));
    }
    case Kind::Str: return hash_bytes(node_of<StrNode>(v).text, kTagStr);
    case Kind::Bytes: return hash_bytes(node_of<BytesNode>(v).data, kTagBytes);
    case Kind::Global: {
      const auto& g = node_of<GlobalNode>(v);
      return mix(hash_bytes(g.module, kTagGlobal) ^ hash_bytes(g.name, kTagGlobal + 1));
    }
    case Kind::Object:
    case Kind::PersistentRef:
    case Kind::Buffer: return mix(reinterpret_cast<uintptr_t>(v.node()));
    default: unhashable(v);
  }
}

uint64_t& cached_hash(Value v) {
  return v.kind() == Kind::Tuple ? node_of<TupleNode>(v).hash_cache
                                 : node_of<SetNode>(v).hash_cache;
}

}  // namespace

uint64_t hash(Value root) {
  if (root.kind() != Kind::Tuple && root.kind() != Kind::FrozenSet) return leaf_hash(root);
  if (uint64_t h = cached_hash(root)) return h;
  // Post-order walk over nested tuples/frozensets with an explicit stack.
  struct Frame {
    Value v;
    size_t next;
    uint64_t acc;
  };
  std::vector<Frame> stack;
  stack.push_back({root, 0, 0});
  uint64_t result = 0;
  for (;;) {
    Frame& f = stack.back();
    std::span<const Value> kids = f.v.items();
    if (f.next < kids.size()) {
      Value k = kids[f.next++];
      uint64_t h;
      if (k.kind() == Kind::Tuple || k.kind() == Kind::FrozenSet) {
        h = cached_hash(k);
        if (h == 0) {
          stack.push_back({k, 0, 0});
          continue;
        }
      } else {
        h = leaf_hash(k);
      }
      if (f.v.kind() == Kind::Tuple)
        f.acc = mix(f.acc * 0x100000001b3ULL + h);
      else
        f.acc += mix(h);  // order-independent for frozensets
      continue;
    }
    uint64_t h = mix(f.acc ^ kids.size() ^ (f.v.kind() == Kind::Tuple ? 0x7475 : 0x6673));
    if (h == 0) h = 1;
    cached_hash(f.v) = h;
    stack.pop_back();
    if (stack.empty()) {
      result = h;
      break;
    }
    Frame& parent = stack.back();
    if (parent.v.kind() == Kind::Tuple)
      parent.acc = mix(parent.acc * 0x100000001b3ULL + h);
    else
      parent.acc += mix(h);
  }
  return result;
}

bool hashable(Value v) {
  try {
    hash(v);
    return true;
  } catch (const TypeError&) {
    return false;
  }
}

}  // namespace pickle
