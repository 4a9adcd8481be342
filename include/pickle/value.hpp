// The object model: a Graph (arena) owns nodes; a Value is a small handle.
//
//   pickle::Graph g;
//   pickle::Value v = g.dict({{g.str("answer"), 42}, {g.str("xs"), g.list({1, 2.5, nullptr})}});
//   int64_t a = v["answer"].as_int();          // 42
//   for (pickle::Value x : v["xs"].items()) {}  // 1, 2.5, None
//
// Identity follows CPython: Str, Bytes, containers, Globals and Objects are nodes (a
// node referenced twice is one object); None, bools, ints and floats are immediates
// (an int too big for 64 bits is a node, as a number it still compares by value).
// Values are valid as long as the Graph that made them; a Graph frees every node at
// once, so cycles cost nothing.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <memory_resource>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "pickle/detail/lifetime.hpp"
#include "pickle/detail/model.hpp"
#include "pickle/error.hpp"
#include "pickle/pool.hpp"

namespace pickle {

/// What a Value is. Int covers 64-bit and arbitrary-precision integers.
enum class Kind : uint8_t {
  None,
  Bool,
  Int,
  Float,
  Complex,
  Str,
  Bytes,
  ByteArray,
  Tuple,
  List,
  Dict,
  Set,
  FrozenSet,
  Global,
  Object,
  PersistentRef,
  Buffer,
};

/// Python's name for a kind ("NoneType", "int", "str", "list", ...).
std::string_view kind_name(Kind kind) noexcept;

struct Node;
struct BigIntNode;
struct ComplexNode;
struct StrNode;
struct BytesNode;
struct TupleNode;
struct ListNode;
struct DictNode;
struct SetNode;
struct GlobalNode;
struct ObjectNode;
struct PersistentRefNode;
struct BufferNode;

/// A handle to a value: an immediate (None, bool, int64, float) or a node of a Graph.
/// Copying a Value copies the handle, never the node. 16 bytes, trivially copyable.
class Value {
 public:
  constexpr Value() noexcept : kind_(Kind::None), big_(false), i_(0) {}
  constexpr Value(std::nullptr_t) noexcept : Value() {}
  constexpr Value(bool b) noexcept : kind_(Kind::Bool), big_(false), i_(b ? 1 : 0) {}
  /// An int from any integer type but bool and the character types (see
  /// [NOTE value-ints]): `Value(3)`, `Value(size_t{3})`, `Value(uint8_t{200})`.
  /// An unsigned value above INT64_MAX (a uint64_t, size_t, unsigned long long) does
  /// not fit an immediate: OverflowError at run time, a compile error in a
  /// constant expression. Make such an int with Graph::integer(uint64_t).
  template <detail::IntegerArgument T>
  constexpr Value(T i) noexcept(!detail::may_exceed_int64<T>)
      : kind_(Kind::Int), big_(false), i_(checked_int(i)) {}
  /// A character is not a number: `Value('a')` would be the int 97. Use Graph::str
  /// for text, or cast to an integer type to mean the code.
  template <detail::CharacterType T>
  Value(T) = delete;
  constexpr Value(double d) noexcept : kind_(Kind::Float), big_(false), d_(d) {}
  /// Wraps a node (as made by a Graph). Kind::Int nodes are BigIntNodes.
  Value(Node* node) noexcept;
  Value(const char*) = delete;  // a C string needs a Graph: use Graph::str
  Value(const void*) = delete;  // no accidental bool from a pointer

  constexpr Kind kind() const noexcept { return kind_; }
  constexpr bool is_none() const noexcept { return kind_ == Kind::None; }
  constexpr bool is_bool() const noexcept { return kind_ == Kind::Bool; }
  constexpr bool is_int() const noexcept { return kind_ == Kind::Int; }
  constexpr bool is_float() const noexcept { return kind_ == Kind::Float; }
  constexpr bool is_str() const noexcept { return kind_ == Kind::Str; }
  constexpr bool is_bytes() const noexcept { return kind_ == Kind::Bytes; }
  constexpr bool is_tuple() const noexcept { return kind_ == Kind::Tuple; }
  constexpr bool is_list() const noexcept { return kind_ == Kind::List; }
  constexpr bool is_dict() const noexcept { return kind_ == Kind::Dict; }
  constexpr bool is_object() const noexcept { return kind_ == Kind::Object; }
  /// True for every kind stored as a node (has identity).
  constexpr bool is_node() const noexcept {
    return kind_ > Kind::Float || (kind_ == Kind::Int && big_);
  }
  /// An int that does not fit in int64 (stored as a BigIntNode).
  constexpr bool is_bigint() const noexcept { return kind_ == Kind::Int && big_; }

