// The customisation point of the typed binding, pickle::codec<T>, and the concepts
// that say what a type's codec can do (docs/typed.md).
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <type_traits>

namespace pickle {

class Value;
class Writer;
class Reader;

/// The customisation point: specialise it for a type to pickle it (docs/typed.md).
/// A specialisation has `static void dump(Writer&, const T&)` (writes exactly one
/// Python value), and `static void load(const Reader&, T&)` or `static T load(const
/// Reader&)`. Either may be left out for a type that is only written or only read.
/// The primary template is empty: a type without a specialisation has no codec.
template <class T>
struct codec {};

/// A type with a codec that writes it.
template <class T>
concept dumpable = requires(Writer& w, const T& x) {
  codec<T>::dump(w, x);
};

/// A type with a codec that reads it.
template <class T>
concept loadable = requires(const Reader& r, T& x) {
  codec<T>::load(r, x);
}
|| requires(const Reader& r) {
  { codec<T>::load(r) } -> std::convertible_to<T>;
};

namespace detail {
// What the typed dumps take: a C++ value other than a Value, with a codec or not
// convertible to a Value at all (which then fails with Writer::write's
// static_assert); a Value, and what converts to one but has no codec, go to the
// graph's dumps.
template <class T>
concept typed_argument = !std::is_same_v<std::remove_cvref_t<T>, Value> &&
                         (dumpable<T> || !std::is_convertible_v<const T&, Value>);
}  // namespace detail

}  // namespace pickle
#pragma GCC visibility pop
