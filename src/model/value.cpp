// The object model: Graph arena, Value accessors, Python equality and hashing.
#include "pickle/value.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <random>
#include <unordered_set>
#include <vector>

#include "model/bigint.hpp"
#include "model/scratch_alloc.hpp"

namespace pickle {

std::string_view kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Complex: return "complex";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::ByteArray: return "bytearray";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::FrozenSet: return "frozenset";
    case Kind::Global: return "global";
    case Kind::Object: return "object";
    case Kind::PersistentRef: return "persistent id";
    case Kind::Buffer: return "buffer";
  }
  return "?";
}

// ---------------------------------------------------------------------------
// Value

namespace {
[[noreturn]] void wrong_kind(Value v, const char* wanted) {
  throw TypeError(std::string("expected ") + wanted + ", got " + std::string(kind_name(v.kind())));
}
template <class T>
T& node_as(Value v, bool ok, const char* wanted) {
  if (!ok) wrong_kind(v, wanted);
  return *static_cast<T*>(v.node());
}
}  // namespace

bool Value::as_bool() const {
  if (kind_ != Kind::Bool) wrong_kind(*this, "bool");
  return i_ != 0;
}

int64_t Value::as_int() const {
  if (kind_ == Kind::Bool) return i_;
  if (kind_ != Kind::Int) wrong_kind(*this, "int");
  if (big_) throw std::overflow_error("int does not fit in 64 bits");
  return i_;
}

double Value::as_float() const {
  switch (kind_) {
    case Kind::Float: return d_;
    case Kind::Bool: return static_cast<double>(i_);
    case Kind::Int: {
      if (!big_) return static_cast<double>(i_);
      double d;
      if (!detail::twos_to_double(bigint().bytes, d))
        throw std::overflow_error("int too large to convert to float");
      return d;
    }
    default: wrong_kind(*this, "float");
  }
}

std::string_view Value::as_str() const {
  return str().text;
}
std::string_view Value::as_bytes() const {
  return bytes().data;
}

const BigIntNode& Value::bigint() const {
  return node_as<BigIntNode>(*this, is_bigint(), "big int");
}
const ComplexNode& Value::complex() const {
  return node_as<ComplexNode>(*this, kind_ == Kind::Complex, "complex");
}
StrNode& Value::str() const {
  return node_as<StrNode>(*this, kind_ == Kind::Str, "str");
}
BytesNode& Value::bytes() const {
  return node_as<BytesNode>(*this, kind_ == Kind::Bytes || kind_ == Kind::ByteArray, "bytes");
}
TupleNode& Value::tuple() const {
  return node_as<TupleNode>(*this, kind_ == Kind::Tuple, "tuple");
}
ListNode& Value::list() const {
  return node_as<ListNode>(*this, kind_ == Kind::List, "list");
}
DictNode& Value::dict() const {
  return node_as<DictNode>(*this, kind_ == Kind::Dict, "dict");
}
SetNode& Value::set() const {
  return node_as<SetNode>(*this, kind_ == Kind::Set || kind_ == Kind::FrozenSet, "set");
}
GlobalNode& Value::global() const {
  return node_as<GlobalNode>(*this, kind_ == Kind::Global, "global");
}
ObjectNode& Value::object() const {
  return node_as<ObjectNode>(*this, kind_ == Kind::Object, "object");
}
PersistentRefNode& Value::persistent_ref() const {
  return node_as<PersistentRefNode>(*this, kind_ == Kind::PersistentRef, "persistent id");
}
BufferNode& Value::buffer() const {
  return node_as<BufferNode>(*this, kind_ == Kind::Buffer, "buffer");
}

bool Value::is(Value other) const noexcept {
  if (kind_ != other.kind_) return false;
  if (is_node()) return n_ == other.n_;
  if (kind_ == Kind::Float) return std::bit_cast<uint64_t>(d_) == std::bit_cast<uint64_t>(other.d_);
  return i_ == other.i_;
}

std::span<const Value> Value::items() const {
  switch (kind_) {
    case Kind::Tuple: return tuple().items;
    case Kind::List: return list().items;
    case Kind::Set:
    case Kind::FrozenSet: return set().items;
    default: wrong_kind(*this, "tuple, list, set or frozenset");
  }
}

