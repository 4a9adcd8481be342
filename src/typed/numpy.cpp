// numpy arrays, dtypes and scalars in the forms numpy 1.x and 2.x pickle them, read
// as views and written again. The forms are described in docs/arrays.md.
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "array_parts.hpp"
#include "pickle/array.hpp"

namespace pickle {

namespace detail {

namespace {

// Structured dtypes nest (a field's dtype may be structured); numpy itself has no
// limit but Python's recursion. Ours reads them recursively, so it stops here.
constexpr unsigned kMaxDtypeDepth = 32;
// numpy 2.x allows 64 dimensions (numpy 1.x: 32).
constexpr size_t kMaxDims = 64;
// Shapes and strides beyond this are refused before any product can overflow.
constexpr int64_t kMaxExtent = int64_t(1) << 62;

// A str, or the bytes a Python 2 str loads as with encoding='bytes'.
std::string_view str_or_empty(Value v) {
  return v.is_str() ? v.as_str() : v.is_bytes() ? v.as_bytes() : std::string_view();
}

// The bytes of a pickled buffer: bytes, bytearray, an out-of-band Buffer, or a Python 2
// str the Unpickler decoded (numpy arrays written by Python 2, loaded with
// encoding='latin1': their text is the bytes, one code point each).
std::span<const std::byte> buffer_bytes(Value v,
                                        std::shared_ptr<const std::vector<std::byte>>& owned,
                                        std::string_view what) {
  if (v.is_bytes() || v.kind() == Kind::ByteArray) {
    std::string_view b = v.as_bytes();
    return std::as_bytes(std::span(b.data(), b.size()));
  }
  if (v.kind() == Kind::Buffer) return v.buffer().data;
  if (v.is_str() && (v.str().flags & kPy2Str)) {
    std::string_view text = v.as_str();
    auto bytes = std::make_shared<std::vector<std::byte>>();
    bytes->reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      auto c = static_cast<uint8_t>(text[i]);
      uint32_t cp = c;
      if (c >= 0x80) {
        if ((c & 0xE0) != 0xC0 || i + 1 >= text.size())
          bad_value(what,
                    "its data is a Python 2 str decoded to text beyond latin-1; load it "
                    "with encoding 'latin1' or 'bytes'");
        cp = ((c & 0x1Fu) << 6) | (static_cast<uint8_t>(text[i + 1]) & 0x3Fu);
        i += 2;
      } else {
        ++i;
      }
      if (cp > 0xFF)
        bad_value(what,
                  "its data is a Python 2 str decoded to text beyond latin-1; load it "
                  "with encoding 'latin1' or 'bytes'");
      bytes->push_back(static_cast<std::byte>(cp));
    }
    owned = bytes;
    return *owned;
  }
  bad_value(what, std::string("its data is a ") + std::string(kind_name(v.kind())) +
                      ", not bytes, bytearray or a buffer");
}

uint64_t checked_size(std::span<const int64_t> shape, uint64_t itemsize, std::string_view what) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d == 0) return 0;
    if (n > uint64_t(kMaxExtent) / uint64_t(d)) bad_value(what, "its shape has too many elements");
    n *= uint64_t(d);
  }
  if (itemsize && n > uint64_t(kMaxExtent) / itemsize)
    bad_value(what, "its shape has too many bytes");
  return n;
}

// The datetime unit of a dtype state's metadata: ({}, (b'ns', 1, 1, 1)).
std::string datetime_unit(Value metadata) {
  if (!metadata.is_tuple() || metadata.size() != 2 || !metadata[1].is_tuple() ||
      metadata[1].size() < 2)
    bad_value("numpy dtype", "a datetime dtype without its unit");
  Value unit = metadata[1][0];
  std::string_view u = unit.is_bytes() ? unit.as_bytes() : str_or_empty(unit);
  if (u.empty() || u.size() > 8) bad_value("numpy dtype", "a datetime unit that is not a unit");
  for (char c : u)
    if (c < 'A' || c > 'z') bad_value("numpy dtype", "a datetime unit that is not a unit");
  Value num = metadata[1][1];
  if (!num.is_int() || num.is_bigint() || num.raw_int() < 1 || num.raw_int() > INT32_MAX)
    bad_value("numpy dtype", "a datetime unit multiplier that is not a positive int");
  if (u == "generic") return {};  // numpy's M8 without a unit: named datetime64
  std::string s = num.raw_int() == 1 ? std::string() : std::to_string(num.raw_int());
  return s + std::string(u);
}

