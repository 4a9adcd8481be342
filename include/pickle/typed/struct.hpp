// Plain structs in one line, at namespace scope after the struct (in its namespace):
//
//   struct Record { int64_t id; std::string name; std::optional<double> balance; };
//   PICKLE_DICT(Record, id, name, balance)     // {'id': ..., 'name': ..., 'balance': ...}
//
//   struct Point { double x, y; };
//   PICKLE_OBJECT(Point, "geometry", "Point", x, y)  // a geometry.Point instance
//
// PICKLE_DICT writes the struct as a dict with those str keys; PICKLE_OBJECT as an
// instance of the plain Python class module.QualName whose __dict__ holds the fields,
// exactly as CPython writes one (copyreg._reconstructor below protocol 2, NEWOBJ and
// BUILD from 2). Field names are interned strs: written once per pickle. Loading
// refuses a missing key (unless the field is a std::optional, which is then empty)
// and an unexpected one (unless LoadOptions::typed.ignore_extra_keys).
//
// The macros define a function found by argument-dependent lookup (pickle_binding),
// which the codec below picks up; a codec<T> specialised by hand takes precedence.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "pickle/typed/reader.hpp"
#include "pickle/typed/writer.hpp"

namespace pickle {
namespace detail {

template <class T>
struct bind_tag {};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class S, class M>
struct Field {
  std::string_view name;
  M S::*member;
};
template <class S, class M>
constexpr Field<S, M> field(std::string_view name, M S::*member) {
  return {name, member};
}

template <class S, class... F>
struct DictBinding {
  std::tuple<F...> fields;
};
template <class S, class... F>
struct ObjectBinding {
  std::string_view module, qualname;
  std::tuple<F...> fields;
};
template <class S, class... F>
constexpr DictBinding<S, F...> dict_binding(std::tuple<F...> fields) {
  return {fields};
}
template <class S, class... F>
constexpr ObjectBinding<S, F...> object_binding(std::string_view module, std::string_view qualname,
                                                std::tuple<F...> fields) {
  return {module, qualname, fields};
}

template <class T>
concept bound = requires {
  pickle_binding(bind_tag<T>{});
};

// The fields as a dict's items: name, value, name, value...
template <class S, class Fields>
void dump_fields(pickle::Writer& w, const S& s, const Fields& fields) {
  pickle::Writer::Items d = w.begin_dict(std::tuple_size_v<Fields>);
  std::apply(
      [&](const auto&... f) {
        ((w.next(d), w.name(f.name), w.next(d), w.write(s.*(f.member))), ...);
      },
      fields);
  w.end(d);
}

// Each field from `lookup(name, hint)` (an optional Reader; hint: the field's index,
// where it usually is); returns how many were found.
template <class S, class Fields, class Lookup>
size_t load_fields(const pickle::Reader& r, S& s, const Fields& fields, const Lookup& lookup,
                   const char* what) {
  size_t found = 0, at = 0;
  std::apply(
      [&](const auto&... f) {
        auto one = [&](const auto& fd) {
          using M = std::remove_reference_t<decltype(s.*(fd.member))>;
          if (std::optional<pickle::Reader> x = lookup(fd.name, at++)) {
            x->read(s.*(fd.member));
            ++found;
          } else if constexpr (is_optional<M>::value) {
            (s.*(fd.member)).reset();
          } else {
            r.fail(ErrorCode::key_error,
                   std::string("missing ") + what + " '" + std::string(fd.name) + "'");
          }
        };
        (one(f), ...);
      },
      fields);
  return found;
}

// The first key of a dict that is not a field name, for the error.
template <class Fields>
bool is_field(std::string_view name, const Fields& fields) {
  return std::apply([&](const auto&... f) { return ((f.name == name) || ...); }, fields);
}
[[noreturn]] void fail_extra_key(const pickle::Reader& r, Value dict,
                                 bool (*is_field)(std::string_view, const void*),
                                 const void* fields, const char* what);

}  // namespace detail

/// The codec of a struct bound by PICKLE_DICT or PICKLE_OBJECT.
template <detail::bound T>
struct codec<T> {
  static void dump(pickle::Writer& w, const T& x) {
    auto b = pickle_binding(detail::bind_tag<T>{});
    if constexpr (requires { b.module; }) {
      w.begin_instance(b.module, b.qualname);
      if (w.protocol() >= 2) w.tuple();
      w.end_instance();
      detail::dump_fields(w, x, b.fields);
      w.build();
    } else {
      detail::dump_fields(w, x, b.fields);
    }
  }
  static void load(const pickle::Reader& r, T& x) {
    auto b = pickle_binding(detail::bind_tag<T>{});
    using Fields = decltype(b.fields);
    auto check = [](std::string_view n, const void* f) {
      return detail::is_field(n, *static_cast<const Fields*>(f));
    };
    if constexpr (requires { b.module; }) {
      r.object_of(b.module, b.qualname);
      size_t found = detail::load_fields(
          r, x, b.fields, [&](std::string_view n, size_t hint) { return r.attribute(n, hint); },
          "attribute");
      if (found != r.attribute_count() && !r.ignore_extra_keys())
        detail::fail_extra_key(r, Value(), check, &b.fields, "attribute");
    } else {
      if (r.kind() != Kind::Dict) r.fail("dict");
      size_t found = detail::load_fields(
          r, x, b.fields, [&](std::string_view n, size_t hint) { return r.find(n, hint); }, "key");
      if (found != r.entries() && !r.ignore_extra_keys())
        detail::fail_extra_key(r, r.value(), check, &b.fields, "key");
    }
  }
};

}  // namespace pickle

