// build_graph(data, size, g): reads fuzz input as a small program that builds a Graph
// through the public API, for the graph fuzz target (dump of a fuzzed graph loads
// back). The program is a sequence of instructions; each makes one value and puts it
// in a register file, or changes a value made earlier (which is how shared references
// and cycles arise). Every byte string is a valid program: missing bytes read as 0.
//
// The graphs stay within what the object model means (see value.hpp): args are
// tuples, NEWOBJ classes are globals, set members and dict keys are hashable, str is
// UTF-8 with lone surrogates as CPython's surrogatepass writes them, a Python 2 str
// holds what the chosen load encoding decodes. Objects never call a global that the
// loader turns into a native kind (set, bytearray, OrderedDict, ...), since that
// round trip changes the kind on purpose.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "load/decoder.hpp"
#include "pickle/value.hpp"
#include "reductions/names.hpp"
#include "reductions/table.hpp"
#include "text/text.hpp"

namespace pickle::fuzz {

/// What a program built, and how its pickles must be loaded back.
struct GraphProgram {
  Value root;
  /// The encoding that loads this graph's Python 2 strs back ("ASCII", "latin1",
  /// "utf-8" or "bytes").
  std::string_view py2_encoding = "ASCII";
  size_t instructions = 0;
};

namespace detail_graph {

// Input bytes; past the end every read is 0.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ == end_; }
  uint8_t byte() { return p_ == end_ ? 0 : *p_++; }
  uint64_t le(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t(byte()) << (8 * i);
    return v;
  }
  std::string_view take(size_t n) {
    n = std::min(n, static_cast<size_t>(end_ - p_));
    std::string_view r(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return r;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// A code point below `limit`, biased towards the characters that need escaping in
// protocol 0 and to every UTF-8 length, surrogates included.
inline uint32_t code_point(ByteReader& in, uint32_t limit) {
  static constexpr uint32_t kSpecial[] = {
      0,     '\n',  '\r',   '\\',   0x1a,   '\'',   '"',    ' ',    0x7f,   0x80,    0xff,    0x100,
      0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffd, 0xffff, 0x10000, 0x10ffff};
  uint8_t how = in.byte();
  uint32_t cp;
  switch (how % 4) {
    case 0: cp = kSpecial[in.byte() % std::size(kSpecial)]; break;
    case 1: cp = 0x20 + in.byte() % 0x5f; break;  // printable ASCII
    case 2: cp = static_cast<uint32_t>(in.le(2)); break;
    default: cp = static_cast<uint32_t>(in.le(3)) % 0x110000; break;
  }
  return cp < limit ? cp : cp % limit;
}

inline std::string text(ByteReader& in, uint32_t limit) {
  std::string s;
  // The library's encoder writes a surrogate in its 3-byte form, as surrogatepass does.
  for (size_t n = in.byte() % 24; n > 0; --n) detail::append_utf8(s, code_point(in, limit));
  return s;
}

// Module and qualified names: common ones, Python 2 names that fix_imports renames,
// dotted paths, and (rarely) names built from the input, which may be odd.
inline std::string name(ByteReader& in, bool module) {
  static constexpr std::string_view kModules[] = {"__main__", "mod",        "pkg.sub", "datetime",
                                                  "UserDict", "exceptions", "Queue",   "zoo"};
  static constexpr std::string_view kNames[] = {
      "C", "Point", "Outer.Inner", "a.b.c", "x", "MyClass", "StandardError", "deque", "Plain"};
  uint8_t b = in.byte();
  if (b < 240) {
    return module ? std::string(kModules[b % std::size(kModules)])
                  : std::string(kNames[b % std::size(kNames)]);
  }
  std::string s = text(in, b & 1 ? 0x80 : 0x110000);
  return s;
}

}  // namespace detail_graph

/// Builds the graph the program in `data` describes, into g.
inline GraphProgram build_graph(const uint8_t* data, size_t size, Graph& g) {
  using namespace detail_graph;
  ByteReader in(data, size);
  GraphProgram prog;
  static constexpr std::string_view kEncodings[] = {"ASCII", "latin1", "utf-8", "bytes"};
  const uint8_t config = in.byte();
  prog.py2_encoding = kEncodings[config % 4];

  std::vector<Value> regs;
  auto pick = [&]() -> Value { return regs.empty() ? Value() : regs[in.byte() % regs.size()]; };
  // The first register of `kind` at or after a random one, or an empty Value.
  auto find = [&](Kind kind) -> Value {
    if (regs.empty()) return Value();
    size_t start = in.byte() % regs.size();
    for (size_t k = 0; k < regs.size(); ++k) {
      Value v = regs[(start + k) % regs.size()];
      if (v.kind() == kind) return v;
    }
    return Value();
  };
  auto items = [&](size_t n, bool need_hashable) {
    std::vector<Value> xs;
    for (; n > 0; --n) {
      Value v = pick();
      if (!need_hashable || hashable(v)) xs.push_back(v);
    }
    return xs;
  };
  // A class for an Object: never one the loader maps to a native kind.
  auto class_global = [&]() {
    std::string module = name(in, true), qual = name(in, false);
    Value cls = g.global(module, qual);
    std::string_view m = module, n = qual;
    pickle::detail::fix_import(m, n);
    if (pickle::detail::builtin_reduction(module, qual) || pickle::detail::builtin_reduction(m, n))
      cls = g.global("__main__", "C");
    return cls;
  };
  auto fill_dict = [&](DictNode& d, size_t pairs) {
    for (; pairs > 0; --pairs) {
      Value k = pick(), v = pick();
      if (hashable(k)) d.set(k, v);
    }
  };

  constexpr size_t kMaxRegisters = 256, kMaxInstructions = 512;
  while (!in.done() && prog.instructions < kMaxInstructions) {
    ++prog.instructions;
    const uint8_t op = in.byte();
    Value made;
    bool keep = true;
    switch (op % 25) {
      case 0: {  // int of 1 to 8 bytes, sign-extended
        int n = 1 + in.byte() % 8;
        uint64_t u = in.le(n);
        int shift = 64 - 8 * n;
        made = Value(static_cast<long long>(static_cast<int64_t>(u << shift) >> shift));
        break;
      }
      case 1: {  // int of any size
        std::string_view b = in.take(in.byte() % 48);
        made = g.integer(std::span(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
        break;
      }
      case 2: {
        static constexpr double kSpecial[] = {0.0,
                                              -0.0,
                                              1.0,
                                              -1.5,
                                              1e308,
                                              5e-324,
                                              std::numeric_limits<double>::infinity(),
                                              -std::numeric_limits<double>::infinity(),
                                              std::numeric_limits<double>::quiet_NaN(),
                                              -std::numeric_limits<double>::quiet_NaN(),
                                              0.1,
                                              1e16,
                                              123456789.125};
        uint8_t how = in.byte();
        made = how & 1 ? Value(std::bit_cast<double>(in.le(8)))
                       : Value(kSpecial[(how >> 1) % std::size(kSpecial)]);
        break;
      }
      case 3: made = g.str(text(in, 0x110000)); break;
      case 4: made = g.bytes(in.take(in.byte() % 40)); break;
      case 5: made = g.bytearray(in.take(in.byte() % 40)); break;
      case 6: {
        uint8_t b = in.byte() % 3;
        made = b == 0 ? Value() : Value(b == 1);
        break;
      }
      case 7: {
        auto xs = items(in.byte() % 6, false);
        made = g.tuple(xs);
        break;
      }
      case 8: {
        auto xs = items(in.byte() % 6, false);
        made = g.list(xs);
        break;
      }
      case 9:
      case 10: {  // dict, or OrderedDict
        made = g.dict();
        fill_dict(made.dict(), in.byte() % 5);
        if (op % 25 == 10) made.dict().flags |= kOrderedDict;
        break;
      }
      case 11: {
        auto xs = items(in.byte() % 6, true);
        made = in.byte() & 1 ? g.set(xs) : g.frozenset(xs);
        break;
      }
      case 12: {
        std::string module = name(in, true), qual = name(in, false);
        made = g.global(module, qual);
        break;
      }
      case 13: {  // an Object
        uint8_t b = in.byte();
        auto how = static_cast<BuildKind>(b % 5);
        Value cls = class_global();
        // REDUCE may call an object or an unresolved persistent id as well.
        if (how == BuildKind::reduce && (b & 0x80)) {
          Value other = find(b & 0x40 ? Kind::Object : Kind::PersistentRef);
          if (other.kind() != Kind::None) cls = other;
        }
        auto xs = items(in.byte() % 4, false);
        Value args = g.tuple(xs);
        Value kwargs;
        if (how == BuildKind::newobj_ex) {
          kwargs = g.dict();
          for (size_t n = in.byte() % 3; n > 0; --n)
            kwargs.dict().set(g.str(text(in, 0x80)), pick());
        }
        made = g.object(cls, args, how, kwargs);
        break;
      }
      case 14:
      case 15:
      case 16: {  // BUILD state, list items, dict items of an Object made earlier
        keep = false;
        if (op % 25 == 14) {  // a BUILD state of an object or a native container
          constexpr Kind kTargets[] = {Kind::Object, Kind::List, Kind::Dict, Kind::Set,
                                       Kind::FrozenSet};
          Value t = find(kTargets[in.byte() % std::size(kTargets)]);
          if (t.kind() == Kind::Object)
            g.add_state(t, pick());
          else if (t.kind() != Kind::None)  // a container's state: attributes
            g.add_state(t, find(Kind::Dict));
          break;
        }
        Value o = find(Kind::Object);
        if (o.kind() != Kind::Object) break;
        ObjectNode& node = o.object();
        if (op % 25 == 15)
          node.list_items.push_back(pick());
        else
          node.dict_items.emplace_back(pick(), pick());
        break;
      }
      case 17: made = g.persistent_ref(pick()); break;
      case 18:
      case 19:
      case 20: {  // add to a list, dict or set made earlier: sharing and cycles
        keep = false;
        if (op % 25 == 18) {
          Value l = find(Kind::List);
          if (l.kind() == Kind::List) l.list().items.push_back(pick());
        } else if (op % 25 == 19) {
          Value d = find(Kind::Dict);
          if (d.kind() == Kind::Dict) fill_dict(d.dict(), 1);
        } else {
          Value s = find(Kind::Set);
          Value x = pick();
          if (s.kind() == Kind::Set && hashable(x)) s.set().add(x);
        }
        break;
      }
      case 21: {
        double re = std::bit_cast<double>(in.le(8)), im = std::bit_cast<double>(in.le(8));
        made = g.complex(re, im);
        break;
      }
      case 22: {  // a Python 2 str, as the load encoding will give it back
        std::string_view enc = prog.py2_encoding;
        if (enc == "bytes") {
          made = g.bytes(in.take(in.byte() % 40));
          made.bytes().flags |= kPy2Str;
        } else {
          // surrogates are not UTF-8 for Python 2 strs
          uint32_t limit = enc == "ASCII" ? 0x80 : enc == "latin1" ? 0x100 : 0xd800;
          made = g.str(text(in, limit));
          made.str().flags |= kPy2Str;
          made.str().py2_encoding = enc == "ASCII" ? "ascii" : enc == "latin1" ? "latin1" : "utf-8";
        }
        break;
      }
      case 23: {  // a protocol 5 buffer over bytes the graph owns
        std::string_view d = g.copy(in.take(in.byte() % 40));
        made = g.buffer(std::as_bytes(std::span(d.data(), d.size())), in.byte() & 1);
        break;
      }
      default: {  // the root, or another reference to a register
        keep = false;
        if (!regs.empty()) prog.root = pick();
        break;
      }
    }
    if (keep && regs.size() < kMaxRegisters) {
      regs.push_back(made);
      prog.root = made;
    }
  }
  return prog;
}

}  // namespace pickle::fuzz
