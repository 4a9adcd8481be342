// Loading: LoadOptions and Limits, the Unpickler, and the loads/load conveniences.
// Where the bytes come from (Source) is the io layer, pickle/io.hpp.
//
//   pickle::Document doc = pickle::loads(bytes);          // bytes: any byte span
//   std::cout << pickle::repr(doc.root()) << "\n";
//
//   pickle::FileSource src("data.pkl");
//   pickle::Unpickler u(src);
//   pickle::Graph g;
//   while (!u.at_end()) use(u.load(g));                  // several pickles, one memo
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pickle/detail/lifetime.hpp"
#include "pickle/error.hpp"
#include "pickle/io.hpp"
#include "pickle/pool.hpp"
#include "pickle/registry.hpp"
#include "pickle/value.hpp"

namespace pickle {

// ---------------------------------------------------------------------------
// Options

/// Limits on what one load may build. Every default is finite and far above what an
/// honest pickle needs; each names the attack it blocks. Reaching one is an
/// UnpicklingError with code limit_exceeded. docs/security.md lists them with the
/// memory bound they add up to.
struct Limits {
  /// Memo entries. Blocks memory exhaustion by PUT/MEMOIZE floods.
  size_t max_memo_entries = size_t(1) << 26;
  /// Largest memo index kept in the dense table; larger ones go to a sparse map, so
  /// the dense table never passes this many slots (17 bytes each). Blocks
  /// `LONG_BINPUT 0xFFFFFFFF` allocating a 4-billion-slot table (CVE-2018-20406).
  size_t dense_memo_span = size_t(1) << 20;
  /// Items on the stack at once. Blocks pushing forever without building (a flood of
  /// DUP or GET costs one to five input bytes per 16-byte stack slot).
  size_t max_stack = size_t(1) << 28;
  /// Open MARKs at once (nesting depth of MARK-based containers). Blocks a flood of
  /// MARKs growing the mark stack without bound.
  size_t max_marks = size_t(1) << 28;
  /// Items in one list, tuple, dict, set or frozenset, or in an Object's appended or
  /// set items. Blocks one container grown without bound by APPENDS/SETITEMS batches
  /// repeated on it, or by natively rebuilt copies (`set(x)`, `OrderedDict(x)`) of a
  /// container that is itself referenced again and again through the memo.
  size_t max_container_items = size_t(1) << 28;
  /// Bytes of one str/bytes/bytearray payload; the input length bounds it anyway.
  uint64_t max_string = uint64_t(1) << 40;
  /// Digits in a text INT/LONG. Blocks quadratic decimal conversion (as CPython's
  /// int_max_str_digits does for int()).
  size_t max_int_digits = 100000;
  /// Bytes of a LONG1/LONG4 payload.
  size_t max_long_bytes = size_t(1) << 24;
  /// Nodes the graph may hold per input byte (plus 4096). Blocks DUP/GET-driven
  /// growth: every node costs at least one opcode byte in an honest pickle.
  size_t max_nodes_per_byte = 4;
  /// Bytes the graph may obtain from the allocator per input byte (plus 16 MiB).
  /// Blocks amplification that makes few nodes but copies much: a natively rebuilt
  /// `set(x)`, `bytes(x)` or `copyreg.__newobj__(cls, *x)` copies a container that
  /// a two-byte GET can name again and again. The densest honest pickle (a list of
  /// empty sets or dicts) needs about 200 bytes of graph per input byte.
  size_t max_alloc_per_byte = 1024;
};

/// How a Python 2 `str` (STRING, BINSTRING, SHORT_BINSTRING) is loaded; CPython 3's
/// `encoding` and `errors` arguments.
struct StrDecoding {
  /// "ASCII" (default), "latin1" (also "latin-1", "iso-8859-1"), "utf-8", or "bytes".
  std::string encoding = "ASCII";
  /// "strict" (default), "replace", "ignore", "surrogateescape", "backslashreplace".
  std::string errors = "strict";
  /// A viewer's choice: when a Python 2 str does not decode, load it as Bytes (still
  /// marked as a Python 2 str) instead of failing. Off by default, as in CPython.
  bool undecodable_as_bytes = false;
};

/// A resolver for GLOBAL/STACK_GLOBAL/INST/EXT: returns the value to push (usually
/// `g.global(module, name)`), or throws to refuse. Names arrive after fix_imports.
using FindGlobal = std::function<Value(Graph& g, std::string_view module, std::string_view name)>;
/// Resolves a persistent id; when unset the id loads as a PersistentRef.
using PersistentLoad = std::function<Value(Graph& g, Value pid)>;

/// An out-of-band buffer given for NEXT_BUFFER (protocol 5).
struct OutOfBandBuffer {
  /// The caller's bytes, which must outlive the graph loaded with them (a span; not
  /// from a temporary owning range, see [NOTE dangling-views]).
  detail::BorrowedBytes data;
  bool readonly = false;
};

/// Typed loads (pickle/typed.hpp).
struct TypedLoadOptions {
  /// Dict keys and attributes that no field of a PICKLE_DICT or PICKLE_OBJECT struct
  /// names are ignored, instead of a TypedError.
  bool ignore_extra_keys = false;
  /// How deep C++ values may nest before TypedError (limit_exceeded): only a recursive
  /// C++ structure gets near it.
  size_t max_depth = 1000;
  /// Whether a shared_ptr may be read from a value that contains itself. Off: a
  /// TypedError, since the cycle of shared_ptrs it makes is never freed unless the
  /// caller breaks it (hostile input could make a program leak so).
  bool allow_shared_cycles = false;
  /// Values a typed load may read. A value referenced many times (through the memo)
  /// is one object in Python but is read, and copied into the C++ types, at every
  /// reference, so a small pickle of shared references could expand without bound (a
  /// billion laughs). 0 (the default): four per 16 bytes and per node of the graph the
  /// pickle loaded into, plus 65536, far above any tree of values; from_value() is
  /// bounded only when this is set. Past it: TypedError, code limit_exceeded.
  size_t max_values = 0;
};

struct LoadOptions {
  StrDecoding py2_str;
  /// Map Python 2 module and name to Python 3 ones (CPython's _compat_pickle) when the
  /// pickle's protocol is below 3.
  bool fix_imports = true;
  /// Also accept the INT, LONG and FLOAT lines that only Python's pure unpickler
  /// (pickle._Unpickler, which joblib.load uses) reads: int() and float() with
  /// whitespace and underscores, an overflowing float as inf. Off: refused as CPython's
  /// C unpickler (pickle.loads) refuses them. The scanner turns it on, so that a line
  /// one of the two loaders reads never stops a scan.
  bool python_literals = false;
  /// Refuse (UnpicklingError) every global not in `allowed_globals`.
  bool strict = false;
  /// (module, name) pairs allowed in strict mode, after fix_imports.
  std::vector<std::pair<std::string, std::string>> allowed_globals;
  /// Resolver; when empty, globals load as Global values (well-known builtins as
  /// native kinds when called).
  FindGlobal find_global;
  PersistentLoad persistent_load;
  /// Buffers for NEXT_BUFFER; when absent, NEXT_BUFFER is an error (as in CPython).
  std::optional<std::vector<OutOfBandBuffer>> buffers;
  /// Extension codes for EXT1/EXT2/EXT4 (copyreg.add_extension); may be null.
  const Registry* registry = nullptr;
  Limits limits;
  /// Memory to draw from and give back to (see [NOTE memory-pool] in pickle/pool.hpp):
  /// the graph loads() makes, and the Unpickler's large tables. nullptr (the default):
  /// the system's. Must outlive what uses it.
  MemoryPool* pool = nullptr;
  TypedLoadOptions typed;
};

/// What noload() saw of one pickle: its persistent ids, with their values.
struct NoloadResult {
  struct PersistentId {
    uint64_t offset;   ///< offset of the PERSID/BINPERSID opcode
    bool binary;       ///< BINPERSID (the id is an object) vs PERSID (a text line)
    std::string text;  ///< the PERSID line, empty for BINPERSID
    /// The id as a value in `graph`: a Str for PERSID; for BINPERSID the object on the
    /// stack, as far as noload builds it: None, bools, ints, floats, str, bytes,
    /// bytearray, tuples, globals and persistent refs (PyTorch's
    /// ('storage', torch.FloatStorage, '0', 'cpu', 4), ZODB's (oid, class)).
    Value id;
    /// False when part of the id is something noload does not build (a list, dict,
    /// set, or the result of REDUCE, NEWOBJ, INST or OBJ): that part is None in `id`.
    bool complete = true;
  };
  std::vector<PersistentId> persistent_ids;
  uint64_t end_offset = 0;  ///< offset just after STOP
  /// Owns the ids' values.
  Graph graph;
};

// ---------------------------------------------------------------------------
// Unpickler

/// Loads pickles from a Source, one per load() call, keeping the memo between calls
/// as CPython's Unpickler does.
class Unpickler {
 public:
  explicit Unpickler(Source& source, LoadOptions options = {});
  ~Unpickler();
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  /// Loads the next pickle into g and returns its root. Throws UnpicklingError.
  Value load(Graph& g);
  /// Walks the next pickle building only what persistent ids are made of (leaves,
  /// tuples, globals); reports each persistent id with its value. Calls nothing
  /// (neither find_global nor persistent_load) and checks no allow-list.
  NoloadResult noload();
  /// Loads the next pickle as a T through its codec (pickle/typed.hpp, which defines
  /// it). The values are kept in a graph of the Unpickler's own, for the memo.
  template <class T>
  T load();
  /// What load<T>() reads from: the next pickle, into the Unpickler's own graph.
  Value load_for_typed();
  /// That graph (which bounds what load<T>() reads, TypedLoadOptions::max_values).
  const Graph& typed_graph() const noexcept;
  /// True when the source has no byte left.
  bool at_end();
  /// Forgets the memo (a new stream of pickles starts).
  void clear_memo();
  const LoadOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Loads one pickle from bytes into g. Bytes after STOP are ignored, as in CPython.
Value loads(std::span<const uint8_t> data, Graph& g, const LoadOptions& options = {});
Value loads(std::string_view data, Graph& g, const LoadOptions& options = {});
/// Loads one pickle from bytes into a new Document.
Document loads(std::span<const uint8_t> data, const LoadOptions& options = {});
Document loads(std::string_view data, const LoadOptions& options = {});
/// Loads one pickle from a stream.
Value load(std::istream& in, Graph& g, const LoadOptions& options = {});

/// loads() for callers that ban exceptions: the Document, or the ErrorInfo of what
/// loads() would have thrown (an UnpicklingError's code, offset, opcode and message;
/// ErrorCode::memory when memory ran out). Never throws; the overloads without options
/// load with the defaults (LoadOptions' constructor is not noexcept).
///
///   pickle::Result<pickle::Document> r = pickle::try_loads(bytes);
///   if (!r) std::fprintf(stderr, "%s\n", r.error().message.c_str());
Result<Document> try_loads(std::span<const uint8_t> data) noexcept;
Result<Document> try_loads(std::string_view data) noexcept;
Result<Document> try_loads(std::span<const uint8_t> data, const LoadOptions& options) noexcept;
Result<Document> try_loads(std::string_view data, const LoadOptions& options) noexcept;
/// Into g, as loads(data, g, options).
Result<Value> try_loads(std::span<const uint8_t> data, Graph& g) noexcept;
Result<Value> try_loads(std::string_view data, Graph& g) noexcept;
Result<Value> try_loads(std::span<const uint8_t> data, Graph& g,
                        const LoadOptions& options) noexcept;
Result<Value> try_loads(std::string_view data, Graph& g, const LoadOptions& options) noexcept;

}  // namespace pickle
#pragma GCC visibility pop