Dtype dtype_object(const ObjectNode& o, unsigned depth) {
  if (!o.args.is_tuple() || o.args.size() < 1 || str_or_empty(o.args[0]).empty())
    bad_value("numpy dtype", "numpy.dtype() without a type string");
  Dtype d = parse_dtype(str_or_empty(o.args[0]));
  if (o.states.empty()) return d;
  Value state = o.states.back();
  if (!state.is_tuple()) bad_value("numpy dtype", "its __setstate__ state is not a tuple");
  size_t n = state.size();
  if (n < 7 || n > 9)
    bad_value("numpy dtype", "a __setstate__ state of " + std::to_string(n) +
                                 " items (numpy writes 8 or 9; older forms are not read)");
  std::string_view endian = str_or_empty(state[1]);
  if (endian.size() != 1 || std::string_view("<>|=").find(endian[0]) == std::string_view::npos)
    bad_value("numpy dtype", "a byte order that is not one of < > | =");
  d.byteorder = endian[0];
  Value sub = state[2], names = state[3], fields = state[4], elsize = state[5];
  if (!sub.is_none()) {
    if (!sub.is_tuple() || sub.size() != 2)
      bad_value("numpy dtype", "a subarray that is not (dtype, shape)");
    d.base = std::make_shared<Dtype>(dtype_from_value(sub[0], depth + 1));
    d.subshape = sub[1].is_int() ? std::vector<int64_t>{sub[1].as_int()}
                                 : int_list(sub[1], "numpy dtype subarray shape", 0);
  }
  if (!names.is_none()) {
    if (!names.is_tuple() || !fields.is_dict())
      bad_value("numpy dtype", "field names without a dict of fields");
    for (Value name : names.items()) {
      if (!name.is_str() && !name.is_bytes())
        bad_value("numpy dtype", "a field name that is not a str");
      const Value* f = fields.dict().find(name);
      if (!f || !f->is_tuple() || f->size() < 2)
        bad_value("numpy dtype",
                  "field '" + std::string(str_or_empty(name)) + "' is not (dtype, offset)");
      Dtype::Field field;
      field.name = std::string(str_or_empty(name));
      field.type = std::make_shared<Dtype>(dtype_from_value((*f)[0], depth + 1));
      int64_t off = (*f)[1].as_int();
      if (off < 0) bad_value("numpy dtype", "field '" + field.name + "' has a negative offset");
      field.offset = uint64_t(off);
      d.fields.push_back(std::move(field));
    }
  }
  if (elsize.is_int() && elsize.as_int() != -1) {
    int64_t size = elsize.as_int();
    if (size < 0 || size > kMaxExtent) bad_value("numpy dtype", "a negative or huge item size");
    if (d.kind == 'V' || d.kind == 'S' || d.kind == 'U') d.itemsize = uint64_t(size);
  }
  for (const Dtype::Field& f : d.fields)
    if (f.offset > d.itemsize || f.type->itemsize > d.itemsize - f.offset)
      bad_value("numpy dtype", "field '" + f.name + "' lies beyond the item size");
  if ((d.kind == 'M' || d.kind == 'm') && n == 9) d.unit = datetime_unit(state[8]);
  d.name.clear();
  finish_dtype(d);
  return d;
}

// A structured dtype as the array interface describes it (an .npy header's descr):
// [(name, type[, shape]), ...], fields one after another, '' naming padding.
Dtype descr_list(Value v, unsigned depth) {
  Dtype d;
  d.kind = 'V';
  for (Value item : v.items()) {
    if (!item.is_tuple() || item.size() < 2 || item.size() > 3)
      bad_value("numpy dtype", "a field description that is not (name, type[, shape])");
    Value name = item[0];
    if (name.is_tuple() && name.size() == 2) name = name[1];  // (title, name)
    if (!name.is_str()) bad_value("numpy dtype", "a field name that is not a str");
    auto type = std::make_shared<Dtype>(dtype_from_value(item[1], depth + 1));
    if (item.size() == 3) {
      auto sub = std::make_shared<Dtype>();
      sub->kind = 'V';
      sub->base = type;
      sub->subshape = item[2].is_int() ? std::vector<int64_t>{item[2].as_int()}
                                       : int_list(item[2], "numpy dtype field shape", 0);
      sub->itemsize = checked_size(sub->subshape, type->itemsize, "numpy dtype");
      sub->itemsize *= type->itemsize;
      finish_dtype(*sub);
      type = sub;
    }
    uint64_t offset = d.itemsize;
    if (type->itemsize > uint64_t(kMaxExtent) - offset)
      bad_value("numpy dtype", "fields of too many bytes");
    d.itemsize += type->itemsize;
    if (!name.as_str().empty()) d.fields.push_back({std::string(name.as_str()), type, offset});
  }
  finish_dtype(d);
  return d;
}

