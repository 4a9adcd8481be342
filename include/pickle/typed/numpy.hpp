// numpy arrays in the typed binding: NumpyArray<T>, a shape and its elements in C order,
// read from any numpy array of T's dtype and written as numpy itself writes the array
// (docs/arrays.md).
//
//   struct Series { std::string name; pickle::NumpyArray<double> values; };
//   PICKLE_DICT(Series, name, values);
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <complex>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "pickle/array.hpp"
#include "pickle/typed/reader.hpp"
#include "pickle/typed/writer.hpp"

namespace pickle {

/// A numpy array of T (bool, intN_t, uintN_t, float, double, std::complex<float>,
/// std::complex<double>): its shape and its elements in C order.
template <class T>
struct NumpyArray {
  std::vector<int64_t> shape;
  std::vector<T> data;
  friend bool operator==(const NumpyArray&, const NumpyArray&) = default;
};

namespace detail {
/// The dtype of T, in this machine's byte order.
template <class T>
Dtype numpy_dtype_of() {
  std::string code;
  if constexpr (std::is_same_v<T, bool>)
    code = "b1";
  else if constexpr (std::is_same_v<T, std::complex<float>> ||
                     std::is_same_v<T, std::complex<double>>)
    code = "c" + std::to_string(sizeof(T));
  else if constexpr (std::is_floating_point_v<T>)
    code = "f" + std::to_string(sizeof(T));
  else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    code = "i" + std::to_string(sizeof(T));
  else if constexpr (std::is_integral_v<T>)
    code = "u" + std::to_string(sizeof(T));
  else
    static_assert(sizeof(T) == 0,
                  "NumpyArray<T>: T must be bool, an integer, a float or a complex");
  return parse_dtype(code);
}
}  // namespace detail

template <class T>
struct codec<NumpyArray<T>> {
  /// numpy's own bytes for the array at the writer's protocol.
  static void dump(Writer& w, const NumpyArray<T>& a) {
    Graph g;
    std::vector<uint8_t> bytes(a.data.size() * sizeof(T));
    if constexpr (std::is_same_v<T, bool>) {
      for (size_t i = 0; i < a.data.size(); ++i) bytes[i] = a.data[i] ? 1 : 0;
    } else if (!bytes.empty()) {
      std::memcpy(bytes.data(), a.data.data(), bytes.size());
    }
    w.value(numpy_array(g, detail::numpy_dtype_of<T>(), a.shape, std::as_bytes(std::span(bytes)),
                        {.protocol = w.protocol()}));
  }
  /// Any numpy array of T's dtype (either byte order, any layout); TypedError for
  /// other values and other dtypes.
  static void load(const Reader& r, NumpyArray<T>& a) {
    std::optional<ArrayView> view;
    try {
      view = as_array(r.value());
    } catch (const PickleError& e) {
      r.fail(ErrorCode::type_error, e.what());
    }
    if (!view || view->origin != ArrayView::Origin::numpy) r.fail("a numpy array");
    Dtype want = detail::numpy_dtype_of<T>();
    if (view->dtype.kind != want.kind || view->dtype.itemsize != want.itemsize ||
        !view->dtype.fields.empty() || view->dtype.name != want.name)
      r.fail(ErrorCode::type_error,
             "expected a numpy array of " + want.name + ", found one of " + view->dtype.name);
    a.shape = view->shape;
    a.data = view->template to_vector<T>();
  }
};

}  // namespace pickle

#pragma GCC visibility pop