size_t Value::size() const {
  switch (kind_) {
    case Kind::Dict: return dict().entries.size();
    case Kind::Str: return str().text.size();
    case Kind::Bytes:
    case Kind::ByteArray: return bytes().data.size();
    default: return items().size();
  }
}

Value Value::operator[](size_t i) const {
  std::span<const Value> xs;
  if (kind_ == Kind::Tuple)
    xs = tuple().items;
  else if (kind_ == Kind::List)
    xs = list().items;
  else
    wrong_kind(*this, "tuple or list");
  if (i >= xs.size()) throw std::out_of_range("index " + std::to_string(i) + " out of range");
  return xs[i];
}

Value Value::operator[](std::string_view key) const {
  const Value* v = dict().find(key);
  if (!v) throw KeyError("key '" + std::string(key) + "' not found");
  return *v;
}

const GlobalNode* ObjectNode::callable_global() const noexcept {
  return callable.kind() == Kind::Global ? static_cast<const GlobalNode*>(callable.node())
                                         : nullptr;
}

// ---------------------------------------------------------------------------
// Hashing. Consistent with equal(): numbers that compare equal hash equal.

namespace {

constexpr uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

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

uint64_t hash_key() noexcept {
  static const uint64_t key = draw_hash_key();
  return key;
}

uint64_t hash_bytes(std::string_view s, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed ^ hash_key();
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  if (n) std::memcpy(&w, p, n);
  return mix(h ^ w ^ (uint64_t(s.size()) << 56));
}

constexpr uint64_t kTagBig = 0x1, kTagStr = 0x2, kTagBytes = 0x3, kTagGlobal = 0x4;

uint64_t hash_int64(int64_t i) {
  return mix(static_cast<uint64_t>(i) ^ 0x5555 ^ hash_key());
}

uint64_t hash_twos(std::span<const uint8_t> b) {
  return hash_bytes(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), kTagBig);
}

bool double_as_int64(double d, int64_t& out) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
  auto i = static_cast<int64_t>(d);
  if (static_cast<double>(i) != d) return false;
  out = i;
  return true;
}

uint64_t hash_double(double d) {
  int64_t i;
  if (double_as_int64(d, i)) return hash_int64(i);
  std::vector<uint8_t> big;
  if (detail::double_to_twos(d, big)) return hash_twos(big);
  return mix(std::bit_cast<uint64_t>(d) ^ 0xf10a7 ^ hash_key());
}

[[noreturn]] void unhashable(Value v) {
  throw TypeError("unhashable type: '" + std::string(kind_name(v.kind())) + "'");
}

// Hash of a leaf (anything but Tuple/FrozenSet, whose hash combines children).
uint64_t leaf_hash(Value v) {
  switch (v.kind()) {
    case Kind::None: return 0x4e4f4e45;
    case Kind::Bool:
    case Kind::Int:
      if (v.is_bigint()) return hash_twos(v.bigint().bytes);
      return hash_int64(v.raw_int());
    case Kind::Float: return hash_double(v.raw_float());
    case Kind::Complex: {
      const auto& c = v.complex();
      if (c.imag == 0) return hash_double(c.real);
      return mix(hash_double(c.real) * 31 + hash_double(c.imag));
    }
    case Kind::Str: return hash_bytes(v.str().text, kTagStr);
    case Kind::Bytes: return hash_bytes(v.bytes().data, kTagBytes);
    case Kind::Global: {
      const auto& g = v.global();
      return mix(hash_bytes(g.module, kTagGlobal) ^ hash_bytes(g.name, kTagGlobal + 1));
    }
    case Kind::Object:
    case Kind::PersistentRef:
    case Kind::Buffer: return mix(reinterpret_cast<uintptr_t>(v.node()));
    default: unhashable(v);
  }
}