// ---- the macros ------------------------------------------------------------------------
// PICKLE_FOR_EACH_(m, T, a, b, ...) expands to m(T, a) m(T, b) ... (up to 256 fields),
// by rescanning a macro that defers its own name.
#define PICKLE_PARENS_ ()
#define PICKLE_EXPAND_(...) \
  PICKLE_EXPAND4_(PICKLE_EXPAND4_(PICKLE_EXPAND4_(PICKLE_EXPAND4_(__VA_ARGS__))))
#define PICKLE_EXPAND4_(...) \
  PICKLE_EXPAND3_(PICKLE_EXPAND3_(PICKLE_EXPAND3_(PICKLE_EXPAND3_(__VA_ARGS__))))
#define PICKLE_EXPAND3_(...) \
  PICKLE_EXPAND2_(PICKLE_EXPAND2_(PICKLE_EXPAND2_(PICKLE_EXPAND2_(__VA_ARGS__))))
#define PICKLE_EXPAND2_(...) \
  PICKLE_EXPAND1_(PICKLE_EXPAND1_(PICKLE_EXPAND1_(PICKLE_EXPAND1_(__VA_ARGS__))))
#define PICKLE_EXPAND1_(...) __VA_ARGS__
#define PICKLE_FOR_EACH_(m, T, ...) \
  __VA_OPT__(PICKLE_EXPAND_(PICKLE_FOR_EACH_STEP_(m, T, __VA_ARGS__)))
#define PICKLE_FOR_EACH_STEP_(m, T, a, ...) \
  m(T, a) __VA_OPT__(PICKLE_FOR_EACH_AGAIN_ PICKLE_PARENS_(m, T, __VA_ARGS__))
#define PICKLE_FOR_EACH_AGAIN_() PICKLE_FOR_EACH_STEP_
#define PICKLE_FIELD_(T, f) ::pickle::detail::field(#f, &T::f),

/// Binds a struct to a Python dict with these fields as str keys, in this order.
#define PICKLE_DICT(Type, ...)                                                       \
  [[maybe_unused]] constexpr auto pickle_binding(::pickle::detail::bind_tag<Type>) { \
    return ::pickle::detail::dict_binding<Type>(                                     \
        std::tuple{PICKLE_FOR_EACH_(PICKLE_FIELD_, Type, __VA_ARGS__)});             \
  }                                                                                  \
  static_assert(true, "")

/// Binds a struct to an instance of the plain Python class module.QualName whose
/// __dict__ holds these fields, in this order.
#define PICKLE_OBJECT(Type, module, qualname, ...)                                         \
  [[maybe_unused]] constexpr auto pickle_binding(::pickle::detail::bind_tag<Type>) {       \
    return ::pickle::detail::object_binding<Type>(                                         \
        module, qualname, std::tuple{PICKLE_FOR_EACH_(PICKLE_FIELD_, Type, __VA_ARGS__)}); \
  }                                                                                        \
  static_assert(true, "")
#pragma GCC visibility pop
