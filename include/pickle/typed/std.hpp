// Codecs for the C++ standard library's types, each as the Python type CPython would
// write for it (the table is in docs/typed.md).
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <array>
#include <complex>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "pickle/typed/reader.hpp"
#include "pickle/typed/writer.hpp"

namespace pickle {

namespace detail {
template <class T>
inline constexpr bool is_char_like =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
}  // namespace detail

// ---- None, bool, numbers -------------------------------------------------------------

template <>
struct codec<std::nullptr_t> {
  static void dump(pickle::Writer& w, std::nullptr_t) { w.none(); }
  static void load(const pickle::Reader& r, std::nullptr_t&) { r.expect_none(); }
};
template <>
struct codec<std::monostate> {
  static void dump(pickle::Writer& w, std::monostate) { w.none(); }
  static void load(const pickle::Reader& r, std::monostate&) { r.expect_none(); }
};

template <>
struct codec<bool> {
  static void dump(pickle::Writer& w, bool b) { w.boolean(b); }
  static void load(const pickle::Reader& r, bool& b) { b = r.as_bool(); }
};

/// Every integer type is a Python int; loading checks the range.
template <std::integral I>
requires(!std::is_same_v<I, bool>) struct codec<I> {
  static void dump(pickle::Writer& w, I i) {
    if constexpr (std::is_signed_v<I>)
      w.integer(static_cast<int64_t>(i));
    else
      w.integer(static_cast<uint64_t>(i));
  }
  static void load(const pickle::Reader& r, I& i) { i = r.as_integer<I>(); }
};

#ifdef __SIZEOF_INT128__
/// 128-bit integers (GCC and Clang) as Python ints.
template <>
struct codec<detail::int128> {
  static void dump(pickle::Writer& w, detail::int128 x) {
    uint8_t b[16];
    for (int i = 0; i < 16; ++i)
      b[i] = static_cast<uint8_t>(static_cast<detail::uint128>(x) >> (8 * i));
    w.integer(std::span<const uint8_t>(b, 16));
  }
  static void load(const pickle::Reader& r, detail::int128& x) {
    x = r.as_integer<detail::int128>();
  }
};
template <>
struct codec<detail::uint128> {
  static void dump(pickle::Writer& w, detail::uint128 x) {
    uint8_t b[17] = {};
    for (int i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(x >> (8 * i));
    w.integer(std::span<const uint8_t>(b, 17));  // a zero byte above: not negative
  }
  static void load(const pickle::Reader& r, detail::uint128& x) {
    x = r.as_integer<detail::uint128>();
  }
};
#endif

template <std::floating_point F>
requires(sizeof(F) <= sizeof(double)) struct codec<F> {
  static void dump(pickle::Writer& w, F f) { w.float64(static_cast<double>(f)); }
  static void load(const pickle::Reader& r, F& f) { f = static_cast<F>(r.as_float()); }
};

template <std::floating_point F>
requires(sizeof(F) <= sizeof(double)) struct codec<std::complex<F>> {
  static void dump(pickle::Writer& w, const std::complex<F>& c) {
    w.complex(static_cast<double>(c.real()), static_cast<double>(c.imag()));
  }
  static void load(const pickle::Reader& r, std::complex<F>& c) {
    auto [re, im] = r.as_complex();
    c = std::complex<F>(static_cast<F>(re), static_cast<F>(im));
  }
};

// ---- text ----------------------------------------------------------------------------

template <>
struct codec<std::string> {
  static void dump(pickle::Writer& w, const std::string& s) { w.str(s); }
  static void load(const pickle::Reader& r, std::string& s) { s.assign(r.as_str()); }
};
/// Written only: a loaded view would outlive the graph it points into.
template <>
struct codec<std::string_view> {
  static void dump(pickle::Writer& w, std::string_view s) { w.str(s); }
};
template <>
struct codec<const char*> {
  static void dump(pickle::Writer& w, const char* s) { w.str(s); }
};
template <size_t N>
struct codec<char[N]> {
  static void dump(pickle::Writer& w, const char (&s)[N]) {
    w.str(std::string_view(s, std::char_traits<char>::length(s)));
  }
};

// ---- sequences -----------------------------------------------------------------------

namespace detail {
/// A sequence container read from a list or a tuple, element by element.
template <class C>
struct list_codec {
  static void dump(pickle::Writer& w, const C& c) { w.list(c); }
  static void load(const pickle::Reader& r, C& c) {
    size_t n = r.items({Kind::List, Kind::Tuple}, "list");
    c.clear();
    if constexpr (requires { c.reserve(n); }) c.reserve(n);
    using E = typename C::value_type;
    for (size_t i = 0; i < n; ++i) {
      pickle::Reader x = r.item(i);
      if constexpr (std::is_default_constructible_v<E> && loadable<E> &&
                    std::is_same_v<decltype(c.emplace_back()), E&>) {
        x.read(c.emplace_back());  // read in place (not std::vector<bool>'s proxies)
      } else {
        c.push_back(x.template read<E>());
      }
    }
  }
};
}  // namespace detail

template <class T, class A>
requires(!std::is_same_v<T, std::byte>) struct codec<std::vector<T, A>>
    : detail::list_codec<std::vector<T, A>> {
};
template <class T, class A>
struct codec<std::deque<T, A>> : detail::list_codec<std::deque<T, A>> {};
template <class T, class A>
struct codec<std::list<T, A>> : detail::list_codec<std::list<T, A>> {};

/// std::array: a list of exactly N items.
template <class T, size_t N>
struct codec<std::array<T, N>> {
  static void dump(pickle::Writer& w, const std::array<T, N>& a) { w.list(a); }
  static void load(const pickle::Reader& r, std::array<T, N>& a) {
    size_t n = r.items({Kind::List, Kind::Tuple}, "list");
    if (n != N)
      r.fail(ErrorCode::type_error,
             "expected a list of " + std::to_string(N) + " items, found " + std::to_string(n));
    for (size_t i = 0; i < N; ++i) r.item(i).read(a[i]);
  }
};

/// std::vector<std::byte>: bytes.
template <class A>
struct codec<std::vector<std::byte, A>> {
  static void dump(pickle::Writer& w, const std::vector<std::byte, A>& b) {
    w.bytes(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  static void load(const pickle::Reader& r, std::vector<std::byte, A>& b) {
    std::string_view d = r.as_bytes();
    auto* p = reinterpret_cast<const std::byte*>(d.data());
    b.assign(p, p + d.size());
  }
};

// ---- tuples --------------------------------------------------------------------------

namespace detail {
template <class Tuple>
struct tuple_codec {
  static constexpr size_t N = std::tuple_size_v<Tuple>;
  static void dump(pickle::Writer& w, const Tuple& t) {
    std::apply([&](const auto&... x) { w.tuple(x...); }, t);
  }
  static void load(const pickle::Reader& r, Tuple& t) {
    size_t n = r.items({Kind::Tuple, Kind::List}, "tuple");
    if (n != N)
      r.fail(ErrorCode::type_error,
             "expected a tuple of " + std::to_string(N) + " items, found " + std::to_string(n));
    [&]<size_t... I>(std::index_sequence<I...>) {
      (r.item(I).read(std::get<I>(t)), ...);
    }
    (std::make_index_sequence<N>());
  }
};
}  // namespace detail

template <class A, class B>
struct codec<std::pair<A, B>> : detail::tuple_codec<std::pair<A, B>> {};
template <class... T>
struct codec<std::tuple<T...>> : detail::tuple_codec<std::tuple<T...>> {};

// ---- dicts and sets ------------------------------------------------------------------

namespace detail {
template <class M>
struct dict_codec {
  static void dump(pickle::Writer& w, const M& m) { w.dict(m); }
  static void load(const pickle::Reader& r, M& m) {
    m.clear();
    for (size_t i = 0, n = r.entries(); i < n; ++i) {
      auto k = r.entry_key(i).template read<typename M::key_type>();
      m.insert_or_assign(std::move(k), r.entry_value(i).template read<typename M::mapped_type>());
    }
  }
};
template <class S>
struct set_codec {
  static void dump(pickle::Writer& w, const S& s) { w.set(s); }
  static void load(const pickle::Reader& r, S& s) {
    size_t n = r.items({Kind::Set, Kind::FrozenSet}, "set");
    s.clear();
    for (size_t i = 0; i < n; ++i) s.insert(r.item(i).template read<typename S::value_type>());
  }
};
}  // namespace detail

template <class K, class V, class C, class A>
struct codec<std::map<K, V, C, A>> : detail::dict_codec<std::map<K, V, C, A>> {};
template <class K, class V, class H, class E, class A>
struct codec<std::unordered_map<K, V, H, E, A>>
    : detail::dict_codec<std::unordered_map<K, V, H, E, A>> {};
template <class K, class C, class A>
struct codec<std::set<K, C, A>> : detail::set_codec<std::set<K, C, A>> {};
template <class K, class H, class E, class A>
struct codec<std::unordered_set<K, H, E, A>> : detail::set_codec<std::unordered_set<K, H, E, A>> {};

// ---- optional, variant, pointers -----------------------------------------------------

/// None when empty. In a PICKLE_DICT or PICKLE_OBJECT struct, a missing key is empty too.
template <class T>
struct codec<std::optional<T>> {
  static void dump(pickle::Writer& w, const std::optional<T>& o) {
    if (o)
      w.write(*o);
    else
      w.none();
  }
  static void load(const pickle::Reader& r, std::optional<T>& o) {
    if (r.kind() == Kind::None)
      o.reset();
    else
      o = r.template read<T>();
  }
};

/// The alternative held; on loading, the first alternative whose codec accepts the
/// value (in the order of the variant's types).
template <class... T>
struct codec<std::variant<T...>> {
  static void dump(pickle::Writer& w, const std::variant<T...>& v) {
    std::visit([&](const auto& x) { w.write(x); }, v);
  }
  static void load(const pickle::Reader& r, std::variant<T...>& v) {
    std::optional<std::string> first;
    bool done = false;
    auto attempt = [&]<class A>(std::type_identity<A>) {
      if (done) return;
      try {
        v.template emplace<A>(r.template read<A>());
        done = true;
      } catch (const TypedError& e) {
        if (!first) first = e.what();
      }
    };
    (attempt(std::type_identity<T>{}), ...);
    if (!done)
      r.fail(ErrorCode::type_error, "no alternative of the variant accepts " + r.found() +
                                        " (the first said: " + first.value_or("") + ")");
  }
};

/// None when null; the object otherwise (each unique_ptr its own object).
template <class T, class D>
struct codec<std::unique_ptr<T, D>> {
  static void dump(pickle::Writer& w, const std::unique_ptr<T, D>& p) {
    if (p)
      w.write(*p);
    else
      w.none();
  }
  static void load(const pickle::Reader& r, std::unique_ptr<T, D>& p) {
    if (r.kind() == Kind::None) return p.reset();
    p = std::make_unique<T>(r.template read<T>());
  }
};

/// None when null; an object pointed to twice is one Python object referenced twice,
/// and comes back as one shared object. Cycles: see docs/typed.md.
template <class T>
struct codec<std::shared_ptr<T>> {
  static void dump(pickle::Writer& w, const std::shared_ptr<T>& p) { w.shared(p); }
  static void load(const pickle::Reader& r, std::shared_ptr<T>& p) {
    if (r.kind() == Kind::None) return p.reset();
    if constexpr (std::is_default_constructible_v<T> && loadable<T>) {
      // Remembered before it is filled, so a cycle back to it finds it.
      p = r.template shared<T>([] { return std::make_shared<T>(); }, [&](T& x) { r.read(x); });
    } else {
      p = r.template shared<T>([&] { return std::make_shared<T>(r.template read<T>()); },
                               [](T&) {});
    }
  }
};

// ---- untyped values ------------------------------------------------------------------

/// A graph's value as it is (a typed struct may hold an untyped part). Loading needs a
/// graph that outlives it: loads<T>(bytes, graph), else UsageError.
template <>
struct codec<Value> {
  static void dump(pickle::Writer& w, Value v) { w.value(v); }
  static void load(const pickle::Reader& r, Value& v);
};

}  // namespace pickle
#pragma GCC visibility pop
