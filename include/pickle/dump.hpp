// Dumping: DumpOptions, the Pickler, and dumps/dump.
//
//   pickle::Graph g;
//   pickle::Value v = g.dict({{g.str("xs"), g.list({1, 2, 3})}});
//   std::string bytes = pickle::dumps(v);            // protocol 4, as CPython 3.8+
//   std::string p2 = pickle::dumps(v, {.protocol = 2});
//
// For the same object graph the bytes are those CPython's pickle.dumps writes (the
// C _pickle of 3.8–3.13; see docs/dumping.md for the cases where they cannot be).
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "pickle/error.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/pool.hpp"
#include "pickle/registry.hpp"
#include "pickle/sink.hpp"
#include "pickle/typed/codec.hpp"
#include "pickle/value.hpp"

namespace pickle {

/// Returns the persistent id to write for v, or nothing to write v itself
/// (CPython's Pickler.persistent_id). Called for every value, as CPython does.
using PersistentId = std::function<std::optional<Value>(Value v)>;
/// Called for each protocol 5 Buffer; return true to write it in-band, false to
/// leave it out-of-band (NEXT_BUFFER), e.g. after keeping it (CPython's
/// buffer_callback, whose falsy result means out-of-band).
using BufferCallback = std::function<bool(Value buffer)>;

/// How the Pickler writes a Python 2 `str` (a Str or Bytes loaded from STRING,
/// BINSTRING or SHORT_BINSTRING, flagged kPy2Str).
enum class Py2Str : uint8_t {
  /// As a Python 2 str again, at every protocol (lossless for Python 2 and 3 readers;
  /// Python 3's default pickle.loads decodes it as ASCII).
  keep,
  /// As a Python 3 str of its decoded text. One loaded as bytes (encoding "bytes")
  /// must be ASCII, else PicklingError: load it with the encoding that decodes it.
  text,
  /// As a Python 3 bytes of its original bytes (re-encoded with the codec that
  /// decoded it on loading).
  bytes,
};

struct DumpOptions {
  /// 0–5; negative means HIGHEST_PROTOCOL. Default 4, as CPython 3.8–3.13.
  int protocol = DEFAULT_PROTOCOL;
  /// Below protocol 3, write Python 2 names for renamed modules (CPython's fix_imports).
  bool fix_imports = true;
  /// No memo (CPython's `fast`): shared values are written again; a cycle is an error.
  bool fast = false;
  /// How Python 2 strs are written (see Py2Str); a value referenced twice is still
  /// written once.
  Py2Str py2_str = Py2Str::keep;
  PersistentId persistent_id;
  BufferCallback buffer_callback;
  /// Extension codes written as EXT1/EXT2/EXT4 at protocol 2+; may be null.
  const Registry* registry = nullptr;
  /// Memory to draw from and give back to (see [NOTE memory-pool] in pickle/pool.hpp):
  /// the writer's output buffer and memo table (kept in the pool between dumps()
  /// calls, and by a Pickler for its lifetime) and the graph of its own temporary
  /// nodes. nullptr (the default): the system's. Must outlive what uses it.
  MemoryPool* pool = nullptr;
  /// Typed dumps (pickle/typed.hpp): how deep C++ values may nest before
  /// PicklingError. Only a recursive C++ structure gets near it; CPython's recursion
  /// limit is 1000 too.
  size_t typed_max_depth = 1000;
};

/// Writes pickles to a Sink. Several dump() calls share the memo, as CPython's
/// Pickler does, until clear_memo(): a value written before is written again as a
/// memo reference. The memo knows a node by its address and its stamp (Node::stamp,
/// the graph state that made it), so a node made where a freed one was is written
/// afresh, never as a reference to the freed one, with dump(v) as with dump(v, graph).
///
///   pickle::Pickler p(sink);
///   p.dump(g.list({1, 2}), g);
///   g.clear();
///   p.dump(g.list({3}), g);  // a new list, even where the first one was in memory
class Pickler {
 public:
  explicit Pickler(Sink& sink, DumpOptions options = {});
  ~Pickler();
  Pickler(const Pickler&) = delete;
  Pickler& operator=(const Pickler&) = delete;

  /// Writes one pickle of v. Throws PicklingError for what cannot be written.
  void dump(Value v);
  /// Writes one pickle of v, a value of `graph`. The memo holds nodes of one state of
  /// one graph (Graph::epoch()): when `graph` is another graph than the last dump's,
  /// or was cleared since, the memo is cleared first, as by clear_memo(), so it never
  /// grows with the nodes of graph states that are gone. Moving a graph keeps its
  /// epoch, and the memo with it.
  void dump(Value v, const Graph& graph);
  /// Writes one pickle of a C++ value through its codec (pickle/typed.hpp, which
  /// defines it); the memo is shared with the other dumps, as above.
  template <class T>
  requires detail::typed_argument<T>
  void dump(const T& x);
  /// Forgets which values were written (CPython's clear_memo).
  void clear_memo();
  int protocol() const noexcept;
  /// What dump(const T&) calls: `write` writes *x through the Writer.
  void dump_erased(void (*write)(Writer& w, const void* x), const void* x);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One pickle of v as bytes. On PicklingError nothing is returned.
std::string dumps(Value v, const DumpOptions& options = {});
/// Writes one pickle of v to out.
void dump(Value v, std::ostream& out, const DumpOptions& options = {});

/// dumps() for callers that ban exceptions: the bytes, or the ErrorInfo of what dumps()
/// would have thrown (a PicklingError's code and message, ErrorCode::memory when
/// memory ran out). Never throws.
Result<std::string> try_dumps(Value v, const DumpOptions& options = {}) noexcept;

}  // namespace pickle
#pragma GCC visibility pop