uint64_t& cached_hash(Value v) {
  return v.kind() == Kind::Tuple ? v.tuple().hash_cache : v.set().hash_cache;
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

// ---------------------------------------------------------------------------
// Equality

namespace {

bool is_number(Kind k) {
  return k == Kind::Bool || k == Kind::Int || k == Kind::Float || k == Kind::Complex;
}

// Numeric equality across bool, int (small and big), float and complex.
bool numbers_equal(Value a, Value b) {
  if (a.kind() == Kind::Complex || b.kind() == Kind::Complex) {
    auto parts = [](Value v, double& re, double& im, bool& exact_int) {
      exact_int = false;
      if (v.kind() == Kind::Complex) {
        re = v.complex().real;
        im = v.complex().imag;
      } else {
        im = 0;
        re = v.kind() == Kind::Float ? v.raw_float() : 0;
        exact_int = v.kind() != Kind::Float;
      }
    };
    double ar, ai, br, bi;
    bool aint, bint;
    parts(a, ar, ai, aint);
    parts(b, br, bi, bint);
    if (ai != bi) return false;
    if (aint) return numbers_equal(a, Value(br));
    if (bint) return numbers_equal(Value(ar), b);
    return ar == br;
  }
  bool af = a.kind() == Kind::Float, bf = b.kind() == Kind::Float;
  if (af && bf) return a.raw_float() == b.raw_float();
  if (af || bf) {
    double d = af ? a.raw_float() : b.raw_float();
    Value i = af ? b : a;
    if (!i.is_bigint()) {
      int64_t n;
      return double_as_int64(d, n) && n == i.raw_int();
    }
    std::vector<uint8_t> big;
    if (!detail::double_to_twos(d, big)) return false;
    auto bb = i.bigint().bytes;
    return big.size() == bb.size() && std::equal(big.begin(), big.end(), bb.begin());
  }
  if (a.is_bigint() != b.is_bigint()) return false;  // big ints never fit int64
  if (!a.is_bigint()) return a.raw_int() == b.raw_int();
  auto x = a.bigint().bytes, y = b.bigint().bytes;
  return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
}

struct PairHash {
  size_t operator()(const std::pair<const Node*, const Node*>& p) const noexcept {
    return mix(reinterpret_cast<uintptr_t>(p.first) * 31 + reinterpret_cast<uintptr_t>(p.second));
  }
};

bool equal_impl(Value a, Value b, int depth);

}  // namespace

namespace {

size_t index_lookup(const HashIndex& index, std::span<const uint64_t> hashes, uint64_t h,
                    std::vector<size_t>& out) {
  out.clear();
  if (index.slots.empty()) {
    for (size_t i = 0; i < hashes.size(); ++i)
      if (hashes[i] == h) out.push_back(i);
    return out.size();
  }
  size_t mask = index.slots.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    uint32_t slot = index.slots[s];
    if (slot == 0) break;
    if (hashes[slot - 1] == h) out.push_back(slot - 1);
  }
  return out.size();
}

bool equal_impl(Value a, Value b, int depth) {
  if (depth > 10000) throw std::length_error("comparison nested too deeply");
  std::vector<std::pair<Value, Value>> todo{{a, b}};
  std::unordered_set<std::pair<const Node*, const Node*>, PairHash> assumed;
  std::vector<size_t> cands;
  while (!todo.empty()) {
    auto [x, y] = todo.back();
    todo.pop_back();
    Kind kx = x.kind(), ky = y.kind();
    if (is_number(kx) && is_number(ky)) {
      if (!numbers_equal(x, y)) return false;
      continue;
    }
    if (x.is_node() && y.is_node() && x.node() == y.node()) continue;
    bool bytes_like_x = kx == Kind::Bytes || kx == Kind::ByteArray;
    bool bytes_like_y = ky == Kind::Bytes || ky == Kind::ByteArray;
    bool set_x = kx == Kind::Set || kx == Kind::FrozenSet;
    bool set_y = ky == Kind::Set || ky == Kind::FrozenSet;
    if (!(kx == ky || (bytes_like_x && bytes_like_y) || (set_x && set_y))) return false;
    switch (kx) {
      case Kind::None: continue;
      case Kind::Str:
        if (x.str().text != y.str().text) return false;
        continue;
      case Kind::Bytes:
      case Kind::ByteArray:
        if (x.bytes().data != y.bytes().data) return false;
        continue;
      case Kind::Global:
        if (x.global().module != y.global().module || x.global().name != y.global().name)
          return false;
        continue;
      case Kind::Tuple:
      case Kind::List: {
        // Each pair of nodes is compared once: cycles through lists terminate, and
        // shared sub-structures (a DAG of tuples) cost their size, not their paths.
        if (!assumed.insert({x.node(), y.node()}).second) continue;
        auto xs = x.items(), ys = y.items();
        if (xs.size() != ys.size()) return false;
        for (size_t i = xs.size(); i-- > 0;) todo.push_back({xs[i], ys[i]});
        continue;
      }
      case Kind::Set:
      case Kind::FrozenSet: {
        const SetNode &sx = x.set(), &sy = y.set();
        if (sx.items.size() != sy.items.size()) return false;
        if (!assumed.insert({x.node(), y.node()}).second) continue;
        for (size_t i = 0; i < sx.items.size(); ++i) {
          size_t n = index_lookup(sy.index, sy.hashes, sx.hashes[i], cands);
          if (n == 0) return false;
          if (n == 1) {
            todo.push_back({sx.items[i], sy.items[cands[0]]});
            continue;
          }
          bool any = false;
          for (size_t c : cands) any = any || equal_impl(sx.items[i], sy.items[c], depth + 1);
          if (!any) return false;
        }
        continue;
      }
      case Kind::Dict: {
        if (!assumed.insert({x.node(), y.node()}).second) continue;
        const DictNode &dx = x.dict(), &dy = y.dict();
        if (dx.entries.size() != dy.entries.size()) return false;
        bool ordered = (dx.flags & kOrderedDict) && (dy.flags & kOrderedDict);
        for (size_t i = 0; i < dx.entries.size(); ++i) {
          if (ordered) {
            todo.push_back({dx.entries[i].second, dy.entries[i].second});
            todo.push_back({dx.entries[i].first, dy.entries[i].first});
            continue;
          }
          size_t n = index_lookup(dy.index, dy.hashes, dx.hashes[i], cands);
          size_t match = size_t(-1);
          if (n == 1) {
            todo.push_back({dx.entries[i].first, dy.entries[cands[0]].first});
            match = cands[0];
          } else {
            for (size_t c : cands)
              if (equal_impl(dx.entries[i].first, dy.entries[c].first, depth + 1)) {
                match = c;
                break;
              }
          }
          if (match == size_t(-1)) return false;
          todo.push_back({dx.entries[i].second, dy.entries[match].second});
        }
        continue;
      }
      default:
        // Objects, persistent refs and buffers compare by identity, as Python's
        // default __eq__ does.
        return false;
    }
  }
  return true;
}

}  // namespace

