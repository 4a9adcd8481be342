// Compile-time guards for the API's views: a parameter that the result keeps pointing
// into must not bind a temporary that is destroyed at the end of the statement.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

namespace pickle::detail {

// [NOTE dangling-views] A MemorySource points into bytes somebody else owns, and a
// Document's root into the Document's graph. An owning range passed as an rvalue (a
// temporary std::string or std::vector, or std::move of one) is freed when the
// statement ends, so a view of it dangles at once: MemorySource's constructor from
// such a range is a deleted overload, constrained by this concept, and refuses to
// compile. Views (std::span, std::string_view) and lvalues still bind: they are the
// caller's promise to keep the bytes alive. Document::root() of an rvalue Document is
// deleted the same way, and so are Graph::buffer() of such a range,
// OutOfBandBuffer::data made from one (BorrowedBytes), and `->` of a temporary Result
// (`try_loads(bytes)->root()`; its `*` and value() move the Document out, whose root()
// is then the deleted overload). Document::graph is a public member, which no overload
// can guard. tests/compile_fail holds one snippet per guarded call.
template <class R>
concept dangling_range = !std::is_lvalue_reference_v<R> && std::ranges::contiguous_range<R> &&
                         !std::ranges::borrowed_range<R>;

/// A std::span<const std::byte> member that refuses to be made from a temporary owning
/// range (OutOfBandBuffer::data): it converts from what the span converts from, but
/// from a dangling_range its constructor is deleted.
struct BorrowedBytes : std::span<const std::byte> {
  using Span = std::span<const std::byte>;
  constexpr BorrowedBytes() noexcept = default;
  constexpr BorrowedBytes(Span s) noexcept : Span(s) {}
  template <class R>
  requires(!dangling_range<R> && !std::is_same_v<std::remove_cvref_t<R>, Span> &&
           !std::is_same_v<std::remove_cvref_t<R>, BorrowedBytes> &&
           std::is_convertible_v<R&&, Span>) constexpr BorrowedBytes(R&& r) noexcept
      : Span(std::forward<R>(r)) {}
  template <class R>
  requires dangling_range<R> BorrowedBytes(R&& temporary)
  = delete;
};

}  // namespace pickle::detail

// Lets clang warn (-Wdangling) where a view parameter binds a temporary the deleted
// overloads cannot see, such as a std::string_view of a temporary std::string.
#if defined(__has_cpp_attribute)
#if __has_cpp_attribute(clang::lifetimebound)
#define PICKLE_LIFETIMEBOUND [[clang::lifetimebound]]
#endif
#endif
#ifndef PICKLE_LIFETIMEBOUND
#define PICKLE_LIFETIMEBOUND
#endif

#pragma GCC visibility pop
