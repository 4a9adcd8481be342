// Python equality (==): numbers across kinds, structure for containers, without
// recursion on the depth of the data.
#include <algorithm>
#include <unordered_set>
#include <vector>

#include "model/bigint.hpp"
#include "model/hash.hpp"

namespace pickle {

using detail::HashIndex;
using detail::mix;
using detail::node_of;

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
        re = node_of<ComplexNode>(v).real;
        im = node_of<ComplexNode>(v).imag;
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
      return detail::double_as_int64(d, n) && n == i.raw_int();
    }
    std::vector<uint8_t> big;
    if (!detail::double_to_twos(d, big)) return false;
    auto bb = node_of<BigIntNode>(i).bytes;
    return big.size() == bb.size() && std::equal(big.begin(), big.end(), bb.begin());
  }
  if (a.is_bigint() != b.is_bigint()) return false;  // big ints never fit int64
  if (!a.is_bigint()) return a.raw_int() == b.raw_int();
  auto x = node_of<BigIntNode>(a).bytes, y = node_of<BigIntNode>(b).bytes;
  return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin());
}

struct PairHash {
  size_t operator()(const std::pair<const Node*, const Node*>& p) const noexcept {
    return mix(reinterpret_cast<uintptr_t>(p.first) * 31 + reinterpret_cast<uintptr_t>(p.second));
  }
};

bool equal_impl(Value a, Value b, int depth);

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
  if (depth > 10000) throw LimitError(ErrorCode::limit_exceeded, "comparison nested too deeply");
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
        if (node_of<StrNode>(x).text != node_of<StrNode>(y).text) return false;
        continue;
      case Kind::Bytes:
      case Kind::ByteArray:
        if (node_of<BytesNode>(x).data != node_of<BytesNode>(y).data) return false;
        continue;
      case Kind::Global:
        if (node_of<GlobalNode>(x).module != node_of<GlobalNode>(y).module ||
            node_of<GlobalNode>(x).name != node_of<GlobalNode>(y).name)
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
        const SetNode &sx = node_of<SetNode>(x), &sy = node_of<SetNode>(y);
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
        const DictNode &dx = node_of<DictNode>(x), &dy = node_of<DictNode>(y);
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
  return detail::equal_inline(a, b);
}

bool detail::equal_general(Value a, Value b) {
  return equal_impl(a, b, 0);
}

}  // namespace pickle