bool equal(Value a, Value b) {
  // The common cases of dict keys, without the general walk's bookkeeping.
  if (a.kind() == Kind::Str && b.kind() == Kind::Str) return a.str().text == b.str().text;
  if (a.kind() == Kind::Int && b.kind() == Kind::Int && !a.is_bigint() && !b.is_bigint())
    return a.raw_int() == b.raw_int();
  return equal_impl(a, b, 0);
}

// ---------------------------------------------------------------------------
// Dict and Set

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
size_t find_position(const HashIndex& index, std::span<const uint64_t> hashes, Value key,
                     uint64_t h, KeyAt key_at) {
  if (index.slots.empty()) {
    for (size_t i = 0; i < hashes.size(); ++i)
      if (hashes[i] == h && equal(key_at(i), key)) return i;
    return size_t(-1);
  }
  size_t mask = index.slots.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    uint32_t slot = index.slots[s];
    if (slot == 0) return size_t(-1);
    if (hashes[slot - 1] == h && equal(key_at(slot - 1), key)) return slot - 1;
  }
}

}  // namespace

void DictNode::set(Value key, Value value) {
  uint64_t h = hash(key);
  size_t pos = find_position(index, hashes, key, h, [&](size_t i) { return entries[i].first; });
  if (pos != size_t(-1)) {
    entries[pos].second = value;  // CPython keeps the first key and its position
    return;
  }
  if (entries.size() >= std::numeric_limits<uint32_t>::max() - 1)
    throw std::length_error("dict too large");
  entries.emplace_back(key, value);
  hashes.push_back(h);
  if (index.slots.empty()) {
    index_grow(index, hashes);
  } else if (index.slots.size() < 2 * hashes.size()) {
    index_grow(index, hashes);
  } else {
    index_insert(index, h, entries.size() - 1);
  }
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
  uint64_t h = hash(key);
  size_t pos = find_position(index, hashes, key, h, [&](size_t i) { return entries[i].first; });
  return pos == size_t(-1) ? nullptr : &entries[pos].second;
}

