// The Writer: what a codec's dump() writes a C++ value through, as the Python value it
// stands for. Each call writes what CPython's pickler writes for that Python value at
// the protocol (memo, framing and batching included), straight through the Emitter:
// a typed dump builds no Graph. See docs/typed.md.
//
//   template <> struct pickle::codec<Point> {
//     static void dump(pickle::Writer& w, const Point& p) {
//       w.reduce("geometry", "Point", p.x, p.y);  // geometry.Point(x, y)
//     }
//     ...
//   };
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "pickle/error.hpp"
#include "pickle/typed/codec.hpp"
#include "pickle/value.hpp"

namespace pickle {

namespace detail {
enum class Form : uint8_t;
class Encoder;
struct WriterState;
}  // namespace detail

class Writer {
 public:
  /// The protocol written (0–5).
  int protocol() const noexcept { return proto_; }

  // ---- values --------------------------------------------------------------------
  /// x through its codec (codec<T>::dump). Throws PicklingError when values nest
  /// deeper than DumpOptions::max_depth (a recursive C++ type, see docs/typed.md).
  template <class T>
  void write(const T& x) {
    static_assert(dumpable<T>,
                  "pickle::codec<T> has no dump(Writer&, const T&): specialise pickle::codec "
                  "for this type, or bind it with PICKLE_DICT or PICKLE_OBJECT (docs/typed.md)");
    Depth guard(*this);
    codec<T>::dump(*this, x);
  }

  void none();
  void boolean(bool b);
  /// An int (Python ints have no size: every C++ integer type writes as one).
  void integer(int64_t i);
  void integer(uint64_t u);
  /// An int of any size, as its two's complement bytes, little-endian.
  void integer(std::span<const uint8_t> le_twos_complement);
  void float64(double d);
  void complex(double real, double imag);
  /// A str: valid UTF-8 (lone surrogates allowed), else PicklingError.
  void str(std::string_view utf8);
  /// An interned str (an identifier: a field or attribute name): written once per
  /// pickle, then fetched from the memo, as CPython shares an interned string.
  void name(std::string_view identifier);
  void bytes(std::string_view data);
  void bytearray(std::string_view data);
  /// A class or function itself (a Global): `module.qualname`.
  void global(std::string_view module, std::string_view qualname);
  /// A value of a Graph, written as the graph walk writes it (its memo is shared).
  void value(Value v);

  // ---- containers ----------------------------------------------------------------
  /// Where a container's items are. begin_*(n), then next() before each of its n
  /// items (for a dict: before each key and before each value) and the item itself,
  /// then end(). Batches (APPENDS, SETITEMS, ADDITEMS of 1000) are the Writer's.
  class Items {
    friend class Writer;
    size_t count_ = 0;    // items (dict: pairs)
    size_t written_ = 0;  // values written (dict: keys and values)
    uint32_t i_ = 0, j_ = 0;
    uint8_t phase_ = 0;
    uint8_t form_ = 0;
  };
  Items begin_list(size_t n);
  Items begin_tuple(size_t n);
  Items begin_dict(size_t n);
  Items begin_set(size_t n);
  Items begin_frozenset(size_t n);
  void next(Items& items);
  void end(Items& items);

  /// A list of floats or of ints, in one call (the commonest large lists).
  void list(std::span<const double> xs);
  void list(std::span<const int64_t> xs);

  template <class... A>
  void tuple(const A&... items) {
    Items t = begin_tuple(sizeof...(A));
    ((next(t), write(items)), ...);
    end(t);
  }
  /// A list, set or frozenset of a range's elements, in its order.
  template <std::ranges::input_range R>
  void list(const R& r) {
    using E = std::ranges::range_value_t<R>;
    if constexpr (std::ranges::contiguous_range<const R> &&
                  (std::is_same_v<E, double> || std::is_same_v<E, int64_t>))
      list(std::span<const E>(std::ranges::data(r), std::ranges::size(r)));
    else
      sequence(begin_list(size_of(r)), r);
  }
  template <std::ranges::input_range R>
  void tuple_of(const R& r) {
    sequence(begin_tuple(size_of(r)), r);
  }
  template <std::ranges::input_range R>
  void set(const R& r) {
    sequence(begin_set(size_of(r)), r);
  }
  template <std::ranges::input_range R>
  void frozenset(const R& r) {
    sequence(begin_frozenset(size_of(r)), r);
  }
  /// A dict of a range of (key, value) pairs, in its order.
  template <std::ranges::input_range R>
  void dict(const R& r) {
    Items d = begin_dict(size_of(r));
    for (const auto& [k, v] : r) {
      next(d);
      write(k);
      next(d);
      write(v);
    }
    end(d);
  }