  // Checked accessors: throw TypeError when the kind differs.
  bool as_bool() const;
  /// The int as int64; TypeError if not an int, OverflowError if it does not fit.
  int64_t as_int() const;
  /// A float, or an int converted to double (as Python's float(x)); OverflowError
  /// beyond the range of double.
  double as_float() const;
  /// The UTF-8 of a Str (lone surrogates as CPython's surrogatepass writes them).
  std::string_view as_str() const;
  /// The bytes of Bytes or ByteArray.
  std::string_view as_bytes() const;

  // Nodes by kind (checked).
  const BigIntNode& bigint() const;
  const ComplexNode& complex() const;
  StrNode& str() const;
  BytesNode& bytes() const;  ///< Bytes or ByteArray
  TupleNode& tuple() const;
  ListNode& list() const;
  DictNode& dict() const;
  SetNode& set() const;  ///< Set or FrozenSet
  GlobalNode& global() const;
  ObjectNode& object() const;
  PersistentRefNode& persistent_ref() const;
  BufferNode& buffer() const;

  /// The node, or nullptr for an immediate.
  Node* node() const noexcept { return is_node() ? n_ : nullptr; }
  /// Python's `is`: the same node, or equal immediates of the same kind.
  bool is(Value other) const noexcept;

  /// Elements of a Tuple, List, Set or FrozenSet (TypeError otherwise).
  std::span<const Value> items() const;
  /// Number of elements (Tuple, List, Set, FrozenSet, Dict, Str code units are bytes).
  size_t size() const;
  /// Element i of a Tuple or List (IndexError when i >= size()).
  Value operator[](size_t i) const;
  /// Any other integer type as an index; a negative one is an IndexError.
  template <detail::IntegerArgument I>
  requires(!std::same_as<I, size_t>) Value operator[](I i) const {
    if constexpr (std::is_signed_v<I>) {
      if (i < 0) throw IndexError("pickle::Value: negative index");
    }
    return (*this)[static_cast<size_t>(i)];
  }
  /// The value for a str key of a Dict (KeyError when absent).
  Value operator[](std::string_view key) const;
  Value operator[](const char* key) const { return (*this)[std::string_view(key)]; }

  // Raw immediates, unchecked (for the engine).
  int64_t raw_int() const noexcept { return i_; }
  double raw_float() const noexcept { return d_; }

 private:
  template <class T>
  static constexpr int64_t checked_int(T i) {
    if constexpr (detail::may_exceed_int64<T>) {
      if (i > static_cast<T>(INT64_MAX))
        throw OverflowError(
            "pickle::Value: an unsigned int above INT64_MAX needs a Graph (Graph::integer)");
    }
    return static_cast<int64_t>(i);
  }