const Value* DictNode::find(std::string_view str_key) const {
  uint64_t h = hash_bytes(str_key, kTagStr);
  if (index.slots.empty()) {
    for (size_t i = 0; i < entries.size(); ++i)
      if (hashes[i] == h && entries[i].first.kind() == Kind::Str &&
          entries[i].first.str().text == str_key)
        return &entries[i].second;
    return nullptr;
  }
  size_t mask = index.slots.size() - 1;
  for (size_t s = h & mask;; s = (s + 1) & mask) {
    uint32_t slot = index.slots[s];
    if (slot == 0) return nullptr;
    const auto& e = entries[slot - 1];
    if (hashes[slot - 1] == h && e.first.kind() == Kind::Str && e.first.str().text == str_key)
      return &e.second;
  }
}

bool SetNode::add(Value key) {
  uint64_t h = hash(key);
  if (find_position(index, hashes, key, h, [&](size_t i) { return items[i]; }) != size_t(-1))
    return false;
  if (items.size() >= std::numeric_limits<uint32_t>::max() - 1)
    throw std::length_error("set too large");
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
  uint64_t h = hash(key);
  return find_position(index, hashes, key, h, [&](size_t i) { return items[i]; }) != size_t(-1);
}

// ---------------------------------------------------------------------------
// Graph

// [NOTE arena] Nodes and the vectors inside them live in the graph's blocks: nothing
// is destroyed one by one, the blocks are released at once. Node members that own
// memory use the arena's memory_resource, so skipping their destructors leaks nothing.
// See [NOTE arena-blocks] for where blocks come from and go.
namespace {

struct Block {
  Block* next;
  size_t size;  // bytes, this header included
  bool mapped;  // from mmap (large blocks), else from operator new
};
constexpr size_t kHeader = 64;  // room for the header, a multiple of every node's alignment
constexpr size_t kFirstBlock = size_t(64) << 10;
constexpr size_t kMaxBlock = size_t(4) << 20;  // blocks double up to this size
constexpr size_t kOwnBlock = size_t(1) << 20;  // larger requests get a block of their own
constexpr size_t kMapBlock = size_t(2) << 20;  // blocks this large come from mmap
constexpr size_t kHugePage = size_t(2) << 20;

Block* new_block(size_t size) {
  void* p;
  bool mapped = size >= kMapBlock;
  if (mapped) {
    size = (size + kHugePage - 1) & ~(kHugePage - 1);
    p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    // Fewer page faults for a large block: first touches are the costly part.
    ::madvise(p, size, MADV_HUGEPAGE);
#endif
  } else {
    p = ::operator new(size);
  }
  return new (p) Block{nullptr, size, mapped};
}

void free_block(Block* b) {
  if (b->mapped)
    ::munmap(b, b->size);
  else
    ::operator delete(b);
}

// Whether a block of n bytes should serve a request of `size`: large enough, and not
// more than about twice as large: a graph's bytes_allocated() counts whole blocks, and
// a small load must not count (or hold) a large block that a big load left behind.
bool fits(size_t n, size_t size) {
  return n >= size && n <= 2 * size + kFirstBlock;
}

// The smallest fitting block of a list, or nullptr.
Block** best_fit(Block** list, size_t size) {
  Block** best = nullptr;
  for (Block** b = list; *b; b = &(*b)->next) {
    size_t n = (*b)->size;
    if (fits(n, size) && (!best || n < (*best)->size)) best = b;
  }
  return best;
}

// Freed blocks, kept for the next graphs up to a limit. See [NOTE arena-blocks]. They
// are held in a vector, not linked through each other: a leak checker does not scan
// mmap'd blocks, so a block reachable only from one would look leaked.
class BlockCache {
 public:
  // The smallest fitting block, or nullptr.
  Block* take(size_t size) {
    std::lock_guard lock(mutex_);
    size_t best = blocks_.size();
    for (size_t i = 0; i < blocks_.size(); ++i) {
      size_t n = blocks_[i]->size;
      if (fits(n, size) && (best == blocks_.size() || n < blocks_[best]->size)) best = i;
    }
    if (best == blocks_.size()) return nullptr;
    Block* r = blocks_[best];
    blocks_[best] = blocks_.back();
    blocks_.pop_back();
    bytes_ -= r->size;
    r->next = nullptr;
    return r;
  }
  // Keeps the chain's blocks while they fit under the limit, frees the others.
  void give(Block* chain) noexcept {
    std::lock_guard lock(mutex_);
    while (chain) {
      Block* next = chain->next;
      chain->next = nullptr;
      if (!keep(chain)) free_block(chain);
      chain = next;
    }
  }
  void trim(size_t limit) noexcept {
    std::lock_guard lock(mutex_);
    limit_ = limit;
    while (bytes_ > limit_ && !blocks_.empty()) {
      bytes_ -= blocks_.back()->size;
      free_block(blocks_.back());
      blocks_.pop_back();
    }
  }
  size_t limit() {
    std::lock_guard lock(mutex_);
    return limit_;
  }