// The array forms: their parts, before the checks every form shares.
struct Parts {
  Value dtype, shape, data;
  bool fortran = false;
};

ArrayView make_view(const Parts& p, Value source, std::string_view what) {
  ArrayView a;
  a.source = source;
  a.dtype = dtype_from_value(p.dtype, 0);
  // A subarray dtype in an array adds its shape to the array's (numpy does so).
  a.shape = p.shape.is_int() ? std::vector<int64_t>{p.shape.as_int()} : int_list(p.shape, what, 0);
  if (a.dtype.base) {
    Dtype base = *a.dtype.base;
    a.shape.insert(a.shape.end(), a.dtype.subshape.begin(), a.dtype.subshape.end());
    a.dtype = std::move(base);
  }
  if (a.shape.size() > kMaxDims)
    bad_value(what, "it has " + std::to_string(a.shape.size()) + " dimensions (at most 64)");
  uint64_t size = checked_size(a.shape, a.dtype.itemsize, what);
  a.strides = contiguous_strides(a.shape, a.dtype.itemsize, p.fortran);
  if (a.dtype.kind == 'O') {
    if (!p.data.is_list()) bad_value(what, "an object array whose elements are not a list");
    if (p.data.size() != size)
      bad_value(what, "an object array of " + std::to_string(size) + " elements holds " +
                          std::to_string(p.data.size()));
    a.objects = p.data;
    return a;
  }
  a.data = buffer_bytes(p.data, a.owned, what);
  if (a.data.size() != size * a.dtype.itemsize)
    bad_value(what, "its data is " + std::to_string(a.data.size()) + " bytes; shape " +
                        "and dtype " + a.dtype.str() + " need " +
                        std::to_string(size * a.dtype.itemsize));
  check_extent(a, what);
  return a;
}

}  // namespace

void bad_value(std::string_view what, const std::string& detail) {
  throw PickleError(ErrorCode::bad_value, std::string(what) + ": " + detail);
}

bool is_numpy_function(const GlobalNode* g, std::string_view sub, std::string_view name) noexcept {
  if (!g || g->name != name) return false;
  std::string_view m = g->module;
  for (std::string_view core : {std::string_view("numpy.core."), std::string_view("numpy._core.")})
    if (m.size() == core.size() + sub.size() && m.starts_with(core) && m.ends_with(sub))
      return true;
  return false;
}

Dtype dtype_from_value(Value v, unsigned depth) {
  if (depth > kMaxDtypeDepth)
    throw PickleError(ErrorCode::limit_exceeded,
                      "numpy dtype: structured dtypes nested more than 32 deep");
  if (v.is_str() || v.is_bytes()) return parse_dtype(str_or_empty(v));
  if (v.is_list()) return descr_list(v, depth);
  if (v.is_object()) {
    const ObjectNode& o = v.object();
    const GlobalNode* g = o.callable_global();
    if (g && g->module == "numpy" && g->name == "dtype") return dtype_object(o, depth);
  }
  bad_value("numpy dtype", std::string("a ") + std::string(kind_name(v.kind())) +
                               " where a numpy.dtype was expected");
}

std::vector<int64_t> int_list(Value v, std::string_view what, int64_t min) {
  if (!v.is_tuple() && !v.is_list()) bad_value(what, "not a tuple of ints");
  std::vector<int64_t> out;
  out.reserve(v.size());
  for (Value i : v.items()) {
    if (!i.is_int() || i.is_bigint() || i.raw_int() < min || i.raw_int() > kMaxExtent)
      bad_value(what, "an item that is not an int in range");
    out.push_back(i.raw_int());
  }
  return out;
}

