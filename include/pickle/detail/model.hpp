// Internals of the object model that the inline code of pickle/value.hpp needs: the
// integer conversions' concepts, the hash index of dicts and sets, the arena's bump
// pointer. Installed with the public headers, but not an API: names here may change
// with any version. Include pickle/value.hpp instead.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <type_traits>
#include <vector>

namespace pickle::detail {

// [NOTE value-ints] Every integer type converts to a Value by one constructor
// template, so no call is ambiguous (size_t, uint64_t and long long used to match
// several built-in overloads equally well). The character types are not numbers:
// `Value('a')` would silently be the int 97, so they do not convert at all. signed
// char and unsigned char are int8_t and uint8_t, small ints, and do convert.
template <class T, class... U>
inline constexpr bool is_one_of = (std::is_same_v<std::remove_cv_t<T>, U> || ...);
template <class T>
concept CharacterType = is_one_of<T, char, wchar_t, char8_t, char16_t, char32_t>;
template <class T>
concept IntegerArgument =
    std::integral<T> && !CharacterType<T> && !std::same_as<std::remove_cv_t<T>, bool>;
/// Unsigned types whose values do not all fit in int64.
template <class T>
inline constexpr bool may_exceed_int64 = std::is_unsigned_v<T> && (sizeof(T) >= sizeof(int64_t));

/// Open-addressing index from key hash to entry position, shared by Dict and Set
/// (src/model/index.cpp). Empty (no index) while a container is small; lookups then scan.
struct HashIndex {
  std::pmr::vector<uint32_t> slots;  // entry position + 1; 0 is an empty slot
  explicit HashIndex(std::pmr::memory_resource* r) : slots(r) {}
  /// Below this many entries there is no index.
  static constexpr size_t kLinearMax = 8;
};

/// The bump pointer of a Graph's arena, where the inline fast path can reach it.
struct ArenaCursor {
  char* cur = nullptr;
  char* end = nullptr;
  size_t in_use = 0;  // bytes of the blocks this graph uses (see Graph::bytes_allocated)
};

}  // namespace pickle::detail
#pragma GCC visibility pop
