// The contract between the Decoder (decoder.hpp) and its builders: every callback the
// Decoder calls, as a C++20 concept. The value builder (value_builder.cpp), noload
// (noload.hpp) and the opcode walker of the tools (src/tools/ops.cpp) are builders of
// this one concept. See [NOTE builder-contract].
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pickle/io.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/value.hpp"

namespace pickle::detail {

/// Where a callback comes from: the opcode being run and the absolute offset of its
/// byte in the input (the offset an UnpicklingError at this opcode names).
struct At {
  uint64_t offset = 0;
  Op op = Op::stop;
};

/// What a builder holds, for the growth limits of [NOTE growth]: nodes made and bytes
/// allocated, counted from any origin (the Decoder compares differences).
struct Usage {
  size_t nodes = 0;
  size_t bytes = 0;
};

// [NOTE builder-contract] A Builder declares
//   - `using Item = ...;`, the type of a stack item (default-constructible, copyable);
//   - `static constexpr bool runs_machine`: true for a builder of values (the Decoder
//     keeps the stack, the marks and the memo, and refuses what they refuse), false
//     for a reader of opcodes (the walker: the Decoder runs every opcode and calls
//     every callback, with default Items, and checks nothing that needs the stack, the
//     memo or a registry; see [NOTE dis-agreement] in fuzz/targets.hpp);
//   - `Usage usage() const`, the one resource hook: the Decoder compares it with the
//     input read after every opcode (Limits::max_nodes_per_byte, max_alloc_per_byte);
//   - one callback per thing an opcode makes or changes, below. Every callback
//     receives the At of its opcode first. Leaves arrive decoded (a str as UTF-8, a
//     Python 2 str as its raw bytes); the Decoder has checked the stack for the items
//     it hands over; a callback refuses what it cannot build by calling fail().
// Hooks that only some builders need (used, memoized, discarded, renamed, argument)
// are part of the contract too, so that a builder states what it ignores.

template <class B>
concept HasItem = requires {
  typename B::Item;
  requires std::default_initializable<typename B::Item>;
  requires std::copyable<typename B::Item>;
};
template <class B>
concept HasRunsMachine = requires {
  { B::runs_machine } -> std::convertible_to<bool>;
};
template <class B>
concept HasUsage = requires(const B& b) {
  { b.usage() } -> std::same_as<Usage>;
};

// Leaves.
template <class B>
concept HasNone = requires(B& b, At at) {
  { b.none(at) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasBoolean = requires(B& b, At at, bool v) {
  { b.boolean(at, v) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasInteger = requires(B& b, At at, int64_t v) {
  { b.integer(at, v) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasBigInteger = requires(B& b, At at, std::span<const uint8_t> le) {
  { b.big_integer(at, le) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasFloating = requires(B& b, At at, double d) {
  { b.floating(at, d) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasStr = requires(B& b, At at, std::string_view s) {
  { b.str(at, s) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasBytes = requires(B& b, At at, std::string_view s) {
  { b.bytes(at, s) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasBytearray = requires(B& b, At at, std::string_view s) {
  { b.bytearray(at, s) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasPy2String = requires(B& b, At at, std::string_view raw) {
  { b.py2_string(at, raw) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasNextBuffer = requires(B& b, At at) {
  { b.next_buffer(at) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasReadonlyBuffer = requires(B& b, At at, typename B::Item& v) {
  b.readonly_buffer(at, v);
};

// Containers.
template <class B>
concept HasList = requires(B& b, At at, std::span<typename B::Item> items) {
  { b.list(at, items) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasTuple = requires(B& b, At at, std::span<typename B::Item> items) {
  { b.tuple(at, items) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasDict = requires(B& b, At at, std::span<typename B::Item> pairs) {
  { b.dict(at, pairs) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasSet = requires(B& b, At at) {
  { b.set(at) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasFrozenset = requires(B& b, At at, std::span<typename B::Item> items) {
  { b.frozenset(at, items) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasAppend = requires(B& b, At at, typename B::Item& t, std::span<typename B::Item> items) {
  b.append(at, t, items);
};
template <class B>
concept HasAdd = requires(B& b, At at, typename B::Item& t, std::span<typename B::Item> items) {
  b.add(at, t, items);
};
template <class B>
concept HasSetitems = requires(B& b, At at, typename B::Item& t,
                               std::span<typename B::Item> pairs) {
  b.setitems(at, t, pairs);
};

// Globals and objects.
template <class B>
concept HasGlobal = requires(B& b, At at, std::string_view module, std::string_view name) {
  { b.global(at, module, name) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasStackGlobal = requires(B& b, At at, const typename B::Item& module,
                                  const typename B::Item& name, std::string_view& out) {
  { b.stack_global(at, module, name, out, out) } -> std::same_as<bool>;
};
template <class B>
concept HasReduce = requires(B& b, At at, typename B::Item v) {
  { b.reduce(at, v, v) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasBuild = requires(B& b, At at, typename B::Item& inst, typename B::Item state) {
  b.build(at, inst, state);
};
template <class B>
concept HasInstantiate = requires(B& b, At at, typename B::Item cls,
                                  std::span<typename B::Item> args, BuildKind how) {
  { b.instantiate(at, cls, args, how) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasNewobj = requires(B& b, At at, typename B::Item v, typename B::Item* kwargs) {
  { b.newobj(at, v, v, kwargs) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasPersistentText = requires(B& b, At at, std::string_view pid) {
  { b.persistent_text(at, pid) } -> std::same_as<typename B::Item>;
};
template <class B>
concept HasPersistentBinary = requires(B& b, At at, typename B::Item pid) {
  { b.persistent_binary(at, pid) } -> std::same_as<typename B::Item>;
};

// Hooks.
template <class B>
concept HasUsed = requires(B& b, At at, typename B::Item v) {
  b.used(at, v);
};
template <class B>
concept HasMemoized = requires(B& b, At at, typename B::Item v) {
  b.memoized(at, v);
};
template <class B>
concept HasDiscarded = requires(B& b, At at, typename B::Item v) {
  b.discarded(at, v);
};
template <class B>
concept HasRenamed = requires(B& b, At at, typename B::Item g, std::string_view s) {
  b.renamed(at, g, s, s);
};
template <class B>
concept HasArgument = requires(B& b, At at, uint64_t v) {
  b.argument(at, v);
};
// [NOTE after-build] Some loaders read bytes of their own from the file right after a
// BUILD, outside the pickle: joblib's NumpyUnpickler reads an array's data after the
// BUILD of its NumpyArrayWrapper (or a whole pickle, for an object array). A builder
// that follows such a loader answers true to reads_after_build; the Decoder then hands
// the Source over, positioned after the BUILD, to read_after_build, and goes on where
// it stopped. Outside a frame only: the loader reads the file, not the frame.
template <class B>
concept HasAfterBuild = requires(B& b, At at, typename B::Item& v, Source& s) {
  { b.reads_after_build(at, v) } -> std::same_as<bool>;
  b.read_after_build(at, v, s);
};

/// Everything the Decoder calls. See [NOTE builder-contract].
template <class B>
concept Builder = HasItem<B> && HasRunsMachine<B> && HasUsage<B> && HasNone<B> && HasBoolean<B> &&
    HasInteger<B> && HasBigInteger<B> && HasFloating<B> && HasStr<B> && HasBytes<B> &&
    HasBytearray<B> && HasPy2String<B> && HasNextBuffer<B> && HasReadonlyBuffer<B> && HasList<B> &&
    HasTuple<B> && HasDict<B> && HasSet<B> && HasFrozenset<B> && HasAppend<B> && HasAdd<B> &&
    HasSetitems<B> && HasGlobal<B> && HasStackGlobal<B> && HasReduce<B> && HasBuild<B> &&
    HasInstantiate<B> && HasNewobj<B> && HasPersistentText<B> && HasPersistentBinary<B> &&
    HasUsed<B> && HasMemoized<B> && HasDiscarded<B> && HasRenamed<B> && HasArgument<B> &&
    HasAfterBuild<B>;

/// Builder<B>, one static_assert per callback, so that a builder missing one is told
/// which (the Decoder checks it first). Returns Builder<B>.
template <class B>
consteval bool check_builder() {
  static_assert(HasItem<B>,
                "a Builder declares `using Item = ...;`, a default-constructible, copyable "
                "stack item");
  if constexpr (HasItem<B>) {
    static_assert(HasRunsMachine<B>, "a Builder declares `static constexpr bool runs_machine`");
    static_assert(HasUsage<B>, "a Builder needs `Usage usage() const` (the growth limits)");
    static_assert(HasNone<B>, "a Builder needs `Item none(At)` (NONE)");
    static_assert(HasBoolean<B>, "a Builder needs `Item boolean(At, bool)` (NEWTRUE, INT 01)");
    static_assert(HasInteger<B>, "a Builder needs `Item integer(At, int64_t)` (BININT*, INT)");
    static_assert(HasBigInteger<B>,
                  "a Builder needs `Item big_integer(At, std::span<const uint8_t>)` (LONG*)");
    static_assert(HasFloating<B>, "a Builder needs `Item floating(At, double)` (BINFLOAT, FLOAT)");
    static_assert(HasStr<B>, "a Builder needs `Item str(At, std::string_view)` (*UNICODE*)");
    static_assert(HasBytes<B>, "a Builder needs `Item bytes(At, std::string_view)` (*BINBYTES*)");
    static_assert(HasBytearray<B>,
                  "a Builder needs `Item bytearray(At, std::string_view)` (BYTEARRAY8)");
    static_assert(HasPy2String<B>,
                  "a Builder needs `Item py2_string(At, std::string_view)` (STRING, BINSTRING)");
    static_assert(HasNextBuffer<B>, "a Builder needs `Item next_buffer(At)` (NEXT_BUFFER)");
    static_assert(HasReadonlyBuffer<B>,
                  "a Builder needs `void readonly_buffer(At, Item&)` (READONLY_BUFFER)");
    static_assert(HasList<B>, "a Builder needs `Item list(At, std::span<Item>)` (LIST)");
    static_assert(HasTuple<B>, "a Builder needs `Item tuple(At, std::span<Item>)` (TUPLE*)");
    static_assert(HasDict<B>, "a Builder needs `Item dict(At, std::span<Item>)` (DICT)");
    static_assert(HasSet<B>, "a Builder needs `Item set(At)` (EMPTY_SET)");
    static_assert(HasFrozenset<B>,
                  "a Builder needs `Item frozenset(At, std::span<Item>)` (FROZENSET)");
    static_assert(HasAppend<B>,
                  "a Builder needs `void append(At, Item&, std::span<Item>)` (APPEND, APPENDS)");
    static_assert(HasAdd<B>, "a Builder needs `void add(At, Item&, std::span<Item>)` (ADDITEMS)");
    static_assert(HasSetitems<B>,
                  "a Builder needs `void setitems(At, Item&, std::span<Item>)` (SETITEM*)");
    static_assert(HasGlobal<B>,
                  "a Builder needs `Item global(At, std::string_view module, std::string_view "
                  "name)` (GLOBAL, STACK_GLOBAL, INST, EXT*)");
    static_assert(HasStackGlobal<B>,
                  "a Builder needs `bool stack_global(At, const Item& module, const Item& name, "
                  "std::string_view&, std::string_view&)` (STACK_GLOBAL's operands)");
    static_assert(HasReduce<B>, "a Builder needs `Item reduce(At, Item callable, Item args)`");
    static_assert(HasBuild<B>, "a Builder needs `void build(At, Item&, Item state)` (BUILD)");
    static_assert(HasInstantiate<B>,
                  "a Builder needs `Item instantiate(At, Item, std::span<Item>, BuildKind)` "
                  "(INST, OBJ)");
    static_assert(HasNewobj<B>,
                  "a Builder needs `Item newobj(At, Item cls, Item args, Item* kwargs)` "
                  "(NEWOBJ, NEWOBJ_EX)");
    static_assert(HasPersistentText<B>,
                  "a Builder needs `Item persistent_text(At, std::string_view)` (PERSID)");
    static_assert(HasPersistentBinary<B>,
                  "a Builder needs `Item persistent_binary(At, Item)` (BINPERSID)");
    static_assert(HasUsed<B>, "a Builder needs `void used(At, Item)` (BUILD's state, STOP)");
    static_assert(HasMemoized<B>, "a Builder needs `void memoized(At, Item)` (PUT, MEMOIZE)");
    static_assert(HasDiscarded<B>, "a Builder needs `void discarded(At, Item)` (POP)");
    static_assert(HasRenamed<B>,
                  "a Builder needs `void renamed(At, Item global, std::string_view module, "
                  "std::string_view name)` (fix_imports)");
    static_assert(HasArgument<B>,
                  "a Builder needs `void argument(At, uint64_t)` (PROTO, FRAME, GET, PUT, EXT)");
    static_assert(HasAfterBuild<B>,
                  "a Builder needs `bool reads_after_build(At, Item&)` and `void "
                  "read_after_build(At, Item&, Source&)` (bytes a loader reads after BUILD)");
  }
  return Builder<B>;
}

}  // namespace pickle::detail