std::vector<int64_t> contiguous_strides(std::span<const int64_t> shape, uint64_t itemsize,
                                        bool fortran) {
  std::vector<int64_t> strides(shape.size());
  int64_t step = static_cast<int64_t>(itemsize);
  for (size_t k = 0; k < shape.size(); ++k) {
    size_t i = fortran ? k : shape.size() - 1 - k;
    strides[i] = step;
    // Sizes were checked not to overflow the product; a zero extent keeps the step.
    if (shape[i] > 1) step *= shape[i];
  }
  return strides;
}

void check_extent(const ArrayView& a, std::string_view what) {
  uint64_t size = checked_size(a.shape, a.dtype.itemsize, what);
  if (size == 0) return;
  // The first and one past the last byte any element touches.
  int64_t low = static_cast<int64_t>(a.offset);
  int64_t high = 0;
  bool overflow = a.offset > uint64_t(kMaxExtent) ||
                  __builtin_add_overflow(low, static_cast<int64_t>(a.dtype.itemsize), &high);
  for (size_t k = 0; k < a.shape.size() && !overflow; ++k) {
    int64_t span = 0;
    overflow = __builtin_mul_overflow(a.shape[k] - 1, a.strides[k], &span) ||
               __builtin_add_overflow(span < 0 ? low : high, span, span < 0 ? &low : &high);
  }
  if (overflow || low < 0 || uint64_t(high) > a.data.size())
    bad_value(what, "its elements reach byte " +
                        (overflow ? std::string("2^63") : std::to_string(high)) +
                        " of a buffer of " + std::to_string(a.data.size()) + " bytes");
}

}  // namespace detail

using detail::bad_value;

Dtype dtype_from_value(Value v) {
  return detail::dtype_from_value(v, 0);
}

void check_array_extent(const ArrayView& view, std::string_view what) {
  detail::check_extent(view, what);
}

std::optional<ArrayView> as_array(Value v, const TorchStorages* storages) {
  if (v.kind() == Kind::PersistentRef && storages && storages->tensor) return storages->tensor(v);
  if (!v.is_object()) return std::nullopt;
  const ObjectNode& o = v.object();
  const GlobalNode* g = o.callable_global();
  if (!g) return std::nullopt;
  if (detail::is_numpy_function(g, "multiarray", "_reconstruct")) {
    constexpr std::string_view what = "numpy array";
    if (o.states.empty()) bad_value(what, "_reconstruct without its __setstate__ state");
    Value state = o.states.back();
    // (version, shape, dtype, is_fortran, data), or without the version (numpy < 1.0?).
    if (!state.is_tuple() || (state.size() != 5 && state.size() != 4))
      bad_value(what, "its __setstate__ state is not (version, shape, dtype, fortran, data)");
    size_t k = state.size() - 4;
    detail::Parts p{state[k + 1], state[k], state[k + 3], false};
    Value fortran = state[k + 2];
    if (!fortran.is_bool() && !fortran.is_int()) bad_value(what, "its Fortran flag is not a bool");
    p.fortran = fortran.is_bool() ? fortran.as_bool() : fortran.as_int() != 0;
    return detail::make_view(p, v, what);
  }
  if (detail::is_numpy_function(g, "numeric", "_frombuffer")) {
    constexpr std::string_view what = "numpy array";
    if (!o.args.is_tuple() || o.args.size() != 4)
      bad_value(what, "_frombuffer without (buffer, dtype, shape, order)");
    std::string_view order = o.args[3].is_str() ? o.args[3].as_str() : std::string_view();
    if (order != "C" && order != "F") bad_value(what, "an order that is neither 'C' nor 'F'");
    detail::Parts p{o.args[1], o.args[2], o.args[0], order == "F"};
    return detail::make_view(p, v, what);
  }
  return detail::torch_tensor(v, storages);
}

bool is_numpy_scalar(Value v) noexcept {
  return v.is_object() &&
         detail::is_numpy_function(v.object().callable_global(), "multiarray", "scalar");
}

// ---------------------------------------------------------------------------
// Writing, as numpy's ndarray.__reduce_ex__ and dtype.__reduce__ do.