  Kind kind_;
  bool big_;
  union {
    int64_t i_;
    double d_;
    Node* n_;
  };
};
static_assert(sizeof(Value) == 16);

/// Python equality (`==`) of two values: 1 == 1.0 == True, structural for containers
/// (cycles are handled), identity for Objects, Globals compare by name. No recursion.
bool equal(Value a, Value b);

/// A hash consistent with equal() for hashable values (numbers, Str, Bytes, Tuple,
/// FrozenSet, Global, Object, ...). Throws TypeError for list, dict, set, bytearray.
uint64_t hash(Value v);

/// True if the value can be a dict key or set member in Python.
bool hashable(Value v);

/// Where a value came from when it matters for writing it back losslessly.
enum class BuildKind : uint8_t {
  reduce,     ///< callable(*args)                      (REDUCE)
  newobj,     ///< cls.__new__(cls, *args)              (NEWOBJ, copyreg.__newobj__)
  newobj_ex,  ///< cls.__new__(cls, *args, **kwargs)    (NEWOBJ_EX)
  inst,       ///< protocol 0 class instance            (INST)
  obj,        ///< protocol 1 class instance            (OBJ)
};

/// Node header shared by every node kind.
struct Node {
  Kind kind;
  uint8_t flags = 0;
  /// The low 32 bits of the Graph::epoch() of the graph state that made the node (0
  /// for a node no Graph made). The writer's memo keys nodes by address and stamp, so
  /// a node made where a freed one was is never taken for it ([NOTE node-stamp]).
  uint32_t stamp = 0;
  explicit Node(Kind k) noexcept : kind(k) {}
};

/// Flags on nodes.
enum NodeFlags : uint8_t {
  /// Str/Bytes loaded from STRING, BINSTRING or SHORT_BINSTRING (a Python 2 `str`).
  kPy2Str = 1,
  /// Dict that is a collections.OrderedDict.
  kOrderedDict = 2,
  /// Buffer that is read-only (READONLY_BUFFER, or given read-only).
  kReadOnly = 4,
  /// PersistentRef written by PERSID (text) rather than BINPERSID.
  kTextPid = 8,
  /// Object loaded from copyreg._reconstructor(cls, object, None): written back in
  /// that form at every protocol (it skips the class's own __new__, as NEWOBJ would not).
  kReconstructed = 16,
  /// Tuple or Object that the loaded stream memoized (PUT/MEMOIZE right after it).
  /// Tells apart forms that differ only in what CPython memoized.
  kMemoized = 32,
  /// Global `Outer.name` loaded from an explicit `getattr(Outer, 'name')` REDUCE (a
  /// method descriptor's `__reduce__`), written back in that form at every protocol;
  /// without the flag a dotted name is a nested qualified name.
  kGetattrForm = 64,
  /// Reserved for the Pickler's own temporary nodes (never set on a user's graph).
  kWriterScratch = 128,
};

inline Value::Value(Node* node) noexcept
    : kind_(node->kind), big_(node->kind == Kind::Int), n_(node) {}

/// An int beyond int64: two's-complement little-endian bytes, minimal length
/// (as LONG1/LONG4 carry them).
struct BigIntNode : Node {
  std::span<const uint8_t> bytes;
  BigIntNode() : Node(Kind::Int) {}
  bool negative() const noexcept { return !bytes.empty() && (bytes.back() & 0x80); }
};

struct ComplexNode : Node {
  double real = 0, imag = 0;
  ComplexNode() : Node(Kind::Complex) {}
};

/// A str: UTF-8 text, lone surrogates encoded as their 3-byte forms.
struct StrNode : Node {
  std::string_view text;
  /// For a Python 2 str (kPy2Str): the codec that decoded it ("ASCII", "latin1", ...).
  std::string_view py2_encoding;
  StrNode() : Node(Kind::Str) {}
};

/// bytes or bytearray (kind tells which).
struct BytesNode : Node {
  std::string_view data;
  explicit BytesNode(Kind k) : Node(k) {}
};

struct TupleNode : Node {
  std::span<const Value> items;
  uint64_t hash_cache = 0;  // 0: not computed
  TupleNode() : Node(Kind::Tuple) {}
};

// [NOTE container-states] A BUILD can follow a container that loads natively: an
// OrderedDict with attributes (torch.save of a state_dict: `_metadata`), or any
// stream that builds a list, dict or set. Its states are kept on the node, in order
// (null while there are none), and written back after the items, as CPython writes
// them; equality ignores them, as Python's == does. Graph::add_state adds one;
// build_states() reads them for any kind.
struct ListNode;

struct ListNode : Node {
  std::pmr::vector<Value> items;
  ListNode* states = nullptr;  ///< BUILD states (see [NOTE container-states])
  explicit ListNode(std::pmr::memory_resource* r) : Node(Kind::List), items(r) {}
};

/// A dict: entries in insertion order, keys unique under Python equality.
struct DictNode : Node {
  std::pmr::vector<std::pair<Value, Value>> entries;
  std::pmr::vector<uint64_t> hashes;  // hash of each entry's key
  detail::HashIndex index;
  ListNode* states = nullptr;  ///< BUILD states (see [NOTE container-states])
  explicit DictNode(std::pmr::memory_resource* r)
      : Node(Kind::Dict), entries(r), hashes(r), index(r) {}
  /// d[key] = value: replaces the value of an equal key in place, else appends.
  /// Throws TypeError when the key is unhashable.
  void set(Value key, Value value);
  /// The value for key, or nullptr.
  const Value* find(Value key) const;
  const Value* find(std::string_view str_key) const;
  /// `find("key")`: a str key (a string literal matches both overloads above).
  const Value* find(const char* str_key) const { return find(std::string_view(str_key)); }
  /// `find(nullptr)`: the None key.
  const Value* find(std::nullptr_t) const { return find(Value()); }
  size_t size() const noexcept { return entries.size(); }
  /// Room for n entries (and their index) before they are set.
  void reserve(size_t n);
};

/// set or frozenset (kind tells which): members in insertion order, unique.
struct SetNode : Node {
  std::pmr::vector<Value> items;
  std::pmr::vector<uint64_t> hashes;
  detail::HashIndex index;
  uint64_t hash_cache = 0;     // frozenset only
  ListNode* states = nullptr;  ///< BUILD states (see [NOTE container-states])
  SetNode(Kind k, std::pmr::memory_resource* r) : Node(k), items(r), hashes(r), index(r) {}
  /// Adds key unless an equal member exists; true if added. TypeError if unhashable.
  bool add(Value key);
  bool contains(Value key) const;
  size_t size() const noexcept { return items.size(); }
};

/// A global by name (a class or function), never imported.
struct GlobalNode : Node {
  std::string_view module;
  std::string_view name;  ///< qualified name, may contain dots
  /// The Python 2 names this global was read under when fix_imports renamed it
  /// (`__builtin__` `long` for builtins.int); empty otherwise. Written back below
  /// protocol 3, so a Python 2 pickle keeps its names.
  std::string_view py2_module, py2_name;
  GlobalNode() : Node(Kind::Global) {}
};

/// An instance the engine does not know natively: everything needed to write it again.
struct ObjectNode : Node {
  Value callable;  ///< the class or function (usually a Global)
  Value args;      ///< a Tuple
  Value kwargs;    ///< a Dict for NEWOBJ_EX, else None
  BuildKind how = BuildKind::reduce;
  std::pmr::vector<Value> states;                        ///< BUILD states, in order
  std::pmr::vector<Value> list_items;                    ///< APPEND/APPENDS items
  std::pmr::vector<std::pair<Value, Value>> dict_items;  ///< SETITEM/SETITEMS pairs
  /// None, or a List of Objects: calls that took this object as first argument and
  /// whose result the stream discarded with POP: the state setter of a 6-item
  /// `__reduce__` (`setter(obj, state)`). Written back after the states.
  Value calls;
  explicit ObjectNode(std::pmr::memory_resource* r)
      : Node(Kind::Object), states(r), list_items(r), dict_items(r) {}
  /// The class or callable's Global, or nullptr when the callable is not a Global.
  const GlobalNode* callable_global() const noexcept;
};

/// The BUILD states of an Object, List, Dict, Set or FrozenSet, in stream order
/// (empty for every other kind).
std::span<const Value> build_states(Value v) noexcept;

/// A persistent id nobody resolved (no persistent_load was given).
struct PersistentRefNode : Node {
  Value pid;
  PersistentRefNode() : Node(Kind::PersistentRef) {}
};

/// A protocol 5 out-of-band buffer (NEXT_BUFFER). The bytes belong to the caller.
struct BufferNode : Node {
  std::span<const std::byte> data;
  size_t index = 0;  ///< position in the `buffers` the caller gave
  BufferNode() : Node(Kind::Buffer) {}
  bool readonly() const noexcept { return flags & kReadOnly; }
};

// [NOTE node-stamp] The stamp sits in the header's padding: every node kind holds
// 8-byte members, so no node grew when it was added. The writer's memo also needs every
// node 8-byte aligned (src/dump/memo.hpp).
#define PICKLE_NODE_SIZE(T, n) \
  static_assert(sizeof(T) == (n) && alignof(T) == 8, #T " changed size")
static_assert(sizeof(Node) == 8);
PICKLE_NODE_SIZE(BigIntNode, 24);
PICKLE_NODE_SIZE(ComplexNode, 24);
PICKLE_NODE_SIZE(StrNode, 40);
PICKLE_NODE_SIZE(BytesNode, 24);
PICKLE_NODE_SIZE(TupleNode, 32);
PICKLE_NODE_SIZE(ListNode, 48);
PICKLE_NODE_SIZE(DictNode, 112);
PICKLE_NODE_SIZE(SetNode, 120);
PICKLE_NODE_SIZE(GlobalNode, 72);
PICKLE_NODE_SIZE(ObjectNode, 176);
PICKLE_NODE_SIZE(PersistentRefNode, 24);
PICKLE_NODE_SIZE(BufferNode, 32);
#undef PICKLE_NODE_SIZE

/// Owns nodes. Movable, not copyable. Everything is freed at once by clear() or the
/// destructor. [NOTE arena-blocks] Nodes live in blocks of memory that are never freed
/// one by one. clear() keeps the graph's blocks for the next load. A destroyed graph
/// returns its blocks to the system, or to the MemoryPool it was made with, which new
/// graphs of that pool draw from (see [NOTE memory-pool] in pickle/pool.hpp: touching
/// fresh memory pages costs more than loading into them on many machines). Without a
/// pool, a Value used after its graph was destroyed is a use-after-free that
/// AddressSanitizer reports. A moved-from graph is empty and usable.
class Graph {
 public:
  /// A graph whose memory comes from, and goes back to, the system.
  Graph();
  /// A graph that draws its blocks from `pool` and gives them back to it when
  /// destroyed. The pool must outlive the graph.
  explicit Graph(MemoryPool& pool);
  /// As Graph(*pool), or Graph() when pool is null.
  explicit Graph(MemoryPool* pool);
  ~Graph();
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// Frees every node; Values from this graph become invalid. The graph keeps its
  /// memory for what is made next.
  void clear();
  /// The memory resource of the nodes' vectors (made on first use; may throw
  /// bad_alloc then).
  std::pmr::memory_resource* resource() const;
  /// Bytes of memory blocks the graph uses for nodes since construction or the last
  /// clear() (whether the blocks are new or reused).
  size_t bytes_allocated() const noexcept { return cursor_.in_use; }
  /// The pool the graph draws from, or nullptr.
  MemoryPool* pool() const noexcept { return pool_; }
  /// Nodes made since construction or the last clear().
  size_t node_count() const noexcept { return nodes_; }
  /// Names the nodes this graph holds now: a value no other graph, and no earlier
  /// state of this one (before clear()), ever had. Moving a graph moves it along.
  /// An Unpickler uses it to drop a memo that points into another graph.
  uint64_t epoch() const noexcept { return epoch_; }

  // Makers. Strings are copied into the graph.
  Value str(std::string_view utf8) {  // inline: the loader's most frequent maker
    // The node and its text in one allocation.
    void* p = allocate(sizeof(StrNode) + utf8.size(), alignof(StrNode));
    ++nodes_;
    auto* n = new (p) StrNode();
    n->stamp = static_cast<uint32_t>(epoch_);
    if (!utf8.empty()) {
      char* text = reinterpret_cast<char*>(n + 1);
      std::memcpy(text, utf8.data(), utf8.size());
      n->text = {text, utf8.size()};
    }
    return Value(n);
  }
  Value bytes(std::string_view data);
  Value bytes(std::span<const std::byte> data);
  Value bytearray(std::string_view data);
  Value tuple(std::span<const Value> items);
  Value tuple(std::initializer_list<Value> items) {
    return tuple(std::span(items.begin(), items.size()));
  }
  Value list(std::span<const Value> items = {});
  Value list(std::initializer_list<Value> items) {
    return list(std::span(items.begin(), items.size()));
  }
  Value dict(std::initializer_list<std::pair<Value, Value>> items = {});
  Value set(std::span<const Value> items = {});
  Value set(std::initializer_list<Value> items) {
    return set(std::span(items.begin(), items.size()));
  }
  Value frozenset(std::span<const Value> items = {});
  Value frozenset(std::initializer_list<Value> items) {
    return frozenset(std::span(items.begin(), items.size()));
  }
  Value complex(double real, double imag);
  /// An int from two's-complement little-endian bytes (any length; normalised, and
  /// returned as an immediate when it fits in int64).
  Value integer(std::span<const uint8_t> le_twos_complement);
  /// An int from decimal text (optional sign). TypeError if it is not a decimal number.
  Value integer(std::string_view decimal);
  /// An int from any integer type (as Value(i)), including an unsigned 64-bit value
  /// above INT64_MAX, which becomes a BigIntNode.
  template <detail::IntegerArgument T>
  Value integer(T i) {
    if constexpr (detail::may_exceed_int64<T>) {
      if (i > static_cast<T>(INT64_MAX)) {
        uint8_t le[sizeof(T) + 1] = {};
        for (size_t k = 0; k < sizeof(T); ++k) le[k] = static_cast<uint8_t>(i >> (8 * k));
        return integer(std::span<const uint8_t>(le, sizeof le));
      }
    }
    return Value(static_cast<int64_t>(i));
  }
  Value global(std::string_view module, std::string_view name);
  /// An Object: callable(*args) (or per `how`). `args` must be a Tuple.
  Value object(Value callable, Value args, BuildKind how = BuildKind::reduce,
               Value kwargs = nullptr);
  Value persistent_ref(Value pid);
  /// Adds a BUILD state to an Object, List, Dict, Set or FrozenSet of this graph (what
  /// `BUILD` does on loading; see [NOTE container-states]). A container's state sets
  /// attributes: a dict or a (dict, dict) pair, else TypeError; a None state on a
  /// container is dropped (it changes nothing in Python). TypeError for other kinds.
  void add_state(Value target, Value state);
  /// A protocol 5 Buffer over the caller's bytes, which must outlive the node (they
  /// are not copied). A temporary owning range would dangle at once, so it does not
  /// compile ([NOTE dangling-views]).
  Value buffer(std::span<const std::byte> data PICKLE_LIFETIMEBOUND, bool readonly,
               size_t index = 0);
  template <class R>
  requires detail::dangling_range<R> Value buffer(R&& temporary, bool readonly, size_t index = 0)
  = delete;

  // Low-level makers for the engine.
  template <class T, class... A>
  T* make(A&&... a) {
    void* p = allocate(sizeof(T), alignof(T));
    ++nodes_;
    T* n = new (p) T(std::forward<A>(a)...);
    n->stamp = static_cast<uint32_t>(epoch_);
    return n;
  }
  void* allocate(size_t size, size_t align) {
    // The fast path: bump within the current block. align is a power of two.
    auto at = reinterpret_cast<uintptr_t>(cursor_.cur);
    uintptr_t p = (at + (align - 1)) & ~uintptr_t(align - 1);
    size_t avail = static_cast<size_t>(cursor_.end - cursor_.cur), pad = p - at;
    if (pad <= avail && size <= avail - pad) [[likely]] {
      cursor_.cur = reinterpret_cast<char*>(p + size);
      return reinterpret_cast<void*>(p);
    }
    return allocate_slow(size, align);
  }
  std::string_view copy(std::string_view s);
  std::span<const Value> copy(std::span<const Value> s);

 private:
  void* allocate_slow(size_t size, size_t align);
  struct Arena;
  Arena& arena() const;         // made on first use (see [NOTE moved-from-graph])
  detail::ArenaCursor cursor_;  // the bump pointer in the arena's current block
  mutable std::unique_ptr<Arena> arena_;
  MemoryPool* pool_ = nullptr;
  size_t nodes_ = 0;
  uint64_t epoch_;
};

/// A loaded pickle: the graph that owns it and the root value. The root is read from
/// a Document that outlives it: `Value v = loads(bytes).root();` would keep a Value
/// whose graph is freed at the end of the statement, so it does not compile
/// ([NOTE dangling-views]); name the Document first.
class Document {
 public:
  Document() = default;
  Document(Graph graph, Value root) noexcept : graph(std::move(graph)), root_(root) {}

  Graph graph;
  Value root() const& noexcept { return root_; }
  Value root() const&& = delete;

 private:
  Value root_;
};

}  // namespace pickle
#pragma GCC visibility pop