  // ---- objects -------------------------------------------------------------------
  /// module.name(*args): the callable, then the arguments (a tuple written by the
  /// caller between the two calls, e.g. with tuple()), then REDUCE; the result is
  /// memoized. CPython's form for `__reduce__` returning (callable, args).
  void begin_reduce(std::string_view module, std::string_view name);
  void end_reduce();
  template <class... A>
  void reduce(std::string_view module, std::string_view name, const A&... args) {
    begin_reduce(module, name);
    tuple(args...);
    end_reduce();
  }
  /// An instance of the class module.qualname as object.__reduce_ex__ writes one:
  /// NEWOBJ with the arguments of `__getnewargs__` (none: an empty tuple) from
  /// protocol 2, and copyreg._reconstructor(cls, object, None) below it (which
  /// drops them, as CPython does). Its state, if any, follows with state().
  void begin_instance(std::string_view module, std::string_view qualname);
  void end_instance();
  template <class... A>
  void instance(std::string_view module, std::string_view qualname, const A&... newargs) {
    begin_instance(module, qualname);
    if (protocol() >= 2) tuple(newargs...);
    end_instance();
  }
  /// BUILD with a state (`__getstate__`'s result, set by `__setstate__` or into
  /// `__dict__`), after an object was written.
  template <class S>
  void state(const S& s) {
    write(s);
    build();
  }
  void build();
  /// A persistent id in place of a value (CPython's persistent_id): the id then
  /// BINPERSID; at protocol 0, PERSID with the id as text (printable ASCII).
  template <class P>
  void persistent_id(const P& pid) {
    if (protocol() == 0) {
      if constexpr (std::is_convertible_v<const P&, std::string_view>)
        return persistent_text(pid);
      else
        throw PicklingError("protocol 0 writes only a str as a persistent id");
    } else {
      write(pid);
      persistent_binary();
    }
  }

  // ---- identity ------------------------------------------------------------------
  /// A shared object (shared_ptr's codec): written once, then a memo reference, as
  /// one Python object referenced twice; a C++ object reached again while it is
  /// written (a cycle) is a memo reference too when what it is written as was
  /// memoized first (a list, dict, set or object), else a PicklingError.
  template <class T>
  void shared(const std::shared_ptr<T>& p) {
    if (!p) return none();
    static constexpr char tag = 0;  // one per T
    if (!begin_shared(p.get(), &tag, std::shared_ptr<const void>(p))) return;
    write(*p);
    end_shared();
  }

  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

 private:
  friend struct detail::WriterState;
  explicit Writer(detail::WriterState& s) noexcept;

  struct Depth {
    Writer& w;
    explicit Depth(Writer& x) : w(x) {
      if (++w.depth_ > w.max_depth_) w.too_deep();
    }
    ~Depth() { --w.depth_; }
  };
  [[noreturn]] void too_deep();

  template <class R>
  static size_t size_of(const R& r) {
    if constexpr (std::ranges::sized_range<const R>)
      return static_cast<size_t>(std::ranges::size(r));
    else
      return static_cast<size_t>(std::ranges::distance(r));
  }
  template <class R>
  void sequence(Items s, const R& r) {
    for (const auto& x : r) {
      next(s);
      write(x);
    }
    end(s);
  }
  template <class Write>
  void singleton(std::string key, const Write& write);
  Items set_items(size_t n, uint8_t form);
  Items begin_set_call(detail::Form form, size_t n, uint8_t items_form);
  void persistent_text(std::string_view id);
  void persistent_binary();
  bool begin_shared(const void* address, const void* tag, std::shared_ptr<const void> keep);
  void end_shared();

  detail::WriterState& s_;
  int proto_;
  size_t depth_ = 0;
  size_t max_depth_;
};

}  // namespace pickle
#pragma GCC visibility pop