Value numpy_dtype(Graph& g, const Dtype& d) {
  if (!d.fields.empty() || d.base)
    throw TypeError("numpy_dtype: structured and subarray dtypes are not written");
  std::string typestr = d.str().substr(1);
  if (d.kind == 'O') typestr = "O8";
  if (d.kind == 'M' || d.kind == 'm') typestr = std::string(1, d.kind) + "8";
  Value dtype =
      g.object(g.global("numpy", "dtype"), g.tuple({g.str(typestr), Value(false), Value(true)}));
  bool flexible = d.kind == 'S' || d.kind == 'U' || d.kind == 'V';
  int64_t elsize = flexible ? int64_t(d.itemsize) : -1;
  int64_t align = d.kind == 'U' ? 4 : flexible ? 1 : -1;
  int64_t flags = d.kind == 'O' ? 63 : d.kind == 'U' ? 8 : 0;
  std::string endian(1, d.byteorder);
  bool datetime = d.kind == 'M' || d.kind == 'm';
  std::vector<Value> state = {Value(int64_t(datetime ? 4 : 3)),
                              g.str(endian),
                              Value(),
                              Value(),
                              Value(),
                              Value(elsize),
                              Value(align),
                              Value(flags)};
  if (datetime) {
    // ({}, (b'unit', multiplier, 1, 1)): "25us" is (b'us', 25, 1, 1).
    size_t digits = 0;
    while (digits < d.unit.size() && d.unit[digits] >= '0' && d.unit[digits] <= '9') ++digits;
    int64_t num = digits ? std::stoll(d.unit.substr(0, digits)) : 1;
    std::string unit = d.unit.empty() ? "generic" : d.unit.substr(digits);
    state.push_back(g.tuple(
        {g.dict(), g.tuple({g.bytes(unit), Value(num), Value(int64_t(1)), Value(int64_t(1))})}));
  }
  g.add_state(dtype, g.tuple(state));
  return dtype;
}

Value numpy_array(Graph& g, const Dtype& d, std::span<const int64_t> shape,
                  std::span<const std::byte> data, const NumpyWriteOptions& options) {
  if (d.kind == 'O') throw TypeError("numpy_array: object arrays are not written from bytes");
  if (!d.fields.empty() || d.base)
    throw TypeError("numpy_array: structured and subarray dtypes are not written");
  uint64_t size = 1;
  for (int64_t n : shape) {
    if (n < 0 || (n && size > uint64_t(INT64_MAX) / uint64_t(n)))
      throw TypeError("numpy_array: a negative or huge shape");
    size *= uint64_t(n);
  }
  if (d.itemsize && size > uint64_t(INT64_MAX) / d.itemsize)
    throw TypeError("numpy_array: a huge shape");
  if (data.size() != size * d.itemsize)
    throw TypeError("numpy_array: " + std::to_string(data.size()) + " bytes of data for " +
                    std::to_string(size * d.itemsize) + " bytes of elements");
  // numpy calls an array Fortran-ordered only when it is not also C-ordered: when at
  // most one dimension has more than one element, both orders are one layout.
  size_t long_dims = 0;
  for (int64_t n : shape) long_dims += n > 1;
  bool fortran = options.fortran && long_dims > 1;
  std::string_view core = options.numpy2_names ? "numpy._core." : "numpy.core.";
  std::vector<Value> dims;
  dims.reserve(shape.size());
  for (int64_t n : shape) dims.push_back(Value(n));
  Value dtype = numpy_dtype(g, d);
  std::string_view raw(reinterpret_cast<const char*>(data.data()), data.size());
  // numpy's buffers cannot hold datetimes: it writes those in the protocol 4 form.
  if (options.protocol >= 5 && d.kind != 'M' && d.kind != 'm') {
    Value buffer = g.bytearray(raw);
    return g.object(g.global(std::string(core) + "numeric", "_frombuffer"),
                    g.tuple({buffer, dtype, g.tuple(dims), g.str(fortran ? "F" : "C")}));
  }
  Value array = g.object(g.global(std::string(core) + "multiarray", "_reconstruct"),
                         g.tuple({g.global("numpy", "ndarray"), g.tuple({Value(int64_t(0))}),
                                  g.bytes(std::string_view("b"))}));
  g.add_state(array,
              g.tuple({Value(int64_t(1)), g.tuple(dims), dtype, Value(fortran), g.bytes(raw)}));
  return array;
}

}  // namespace pickle
