// same_shape(a, b): whether two graphs hold the same data, as a round trip through
// pickle must keep it: kinds, values, order, Python 2 str marks, object structure,
// and sharing (two references to one node in `a` are one node in `b`; big ints, the
// empty tuple, persistent ids and out-of-band buffers excepted, as CPython does not
// memoize them, and globals, which name one object whatever node holds them). Forms that
// protocols spell differently but load equally are treated as the same: INST and OBJ,
// NEWOBJ_EX with no keyword arguments and NEWOBJ, Python 2 and 3 global names (and
// the Python 3 name a protocol below 3 gives back for another).
// No recursion on depth.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "load/decoder.hpp"
#include "pickle/value.hpp"
#include "reductions/names.hpp"

namespace pickle::fuzz {

namespace detail_shape {

// The name a Python 3 global comes back under after a trip through a protocol below
// 3: fix_imports' reverse renames, then its renames. They are not inverses of each
// other (`_functools.reduce` comes back as `functools.reduce`), in CPython as here.
inline void py2_trip(std::string_view& module, std::string_view& name) {
  detail::reverse_fix_import(module, name);
  detail::fix_import(module, name);
}

}  // namespace detail_shape

inline bool same_shape(Value a, Value b, std::string* why = nullptr) {
  auto no = [&](const std::string& reason) {
    if (why) *why = reason;
    return false;
  };
  std::unordered_map<const Node*, const Node*> mapped;
  std::vector<std::pair<Value, Value>> todo{{a, b}};
  auto norm_how = [](const ObjectNode& o) {
    if (o.how == BuildKind::obj) return BuildKind::inst;
    if (o.how == BuildKind::newobj_ex &&
        (o.kwargs.kind() != Kind::Dict || o.kwargs.dict().size() == 0))
      return BuildKind::newobj;
    return o.how;
  };
  auto global_name = [](const GlobalNode& g) {
    std::string_view m = g.module, n = g.name;
    detail::fix_import(m, n);
    return std::string(m) + "." + std::string(n);
  };
  auto py2_trip_name = [](const GlobalNode& g) {
    std::string_view m = g.module, n = g.name;
    detail_shape::py2_trip(m, n);
    return std::string(m) + "." + std::string(n);
  };
  // BUILD states of native containers (see [NOTE container-states]), in order.
  auto same_states = [&](Value x, Value y) {
    auto sx = build_states(x), sy = build_states(y);
    if (sx.size() != sy.size()) return false;
    for (size_t i = 0; i < sx.size(); ++i) todo.push_back({sx[i], sy[i]});
    return true;
  };
  while (!todo.empty()) {
    auto [x, y] = todo.back();
    todo.pop_back();
    if (x.kind() == Kind::Buffer &&
        y.kind() == (x.buffer().readonly() ? Kind::Bytes : Kind::ByteArray)) {
      // An in-band buffer is written as CPython writes a PickleBuffer in band: as
      // bytes when read-only, as a bytearray otherwise, and comes back as that.
      auto p = x.buffer().data;
      std::string_view q = y.bytes().data;
      if (p.size() != q.size() ||
          !std::equal(p.begin(), p.end(), reinterpret_cast<const std::byte*>(q.data())))
        return no("in-band buffer differs");
      continue;
    }
    if (x.kind() != y.kind()) {
      // A newobj Object of builtins.object... kinds must match everywhere else.
      return no(std::string("kind ") + std::string(kind_name(x.kind())) + " vs " +
                std::string(kind_name(y.kind())));
    }
    if (!x.is_node()) {
      if (x.kind() == Kind::Float) {
        double p = x.raw_float(), q = y.raw_float();
        if (!(std::isnan(p) && std::isnan(q)) &&
            std::bit_cast<uint64_t>(p) != std::bit_cast<uint64_t>(q))
          return no("float " + std::to_string(p) + " vs " + std::to_string(q));
      } else if (x.raw_int() != y.raw_int() && x.kind() != Kind::None) {
        return no("int " + std::to_string(x.raw_int()) + " vs " + std::to_string(y.raw_int()));
      }
      continue;
    }
    // Ints (big ones are nodes too), the empty tuple (a singleton in Python),
    // persistent ids and out-of-band buffers are never memoized (CPython writes each
    // reference again), so a shared one comes back as several.
    // A global names one object in Python whichever node holds it: the writer shares
    // globals by name (an INST's class line is not memoized, so a second reference to
    // the class is a GLOBAL of its own), and they are compared by name below.
    bool unmemoized = x.kind() == Kind::Int || x.kind() == Kind::PersistentRef ||
                      x.kind() == Kind::Global || x.kind() == Kind::Buffer ||
                      (x.kind() == Kind::Tuple && x.tuple().items.empty());
    auto [it, fresh] =
        unmemoized ? std::pair(mapped.end(), true) : mapped.emplace(x.node(), y.node());
    if (!fresh) {
      if (it->second != y.node()) return no("sharing differs");
      continue;
    }
    switch (x.kind()) {
      case Kind::Int:
        if (!equal(x, y)) return no("big int differs");
        break;
      case Kind::Complex:
        if (!equal(x, y) && !(std::isnan(x.complex().real) || std::isnan(x.complex().imag)))
          return no("complex differs");
        break;
      case Kind::Str:
        if (x.str().text != y.str().text) return no("str text differs");
        if ((x.str().flags & kPy2Str) != (y.str().flags & kPy2Str)) return no("py2 mark differs");
        break;
      case Kind::Bytes:
      case Kind::ByteArray:
        if (x.bytes().data != y.bytes().data) return no("bytes differ");
        if ((x.bytes().flags & kPy2Str) != (y.bytes().flags & kPy2Str))
          return no("py2 mark differs");
        break;
      case Kind::Tuple:
      case Kind::List:
      case Kind::Set:
      case Kind::FrozenSet: {
        auto xs = x.items(), ys = y.items();
        if (xs.size() != ys.size()) return no("sizes differ");
        for (size_t i = 0; i < xs.size(); ++i) todo.push_back({xs[i], ys[i]});
        if (!same_states(x, y)) return no("BUILD states differ");
        break;
      }
      case Kind::Dict: {
        const auto &dx = x.dict(), &dy = y.dict();
        if (dx.size() != dy.size()) return no("dict sizes differ");
        if ((dx.flags & kOrderedDict) != (dy.flags & kOrderedDict)) return no("ordered flag");
        for (size_t i = 0; i < dx.size(); ++i) {
          todo.push_back({dx.entries[i].first, dy.entries[i].first});
          todo.push_back({dx.entries[i].second, dy.entries[i].second});
        }
        if (!same_states(x, y)) return no("BUILD states differ");
        break;
      }
      case Kind::Global:
        if (global_name(x.global()) != global_name(y.global()) &&
            py2_trip_name(x.global()) != global_name(y.global()))
          return no("global " + global_name(x.global()) + " vs " + global_name(y.global()));
        break;
      case Kind::Object: {
        const auto &ox = x.object(), &oy = y.object();
        if (norm_how(ox) != norm_how(oy)) return no("object build kind differs");
        if (ox.states.size() != oy.states.size() || ox.list_items.size() != oy.list_items.size() ||
            ox.dict_items.size() != oy.dict_items.size())
          return no("object parts differ");
        todo.push_back({ox.callable, oy.callable});
        // A NEWOBJ's argument tuple is rebuilt below protocol 2, where it goes into
        // copyreg.__newobj__(cls, *args): Python never sees it again, so its items are
        // compared and its identity is not.
        if (norm_how(ox) == BuildKind::newobj && ox.args.kind() == Kind::Tuple &&
            oy.args.kind() == Kind::Tuple) {
          auto xa = ox.args.tuple().items, ya = oy.args.tuple().items;
          if (xa.size() != ya.size()) return no("object arguments differ");
          for (size_t i = 0; i < xa.size(); ++i) todo.push_back({xa[i], ya[i]});
        } else {
          todo.push_back({ox.args, oy.args});
        }
        if (norm_how(ox) == BuildKind::newobj_ex) todo.push_back({ox.kwargs, oy.kwargs});
        for (size_t i = 0; i < ox.states.size(); ++i) todo.push_back({ox.states[i], oy.states[i]});
        for (size_t i = 0; i < ox.list_items.size(); ++i)
          todo.push_back({ox.list_items[i], oy.list_items[i]});
        for (size_t i = 0; i < ox.dict_items.size(); ++i) {
          todo.push_back({ox.dict_items[i].first, oy.dict_items[i].first});
          todo.push_back({ox.dict_items[i].second, oy.dict_items[i].second});
        }
        break;
      }
      case Kind::PersistentRef: {
        // PERSID (protocol 0) carries a text line: the id comes back as a plain str,
        // also from a Python 2 str loaded as bytes (which serves as text there).
        Value p = x.persistent_ref().pid, q = y.persistent_ref().pid;
        bool py2_bytes = p.kind() == Kind::Bytes && (p.bytes().flags & kPy2Str);
        if ((p.kind() == Kind::Str || py2_bytes) && q.kind() == Kind::Str) {
          if ((py2_bytes ? p.bytes().data : p.str().text) != q.str().text)
            return no("persistent id differs");
        } else {
          todo.push_back({p, q});
        }
        break;
      }
      case Kind::Buffer: {
        auto p = x.buffer().data, q = y.buffer().data;
        if (p.size() != q.size() || !std::equal(p.begin(), p.end(), q.begin()))
          return no("buffer differs");
        if (x.buffer().readonly() != y.buffer().readonly()) return no("buffer read-only flag");
        break;
      }
      default: break;
    }
  }
  return true;
}

/// Whether the graph names a global that fix_imports renames on reading below
/// protocol 3 (a Python 2 module name such as `__builtin__` or `UserDict`, read from a
/// protocol 3+ pickle, where nothing renames it). Written below protocol 3 such a name
/// is read back under its Python 3 name, and may then load as a native kind (a
/// `__builtin__.bytearray` reduction becomes a bytearray), as in CPython: that trip
/// cannot keep the graph with fix_imports on. No recursion on depth.
inline bool names_py2_global(Value root) {
  std::unordered_set<const Node*> seen;
  std::vector<Value> todo{root};
  auto push = [&](Value v) {
    if (v.is_node() && seen.insert(v.node()).second) todo.push_back(v);
  };
  while (!todo.empty()) {
    Value v = todo.back();
    todo.pop_back();
    switch (v.kind()) {
      case Kind::Tuple:
      case Kind::List:
      case Kind::Set:
      case Kind::FrozenSet:
        for (Value item : v.items()) push(item);
        for (Value s : build_states(v)) push(s);
        break;
      case Kind::Dict:
        for (const auto& [k, x] : v.dict().entries) push(k), push(x);
        for (Value s : build_states(v)) push(s);
        break;
      case Kind::Global: {
        std::string_view m = v.global().module, n = v.global().name;
        detail::fix_import(m, n);
        if (m != v.global().module || n != v.global().name) return true;
        break;
      }
      case Kind::Object: {
        const auto& o = v.object();
        push(o.callable), push(o.args), push(o.kwargs), push(o.calls);
        for (Value s : o.states) push(s);
        for (Value s : o.list_items) push(s);
        for (const auto& [k, x] : o.dict_items) push(k), push(x);
        break;
      }
      case Kind::PersistentRef: push(v.persistent_ref().pid); break;
      default: break;
    }
  }
  return false;
}

}  // namespace pickle::fuzz
