// Compile-time guards for the API's views: a parameter that the result keeps pointing
// into must not bind a temporary that is destroyed at the end of the statement.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <ranges>
#include <type_traits>

namespace pickle::detail {

// [NOTE dangling-views] A MemorySource points into bytes somebody else owns, and a
// Document's root into the Document's graph. An owning range passed as an rvalue (a
// temporary std::string or std::vector, or std::move of one) is freed when the
// statement ends, so a view of it dangles at once: MemorySource's constructor from
// such a range is a deleted overload, constrained by this concept, and refuses to
// compile. Views (std::span, std::string_view) and lvalues still bind: they are the
// caller's promise to keep the bytes alive. Document::root() of an rvalue Document is
// deleted the same way. tests/compile_fail holds one snippet per guarded call.
template <class R>
concept dangling_range = !std::is_lvalue_reference_v<R> && std::ranges::contiguous_range<R> &&
                         !std::ranges::borrowed_range<R>;

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
