// numpy arrays and PyTorch tensors as typed views: dtype, shape, strides, byte order and
// a span over the data, read from the values numpy and torch pickle, without running
// either. See docs/arrays.md.
//
//   pickle::Document doc = pickle::loads(bytes);
//   if (auto a = pickle::as_array(doc.root()))
//     std::vector<double> v = a->to_vector<double>();   // checked: dtype must be float64
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/value.hpp"

namespace pickle {

/// A data type as numpy describes it (torch's dtypes map onto it: bfloat16 and the
/// float8 formats have kind 'f' and their own names).
struct Dtype {
  /// numpy's kind: 'b' bool, 'i' signed int, 'u' unsigned int, 'f' float, 'c' complex,
  /// 'M' datetime64, 'm' timedelta64, 'O' object, 'S' bytes, 'U' str, 'V' void (raw,
  /// structured or subarray).
  char kind = 'V';
  /// '<' little-endian, '>' big-endian, '|' not applicable (one byte, or no order).
  char byteorder = '|';
  /// Bytes per element.
  uint64_t itemsize = 0;
  /// numpy's dtype.name: "float32", "int64", "bool", "bytes40", "datetime64[s]", and
  /// "bfloat16", "float8_e4m3fn", "float8_e5m2", "complex32" for torch's own.
  std::string name;
  /// Datetime unit ("s", "ns", "25us", ...) for kind 'M' and 'm'.
  std::string unit;
  /// A structured dtype's fields, in order (numpy's names and fields).
  struct Field {
    std::string name;
    std::shared_ptr<const Dtype> type;
    uint64_t offset = 0;
  };
  std::vector<Field> fields;
  /// A subarray dtype (numpy's subdtype): the element type and the shape.
  std::shared_ptr<const Dtype> base;
  std::vector<int64_t> subshape;

  /// numpy's dtype.str: "<f8", "|b1", ">M8[s]", "|V56".
  std::string str() const;
  /// True for plain numbers and bools (not object, strings, datetime or structured).
  bool is_numeric() const noexcept {
    return fields.empty() && !base &&
           (kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || kind == 'c');
  }
  /// True when the element bytes are in the other order than this machine's.
  bool swapped() const noexcept;
};

/// The dtype numpy names by a type string ("<f8", "i4", "|b1", "U3", ">M8[ns]",
/// "float32", "bool"), as numpy.dtype(str) reads it. Byte order defaults to this
/// machine's for multi-byte numbers. PickleError (bad_value) for anything else.
Dtype parse_dtype(std::string_view typestr);

/// The dtype a value describes: a `numpy.dtype(...)` Object with its BUILD state, a type
/// string ("<f8"), or an array-interface description ([("x", "<f4"), ("y", "<i2", (2,))],
/// as .npy headers write structured dtypes). PickleError (bad_value) otherwise.
Dtype dtype_from_value(Value v);

/// The dtype of the elements of a torch storage class (`torch.FloatStorage` ->
/// float32, `torch.BFloat16Storage` -> bfloat16), in the byte order given; nullopt for
/// a value that is not one of torch's storage classes.
std::optional<Dtype> torch_storage_dtype(Value storage_type, char byteorder = '<');

/// An array's elements: a view of a numpy array, a PyTorch tensor, or an .npy file.
/// Element (i0, i1, ...) starts at byte `offset + sum(i_k * strides[k])` of `data`.
struct ArrayView {
  enum class Origin : uint8_t { numpy, torch };
  Origin origin = Origin::numpy;
  Dtype dtype;
  std::vector<int64_t> shape;
  /// In bytes (numpy's convention; torch's element strides are multiplied out). May be
  /// negative or zero only for views numpy makes; pickles carry C or Fortran order.
  std::vector<int64_t> strides;
  /// The whole buffer the elements live in (a torch storage, an array's bytes). A view
  /// into the input where the input allows it (a mapped file, out-of-band buffers,
  /// stored zip members), else into the Graph, or into `owned`.
  std::span<const std::byte> data;
  /// Byte offset of the first element in `data`.
  uint64_t offset = 0;
  /// Object arrays (kind 'O'): the elements, a List of values, in C order.
  Value objects;
  /// The value this view was read from (the array's Object; for a tensor, the Object
  /// that rebuilds it).
  Value source;
  /// torch: the storage's persistent id value; None for numpy. torch.save writes a new
  /// id for each tensor, so views of one storage are told by their storage_key (and
  /// their `data`, the same bytes).
  Value storage;
  /// torch: the storage's key (`data/<key>` in a zip checkpoint) and device.
  std::string storage_key, device;
  /// Bytes this view had to make (a Python 2 str array decoded by the Unpickler).
  std::shared_ptr<const std::vector<std::byte>> owned;

  /// Number of elements (the product of the shape).
  uint64_t size() const noexcept;
  /// size() * dtype.itemsize, as numpy's nbytes and torch's numel() * element_size().
  uint64_t nbytes() const noexcept;
  /// True when the elements are laid out in C order with no gaps.
  bool c_contiguous() const noexcept;
  /// The elements in C order, little-endian (what .npy with '<' and safetensors
  /// hold). A copy unless the view is C-contiguous and little-endian already, when
  /// `scratch` stays empty and the span is into `data`. PickleError (bad_value) when
  /// the elements do not lie inside `data` (a tensor read without its storages).
  std::span<const std::byte> c_order_le(std::vector<std::byte>& scratch) const;

