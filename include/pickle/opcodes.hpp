// The pickle opcode table: one enum and one 256-entry info table, generated from
// opcodes.def, the single source of opcode facts.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <array>
#include <cstdint>
#include <string_view>

namespace pickle {

/// The highest protocol this library reads and writes (CPython's HIGHEST_PROTOCOL).
inline constexpr int HIGHEST_PROTOCOL = 5;
/// The protocol `dumps` uses by default: the default of CPython 3.8–3.13.
inline constexpr int DEFAULT_PROTOCOL = 4;

/// How an opcode's argument is encoded in the stream (pickletools' ArgumentDescriptor names).
enum class ArgKind : uint8_t {
  none,
  uint1,
  uint2,
  int4,
  uint4,
  uint8,
  decimalnl_short,
  decimalnl_long,
  floatnl,
  float8,
  stringnl,
  stringnl_noescape,
  stringnl_noescape_pair,
  unicodestringnl,
  string1,
  string4,
  bytes1,
  bytes4,
  bytes8,
  bytearray8,
  unicodestring1,
  unicodestring4,
  unicodestring8,
  long1,
  long4,
};

/// pickletools' name of an argument kind ("uint1", "stringnl_noescape_pair", ...).
std::string_view arg_kind_name(ArgKind kind) noexcept;

/// Every opcode of protocols 0–5, by its byte value.
enum class Op : uint8_t {
#define PICKLE_OPCODE(ident, byte, name, arg, proto, before, after, doc) ident = byte,
#include "pickle/opcodes.def"
#undef PICKLE_OPCODE
};

/// What the table knows about one opcode.
struct OpInfo {
  std::string_view name;          ///< CPython's name, e.g. "BINUNICODE"; empty for unused bytes
  ArgKind arg = ArgKind::none;    ///< how the argument is encoded
  int8_t proto = -1;              ///< protocol that introduced it; -1 for unused bytes
  std::string_view stack_before;  ///< space-separated pickletools stack-object names
  std::string_view stack_after;
  std::string_view doc;  ///< one line, our own words

  constexpr bool valid() const noexcept { return proto >= 0; }
};

namespace detail {
constexpr std::array<OpInfo, 256> make_op_table() {
  std::array<OpInfo, 256> t{};
#define PICKLE_OPCODE(ident, byte, name, arg, proto, before, after, doc) \
  t[static_cast<uint8_t>(byte)] = OpInfo{name, ArgKind::arg, proto, before, after, doc};
#include "pickle/opcodes.def"
#undef PICKLE_OPCODE
  return t;
}
inline constexpr std::array<OpInfo, 256> op_table = make_op_table();
}  // namespace detail

/// The info for a byte; `valid()` is false when the byte is not an opcode.
constexpr const OpInfo& op_info(uint8_t byte) noexcept {
  return detail::op_table[byte];
}
constexpr const OpInfo& op_info(Op op) noexcept {
  return detail::op_table[static_cast<uint8_t>(op)];
}

/// Number of opcodes in the table (68 for protocols 0–5).
constexpr int opcode_count() noexcept {
  int n = 0;
  for (const auto& i : detail::op_table) n += i.valid() ? 1 : 0;
  return n;
}
static_assert(opcode_count() == 68, "protocols 0-5 define 68 opcodes");

}  // namespace pickle
#pragma GCC visibility pop
