// numpy's .npy format: the magic, version and header of an array file (versions 1-3).
// The header is a Python dict literal ({'descr': ..., 'fortran_order': ..., 'shape':
// ...}); TensorFile (pickle/tensor_file.hpp) reads the array it describes.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <span>
#include <string_view>

#include "pickle/container.hpp"

namespace pickle {

struct NpyHeader {
  uint8_t major = 0, minor = 0;
  /// The header text (a Python dict literal; latin-1 in versions 1 and 2, UTF-8 in 3),
  /// a view into the bytes given.
  std::string_view text;
  /// The first byte of the data: the array's elements, or a pickle of the array when
  /// its dtype is object ('|O').
  uint64_t data_offset = 0;
};

/// The header of the .npy file `bytes` begins with. ContainerError (container npy,
/// bad_container) when the magic, version or header length is wrong or the header
/// passes the end of the bytes.
NpyHeader read_npy_header(std::span<const uint8_t> bytes);

}  // namespace pickle

#pragma GCC visibility pop
