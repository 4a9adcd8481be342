// What the array readers share: dtypes read from their pickled form, the checks of a
// shape against its data, and the names of the functions numpy and torch pickle.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/array.hpp"

namespace pickle::detail {

/// Sets the name and normalises the byte order of a dtype whose kind, size and unit
/// are set (a name already set is kept).
void finish_dtype(Dtype& d);

/// [[noreturn]] PickleError(bad_value) with "<what>: <detail>".
[[noreturn]] void bad_value(std::string_view what, const std::string& detail);

/// The dtype of a `numpy.dtype(typestr, align, copy)` Object with its BUILD state, or
/// of a dtype given by its type string. `depth` bounds nested structured dtypes.
Dtype dtype_from_value(Value v, unsigned depth);

/// True when g names `module.name` for one of numpy's module paths for that
/// function: "numpy.core.<sub>" (numpy 1.x) or "numpy._core.<sub>" (numpy 2.x).
bool is_numpy_function(const GlobalNode* g, std::string_view sub, std::string_view name) noexcept;

/// Ints of a tuple or list (a shape or strides), each in [min, 2^62]; bad_value naming
/// `what` otherwise.
std::vector<int64_t> int_list(Value v, std::string_view what, int64_t min);

/// Element strides in bytes for C (or Fortran) order.
std::vector<int64_t> contiguous_strides(std::span<const int64_t> shape, uint64_t itemsize,
                                        bool fortran);

/// Checks that the elements of `view` (shape, strides, offset, itemsize) lie inside
/// view.data; bad_value naming `what` otherwise. Also that size() * itemsize does
/// not overflow.
void check_extent(const ArrayView& view, std::string_view what);

/// The dtype of a torch storage class, or nullopt (torch.cpp).
std::optional<Dtype> storage_dtype(Value type, char byteorder);

/// A tensor if v is one of torch's rebuild forms (torch.cpp).
std::optional<ArrayView> torch_tensor(Value v, const TorchStorages* storages);

}  // namespace pickle::detail