 private:
  bool keep(Block* b) noexcept {
    if (bytes_ + b->size > limit_) return false;
    try {
      blocks_.push_back(b);
    } catch (const std::bad_alloc&) {
      return false;
    }
    bytes_ += b->size;
    return true;
  }
  std::mutex mutex_;
  std::vector<Block*> blocks_;
  size_t bytes_ = 0;
  size_t limit_ = size_t(256) << 20;
};

BlockCache& block_cache() {
  // Never destroyed: a graph that is a static object may be destroyed after it.
  static BlockCache* cache = new BlockCache;
  return *cache;
}

}  // namespace

namespace detail {

// Below this, scratch buffers come from operator new; larger ones from the block
// cache, since glibc hands freed memory at the top of its heap back to the system.
constexpr size_t kScratchCached = size_t(16) << 10;

void* scratch_allocate(size_t bytes) {
  if (bytes < kScratchCached) return ::operator new(bytes);
  size_t need = bytes + kHeader;
  Block* b = block_cache().take(need);
  if (!b) b = new_block(need);
  return reinterpret_cast<char*>(b) + kHeader;
}

void scratch_deallocate(void* p, size_t bytes) noexcept {
  if (bytes < kScratchCached) return ::operator delete(p);
  auto* b = reinterpret_cast<Block*>(static_cast<char*>(p) - kHeader);
  b->next = nullptr;
  block_cache().give(b);
}

}  // namespace detail

struct Graph::Arena final : std::pmr::memory_resource {
  detail::ArenaCursor cursor;
  Graph* graph;
  Block* used = nullptr;   // blocks in use, the current one first
  Block* spare = nullptr;  // blocks kept by clear()
  size_t next_size = kFirstBlock;

  explicit Arena(Graph* g) : graph(g) {}
  ~Arena() override {
    release_to(&spare);
    block_cache().give(spare);
  }
  void* do_allocate(size_t n, size_t a) override { return graph->allocate(n, a); }
  void do_deallocate(void*, size_t, size_t) override {}  // freed all at once
  bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }

  void release_to(Block** list) {
    while (used) {
      Block* b = used;
      used = b->next;
      b->next = *list;
      *list = b;
    }
    cursor = {};
    next_size = kFirstBlock;
  }

  // A block of at least `size` bytes: one this graph kept, one from the cache, or new.
  Block* obtain(size_t size) {
    Block* b = nullptr;
    if (Block** best = best_fit(&spare, size)) {
      b = *best;
      *best = b->next;
    } else if (!(b = block_cache().take(size))) {
      b = new_block(size);
    }
    cursor.in_use += b->size;
    return b;
  }

  void* allocate(size_t n, size_t align) {
    if (n > std::numeric_limits<size_t>::max() / 2) throw std::bad_alloc();
    size_t need = n + align + kHeader;
    if (need > kOwnBlock) {
      // A large payload gets its own block, behind the current one, so that the
      // rest of the current block is still used.
      Block* b = obtain(need);
      if (used) {
        b->next = used->next;
        used->next = b;
      } else {
        b->next = nullptr;
        used = b;
      }
      auto p = (reinterpret_cast<uintptr_t>(b) + kHeader + (align - 1)) & ~uintptr_t(align - 1);
      return reinterpret_cast<void*>(p);
    }
    Block* b = obtain(std::max(next_size, need));
    next_size = std::min(next_size * 2, kMaxBlock);
    b->next = used;
    used = b;
    cursor.cur = reinterpret_cast<char*>(b) + kHeader;
    cursor.end = reinterpret_cast<char*>(b) + b->size;
    return graph->allocate(n, align);
  }
};

