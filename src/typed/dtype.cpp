// numpy dtypes from their type strings ("<f8", "U3", "M8[ns]", "float32"), and their
// names and type strings back, as numpy writes them.
#include <bit>
#include <charconv>
#include <string>
#include <string_view>

#include "array_parts.hpp"
#include "pickle/array.hpp"

namespace pickle {

namespace {

// This machine's byte order, as numpy writes it.
constexpr char kNative = std::endian::native == std::endian::little ? '<' : '>';

// numpy's one-character type codes, with their kind and size (Linux LP64).
struct TypeCode {
  char code, kind;
  uint64_t size;
};
constexpr TypeCode kTypeCodes[] = {
    {'?', 'b', 1},  {'b', 'i', 1}, {'B', 'u', 1},  {'h', 'i', 2},  {'H', 'u', 2}, {'i', 'i', 4},
    {'I', 'u', 4},  {'l', 'i', 8}, {'L', 'u', 8},  {'q', 'i', 8},  {'Q', 'u', 8}, {'p', 'i', 8},
    {'P', 'u', 8},  {'n', 'i', 8}, {'N', 'u', 8},  {'e', 'f', 2},  {'f', 'f', 4}, {'d', 'f', 8},
    {'g', 'f', 16}, {'F', 'c', 8}, {'D', 'c', 16}, {'G', 'c', 32}, {'O', 'O', 8}, {'S', 'S', 0},
    {'a', 'S', 0},  {'U', 'U', 0}, {'V', 'V', 0},  {'M', 'M', 8},  {'m', 'm', 8},
};

// Names numpy accepts for numbers, and torch's own (which have kind 'f' or 'c').
struct NamedType {
  std::string_view name;
  char kind;
  uint64_t size;
};
constexpr NamedType kNamedTypes[] = {
    {"bool", 'b', 1},
    {"int8", 'i', 1},
    {"uint8", 'u', 1},
    {"int16", 'i', 2},
    {"uint16", 'u', 2},
    {"int32", 'i', 4},
    {"uint32", 'u', 4},
    {"int64", 'i', 8},
    {"uint64", 'u', 8},
    {"float16", 'f', 2},
    {"float32", 'f', 4},
    {"float64", 'f', 8},
    {"float128", 'f', 16},
    {"complex64", 'c', 8},
    {"complex128", 'c', 16},
    {"complex256", 'c', 32},
    {"object", 'O', 8},
    {"bfloat16", 'f', 2},
    {"complex32", 'c', 4},
    {"float8_e4m3fn", 'f', 1},
    {"float8_e5m2", 'f', 1},
    {"float8_e4m3fnuz", 'f', 1},
    {"float8_e5m2fnuz", 'f', 1},
};

// numpy's datetime units, with an optional multiplier: "s", "25us", "generic".
bool valid_unit(std::string_view u) {
  size_t digits = 0;
  while (digits < u.size() && u[digits] >= '0' && u[digits] <= '9') ++digits;
  if (digits > 9 || (digits && u[0] == '0')) return false;
  std::string_view base = u.substr(digits);
  for (std::string_view known :
       {"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic"})
    if (base == known) return !(digits && base == "generic");
  return false;
}

bool is_kind(char c) {
  return c == 'b' || c == 'i' || c == 'u' || c == 'f' || c == 'c' || c == 'O' || c == 'S' ||
         c == 'U' || c == 'V' || c == 'M' || c == 'm';
}

[[noreturn]] void bad_typestr(std::string_view typestr) {
  throw PickleError(ErrorCode::bad_value,
                    "numpy dtype: '" + std::string(typestr) + "' is not a data type numpy knows");
}

}  // namespace

std::string Dtype::str() const {
  std::string s(1, byteorder);
  s += kind == 'b' ? 'b' : kind;
  if (kind == 'O') return s;
  uint64_t n = kind == 'U' ? itemsize / 4 : itemsize;
  if (kind == 'M' || kind == 'm') {
    s += "8";
    if (!unit.empty()) s += "[" + unit + "]";
    return s;
  }
  return s + std::to_string(n);
}

bool Dtype::swapped() const noexcept {
  return byteorder != '|' && byteorder != kNative;
}

namespace detail {

void finish_dtype(Dtype& d) {
  // numpy's byte order: '|' where order means nothing.
  if (d.kind == 'b' || d.kind == 'O' || d.kind == 'S' || d.kind == 'V' || d.itemsize <= 1) {
    if (d.kind != 'U' && d.kind != 'M' && d.kind != 'm') d.byteorder = '|';
  }
  if (d.byteorder == '=') d.byteorder = kNative;
  if (!d.name.empty()) return;  // a name that says more than the kind (bfloat16)
  std::string bits = std::to_string(d.itemsize * 8);
  switch (d.kind) {
    case 'b': d.name = "bool"; break;
    case 'i': d.name = "int" + bits; break;
    case 'u': d.name = "uint" + bits; break;
    case 'f': d.name = "float" + bits; break;
    case 'c': d.name = "complex" + bits; break;
    case 'O': d.name = "object"; break;
    case 'S': d.name = d.itemsize ? "bytes" + bits : "bytes"; break;
    case 'U': d.name = d.itemsize ? "str" + bits : "str"; break;
    case 'V': d.name = d.itemsize ? "void" + bits : "void"; break;
    case 'M': d.name = d.unit.empty() ? "datetime64" : "datetime64[" + d.unit + "]"; break;
    case 'm': d.name = d.unit.empty() ? "timedelta64" : "timedelta64[" + d.unit + "]"; break;
  }
}

}  // namespace detail

Dtype parse_dtype(std::string_view typestr) {
  Dtype d;
  std::string_view s = typestr;
  char order = 0;
  if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '=' || s[0] == '!')) {
    order = s[0] == '!' ? '>' : s[0];
    s.remove_prefix(1);
  }
  if (s.empty()) bad_typestr(typestr);
  bool found = false;
  for (const NamedType& t : kNamedTypes) {
    if (s == t.name) {
      d.kind = t.kind, d.itemsize = t.size, found = true;
      if (s == "bfloat16" || s.starts_with("float8") || s == "complex32") d.name = std::string(s);
      break;
    }
  }
  if (!found && (s.starts_with("datetime64") || s.starts_with("timedelta64"))) {
    // numpy's names for datetimes: "datetime64", "timedelta64[25us]".
    std::string code = s[0] == 'd' ? "M8" : "m8";
    code += s.substr(s[0] == 'd' ? 10 : 11);
    return parse_dtype((order ? std::string(1, order) : std::string()) + code);
  }
  if (!found) {
    // A datetime unit in brackets: "M8[ns]", "m8[25us]".
    std::string_view unit;
    if (size_t open = s.find('['); open != std::string_view::npos) {
      if (s.back() != ']' || open + 2 >= s.size()) bad_typestr(typestr);
      unit = s.substr(open + 1, s.size() - open - 2);
      s = s.substr(0, open);
    }
    const TypeCode* code = nullptr;
    for (const TypeCode& t : kTypeCodes)
      if (s[0] == t.code) code = &t;
    if (s.size() > 1) {
      // A kind and a size: "f8", "b1", "U3", "V56", "O8".
      if (!is_kind(s[0]) && s[0] != 'a') bad_typestr(typestr);
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), n);
      if (ec != std::errc() || end != s.data() + s.size() || n > (uint64_t(1) << 40))
        bad_typestr(typestr);
      d.kind = s[0] == 'a' ? 'S' : s[0];
      d.itemsize = d.kind == 'U' ? n * 4 : n;
      bool ok = true;
      switch (d.kind) {
        case 'b': ok = n == 1; break;
        case 'i':
        case 'u': ok = n == 1 || n == 2 || n == 4 || n == 8; break;
        case 'f': ok = n == 2 || n == 4 || n == 8 || n == 16; break;
        case 'c': ok = n == 8 || n == 16 || n == 32; break;
        case 'O':
          ok = n == 8 || n == 4;
          d.itemsize = 8;
          break;
        case 'M':
        case 'm': ok = n == 8; break;
        default: break;
      }
      if (!ok) bad_typestr(typestr);
    } else if (code) {
      d.kind = code->kind, d.itemsize = code->size;
    } else {
      bad_typestr(typestr);
    }
    if (!unit.empty()) {
      if ((d.kind != 'M' && d.kind != 'm') || !valid_unit(unit)) bad_typestr(typestr);
      if (unit != "generic") d.unit = std::string(unit);
    }
  }
  // No order, or '|' (which numpy reads as none given), is this machine's.
  d.byteorder = order && order != '|' ? order : (d.itemsize > 1 ? kNative : '|');
  detail::finish_dtype(d);
  return d;
}

}  // namespace pickle
