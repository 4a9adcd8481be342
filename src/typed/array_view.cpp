// ArrayView: sizes, layout, and the elements copied out in C order and little-endian.
#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "array_parts.hpp"
#include "pickle/array.hpp"

namespace pickle {

namespace {

// The width of the units whose bytes a byte-order change reverses: a complex number
// swaps its two halves apart, a str its UCS-4 code units.
size_t swap_unit(const Dtype& d) {
  switch (d.kind) {
    case 'c': return d.itemsize / 2;
    case 'U': return 4;
    case 'i':
    case 'u':
    case 'f':
    case 'M':
    case 'm': return d.itemsize;
    default: return 1;  // bytes, void, structured: copied as they are
  }
}

void reverse_units(std::span<std::byte> bytes, size_t unit) {
  if (unit <= 1) return;
  for (size_t i = 0; i + unit <= bytes.size(); i += unit)
    std::reverse(bytes.begin() + static_cast<ptrdiff_t>(i),
                 bytes.begin() + static_cast<ptrdiff_t>(i + unit));
}

}  // namespace

uint64_t ArrayView::size() const noexcept {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

uint64_t ArrayView::nbytes() const noexcept {
  return size() * dtype.itemsize;
}

bool ArrayView::c_contiguous() const noexcept {
  int64_t step = static_cast<int64_t>(dtype.itemsize);
  for (size_t k = shape.size(); k-- > 0;) {
    if (shape[k] == 0) return true;
    if (shape[k] != 1 && strides[k] != step) return false;
    step *= shape[k];
  }
  return true;
}

std::span<const std::byte> ArrayView::c_order_le(std::vector<std::byte>& scratch) const {
  scratch.clear();
  if (dtype.kind == 'O') throw TypeError("ArrayView: an object array has no element bytes");
  const uint64_t total = nbytes();
  const bool big = dtype.byteorder == '>';
  if (total == 0) return {};
  detail::check_extent(*this, "ArrayView");
  if (c_contiguous() && !big) return data.subspan(offset, total);
  scratch.resize(total);
  if (c_contiguous()) {
    std::memcpy(scratch.data(), data.data() + offset, total);
  } else {
    // Walk the elements in C order with one counter per dimension (no recursion); the
    // innermost dimension is copied a run at a time when its elements are adjacent.
    const size_t dims = shape.size();
    const size_t item = dtype.itemsize;
    const int64_t inner = dims ? shape[dims - 1] : 1;
    const int64_t inner_stride = dims ? strides[dims - 1] : 0;
    std::vector<int64_t> index(dims, 0);
    std::byte* out = scratch.data();
    int64_t base = static_cast<int64_t>(offset);
    for (;;) {
      if (inner_stride == static_cast<int64_t>(item)) {
        std::memcpy(out, data.data() + base, item * static_cast<size_t>(inner));
        out += item * static_cast<size_t>(inner);
      } else {
        for (int64_t i = 0; i < inner; ++i, out += item)
          std::memcpy(out, data.data() + base + i * inner_stride, item);
      }
      // Advance the outer counters.
      size_t k = dims ? dims - 1 : 0;
      for (;;) {
        if (k == 0) goto done;
        --k;
        base += strides[k];
        if (++index[k] < shape[k]) break;
        base -= strides[k] * shape[k];
        index[k] = 0;
      }
    }
  done:;
  }
  if (big) reverse_units(scratch, swap_unit(dtype));
  return scratch;
}

std::string array_summary(const ArrayView& a) {
  std::string s;
  if (a.origin == ArrayView::Origin::numpy) {
    s = "numpy.ndarray";
  } else {
    const GlobalNode* g = a.source.is_object() ? a.source.object().callable_global() : nullptr;
    s = g && g->name.starts_with("_rebuild_parameter") ? "torch.nn.Parameter" : "torch.Tensor";
  }
  s += "(shape=(";
  for (size_t k = 0; k < a.shape.size(); ++k) s += (k ? ", " : "") + std::to_string(a.shape[k]);
  if (a.shape.size() == 1) s += ",";
  s += "), dtype=";
  s += a.dtype.swapped() ? "'" + a.dtype.str() + "'" : a.dtype.name;
  return s + ")";
}

void ArrayView::check_element(char kind, size_t size) const {
  if (dtype.kind != kind || dtype.itemsize != size || !dtype.fields.empty() || dtype.base ||
      dtype.name == "bfloat16" || dtype.name.starts_with("float8") || dtype.name == "complex32")
    throw TypeError("ArrayView::to_vector: the array's dtype is " + dtype.name +
                    ", not the element type asked for");
}

}  // namespace pickle