namespace {
uint64_t next_epoch() noexcept {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace

Graph::Graph()
    : arena_(std::make_unique<Arena>(this)), cursor_(&arena_->cursor), epoch_(next_epoch()) {}
Graph::~Graph() = default;
Graph::Graph(Graph&& o) noexcept
    : arena_(std::move(o.arena_)),
      cursor_(std::exchange(o.cursor_, nullptr)),
      nodes_(std::exchange(o.nodes_, 0)),
      epoch_(std::exchange(o.epoch_, next_epoch())) {
  if (arena_) arena_->graph = this;
}
Graph& Graph::operator=(Graph&& o) noexcept {
  if (this != &o) {
    arena_ = std::move(o.arena_);
    cursor_ = std::exchange(o.cursor_, nullptr);
    nodes_ = std::exchange(o.nodes_, 0);
    epoch_ = std::exchange(o.epoch_, next_epoch());
    if (arena_) arena_->graph = this;
  }
  return *this;
}

void Graph::clear() {
  if (arena_) arena_->release_to(&arena_->spare);
  nodes_ = 0;
  epoch_ = next_epoch();
}
std::pmr::memory_resource* Graph::resource() const noexcept {
  return arena_.get();
}
size_t Graph::cache_limit() noexcept {
  return block_cache().limit();
}
void Graph::set_cache_limit(size_t bytes) noexcept {
  block_cache().trim(bytes);
}

void* Graph::allocate_slow(size_t size, size_t align) {
  if (!arena_) throw std::logic_error("pickle::Graph used after it was moved from");
  return arena_->allocate(size, align);
}

std::string_view Graph::copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = static_cast<char*>(allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

std::span<const Value> Graph::copy(std::span<const Value> s) {
  if (s.empty()) return {};
  auto* p = static_cast<Value*>(allocate(s.size() * sizeof(Value), alignof(Value)));
  std::uninitialized_copy(s.begin(), s.end(), p);
  return {p, s.size()};
}

Value Graph::bytes(std::string_view data) {
  auto* n = make<BytesNode>(Kind::Bytes);
  n->data = copy(data);
  return Value(n);
}

Value Graph::bytes(std::span<const std::byte> data) {
  return bytes(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

Value Graph::bytearray(std::string_view data) {
  auto* n = make<BytesNode>(Kind::ByteArray);
  n->data = copy(data);
  return Value(n);
}

Value Graph::tuple(std::span<const Value> items) {
  auto* n = make<TupleNode>();
  n->items = copy(items);
  return Value(n);
}

Value Graph::list(std::span<const Value> items) {
  auto* n = make<ListNode>(resource());
  n->items.assign(items.begin(), items.end());
  return Value(n);
}

Value Graph::dict(std::initializer_list<std::pair<Value, Value>> items) {
  auto* n = make<DictNode>(resource());
  for (const auto& [k, v] : items) n->set(k, v);
  return Value(n);
}

Value Graph::set(std::span<const Value> items) {
  auto* n = make<SetNode>(Kind::Set, resource());
  for (Value v : items) n->add(v);
  return Value(n);
}

Value Graph::frozenset(std::span<const Value> items) {
  auto* n = make<SetNode>(Kind::FrozenSet, resource());
  for (Value v : items) n->add(v);
  return Value(n);
}

Value Graph::complex(double real, double imag) {
  auto* n = make<ComplexNode>();
  n->real = real;
  n->imag = imag;
  return Value(n);
}

Value Graph::integer(std::span<const uint8_t> le) {
  auto m = detail::minimal_twos(le);
  int64_t small;
  if (detail::twos_to_int64(m, small)) return Value(static_cast<long long>(small));
  auto* n = make<BigIntNode>();
  auto* p = static_cast<uint8_t*>(allocate(m.size(), 1));
  std::memcpy(p, m.data(), m.size());
  n->bytes = {p, m.size()};
  return Value(n);
}

Value Graph::integer(std::string_view decimal) {
  bool neg = false;
  if (!decimal.empty() && (decimal[0] == '-' || decimal[0] == '+')) {
    neg = decimal[0] == '-';
    decimal.remove_prefix(1);
  }
  if (decimal.empty()) throw TypeError("not a decimal integer");
  for (char c : decimal)
    if (c < '0' || c > '9') throw TypeError("not a decimal integer");
  auto bytes = detail::decimal_to_twos(decimal, neg);
  return integer(bytes);
}

Value Graph::global(std::string_view module, std::string_view name) {
  auto* n = make<GlobalNode>();
  n->module = copy(module);
  n->name = copy(name);
  struct Known {
    std::string_view module, name;
    KnownGlobal known;
  };
  static constexpr Known kKnown[] = {
      {"builtins", "set", KnownGlobal::builtins_set},
      {"builtins", "frozenset", KnownGlobal::builtins_frozenset},
      {"builtins", "bytearray", KnownGlobal::builtins_bytearray},
      {"builtins", "bytes", KnownGlobal::builtins_bytes},
      {"builtins", "complex", KnownGlobal::builtins_complex},
      {"builtins", "object", KnownGlobal::builtins_object},
      {"_codecs", "encode", KnownGlobal::codecs_encode},
      {"copyreg", "_reconstructor", KnownGlobal::copyreg_reconstructor},
      {"copyreg", "__newobj__", KnownGlobal::copyreg_newobj},
      {"copyreg", "__newobj_ex__", KnownGlobal::copyreg_newobj_ex},
      {"collections", "OrderedDict", KnownGlobal::collections_ordered_dict},
      {"builtins", "getattr", KnownGlobal::builtins_getattr},
  };
  for (const auto& k : kKnown)
    if (k.module == module && k.name == name) n->known = k.known;
  return Value(n);
}

Value Graph::object(Value callable, Value args, BuildKind how, Value kwargs) {
  if (args.kind() != Kind::Tuple) throw TypeError("object arguments must be a tuple");
  auto* n = make<ObjectNode>(resource());
  n->callable = callable;
  n->args = args;
  n->how = how;
  n->kwargs = kwargs;
  return Value(n);
}

Value Graph::persistent_ref(Value pid) {
  auto* n = make<PersistentRefNode>();
  n->pid = pid;
  return Value(n);
}

namespace {
ListNode** states_slot(Value v) noexcept {
  switch (v.kind()) {
    case Kind::List: return &v.list().states;
    case Kind::Dict: return &v.dict().states;
    case Kind::Set:
    case Kind::FrozenSet: return &v.set().states;
    default: return nullptr;
  }
}
}  // namespace

std::span<const Value> build_states(Value v) noexcept {
  if (v.kind() == Kind::Object) {
    const auto& s = v.object().states;
    return {s.data(), s.size()};
  }
  ListNode** slot = states_slot(v);
  if (!slot || !*slot) return {};
  return {(*slot)->items.data(), (*slot)->items.size()};
}

void Graph::add_state(Value target, Value state) {
  if (target.kind() == Kind::Object) {
    target.object().states.push_back(state);
    return;
  }
  ListNode** slot = states_slot(target);
  if (!slot) throw TypeError(std::string(kind_name(target.kind())) + " cannot take a BUILD state");
  if (state.is_none()) return;  // changes nothing in Python: kept by no one
  // With no __setstate__, BUILD sets attributes: from a dict, or a (dict, slots
  // dict) pair; CPython refuses anything else there.
  auto dict_or_none = [](Value v) { return v.is_dict() || v.is_none(); };
  bool attributes = state.is_dict() ||
                    (state.is_tuple() && state.tuple().items.size() == 2 &&
                     dict_or_none(state.tuple().items[0]) && dict_or_none(state.tuple().items[1]));
  if (!attributes)
    throw TypeError("BUILD on a " + std::string(kind_name(target.kind())) +
                    " sets attributes from a dict or a (dict, dict) pair, not " +
                    std::string(kind_name(state.kind())));
  if (!*slot) *slot = make<ListNode>(resource());
  (*slot)->items.push_back(state);
}

Value Graph::buffer(std::span<const std::byte> data, bool readonly, size_t index) {
  auto* n = make<BufferNode>();
  n->data = data;
  n->index = index;
  if (readonly) n->flags |= kReadOnly;
  return Value(n);
}

}  // namespace pickle