  /// The elements in C order as T, which must match the dtype exactly (bool for 'b',
  /// intN_t/uintN_t for 'i'/'u' of that size, float/double for 'f' 4/8,
  /// std::complex<float>/std::complex<double> for 'c' 8/16; byte order is converted).
  /// TypeError when it does not.
  template <class T>
  std::vector<T> to_vector() const {
    check_element<T>();
    std::vector<std::byte> scratch;
    std::span<const std::byte> bytes = c_order_le(scratch);
    std::vector<T> out(size());
    if constexpr (std::is_same_v<T, bool>) {  // std::vector<bool> has no data()
      for (size_t i = 0; i < out.size(); ++i) out[i] = std::to_integer<uint8_t>(bytes[i]) != 0;
    } else if (!out.empty()) {
      std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    }
    return out;
  }

 private:
  template <class T>
  void check_element() const {
    char want;
    if constexpr (std::is_same_v<T, bool>)
      want = 'b';
    else if constexpr (std::is_floating_point_v<T>)
      want = 'f';
    else if constexpr (std::is_same_v<T, std::complex<float>> ||
                       std::is_same_v<T, std::complex<double>>)
      want = 'c';
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
      want = 'i';
    else if constexpr (std::is_integral_v<T>)
      want = 'u';
    else
      static_assert(sizeof(T) == 0,
                    "to_vector<T>: T must be bool, an integer, a float or a complex");
    check_element(want, sizeof(T));
  }
  void check_element(char kind, size_t size) const;
};

/// Where PyTorch tensors find their storages. TensorFile (pickle/tensor_file.hpp) makes
/// one for each checkpoint format.
struct TorchStorages {
  /// Given a storage's key (`data/<key>` in a zip checkpoint), its bytes, or nullopt
  /// when there is no such storage (then as_array throws).
  std::function<std::optional<std::span<const std::byte>>(std::string_view key)> lookup;
  /// A persistent id that is itself a tensor (the tar checkpoints of torch before 0.4
  /// name their tensors so): its view, or nullopt. May be empty.
  std::function<std::optional<ArrayView>(Value persistent_ref)> tensor;
  /// The checkpoint's byte order (a zip checkpoint's `byteorder` record; little when
  /// it has none, as torch.load assumes).
  char byteorder = '<';
};

/// If v is a numpy array (every form numpy 1.x and 2.x pickle: `_reconstruct` with its
/// `__setstate__`, protocol 5 `_frombuffer` over in-band bytes or an out-of-band
/// Buffer) or, with `storages`, a PyTorch tensor (`_rebuild_tensor_v2`,
/// `_rebuild_tensor`, `_rebuild_parameter` over a persistent storage id), its view;
/// nullopt for any other value. A value in one of those forms whose parts are wrong
/// (a shape that does not fit its data, a dtype numpy would refuse, a storage too
/// short) is a PickleError (bad_value) naming what is wrong; quantized and sparse
/// tensors are a PickleError (unsupported) naming their rebuild function.
std::optional<ArrayView> as_array(Value v, const TorchStorages* storages = nullptr);

/// Throws PickleError (bad_value, naming `what`) unless every element of `view` lies
/// inside view.data (as_array checks every view it returns so).
void check_array_extent(const ArrayView& view, std::string_view what);

/// A short form of an array or tensor, without its data:
/// `numpy.ndarray(shape=(2, 3), dtype=int32)`, `torch.Tensor(shape=(3, 4), dtype=float32)`,
/// `torch.nn.Parameter(shape=(4,), dtype=float32)`; a byte order other than this
/// machine's shows in the dtype's str (`dtype='>i4'`).
std::string array_summary(const ArrayView& a);

/// True when v is a numpy scalar (`numpy.core.multiarray.scalar(dtype, bytes)`).
bool is_numpy_scalar(Value v) noexcept;

/// A numpy array that dumps as the bytes numpy itself writes for it at the options'
/// protocol (2-5; 0 and 1 as at 2): `_reconstruct` with `__setstate__` below 5, `_frombuffer` over
/// an in-band bytearray at 5. `data` holds the elements in C order (Fortran order when
/// `options.fortran`), in the dtype's byte order, `size * itemsize` bytes. Numeric, bool,
/// bytes, str, datetime and void dtypes; TypeError for object and structured ones and
/// for data of the wrong length.
struct NumpyWriteOptions {
  int protocol = 4;
  /// `data` is in Fortran order (column-major).
  bool fortran = false;
  /// numpy 2.x module names (`numpy._core.multiarray`), which numpy 1.x before 1.26
  /// cannot load; default numpy 1.x names, which every numpy loads.
  bool numpy2_names = false;
};
Value numpy_array(Graph& g, const Dtype& dtype, std::span<const int64_t> shape,
                  std::span<const std::byte> data, const NumpyWriteOptions& options = {});

/// The value of `numpy.dtype(...)` with its BUILD state, as numpy pickles it.
Value numpy_dtype(Graph& g, const Dtype& dtype);

}  // namespace pickle

#pragma GCC visibility pop
