#include "pickle/opcodes.hpp"

namespace pickle {

std::string_view arg_kind_name(ArgKind kind) noexcept {
  switch (kind) {
#define PICKLE_ARG(k) \
  case ArgKind::k: return #k;
    PICKLE_ARG(none)
    PICKLE_ARG(uint1)
    PICKLE_ARG(uint2)
    PICKLE_ARG(int4)
    PICKLE_ARG(uint4)
    PICKLE_ARG(uint8)
    PICKLE_ARG(decimalnl_short)
    PICKLE_ARG(decimalnl_long)
    PICKLE_ARG(floatnl)
    PICKLE_ARG(float8)
    PICKLE_ARG(stringnl)
    PICKLE_ARG(stringnl_noescape)
    PICKLE_ARG(stringnl_noescape_pair)
    PICKLE_ARG(unicodestringnl)
    PICKLE_ARG(string1)
    PICKLE_ARG(string4)
    PICKLE_ARG(bytes1)
    PICKLE_ARG(bytes4)
    PICKLE_ARG(bytes8)
    PICKLE_ARG(bytearray8)
    PICKLE_ARG(unicodestring1)
    PICKLE_ARG(unicodestring4)
    PICKLE_ARG(unicodestring8)
    PICKLE_ARG(long1)
    PICKLE_ARG(long4)
#undef PICKLE_ARG
  }
  return "?";
}

}  // namespace pickle
