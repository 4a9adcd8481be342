// numpy arrays and PyTorch tensors as typed views (pickle/array.hpp), .npy headers
// (pickle/npy.hpp) and TensorFile (pickle/tensor_file.hpp).
//
// Every pickle and checkpoint below was written by numpy 1.24 and torch 1.13 (Debian's
// python3, at the time these tests were written) and is embedded as the bytes
// pickle.dumps or torch.save wrote, with the Python that made it in the comment above;
// the tests themselves never run Python. The expected dtype names and strings, shapes,
// strides and values are what numpy reports for the same arrays. .npy files and .npz
// archives are laid out byte by byte here (one is checked against numpy's np.save).
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <complex>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pickle/pickle.hpp"
#include "pickle_literal.hpp"
#include "text/literal_parse.hpp"
#include "zlib_bytes.hpp"

namespace {

using pickle_test::deflate_raw;

using pickle::ArrayView;
using pickle::ContainerError;
using pickle::Document;
using pickle::Dtype;
using pickle::ErrorCode;
using pickle::FileFormat;
using pickle::Graph;
using pickle::NamedArray;
using pickle::NamedOther;
using pickle::PickleError;
using pickle::TensorFile;
using pickle::TorchStorages;
using pickle::TypeError;
using pickle::Value;
using pickle_test::operator""_pk;

constexpr bool kLittle = std::endian::native == std::endian::little;

std::span<const uint8_t> u8(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// The PickleError `f` throws (a failure when it throws none).
template <class F>
PickleError error_of(F f) {
  try {
    f();
  } catch (const PickleError& e) {
    return e;
  }
  ADD_FAILURE() << "no PickleError thrown";
  return PickleError("none thrown");
}

// The ContainerError `f` throws, checked to name .npy (or zip) and bad_container.
template <class F>
ContainerError container_error_of(F f, pickle::Container kind = pickle::Container::npy) {
  try {
    f();
  } catch (const ContainerError& e) {
    EXPECT_EQ(e.code(), ErrorCode::bad_container) << e.what();
    EXPECT_EQ(e.container(), kind) << e.what();
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a ContainerError: " << e.what();
    return ContainerError(ErrorCode::bad_container, kind, 0, "other");
  }
  ADD_FAILURE() << "no ContainerError thrown";
  return ContainerError(ErrorCode::bad_container, kind, 0, "none thrown");
}

// Little- and big-endian bytes of a value.
template <class T>
std::string le(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  if constexpr (!kLittle) std::reverse(s.begin(), s.end());
  return s;
}
template <class T>
std::string be(T v) {
  std::string s = le(v);
  std::reverse(s.begin(), s.end());
  return s;
}
template <class T>
std::string le_all(std::initializer_list<T> vs) {
  std::string s;
  for (T v : vs) s += le(v);
  return s;
}

// The view as_array makes of the root of `doc`, which must be an array.
ArrayView view_of(const Document& doc, const TorchStorages* storages = nullptr) {
  std::optional<ArrayView> a = pickle::as_array(doc.root(), storages);
  if (!a) throw std::runtime_error("as_array: not an array");
  return *a;
}

std::string hex(std::span<const std::byte> b) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (std::byte c : b) {
    s += digits[std::to_integer<int>(c) >> 4];
    s += digits[std::to_integer<int>(c) & 15];
  }
  return s;
}

// The elements of `a` in C order, little-endian, as hex.
std::string le_hex(const ArrayView& a) {
  std::vector<std::byte> scratch;
  return hex(a.c_order_le(scratch));
}

using Shape = std::vector<int64_t>;

// ---------------------------------------------------------------------------
// numpy.ndarray pickles, read by as_array

// pickle.dumps(np.arange(6, dtype='>i4').reshape(2, 3), protocol=2) (232 bytes)
const std::string kBeInt32P2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x02K\x03\x86q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00)"
    R"(\x00i4q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00>q\x0fNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00tq\x10b\x89h\x03X\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00)"
    R"(\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// the same array, protocol=5 (152 bytes)
const std::string kBeInt32P5 =
    R"(\x80\x05\x95\x8d\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x96\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00)"
    R"(\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x94\x8c\x05numpy\x94\x8c\x05d)"
    R"(type\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\xff)"
    R"(J\xff\xff\xff\xffK\x00t\x94bK\x02K\x03\x86\x94\x8c\x01C\x94t\x94R\x94.)"_pk;
// np.asfortranarray([[1., 2., 3.], [4., 5., 6.]]), protocol=2 (257 bytes)
const std::string kFortranF8P2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x02K\x03\x86q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00)"
    R"(\x00f8q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00tq\x10b\x88h\x03X1\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc3\xb0?\x00\x00)"
    R"(\x00\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x14@\x00\x00)"
    R"(\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x18@q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// the same array, protocol=5 (176 bytes)
const std::string kFortranF8P5 =
    R"(\x80\x05\x95\xa5\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x960\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00)"
    R"(\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x14@\x00\x00\x00)"
    R"(\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x18@\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93)"
    R"(\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff)"
    R"(\xff\xffK\x00t\x94bK\x02K\x03\x86\x94\x8c\x01F\x94t\x94R\x94.)"_pk;
// np.array(3.5), protocol=4 (152 bytes)
const std::string kZeroDimP4 =
    R"(\x80\x04\x95\x8d\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01)h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03)"
    R"(\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x08\x00\x00\x00\x00\x00)"
    R"(\x00\x0c@\x94t\x94b.)"_pk;
// np.zeros((0, 3), '<f4'), protocol=4 (149 bytes)
const std::string kEmptyP4 =
    R"(\x80\x04\x95\x8a\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x00K\x03\x86\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02f4\x94\x89\x88\x87)"
    R"(\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x00\x94t)"
    R"(\x94b.)"_pk;
// np.array([True, False, True]), protocol=4 (150 bytes)
const std::string kBoolP4 =
    R"(\x80\x04\x95\x8b\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x03\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02b1\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x03\x01\x00)"
    R"(\x01\x94t\x94b.)"_pk;
// np.array([1+2j, -3.5j]), protocol=4 (180 bytes)
const std::string kComplexP4 =
    R"(\x80\x04\x95\xa9\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x03c16\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C \x00\x00\x00)"
    R"(\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00)"
    R"(\x00\x00\x00\x0c\xc0\x94t\x94b.)"_pk;
// a = np.zeros(2, [('x', '<f4'), ('y', '<i2', (2,))]); a['x'] = [1.5, -2]; a['y'] = [[1, 2], [3,
// 4]]; protocol=4 (290 bytes)
const std::string kStructP4 =
    R"(\x80\x04\x95\x17\x01\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02V8\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01|\x94N\x8c\x01x\x94\x8c\x01y\x94\x86\x94}\x94(h\x11h\x0c\x8c\x02f4\x94)"
    R"(\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK)"
    R"(\x00\x86\x94h\x12h\x0c\x8c\x02V4\x94\x89\x88\x87\x94R\x94(K\x03h\x10h\x0c\x8c\x02i2\x94)"
    R"(\x89\x88\x87\x94R\x94(K\x03h\x18NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02\x85)"
    R"(\x94\x86\x94NNK\x04K\x02K\x00t\x94bK\x04\x86\x94uK\x08K\x01K\x10t\x94b\x89C\x10\x00\x00)"
    R"(\xc0?\x01\x00\x02\x00\x00\x00\x00\xc0\x03\x00\x04\x00\x94t\x94b.)"_pk;
// np.array([1, 'a', None], dtype=object), protocol=2 (205 bytes)
const std::string kObjectP2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x03\x85q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00\x00O8q)"
    R"(\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00|q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff)"
    R"(\xffK?tq\x10b\x89]q\x11(K\x01X\x01\x00\x00\x00aq\x12Netq\x13b.)"_pk;
// np.array(['2020-01-01T00:00:00', '1970-01-01T00:00:01'], 'M8[s]'), protocol=4 (180 bytes)
const std::string kDatetimeP4 =
    R"(\x80\x04\x95\xa9\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02M8\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x04\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00}\x94(C\x01s\x94K\x01K)"
    R"(\x01K\x01t\x94\x86\x94t\x94b\x89C\x10\x00\xe1\x0b^\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x94t\x94b.)"_pk;
// pickle.dumps(np.array([1., 2., 3.]), protocol=5, buffer_callback=bufs.append): NEXT_BUFFER (117
// bytes)
const std::string kOutOfBandP5 =
    R"(\x80\x05\x95j\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuffer)"
    R"(\x94\x93\x94(\x97\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x03\x85\x94\x8c)"
    R"(\x01C\x94t\x94R\x94.)"_pk;
// np.float64(1.5), protocol=2 (156 bytes)
const std::string kScalarP2 =
    R"(\x80\x02cnumpy.core.multiarray\x0ascalar\x0aq\x00cnumpy\x0adtype\x0aq\x01X\x02\x00\x00\x00)"
    R"(f8q\x02\x89\x88\x87q\x03Rq\x04(K\x03X\x01\x00\x00\x00<q\x05NNNJ\xff\xff\xff\xffJ\xff\xff)"
    R"(\xff\xffK\x00tq\x06bc_codecs\x0aencode\x0aq\x07X\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\xc3\xb8?q\x08X\x06\x00\x00\x00latin1q\x09\x86q\x0aRq\x0b\x86q\x0cRq\x0d.)"_pk;

// np.array(['NaT', 'NaT'], 'M8'): a datetime64 of the generic unit (.name 'datetime64', .str
// '<M8'), protocol=4 (186 bytes)
const std::string kGenericDatetimeP4 =
    R"(\x80\x04\x95\xaf\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02M8\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x04\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00}\x94(C\x07generic\x94K)"
    R"(\x01K\x01K\x01t\x94\x86\x94t\x94b\x89C\x10\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x80\x94t\x94b.)"_pk;
// pickle.dumps(np.dtype('>i4'), protocol=2) (65 bytes)
const std::string kDtypeBeI4P2 =
    R"(\x80\x02cnumpy\x0adtype\x0aq\x00X\x02\x00\x00\x00i4q\x01\x89\x88\x87q\x02Rq\x03(K\x03X\x01)"
    R"(\x00\x00\x00>q\x04NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x05b.)"_pk;

// ---------------------------------------------------------------------------
// Arrays numpy refuses to load (made with a __reduce__ returning these parts)

// _reconstruct state (1, (2, 4), dtype('<i4'), False, bytes(24)): numpy: ValueError buffer size
// does not match array size (173 bytes)
const std::string kShortData =
    R"(\x80\x04\x95\xa2\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02K\x04\x86\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87)"
    R"(\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x18\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x94t\x94b.)"_pk;
// _reconstruct state (1, (-1, 3), dtype('<i4'), False, bytes(24)): numpy: TypeError impossible
// dimension while unpickling array (176 bytes)
const std::string kNegativeShape =
    R"(\x80\x04\x95\xa5\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01J\xff\xff\xff\xffK\x03\x86\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02i4\x94)"
    R"(\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b)"
    R"(\x89C\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x94t\x94b.)"_pk;
// _frombuffer(bytearray(24), dtype('<i4'), (2, 3), 'X'): numpy: ValueError order must be one of
// 'C', 'F', 'A', or 'K' (152 bytes)
const std::string kBadOrder =
    R"(\x80\x05\x95\x8d\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x96\x18\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x94\x8c\x05numpy\x94\x8c\x05d)"
    R"(type\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xff)"
    R"(J\xff\xff\xff\xffK\x00t\x94bK\x02K\x03\x86\x94\x8c\x01X\x94t\x94R\x94.)"_pk;

// ---------------------------------------------------------------------------
// What numpy writes for the arrays numpy_array writes (pickle.dumps(a, protocol=p))

// np.arange(6.).reshape(2, 3), protocol=2 (257 bytes)
const std::string kNpF8P2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x02K\x03\x86q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00)"
    R"(\x00f8q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00tq\x10b\x89h\x03X1\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\xc3\xb0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x08@\x00)"
    R"(\x00\x00\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x14@q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// np.arange(6.).reshape(2, 3), protocol=3 (203 bytes)
const std::string kNpF8P3 =
    R"(\x80\x03cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02K\x03\x86q\x06cnumpy\x0adtype\x0aq\x07X\x02\x00)"
    R"(\x00\x00f8q\x08\x89\x88\x87q\x09Rq\x0a(K\x03X\x01\x00\x00\x00<q\x0bNNNJ\xff\xff\xff\xffJ)"
    R"(\xff\xff\xff\xffK\x00tq\x0cb\x89C0\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\xf0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00)"
    R"(\x10@\x00\x00\x00\x00\x00\x00\x14@q\x0dtq\x0eb.)"_pk;
// np.arange(6.).reshape(2, 3), protocol=4 (197 bytes)
const std::string kNpF8P4 =
    R"(\x80\x04\x95\xba\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02K\x03\x86\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02f8\x94\x89\x88\x87)"
    R"(\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C0\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00)"
    R"(\x00\x00\x00\x00\x08@\x00\x00\x00\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x14@\x94t\x94b.)"_pk;
// np.arange(6.).reshape(2, 3), protocol=5 (176 bytes)
const std::string kNpF8P5 =
    R"(\x80\x05\x95\xa5\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x960\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00\x00\x00\x00\x08@\x00\x00)"
    R"(\x00\x00\x00\x00\x10@\x00\x00\x00\x00\x00\x00\x14@\x94\x8c\x05numpy\x94\x8c\x05dtype\x94)"
    R"(\x93\x94\x8c\x02f8\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00t\x94bK\x02K\x03\x86\x94\x8c\x01C\x94t\x94R\x94.)"_pk;
// np.array([1, -2, 300], '>i4'), protocol=2 (222 bytes)
const std::string kNpBeI4P2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x03\x85q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00\x00i4q)"
    R"(\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00>q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff)"
    R"(\xffK\x00tq\x10b\x89h\x03X\x10\x00\x00\x00\x00\x00\x00\x01\xc3\xbf\xc3\xbf\xc3\xbf\xc3\xbe)"
    R"(\x00\x00\x01,q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// np.array([1, -2, 300], '>i4'), protocol=3 (165 bytes)
const std::string kNpBeI4P3 =
    R"(\x80\x03cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x03\x85q\x06cnumpy\x0adtype\x0aq\x07X\x02\x00\x00)"
    R"(\x00i4q\x08\x89\x88\x87q\x09Rq\x0a(K\x03X\x01\x00\x00\x00>q\x0bNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00tq\x0cb\x89C\x0c\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00\x01,q\x0dtq\x0eb)"
    R"(.)"_pk;
// np.array([1, -2, 300], '>i4'), protocol=4 (159 bytes)
const std::string kNpBeI4P4 =
    R"(\x80\x04\x95\x94\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x03\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x0c\x00\x00)"
    R"(\x00\x01\xff\xff\xff\xfe\x00\x00\x01,\x94t\x94b.)"_pk;
// np.array([1, -2, 300], '>i4'), protocol=5 (138 bytes)
const std::string kNpBeI4P5 =
    R"(\x80\x05\x95\x7f\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x96\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff\xff\xfe\x00)"
    R"(\x00\x01,\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02i4\x94\x89\x88\x87\x94R\x94)"
    R"((K\x03\x8c\x01>\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x03\x85\x94\x8c\x01C)"
    R"(\x94t\x94R\x94.)"_pk;
// np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], '<i2')), protocol=2 (220 bytes)
const std::string kNpFortranI2P2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x02K\x03\x86q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00)"
    R"(\x00i2q\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00tq\x10b\x88h\x03X\x0c\x00\x00\x00\x01\x00\x04\x00\x02\x00\x05\x00\x03\x00)"
    R"(\x06\x00q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], '<i2')), protocol=3 (167 bytes)
const std::string kNpFortranI2P3 =
    R"(\x80\x03cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02K\x03\x86q\x06cnumpy\x0adtype\x0aq\x07X\x02\x00)"
    R"(\x00\x00i2q\x08\x89\x88\x87q\x09Rq\x0a(K\x03X\x01\x00\x00\x00<q\x0bNNNJ\xff\xff\xff\xffJ)"
    R"(\xff\xff\xff\xffK\x00tq\x0cb\x88C\x0c\x01\x00\x04\x00\x02\x00\x05\x00\x03\x00\x06\x00q\x0d)"
    R"(tq\x0eb.)"_pk;
// np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], '<i2')), protocol=4 (161 bytes)
const std::string kNpFortranI2P4 =
    R"(\x80\x04\x95\x96\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02K\x03\x86\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02i2\x94\x89\x88\x87)"
    R"(\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x88C\x0c\x01)"
    R"(\x00\x04\x00\x02\x00\x05\x00\x03\x00\x06\x00\x94t\x94b.)"_pk;
// np.asfortranarray(np.array([[1, 2, 3], [4, 5, 6]], '<i2')), protocol=5 (140 bytes)
const std::string kNpFortranI2P5 =
    R"(\x80\x05\x95\x81\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x96\x0c\x00\x00\x00\x00\x00\x00\x00\x01\x00\x04\x00\x02\x00\x05\x00\x03)"
    R"(\x00\x06\x00\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02i2\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94bK\x02K\x03\x86\x94)"
    R"(\x8c\x01F\x94t\x94R\x94.)"_pk;
// np.array([True, False, True]), protocol=2 (209 bytes)
const std::string kNpBoolP2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x03\x85q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00\x00b1q)"
    R"(\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00|q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff)"
    R"(\xffK\x00tq\x10b\x89h\x03X\x03\x00\x00\x00\x01\x00\x01q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// np.array([True, False, True]), protocol=3 (156 bytes)
const std::string kNpBoolP3 =
    R"(\x80\x03cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x03\x85q\x06cnumpy\x0adtype\x0aq\x07X\x02\x00\x00)"
    R"(\x00b1q\x08\x89\x88\x87q\x09Rq\x0a(K\x03X\x01\x00\x00\x00|q\x0bNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00tq\x0cb\x89C\x03\x01\x00\x01q\x0dtq\x0eb.)"_pk;
// np.array([True, False, True]), protocol=4 (150 bytes)
const std::string kNpBoolP4 =
    R"(\x80\x04\x95\x8b\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x03\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02b1\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b\x89C\x03\x01\x00)"
    R"(\x01\x94t\x94b.)"_pk;
// np.array([True, False, True]), protocol=5 (129 bytes)
const std::string kNpBoolP5 =
    R"(\x80\x05\x95v\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuffer)"
    R"(\x94\x93\x94(\x96\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01\x94\x8c\x05numpy\x94\x8c\x05)"
    R"(dtype\x94\x93\x94\x8c\x02b1\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01|\x94NNNJ\xff\xff\xff)"
    R"(\xffJ\xff\xff\xff\xffK\x00t\x94bK\x03\x85\x94\x8c\x01C\x94t\x94R\x94.)"_pk;
// np.array(['ab', 'xyz'], 'U3'), protocol=2 (224 bytes)
const std::string kNpU3P2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x02\x85q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00\x00U3q)"
    R"(\x0c\x89\x88\x87q\x0dRq\x0e(K\x03X\x01\x00\x00\x00<q\x0fNNNK\x0cK\x04K\x08tq\x10b\x89h\x03)"
    R"(X\x18\x00\x00\x00a\x00\x00\x00b\x00\x00\x00\x00\x00\x00\x00x\x00\x00\x00y\x00\x00\x00z\x00)"
    R"(\x00\x00q\x11h\x05\x86q\x12Rq\x13tq\x14b.)"_pk;
// np.array(['ab', 'xyz'], 'U3'), protocol=3 (171 bytes)
const std::string kNpU3P3 =
    R"(\x80\x03cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02\x85q\x06cnumpy\x0adtype\x0aq\x07X\x02\x00\x00)"
    R"(\x00U3q\x08\x89\x88\x87q\x09Rq\x0a(K\x03X\x01\x00\x00\x00<q\x0bNNNK\x0cK\x04K\x08tq\x0cb)"
    R"(\x89C\x18a\x00\x00\x00b\x00\x00\x00\x00\x00\x00\x00x\x00\x00\x00y\x00\x00\x00z\x00\x00\x00)"
    R"(q\x0dtq\x0eb.)"_pk;
// np.array(['ab', 'xyz'], 'U3'), protocol=4 (165 bytes)
const std::string kNpU3P4 =
    R"(\x80\x04\x95\x9a\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02U3\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x03\x8c\x01<\x94NNNK\x0cK\x04K\x08t\x94b\x89C\x18a\x00\x00\x00b\x00\x00\x00\x00\x00)"
    R"(\x00\x00x\x00\x00\x00y\x00\x00\x00z\x00\x00\x00\x94t\x94b.)"_pk;
// np.array(['ab', 'xyz'], 'U3'), protocol=5 (144 bytes)
const std::string kNpU3P5 =
    R"(\x80\x05\x95\x85\x00\x00\x00\x00\x00\x00\x00\x8c\x12numpy.core.numeric\x94\x8c\x0b_frombuf)"
    R"(fer\x94\x93\x94(\x96\x18\x00\x00\x00\x00\x00\x00\x00a\x00\x00\x00b\x00\x00\x00\x00\x00\x00)"
    R"(\x00x\x00\x00\x00y\x00\x00\x00z\x00\x00\x00\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94)"
    R"(\x8c\x02U3\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNK\x0cK\x04K\x08t\x94bK\x02\x85)"
    R"(\x94\x8c\x01C\x94t\x94R\x94.)"_pk;
// np.array([0, 86400], 'M8[s]'), protocol=2 (257 bytes)
const std::string kNpM8sP2 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02c_codecs\x0aencode\x0aq\x03X\x01\x00\x00\x00bq\x04X\x06\x00\x00\x00latin1q\x05\x86q)"
    R"(\x06Rq\x07\x87q\x08Rq\x09(K\x01K\x02\x85q\x0acnumpy\x0adtype\x0aq\x0bX\x02\x00\x00\x00M8q)"
    R"(\x0c\x89\x88\x87q\x0dRq\x0e(K\x04X\x01\x00\x00\x00<q\x0fNNNJ\xff\xff\xff\xffJ\xff\xff\xff)"
    R"(\xffK\x00}q\x10(h\x03X\x01\x00\x00\x00sq\x11h\x05\x86q\x12Rq\x13K\x01K\x01K\x01tq\x14\x86q)"
    R"(\x15tq\x16b\x89h\x03X\x11\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc2\x80Q\x01\x00\x00)"
    R"(\x00\x00\x00q\x17h\x05\x86q\x18Rq\x19tq\x1ab.)"_pk;
// np.array([0, 86400], 'M8[s]'), protocol=3 (190 bytes)
const std::string kNpM8sP3 =
    R"(\x80\x03cnumpy.core.multiarray\x0a_reconstruct\x0aq\x00cnumpy\x0andarray\x0aq\x01K\x00\x85)"
    R"(q\x02C\x01bq\x03\x87q\x04Rq\x05(K\x01K\x02\x85q\x06cnumpy\x0adtype\x0aq\x07X\x02\x00\x00)"
    R"(\x00M8q\x08\x89\x88\x87q\x09Rq\x0a(K\x04X\x01\x00\x00\x00<q\x0bNNNJ\xff\xff\xff\xffJ\xff)"
    R"(\xff\xff\xffK\x00}q\x0c(C\x01sq\x0dK\x01K\x01K\x01tq\x0e\x86q\x0ftq\x10b\x89C\x10\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x80Q\x01\x00\x00\x00\x00\x00q\x11tq\x12b.)"_pk;
// np.array([0, 86400], 'M8[s]'), protocol=4 (180 bytes)
const std::string kNpM8sP4 =
    R"(\x80\x04\x95\xa9\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02M8\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x04\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00}\x94(C\x01s\x94K\x01K)"
    R"(\x01K\x01t\x94\x86\x94t\x94b\x89C\x10\x00\x00\x00\x00\x00\x00\x00\x00\x80Q\x01\x00\x00\x00)"
    R"(\x00\x00\x94t\x94b.)"_pk;
// np.array([0, 86400], 'M8[s]'), protocol=5 (180 bytes)
const std::string kNpM8sP5 =
    R"(\x80\x05\x95\xa9\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x0c_reco)"
    R"(nstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94\x93\x94K\x00\x85\x94C\x01b\x94\x87)"
    R"(\x94R\x94(K\x01K\x02\x85\x94h\x03\x8c\x05dtype\x94\x93\x94\x8c\x02M8\x94\x89\x88\x87\x94R)"
    R"(\x94(K\x04\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00}\x94(C\x01s\x94K\x01K)"
    R"(\x01K\x01t\x94\x86\x94t\x94b\x89C\x10\x00\x00\x00\x00\x00\x00\x00\x00\x80Q\x01\x00\x00\x00)"
    R"(\x00\x00\x94t\x94b.)"_pk;

// ---------------------------------------------------------------------------
// PyTorch checkpoints written by torch 1.13

// w = torch.arange(6.).reshape(2, 3); torch.save({'w': w, 'v': w[1], 't': w.t(), 'b': torch.ones(2,
// dtype=torch.bfloat16)}, f) (1127 bytes)
const std::string kTorchZip =
    R"(PK\x03\x04\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x10\x00\x12\x00archive/data.pklFB\x0e\x00ZZZZZZZZZZZZZZ\x80\x02}q\x00(X\x01\x00)"
    R"(\x00\x00wq\x01ctorch._utils\x0a_rebuild_tensor_v2\x0aq\x02((X\x07\x00\x00\x00storageq\x03c)"
    R"(torch\x0aFloatStorage\x0aq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x06tq\x07Q)"
    R"(K\x00K\x02K\x03\x86q\x08K\x03K\x01\x86q\x09\x89ccollections\x0aOrderedDict\x0aq\x0a)Rq\x0b)"
    R"(tq\x0cRq\x0dX\x01\x00\x00\x00vq\x0eh\x02((h\x03h\x04h\x05h\x06K\x06tq\x0fQK\x03K\x03\x85q)"
    R"(\x10K\x01\x85q\x11\x89h\x0a)Rq\x12tq\x13Rq\x14X\x01\x00\x00\x00tq\x15h\x02((h\x03h\x04h)"
    R"(\x05h\x06K\x06tq\x16QK\x00K\x03K\x02\x86q\x17K\x01K\x03\x86q\x18\x89h\x0a)Rq\x19tq\x1aRq)"
    R"(\x1bX\x01\x00\x00\x00bq\x1ch\x02((h\x03ctorch\x0aBFloat16Storage\x0aq\x1dX\x01\x00\x00\x00)"
    R"(1q\x1eh\x06K\x02tq\x1fQK\x00K\x02\x85q K\x01\x85q!\x89h\x0a)Rq\x22tq#Rq$u.PK\x07\x08\x85)"
    R"(\x9b\xb2\xe0a\x01\x00\x00a\x01\x00\x00PK\x03\x04\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0e\x00#\x00archive/data/0FB\x1f\x00ZZZZZ)"
    R"(ZZZZZZZZZZZZZZZZZZZZZZZZZZ\x00\x00\x00\x00\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80)"
    R"(@\x00\x00\xa0@PK\x07\x08\x17\x90\xe7\x91\x18\x00\x00\x00\x18\x00\x00\x00PK\x03\x04\x00\x00)"
    R"(\x08\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0e\x00,)"
    R"(\x00archive/data/1FB(\x00ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\x80?\x80?PK\x07\x08\xfc~)"
    R"(\xcfn\x04\x00\x00\x00\x04\x00\x00\x00PK\x03\x04\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0f\x00?\x00archive/versionFB;\x00ZZZZZZZ)"
    R"(ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ3\x0aPK\x07\x08\xd1\x9egU\x02\x00\x00)"
    R"(\x00\x02\x00\x00\x00PK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00\x85\x9b\xb2)"
    R"(\xe0a\x01\x00\x00a\x01\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00archive/data.pklPK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00\x17)"
    R"(\x90\xe7\x91\x18\x00\x00\x00\x18\x00\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\xb1\x01\x00\x00archive/data/0PK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00\x00)"
    R"(\x00\x00\x00\xfc~\xcfn\x04\x00\x00\x00\x04\x00\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00(\x02\x00\x00archive/data/1PK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00)"
    R"(\x00\x00\x00\x00\xd1\x9egU\x02\x00\x00\x00\x02\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x94\x02\x00\x00archive/versionPK\x06\x06,\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x1e\x03-\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x04\x00)"
    R"(\x00\x00\x00\x00\x00\x00\xf3\x00\x00\x00\x00\x00\x00\x00\x12\x03\x00\x00\x00\x00\x00\x00PK)"
    R"(\x06\x07\x00\x00\x00\x00\x05\x04\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00PK\x05\x06\x00\x00)"
    R"(\x00\x00\x04\x00\x04\x00\xf3\x00\x00\x00\x12\x03\x00\x00\x00\x00)"_pk;
// archive/data.pkl of kTorchZip (353 bytes)
const std::string kTorchDataPkl =
    R"(\x80\x02}q\x00(X\x01\x00\x00\x00wq\x01ctorch._utils\x0a_rebuild_tensor_v2\x0aq\x02((X\x07)"
    R"(\x00\x00\x00storageq\x03ctorch\x0aFloatStorage\x0aq\x04X\x01\x00\x00\x000q\x05X\x03\x00)"
    R"(\x00\x00cpuq\x06K\x06tq\x07QK\x00K\x02K\x03\x86q\x08K\x03K\x01\x86q\x09\x89ccollections)"
    R"(\x0aOrderedDict\x0aq\x0a)Rq\x0btq\x0cRq\x0dX\x01\x00\x00\x00vq\x0eh\x02((h\x03h\x04h\x05h)"
    R"(\x06K\x06tq\x0fQK\x03K\x03\x85q\x10K\x01\x85q\x11\x89h\x0a)Rq\x12tq\x13Rq\x14X\x01\x00\x00)"
    R"(\x00tq\x15h\x02((h\x03h\x04h\x05h\x06K\x06tq\x16QK\x00K\x03K\x02\x86q\x17K\x01K\x03\x86q)"
    R"(\x18\x89h\x0a)Rq\x19tq\x1aRq\x1bX\x01\x00\x00\x00bq\x1ch\x02((h\x03ctorch\x0aBFloat16Stora)"
    R"(ge\x0aq\x1dX\x01\x00\x00\x001q\x1eh\x06K\x02tq\x1fQK\x00K\x02\x85q K\x01\x85q!\x89h\x0a)Rq)"
    R"(\x22tq#Rq$u.)"_pk;
// the same dict, torch.save(..., _use_new_zipfile_serialization=False) (628 bytes)
const std::string kTorchLegacy =
    R"(\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.\x80\x02}q\x00(X\x10\x00\x00)"
    R"(\x00protocol_versionq\x01M\xe9\x03X\x0d\x00\x00\x00little_endianq\x02\x88X\x0a\x00\x00\x00)"
    R"(type_sizesq\x03}q\x04(X\x05\x00\x00\x00shortq\x05K\x02X\x03\x00\x00\x00intq\x06K\x04X\x04)"
    R"(\x00\x00\x00longq\x07K\x04uu.\x80\x02}q\x00(X\x01\x00\x00\x00wq\x01ctorch._utils\x0a_rebui)"
    R"(ld_tensor_v2\x0aq\x02((X\x07\x00\x00\x00storageq\x03ctorch\x0aFloatStorage\x0aq\x04X\x0a)"
    R"(\x00\x00\x001077536304q\x05X\x03\x00\x00\x00cpuq\x06K\x06Ntq\x07QK\x00K\x02K\x03\x86q\x08K)"
    R"(\x03K\x01\x86q\x09\x89ccollections\x0aOrderedDict\x0aq\x0a)Rq\x0btq\x0cRq\x0dX\x01\x00\x00)"
    R"(\x00vq\x0eh\x02((h\x03h\x04X\x0a\x00\x00\x001077536304q\x0fh\x06K\x06Ntq\x10QK\x03K\x03)"
    R"(\x85q\x11K\x01\x85q\x12\x89h\x0a)Rq\x13tq\x14Rq\x15X\x01\x00\x00\x00tq\x16h\x02((h\x03h)"
    R"(\x04X\x0a\x00\x00\x001077536304q\x17h\x06K\x06Ntq\x18QK\x00K\x03K\x02\x86q\x19K\x01K\x03)"
    R"(\x86q\x1a\x89h\x0a)Rq\x1btq\x1cRq\x1dX\x01\x00\x00\x00bq\x1eh\x02((h\x03ctorch\x0aBFloat16)"
    R"(Storage\x0aq\x1fX\x0a\x00\x00\x001073204720q h\x06K\x02Ntq!QK\x00K\x02\x85q\x22K\x01\x85q#)"
    R"(\x89h\x0a)Rq$tq%Rq&u.\x80\x02]q\x00(X\x0a\x00\x00\x001073204720q\x01X\x0a\x00\x00\x0010775)"
    R"(36304q\x02e.\x02\x00\x00\x00\x00\x00\x00\x00\x80?\x80?\x06\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x80?\x00\x00\x00@\x00\x00@@\x00\x00\x80@\x00\x00\xa0@)"_pk;
// torch.save({'q': torch.quantize_per_tensor(torch.tensor([1., 2.]), 0.5, 0, torch.quint8)}, f)
// (811 bytes)
const std::string kTorchQuantizedZip =
    R"(PK\x03\x04\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x10\x00\x12\x00archive/data.pklFB\x0e\x00ZZZZZZZZZZZZZZ\x80\x02}q\x00X\x01\x00)"
    R"(\x00\x00qq\x01ctorch._utils\x0a_rebuild_qtensor\x0aq\x02((X\x07\x00\x00\x00storageq\x03cto)"
    R"(rch\x0aQUInt8Storage\x0aq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00\x00cpuq\x06K\x02tq\x07QK)"
    R"(\x00K\x02\x85q\x08K\x01\x85q\x09ctorch\x0aper_tensor_affine\x0aq\x0aG?\xe0\x00\x00\x00\x00)"
    R"(\x00\x00K\x00\x87q\x0b\x89ccollections\x0aOrderedDict\x0aq\x0c)Rq\x0dtq\x0eRq\x0fs.PK\x07)"
    R"(\x08\xe8\xedx\xe0\xca\x00\x00\x00\xca\x00\x00\x00PK\x03\x04\x00\x00\x08\x08\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0e\x00:\x00archive/data/0FB6)"
    R"(\x00ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ\x02\x04PK\x07\x08d\xb4\x82t\x02)"
    R"(\x00\x00\x00\x02\x00\x00\x00PK\x03\x04\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0f\x00A\x00archive/versionFB=\x00ZZZZZZZZZZZZZZZZZZZ)"
    R"(ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ3\x0aPK\x07\x08\xd1\x9egU\x02\x00\x00\x00\x02)"
    R"(\x00\x00\x00PK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00\xe8\xedx\xe0\xca)"
    R"(\x00\x00\x00\xca\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00archive/data.pklPK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00\x00\x00\x00\x00d)"
    R"(\xb4\x82t\x02\x00\x00\x00\x02\x00\x00\x00\x0e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x1a\x01\x00\x00archive/data/0PK\x01\x02\x00\x00\x00\x00\x08\x08\x00\x00\x00\x00)"
    R"(\x00\x00\xd1\x9egU\x02\x00\x00\x00\x02\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
    R"(\x00\x00\x00\x00\x92\x01\x00\x00archive/versionPK\x06\x06,\x00\x00\x00\x00\x00\x00\x00\x1e)"
    R"(\x03-\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00)"
    R"(\x00\x00\x00\x00\xb7\x00\x00\x00\x00\x00\x00\x00\x12\x02\x00\x00\x00\x00\x00\x00PK\x06\x07)"
    R"(\x00\x00\x00\x00\xc9\x02\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00PK\x05\x06\x00\x00\x00\x00)"
    R"(\x03\x00\x03\x00\xb7\x00\x00\x00\x12\x02\x00\x00\x00\x00)"_pk;

// ---------------------------------------------------------------------------
// .npy as numpy writes it

// np.save(f, np.array([1, 2, -3], '<i2')) (134 bytes)
const std::string kNpyInt16 =
    R"(\x93NUMPY\x01\x00v\x00{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }           )"
    R"(                                                 \x0a\x01\x00\x02\x00\xfd\xff)"_pk;

// ---------------------------------------------------------------------------
// parse_dtype

struct DtypeCase {
  const char* in;
  const char* name;  // numpy 1.24: np.dtype(in).name
  const char* str;   // np.dtype(in).str
  uint64_t itemsize;
  char kind;
};
// On a little-endian machine, as numpy 1.24 reports each.
const DtypeCase kDtypeCases[] = {
    {"<f8", "float64", "<f8", 8, 'f'},
    {">i4", "int32", ">i4", 4, 'i'},
    {"|b1", "bool", "|b1", 1, 'b'},
    {"?", "bool", "|b1", 1, 'b'},
    {"b", "int8", "|i1", 1, 'i'},  // 'b' is int8, not bool
    {"B", "uint8", "|u1", 1, 'u'},
    {"h", "int16", "<i2", 2, 'i'},
    {"l", "int64", "<i8", 8, 'i'},
    {"Q", "uint64", "<u8", 8, 'u'},
    {"e", "float16", "<f2", 2, 'f'},
    {"g", "float128", "<f16", 16, 'f'},
    {"F", "complex64", "<c8", 8, 'c'},
    {"D", "complex128", "<c16", 16, 'c'},
    {"G", "complex256", "<c32", 32, 'c'},
    {"U3", "str96", "<U3", 12, 'U'},
    {">U3", "str96", ">U3", 12, 'U'},
    {"S5", "bytes40", "|S5", 5, 'S'},
    {"a4", "bytes32", "|S4", 4, 'S'},
    {"V8", "void64", "|V8", 8, 'V'},
    {"O", "object", "|O", 8, 'O'},
    {"O8", "object", "|O", 8, 'O'},
    {">O", "object", "|O", 8, 'O'},
    {">i1", "int8", "|i1", 1, 'i'},
    {"=i2", "int16", "<i2", 2, 'i'},
    {">f2", "float16", ">f2", 2, 'f'},
    {"M8[ns]", "datetime64[ns]", "<M8[ns]", 8, 'M'},
    {"<M8[s]", "datetime64[s]", "<M8[s]", 8, 'M'},
    {"M8[2D]", "datetime64[2D]", "<M8[2D]", 8, 'M'},
    {"m8[25us]", "timedelta64[25us]", "<m8[25us]", 8, 'm'},
    {"m8", "timedelta64", "<m8", 8, 'm'},
    {"float32", "float32", "<f4", 4, 'f'},
    {"int8", "int8", "|i1", 1, 'i'},
    {"bool", "bool", "|b1", 1, 'b'},
    {"complex128", "complex128", "<c16", 16, 'c'},
    {"object", "object", "|O", 8, 'O'},
};

TEST(DtypeParse, NamesAndStringsAsNumpy) {
  if constexpr (!kLittle) GTEST_SKIP() << "the expected strings are a little-endian machine's";
  for (const DtypeCase& c : kDtypeCases) {
    SCOPED_TRACE(c.in);
    Dtype d = pickle::parse_dtype(c.in);
    EXPECT_EQ(d.name, c.name);
    EXPECT_EQ(d.str(), c.str);
    EXPECT_EQ(d.itemsize, c.itemsize);
    EXPECT_EQ(d.kind, c.kind);
    EXPECT_EQ(d.byteorder, c.str[0]);
    EXPECT_EQ(d.swapped(), c.str[0] == '>');
    EXPECT_TRUE(d.fields.empty());
    EXPECT_FALSE(d.base);
    // The type string reads back as the same dtype, as np.dtype(d.str) == d.
    Dtype again = pickle::parse_dtype(d.str());
    EXPECT_EQ(again.name, d.name);
    EXPECT_EQ(again.str(), d.str());
    EXPECT_EQ(again.itemsize, d.itemsize);
    EXPECT_EQ(again.unit, d.unit);
  }
}

TEST(DtypeParse, NamesReadBack) {
  // np.dtype(np.dtype(s).name) == np.dtype(s) for every name numpy takes back (not
  // 'str96', 'bytes40', 'void64', which numpy refuses too).
  for (const char* s : {"float64", "int32", "bool", "int8", "uint8", "float16", "float128",
                        "complex64", "complex128", "complex256", "object", "float32", "int16",
                        "int64", "uint16", "uint32", "uint64"}) {
    SCOPED_TRACE(s);
    Dtype d = pickle::parse_dtype(s);
    EXPECT_EQ(d.name, s);
    EXPECT_EQ(pickle::parse_dtype(d.name).str(), d.str());
  }
}

TEST(DtypeParse, DatetimeNamesReadBack) {
  // numpy 1.24: np.dtype('datetime64[ns]').str == '<M8[ns]', np.dtype('timedelta64').str
  // == '<m8', np.dtype('datetime64[25s]').str == '<M8[25s]'.
  using Pair = std::pair<const char*, const char*>;
  for (auto [name, str] : std::initializer_list<Pair>{{"datetime64[ns]", "<M8[ns]"},
                                                      {"timedelta64", "<m8"},
                                                      {"datetime64[25s]", "<M8[25s]"},
                                                      {"datetime64", "<M8"}}) {
    SCOPED_TRACE(name);
    Dtype d = pickle::parse_dtype(name);
    EXPECT_EQ(d.name, name);
    EXPECT_EQ(d.str(), str);
  }
}

TEST(DtypeParse, UnitsAndTorchNames) {
  EXPECT_EQ(pickle::parse_dtype("M8[ns]").unit, "ns");
  EXPECT_EQ(pickle::parse_dtype("m8[25us]").unit, "25us");
  EXPECT_EQ(pickle::parse_dtype("m8").unit, "");
  // torch's own element types, which numpy does not know, keep their names; they are
  // stored as numpy's of their size.
  Dtype bf = pickle::parse_dtype("bfloat16");
  EXPECT_EQ(bf.name, "bfloat16");
  EXPECT_EQ(bf.kind, 'f');
  EXPECT_EQ(bf.itemsize, 2u);
  EXPECT_TRUE(bf.is_numeric());
  if constexpr (kLittle) {
    EXPECT_EQ(bf.str(), "<f2");
  }
  EXPECT_EQ(pickle::parse_dtype("float8_e4m3fn").itemsize, 1u);
  EXPECT_EQ(pickle::parse_dtype("float8_e4m3fn").byteorder, '|');
  EXPECT_EQ(pickle::parse_dtype("complex32").itemsize, 4u);
  EXPECT_TRUE(pickle::parse_dtype("<c16").is_numeric());
  EXPECT_FALSE(pickle::parse_dtype("U3").is_numeric());
  EXPECT_FALSE(pickle::parse_dtype("M8[s]").is_numeric());
  EXPECT_FALSE(pickle::parse_dtype("O").is_numeric());
}

TEST(DtypeParse, RefusesWhatNumpyRefuses) {
  // Each is a TypeError in numpy 1.24 ("data type 'f3' not understood", "Invalid
  // datetime metadata string", ...).
  for (const char* s :
       {"f3",     "x",       "",    "<",    ">",   "M8[", "M8[]", "M8[ns",
        "i16",    "b2",      "c4",  "f1",   "i0",  "u16", "O16",  "M4",
        "i4[ns]", "float31", "int", "<<f8", "f8 ", "f-8", "U-1",  "S99999999999999999999"}) {
    SCOPED_TRACE(s);
    PickleError e = error_of([&] { pickle::parse_dtype(s); });
    EXPECT_EQ(e.code(), ErrorCode::bad_value) << e.what();
  }
}

TEST(DtypeParse, RefusesDatetimeUnitsNumpyRefuses) {
  // numpy 1.24: np.dtype('M8[xx]') TypeError "Invalid datetime unit in metadata string";
  // 'M8[s5]' the same; 'M8[-5s]' "Invalid datetime metadata string".
  for (const char* s : {"M8[xx]", "M8[s5]", "M8[-5s]", "m8[ns ]"}) {
    SCOPED_TRACE(s);
    EXPECT_EQ(error_of([&] { pickle::parse_dtype(s); }).code(), ErrorCode::bad_value);
  }
}

TEST(DtypeFromValue, TypeStringsAndDescrLists) {
  Graph g;
  EXPECT_EQ(pickle::dtype_from_value(g.str(">i4")).str(), ">i4");
  // An array-interface description, as .npy headers hold structured dtypes.
  Value descr = g.list({g.tuple({g.str("x"), g.str("<f4")}),
                        g.tuple({g.str("y"), g.str(">i2"), g.tuple({Value(int64_t(2))})}),
                        g.tuple({g.str(""), g.str("|V2")}),  // padding, unnamed
                        g.tuple({g.str("z"), g.str("|u1")})});
  Dtype d = pickle::dtype_from_value(descr);
  EXPECT_EQ(d.kind, 'V');
  EXPECT_EQ(d.itemsize, 11u);
  EXPECT_EQ(d.name, "void88");
  EXPECT_EQ(d.str(), "|V11");
  ASSERT_EQ(d.fields.size(), 3u);
  EXPECT_EQ(d.fields[0].name, "x");
  EXPECT_EQ(d.fields[0].offset, 0u);
  EXPECT_EQ(d.fields[0].type->name, "float32");
  EXPECT_EQ(d.fields[1].name, "y");
  EXPECT_EQ(d.fields[1].offset, 4u);
  EXPECT_EQ(d.fields[1].type->itemsize, 4u);
  ASSERT_TRUE(d.fields[1].type->base);
  EXPECT_EQ(d.fields[1].type->base->str(), ">i2");
  EXPECT_EQ(d.fields[1].type->subshape, Shape{2});
  EXPECT_EQ(d.fields[2].name, "z");
  EXPECT_EQ(d.fields[2].offset, 10u);
  EXPECT_FALSE(d.is_numeric());
  for (Value bad : {Value(int64_t(4)), g.list({g.str("x")}), g.tuple({g.str("<f4")}),
                    g.list({g.tuple({Value(int64_t(1)), g.str("<f4")})})}) {
    EXPECT_EQ(error_of([&] { pickle::dtype_from_value(bad); }).code(), ErrorCode::bad_value);
  }
}

TEST(DtypeFromValue, PickledDtypeObject) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  Document doc = pickle::loads(kDtypeBeI4P2);
  Dtype d = pickle::dtype_from_value(doc.root());
  EXPECT_EQ(d.name, "int32");
  EXPECT_EQ(d.str(), ">i4");
  EXPECT_TRUE(d.swapped());
  // numpy_dtype writes what numpy's dtype.__reduce__ gives, which pickles as numpy does.
  Graph g;
  EXPECT_EQ(pickle::dumps(pickle::numpy_dtype(g, d), {.protocol = 2}), kDtypeBeI4P2);
}

// Structured dtypes nest; a hostile pickle or .npy header may nest them without end.
// The reader stops at 32 levels with limit_exceeded, without recursing further.
TEST(DtypeFromValue, NestedStructuredDtypesStop) {
  Graph g;
  Value descr = g.str("<i2");
  for (int i = 0; i < 100000; ++i) descr = g.list({g.tuple({g.str("a"), descr})});
  EXPECT_EQ(error_of([&] { pickle::dtype_from_value(descr); }).code(), ErrorCode::limit_exceeded);

  // numpy.dtype objects whose subarray base is another subarray dtype, 100000 deep.
  Value dtype = g.str("<i2");
  for (int i = 0; i < 100000; ++i) {
    Value d =
        g.object(g.global("numpy", "dtype"), g.tuple({g.str("V2"), Value(false), Value(true)}));
    g.add_state(
        d, g.tuple({Value(int64_t(3)), g.str("|"), g.tuple({dtype, g.tuple({Value(int64_t(1))})}),
                    Value(), Value(), Value(int64_t(2)), Value(int64_t(1)), Value(int64_t(0))}));
    dtype = d;
  }
  EXPECT_EQ(error_of([&] { pickle::dtype_from_value(dtype); }).code(), ErrorCode::limit_exceeded);
}

// ---------------------------------------------------------------------------
// as_array on what numpy pickles

TEST(ArrayRead, BigEndianInt32Protocol2And5) {
  for (const std::string* bytes : {&kBeInt32P2, &kBeInt32P5}) {
    SCOPED_TRACE(bytes == &kBeInt32P2 ? "protocol 2" : "protocol 5");
    Document doc = pickle::loads(*bytes);
    ArrayView a = view_of(doc);
    EXPECT_EQ(a.origin, ArrayView::Origin::numpy);
    EXPECT_EQ(a.dtype.name, "int32");
    EXPECT_EQ(a.dtype.str(), ">i4");
    EXPECT_EQ(a.dtype.byteorder, '>');
    EXPECT_EQ(a.shape, (Shape{2, 3}));
    EXPECT_EQ(a.strides, (Shape{12, 4}));  // numpy: a.strides == (12, 4)
    EXPECT_EQ(a.size(), 6u);
    EXPECT_EQ(a.nbytes(), 24u);
    EXPECT_EQ(a.offset, 0u);
    EXPECT_EQ(a.data.size(), 24u);
    EXPECT_TRUE(a.c_contiguous());
    EXPECT_TRUE(a.storage.is_none());
    EXPECT_TRUE(a.source.is(doc.root()));
    EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
    // The raw bytes stay big-endian; c_order_le converts them.
    EXPECT_EQ(hex(a.data.first(8)), "0000000000000001");
    EXPECT_EQ(le_hex(a), "000000000100000002000000030000000400000005000000");
    if constexpr (kLittle) {
      EXPECT_EQ(pickle::array_summary(a), "numpy.ndarray(shape=(2, 3), dtype='>i4')");
    }
    EXPECT_THROW(a.to_vector<int64_t>(), TypeError);
    EXPECT_THROW(a.to_vector<uint32_t>(), TypeError);
    EXPECT_THROW(a.to_vector<float>(), TypeError);
    EXPECT_THROW(a.to_vector<int16_t>(), TypeError);
  }
}

TEST(ArrayRead, FortranOrderFloat64) {
  for (const std::string* bytes : {&kFortranF8P2, &kFortranF8P5}) {
    SCOPED_TRACE(bytes == &kFortranF8P2 ? "protocol 2" : "protocol 5");
    Document doc = pickle::loads(*bytes);
    ArrayView a = view_of(doc);
    EXPECT_EQ(a.dtype.name, "float64");
    EXPECT_EQ(a.shape, (Shape{2, 3}));
    EXPECT_EQ(a.strides, (Shape{8, 16}));  // numpy: (8, 16), F_CONTIGUOUS
    EXPECT_FALSE(a.c_contiguous());
    EXPECT_EQ(a.nbytes(), 48u);
    // The data in memory order (Fortran), the vector in C order.
    double first[3];
    std::memcpy(first, a.data.data(), sizeof first);
    EXPECT_EQ(first[1], 4.0);
    EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
    EXPECT_THROW(a.to_vector<float>(), TypeError);
  }
}

TEST(ArrayRead, ZeroDimensional) {
  Document doc = pickle::loads(kZeroDimP4);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "float64");
  EXPECT_TRUE(a.shape.empty());
  EXPECT_TRUE(a.strides.empty());
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.nbytes(), 8u);
  EXPECT_TRUE(a.c_contiguous());
  EXPECT_EQ(a.to_vector<double>(), std::vector<double>{3.5});
  EXPECT_EQ(pickle::array_summary(a), "numpy.ndarray(shape=(), dtype=float64)");
}

TEST(ArrayRead, Empty) {
  Document doc = pickle::loads(kEmptyP4);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "float32");
  EXPECT_EQ(a.shape, (Shape{0, 3}));
  EXPECT_EQ(a.strides, (Shape{12, 4}));  // numpy, after unpickling: (12, 4)
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.nbytes(), 0u);
  EXPECT_TRUE(a.c_contiguous());
  EXPECT_TRUE(a.to_vector<float>().empty());
  std::vector<std::byte> scratch;
  EXPECT_TRUE(a.c_order_le(scratch).empty());
  EXPECT_EQ(pickle::array_summary(a), "numpy.ndarray(shape=(0, 3), dtype=float32)");
}

TEST(ArrayRead, Bool) {
  Document doc = pickle::loads(kBoolP4);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "bool");
  EXPECT_EQ(a.dtype.str(), "|b1");
  EXPECT_EQ(a.shape, Shape{3});
  EXPECT_EQ(a.strides, Shape{1});
  // array.hpp documents to_vector<bool>, but it does not compile: it memcpy's into
  // std::vector<bool>::data(), which std::vector<bool> does not have. The bytes instead:
  EXPECT_EQ(le_hex(a), "010001");
  EXPECT_THROW(a.to_vector<uint8_t>(), TypeError);
  EXPECT_THROW(a.to_vector<int8_t>(), TypeError);
  EXPECT_EQ(pickle::array_summary(a), "numpy.ndarray(shape=(3,), dtype=bool)");
}

TEST(ArrayRead, Complex128) {
  Document doc = pickle::loads(kComplexP4);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "complex128");
  EXPECT_EQ(a.dtype.kind, 'c');
  EXPECT_EQ(a.dtype.itemsize, 16u);
  EXPECT_EQ(a.strides, Shape{16});
  std::vector<std::complex<double>> v = a.to_vector<std::complex<double>>();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], std::complex<double>(1, 2));
  EXPECT_EQ(v[1], std::complex<double>(0, -3.5));
  EXPECT_THROW(a.to_vector<std::complex<float>>(), TypeError);
  EXPECT_THROW(a.to_vector<double>(), TypeError);
}

TEST(ArrayRead, StructuredWithSubarrayField) {
  Document doc = pickle::loads(kStructP4);
  ArrayView a = view_of(doc);
  // numpy: a.dtype.name 'void64', .str '|V8', .fields {'x': (float32, 0), 'y': (('<i2',
  // (2,)), 4)}; fields['y'][0].name 'void32', .subdtype (int16, (2,)).
  EXPECT_EQ(a.dtype.kind, 'V');
  EXPECT_EQ(a.dtype.name, "void64");
  EXPECT_EQ(a.dtype.str(), "|V8");
  EXPECT_EQ(a.dtype.itemsize, 8u);
  EXPECT_EQ(a.shape, Shape{2});
  EXPECT_EQ(a.strides, Shape{8});
  ASSERT_EQ(a.dtype.fields.size(), 2u);
  const Dtype::Field& x = a.dtype.fields[0];
  const Dtype::Field& y = a.dtype.fields[1];
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.offset, 0u);
  EXPECT_EQ(x.type->name, "float32");
  EXPECT_EQ(y.name, "y");
  EXPECT_EQ(y.offset, 4u);
  EXPECT_EQ(y.type->name, "void32");
  EXPECT_EQ(y.type->itemsize, 4u);
  ASSERT_TRUE(y.type->base);
  EXPECT_EQ(y.type->base->name, "int16");
  EXPECT_EQ(y.type->subshape, Shape{2});
  // Records are copied as they are: a.tobytes().hex()
  EXPECT_EQ(le_hex(a), "0000c03f01000200000000c003000400");
  EXPECT_THROW(a.to_vector<float>(), TypeError);
  EXPECT_THROW(a.to_vector<uint64_t>(), TypeError);
}

TEST(ArrayRead, ObjectArray) {
  Document doc = pickle::loads(kObjectP2);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "object");
  EXPECT_EQ(a.dtype.str(), "|O");
  EXPECT_EQ(a.shape, Shape{3});
  EXPECT_EQ(a.strides, Shape{8});
  ASSERT_TRUE(a.objects.is_list());
  ASSERT_EQ(a.objects.size(), 3u);
  EXPECT_EQ(a.objects[0].as_int(), 1);
  EXPECT_EQ(a.objects[1].as_str(), "a");
  EXPECT_TRUE(a.objects[2].is_none());
  EXPECT_TRUE(a.data.empty());
  std::vector<std::byte> scratch;
  EXPECT_THROW(a.c_order_le(scratch), TypeError);
  EXPECT_THROW(a.to_vector<int64_t>(), TypeError);
}

TEST(ArrayRead, Datetime64Seconds) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  Document doc = pickle::loads(kDatetimeP4);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "datetime64[s]");
  EXPECT_EQ(a.dtype.str(), "<M8[s]");
  EXPECT_EQ(a.dtype.kind, 'M');
  EXPECT_EQ(a.dtype.unit, "s");
  EXPECT_EQ(a.shape, Shape{2});
  EXPECT_EQ(a.strides, Shape{8});
  // a.view('i8'): [1577836800, 1]
  std::vector<std::byte> scratch;
  std::span<const std::byte> b = a.c_order_le(scratch);
  ASSERT_EQ(b.size(), 16u);
  int64_t v[2];
  std::memcpy(v, b.data(), 16);
  EXPECT_EQ(v[0], 1577836800);
  EXPECT_EQ(v[1], 1);
  // No C++ element type is a datetime: to_vector refuses (the bytes are above).
  EXPECT_THROW(a.to_vector<int64_t>(), TypeError);
}

TEST(ArrayRead, Datetime64GenericUnit) {
  // numpy: np.array(['NaT', 'NaT'], 'M8').dtype.name == 'datetime64', .str == '<M8'; the
  // pickle carries the unit as b'generic'.
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  Document doc = pickle::loads(kGenericDatetimeP4);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "datetime64");
  EXPECT_EQ(a.dtype.str(), "<M8");
  EXPECT_EQ(a.dtype.unit, "");
  EXPECT_EQ(a.shape, Shape{2});
  // numpy_dtype writes the generic unit back as numpy does.
  Graph g;
  Value back = pickle::numpy_array(g, a.dtype, a.shape, a.data, {.protocol = 4});
  EXPECT_EQ(pickle::dumps(back, {.protocol = 4}), kGenericDatetimeP4);
}

TEST(ArrayRead, OutOfBandBuffer) {
  const std::string buffer = le_all<double>({1, 2, 3});
  pickle::LoadOptions options;
  options.buffers = std::vector<pickle::OutOfBandBuffer>{{as_bytes(buffer), false}};
  Document doc = pickle::loads(kOutOfBandP5, options);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "float64");
  EXPECT_EQ(a.shape, Shape{3});
  // A view of the caller's buffer, not a copy.
  EXPECT_EQ(static_cast<const void*>(a.data.data()), static_cast<const void*>(buffer.data()));
  EXPECT_EQ(a.data.size(), 24u);
  std::vector<std::byte> scratch;
  EXPECT_EQ(static_cast<const void*>(a.c_order_le(scratch).data()),
            static_cast<const void*>(buffer.data()));
  EXPECT_TRUE(scratch.empty());
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1, 2, 3}));

  // A buffer of the wrong length for the shape.
  const std::string shorter = le_all<double>({1, 2});
  options.buffers = std::vector<pickle::OutOfBandBuffer>{{as_bytes(shorter), false}};
  Document short_doc = pickle::loads(kOutOfBandP5, options);
  EXPECT_EQ(error_of([&] { pickle::as_array(short_doc.root()); }).code(), ErrorCode::bad_value);
}

TEST(ArrayRead, Numpy2ModuleNames) {
  // numpy 2.x pickles name numpy._core.multiarray: the protocol 2 pickle with its
  // GLOBAL line rewritten (no frame or length to fix at protocol 2).
  std::string bytes = kBeInt32P2;
  const std::string from = "cnumpy.core.multiarray\n_reconstruct\n";
  size_t at = bytes.find(from);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, from.size(), "cnumpy._core.multiarray\n_reconstruct\n");
  Document doc = pickle::loads(bytes);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.str(), ">i4");
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));

  // Neither numpy.core.sub nor numpy._core.sub for other submodule names.
  for (const char* module :
       {"numpy.multiarray", "numpy.corex.multiarray", "numpy._core.multiarrayx"}) {
    std::string other = kBeInt32P2;
    other.replace(at, from.size(), std::string("c") + module + "\n_reconstruct\n");
    Document d = pickle::loads(other);
    EXPECT_FALSE(pickle::as_array(d.root())) << module;
  }
}

// What numpy under Python 2 pickled for np.array([0, 128, 255], 'u1') (protocol 2; laid
// out by hand): its type string, byte order and data are Python 2 strs (SHORT_BINSTRING).
// numpy 1.24 loads it with encoding='latin1' and with encoding='bytes'.
const std::string kPy2Uint8 =
    R"(\x80\x02cnumpy.core.multiarray\x0a_reconstruct\x0acnumpy\x0andarray\x0aK\x00\x85U\x01b)"
    R"(\x87R(K\x01K\x03\x85cnumpy\x0adtype\x0aU\x02u1K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff)"
    R"(\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x03\x00\x80\xfftb.)"_pk;

TEST(ArrayRead, Python2PickleLatin1) {
  pickle::LoadOptions options;
  options.py2_str.encoding = "latin1";  // the data is text of one code point per byte
  Document doc = pickle::loads(kPy2Uint8, options);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "uint8");
  EXPECT_TRUE(a.owned);  // the bytes had to be made from the text
  EXPECT_EQ(a.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 128, 255}));
  // A viewer's load: ASCII, the data (not ASCII) kept as bytes.
  pickle::LoadOptions viewer;
  viewer.py2_str.undecodable_as_bytes = true;
  Document viewed = pickle::loads(kPy2Uint8, viewer);
  EXPECT_EQ(view_of(viewed).to_vector<uint8_t>(), (std::vector<uint8_t>{0, 128, 255}));
}

TEST(ArrayRead, Python2PickleEncodingBytes) {
  pickle::LoadOptions options;
  options.py2_str.encoding = "bytes";
  Document doc = pickle::loads(kPy2Uint8, options);
  ArrayView a = view_of(doc);
  EXPECT_EQ(a.dtype.name, "uint8");
  EXPECT_EQ(a.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 128, 255}));
}

TEST(ArrayRead, PartsThatDoNotFit) {
  // Each loads in numpy only to fail in the array's reconstruction (the comments on the
  // literals give numpy's error).
  for (const std::string* bytes : {&kShortData, &kNegativeShape, &kBadOrder}) {
    Document doc = pickle::loads(*bytes);
    PickleError e = error_of([&] { pickle::as_array(doc.root()); });
    EXPECT_EQ(e.code(), ErrorCode::bad_value) << e.what();
  }
  // Data longer than the shape needs: numpy "buffer size does not match array size".
  std::string longer = kBeInt32P2;
  size_t shape_at = longer.find("K\x01K\x02K\x03\x86");
  ASSERT_NE(shape_at, std::string::npos);
  longer[shape_at + 5] = '\x02';  // shape (2, 2): 16 bytes, the data 24
  Document doc = pickle::loads(longer);
  EXPECT_EQ(error_of([&] { pickle::as_array(doc.root()); }).code(), ErrorCode::bad_value);
}

TEST(ArrayRead, NotArrays) {
  Document scalar = pickle::loads(kScalarP2);
  EXPECT_TRUE(pickle::is_numpy_scalar(scalar.root()));
  EXPECT_FALSE(pickle::as_array(scalar.root()));
  Document array = pickle::loads(kBeInt32P2);
  EXPECT_FALSE(pickle::is_numpy_scalar(array.root()));
  Document dtype = pickle::loads(kDtypeBeI4P2);
  EXPECT_FALSE(pickle::as_array(dtype.root()));
  EXPECT_FALSE(pickle::is_numpy_scalar(dtype.root()));
  Graph g;
  EXPECT_FALSE(pickle::as_array(Value(int64_t(1))));
  EXPECT_FALSE(pickle::as_array(g.list({Value(int64_t(1))})));
  EXPECT_FALSE(pickle::as_array(g.object(g.global("collections", "OrderedDict"), g.tuple({}))));
  EXPECT_FALSE(pickle::is_numpy_scalar(Value()));
}

// A view made by hand: C order walked over strides (a transposed and an offset view),
// byte order converted per unit.
TEST(ArrayViewLayout, StridedBigEndianAndOffset) {
  std::string bytes;
  for (int16_t i = 0; i < 6; ++i) bytes += be(i);
  ArrayView a;
  a.dtype = pickle::parse_dtype(">i2");
  a.data = as_bytes(bytes);
  a.shape = {3, 2};  // the transpose of a (2, 3) array
  a.strides = {2, 6};
  EXPECT_FALSE(a.c_contiguous());
  EXPECT_EQ(a.to_vector<int16_t>(), (std::vector<int16_t>{0, 3, 1, 4, 2, 5}));
  a.shape = {2};  // row 1, every other element
  a.strides = {4};
  a.offset = 6;
  EXPECT_EQ(a.to_vector<int16_t>(), (std::vector<int16_t>{3, 5}));
  a.shape = {2, 1, 2};
  a.strides = {6, 100, 2};  // a length-1 dimension's stride does not matter
  a.offset = 0;
  EXPECT_TRUE(a.c_contiguous() == false);
  EXPECT_EQ(a.to_vector<int16_t>(), (std::vector<int16_t>{0, 1, 3, 4}));

  // A complex swaps each half; a str each UCS-4 code unit.
  std::string c = be(1.0f) + be(-2.0f);
  ArrayView z;
  z.dtype = pickle::parse_dtype(">c8");
  z.data = as_bytes(c);
  z.shape = {1};
  z.strides = {8};
  EXPECT_EQ(z.to_vector<std::complex<float>>(), (std::vector<std::complex<float>>{{1.0f, -2.0f}}));
  std::string u = be(uint32_t('h')) + be(uint32_t(0x1F600));
  ArrayView s;
  s.dtype = pickle::parse_dtype(">U2");
  s.data = as_bytes(u);
  s.shape = {};
  EXPECT_EQ(le_hex(s), "6800000000f60100");
}

// ---------------------------------------------------------------------------
// numpy_array: the bytes numpy writes

struct WriteCase {
  Dtype dtype;
  Shape shape;
  std::string data;  // in memory order (Fortran order when fortran)
  bool fortran = false;
};

std::string numpy_array_bytes(const WriteCase& c, int protocol, bool numpy2_names = false) {
  Graph g;
  pickle::NumpyWriteOptions options;
  options.protocol = protocol;
  options.fortran = c.fortran;
  options.numpy2_names = numpy2_names;
  Value v = pickle::numpy_array(g, c.dtype, c.shape, as_bytes(c.data), options);
  return pickle::dumps(v, {.protocol = protocol});
}

// Compares our pickle of `c` at each protocol with numpy's, and checks that it reads
// back as the same array.
void expect_as_numpy(const WriteCase& c,
                     std::initializer_list<std::pair<int, const std::string*>> numpy) {
  for (auto [protocol, expected] : numpy) {
    SCOPED_TRACE("protocol " + std::to_string(protocol));
    std::string ours = numpy_array_bytes(c, protocol);
    if (ours != *expected) {
      ADD_FAILURE() << "differs from numpy's pickle\n  ours:  " << hex(as_bytes(ours))
                    << "\n  numpy: " << hex(as_bytes(*expected));
    }
    Document back = pickle::loads(ours);
    ArrayView a = view_of(back);
    EXPECT_EQ(a.dtype.str(), c.dtype.str());
    EXPECT_EQ(a.dtype.name, c.dtype.name);
    EXPECT_EQ(a.shape, c.shape);
    EXPECT_EQ(hex(a.data), hex(as_bytes(c.data)));
    EXPECT_EQ(a.c_contiguous(), !c.fortran || c.shape.size() < 2);
  }
}

TEST(ArrayWrite, Float64AsNumpy) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  WriteCase c{pickle::parse_dtype("<f8"), {2, 3}, le_all<double>({0, 1, 2, 3, 4, 5})};
  expect_as_numpy(c, {{2, &kNpF8P2}, {3, &kNpF8P3}, {4, &kNpF8P4}, {5, &kNpF8P5}});
}

TEST(ArrayWrite, BigEndianInt32AsNumpy) {
  WriteCase c{pickle::parse_dtype(">i4"), {3}, be(int32_t(1)) + be(int32_t(-2)) + be(int32_t(300))};
  expect_as_numpy(c, {{2, &kNpBeI4P2}, {3, &kNpBeI4P3}, {4, &kNpBeI4P4}, {5, &kNpBeI4P5}});
}

TEST(ArrayWrite, FortranOrderAsNumpy) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  // [[1, 2, 3], [4, 5, 6]] in column order.
  WriteCase c{pickle::parse_dtype("<i2"), {2, 3}, le_all<int16_t>({1, 4, 2, 5, 3, 6}), true};
  expect_as_numpy(
      c, {{2, &kNpFortranI2P2}, {3, &kNpFortranI2P3}, {4, &kNpFortranI2P4}, {5, &kNpFortranI2P5}});
  Document back = pickle::loads(numpy_array_bytes(c, 4));
  EXPECT_EQ(view_of(back).to_vector<int16_t>(), (std::vector<int16_t>{1, 2, 3, 4, 5, 6}));
}

TEST(ArrayWrite, BoolAsNumpy) {
  WriteCase c{pickle::parse_dtype("?"), {3}, std::string("\x01\x00\x01", 3)};
  expect_as_numpy(c, {{2, &kNpBoolP2}, {3, &kNpBoolP3}, {4, &kNpBoolP4}, {5, &kNpBoolP5}});
}

TEST(ArrayWrite, StrU3AsNumpy) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  std::string data;
  for (uint32_t ch : {U'a', U'b', U'\0', U'x', U'y', U'z'}) data += le(ch);
  WriteCase c{pickle::parse_dtype("<U3"), {2}, data};
  expect_as_numpy(c, {{2, &kNpU3P2}, {3, &kNpU3P3}, {4, &kNpU3P4}, {5, &kNpU3P5}});
}

TEST(ArrayWrite, Datetime64SecondsAsNumpy) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  WriteCase c{pickle::parse_dtype("<M8[s]"), {2}, le_all<int64_t>({0, 86400})};
  expect_as_numpy(c, {{2, &kNpM8sP2}, {3, &kNpM8sP3}, {4, &kNpM8sP4}});
}

TEST(ArrayWrite, Datetime64SecondsProtocol5AsNumpy) {
  WriteCase c{pickle::parse_dtype("<M8[s]"), {2}, le_all<int64_t>({0, 86400})};
  expect_as_numpy(c, {{5, &kNpM8sP5}});
}

TEST(ArrayWrite, Numpy2NamesAndProtocols0And1) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  WriteCase c{pickle::parse_dtype("<f8"), {2, 3}, le_all<double>({0, 1, 2, 3, 4, 5})};
  // numpy 2.x's names: numpy's protocol 2 pickle with the GLOBAL line renamed.
  std::string expected = kNpF8P2;
  const std::string from = "cnumpy.core.multiarray\n";
  size_t at = expected.find(from);
  ASSERT_NE(at, std::string::npos);
  expected.replace(at, from.size(), "cnumpy._core.multiarray\n");
  EXPECT_EQ(numpy_array_bytes(c, 2, true), expected);
  std::string p5 = numpy_array_bytes(c, 5, true);
  EXPECT_NE(p5.find("numpy._core.numeric"), std::string::npos);
  Document back = pickle::loads(p5);
  EXPECT_EQ(view_of(back).to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  // Protocols 0 and 1 write the protocol 2 form (in their own opcodes).
  for (int protocol : {0, 1}) {
    Document d = pickle::loads(numpy_array_bytes(c, protocol));
    EXPECT_EQ(view_of(d).to_vector<double>(), (std::vector<double>{0, 1, 2, 3, 4, 5}));
  }
}

TEST(ArrayWrite, OneLongDimensionIsCOrder) {
  // numpy calls a (1, 3) or (3,) array C-ordered even when it was made Fortran-ordered:
  // np.asfortranarray(np.zeros((1, 3))) pickles with is_fortran False and order 'C'.
  WriteCase c{pickle::parse_dtype("|u1"), {1, 3}, "abc", true};
  for (int protocol : {2, 5}) {
    Document d = pickle::loads(numpy_array_bytes(c, protocol));
    ArrayView a = view_of(d);
    EXPECT_TRUE(a.c_contiguous());
    EXPECT_EQ(a.strides, (Shape{3, 1}));
  }
}

TEST(ArrayWrite, Refusals) {
  Graph g;
  std::string eight(8, '\0');
  auto code_of = [&](const Dtype& d, Shape shape, std::string_view data) {
    return error_of([&] { pickle::numpy_array(g, d, shape, std::as_bytes(std::span(data))); })
        .code();
  };
  EXPECT_EQ(code_of(pickle::parse_dtype("<f8"), {2}, eight),
            ErrorCode::type_error);  // 8 of 16 bytes
  EXPECT_EQ(code_of(pickle::parse_dtype("<f8"), {-1}, eight), ErrorCode::type_error);
  EXPECT_EQ(code_of(pickle::parse_dtype("O"), {1}, eight), ErrorCode::type_error);
  Graph h;
  Value descr = h.list({h.tuple({h.str("x"), h.str("<f8")})});
  EXPECT_EQ(code_of(pickle::dtype_from_value(descr), {1}, eight), ErrorCode::type_error);
  EXPECT_THROW(pickle::numpy_dtype(g, pickle::dtype_from_value(descr)), TypeError);
}

// ---------------------------------------------------------------------------
// PyTorch tensors

// The four tensors of kTorchZip and kTorchLegacy, checked against what torch says:
// w.stride() (3, 1), v.storage_offset() 3, t.stride() (1, 3), b.dtype bfloat16.
void expect_checkpoint_tensors(const std::vector<NamedArray>& arrays) {
  ASSERT_EQ(arrays.size(), 4u);
  EXPECT_EQ(arrays[0].name, "w");
  EXPECT_EQ(arrays[1].name, "v");
  EXPECT_EQ(arrays[2].name, "t");
  EXPECT_EQ(arrays[3].name, "b");
  const ArrayView& w = arrays[0].view;
  const ArrayView& v = arrays[1].view;
  const ArrayView& t = arrays[2].view;
  const ArrayView& b = arrays[3].view;
  for (const NamedArray& a : arrays) {
    EXPECT_EQ(a.view.origin, ArrayView::Origin::torch) << a.name;
    EXPECT_EQ(a.view.device, "cpu") << a.name;
  }
  EXPECT_EQ(w.dtype.name, "float32");
  EXPECT_EQ(w.dtype.str(), "<f4");
  EXPECT_EQ(w.shape, (Shape{2, 3}));
  EXPECT_EQ(w.strides, (Shape{12, 4}));
  EXPECT_EQ(w.offset, 0u);
  EXPECT_EQ(w.data.size(), 24u);
  EXPECT_TRUE(w.c_contiguous());
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(pickle::array_summary(w), "torch.Tensor(shape=(2, 3), dtype=float32)");

  EXPECT_EQ(v.dtype.name, "float32");
  EXPECT_EQ(v.shape, Shape{3});
  EXPECT_EQ(v.strides, Shape{4});
  EXPECT_EQ(v.offset, 12u);  // storage_offset 3, in bytes
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{3, 4, 5}));

  EXPECT_EQ(t.shape, (Shape{3, 2}));
  EXPECT_EQ(t.strides, (Shape{4, 12}));
  EXPECT_EQ(t.offset, 0u);
  EXPECT_FALSE(t.c_contiguous());
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));  // w.t().flatten()

  EXPECT_EQ(b.dtype.name, "bfloat16");
  EXPECT_EQ(b.dtype.kind, 'f');
  EXPECT_EQ(b.dtype.itemsize, 2u);
  EXPECT_EQ(b.shape, Shape{2});
  EXPECT_EQ(b.strides, Shape{2});
  EXPECT_EQ(le_hex(b), "803f803f");  // bfloat16 1.0 is 0x3f80
  EXPECT_THROW(b.to_vector<uint16_t>(), TypeError);
  EXPECT_THROW(b.to_vector<float>(), TypeError);
  EXPECT_EQ(pickle::array_summary(b), "torch.Tensor(shape=(2,), dtype=bfloat16)");

  // One storage for w, v and t; another for b.
  EXPECT_EQ(w.storage_key, v.storage_key);
  EXPECT_EQ(w.storage_key, t.storage_key);
  EXPECT_NE(w.storage_key, b.storage_key);
  EXPECT_EQ(w.data.data(), v.data.data());
  EXPECT_EQ(w.data.data(), t.data.data());
  EXPECT_EQ(w.data.size(), v.data.size());
}

TEST(TensorFileTorch, ZipCheckpoint) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  TensorFile file(u8(kTorchZip));
  EXPECT_EQ(file.format(), FileFormat::torch_zip);
  EXPECT_EQ(pickle::format_name(file.format()), "PyTorch zip checkpoint");
  EXPECT_TRUE(file.layers().empty());
  ASSERT_EQ(file.roots().size(), 1u);
  EXPECT_TRUE(file.roots()[0].is_dict());
  ASSERT_NE(file.storages(), nullptr);
  EXPECT_EQ(file.storages()->byteorder, '<');  // torch 1.13 writes no byteorder record
  std::vector<NamedOther> others;
  std::vector<NamedArray> arrays = file.arrays(&others);
  expect_checkpoint_tensors(arrays);
  EXPECT_TRUE(others.empty());
  EXPECT_EQ(arrays[0].view.storage_key, "0");
  EXPECT_EQ(arrays[3].view.storage_key, "1");
  // Stored members are viewed where they lie in the archive: archive/data/0 at offset
  // 433 + its 64-byte aligned header (torch aligns storages to 64 bytes).
  const uint8_t* base = reinterpret_cast<const uint8_t*>(kTorchZip.data());
  const auto* w = reinterpret_cast<const uint8_t*>(arrays[0].view.data.data());
  EXPECT_GE(w, base);
  EXPECT_LT(w, base + kTorchZip.size());
  EXPECT_EQ((w - base) % 64, 0);
  // The view TensorFile::array gives is the one arrays() found.
  Value wv = *file.roots()[0].dict().find("w");
  std::optional<ArrayView> again = file.array(wv);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data.data(), arrays[0].view.data.data());
}

TEST(TensorFileTorch, ZipCheckpointViewsOfOneStorage) {
  // torch.save writes a new persistent id per tensor, so views of one storage are told
  // by their key and their bytes (pickle/array.hpp, ArrayView::storage).
  TensorFile file(u8(kTorchZip));
  std::vector<NamedArray> arrays = file.arrays();
  ASSERT_GE(arrays.size(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(arrays[i].view.storage_key, arrays[0].view.storage_key);
    EXPECT_EQ(arrays[i].view.data.data(), arrays[0].view.data.data());
  }
}

TEST(TensorFileTorch, LegacyCheckpoint) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  TensorFile file(u8(kTorchLegacy));
  EXPECT_EQ(file.format(), FileFormat::torch_legacy);
  ASSERT_EQ(file.roots().size(), 1u);  // the object; not the magic, version, sys_info, keys
  EXPECT_TRUE(file.roots()[0].is_dict());
  ASSERT_NE(file.storages(), nullptr);
  std::vector<NamedArray> arrays = file.arrays();
  expect_checkpoint_tensors(arrays);
  // torch 1.13's legacy keys are the storages' ids; they are written in sorted order.
  EXPECT_EQ(arrays[0].view.storage_key, "1077536304");
  EXPECT_EQ(arrays[3].view.storage_key, "1073204720");
  // The storages lie in the file after the pickles, each after its 8-byte count: b's 4
  // bytes, then w's 24.
  const auto* base = reinterpret_cast<const std::byte*>(kTorchLegacy.data());
  EXPECT_EQ(arrays[0].view.data.data(), base + kTorchLegacy.size() - 24);
  EXPECT_EQ(arrays[3].view.data.data(), base + kTorchLegacy.size() - 24 - 8 - 4);
}

TEST(TensorFileTorch, LegacyMagic) {
  Graph g;
  Document magic = pickle::loads(kTorchLegacy);  // the first pickle: the magic number
  EXPECT_TRUE(pickle::is_torch_legacy_magic(magic.root()));
  EXPECT_FALSE(pickle::is_torch_legacy_magic(Value(int64_t(1001))));
  EXPECT_FALSE(pickle::is_torch_legacy_magic(g.integer("119547037146038801333357")));
  EXPECT_TRUE(pickle::is_torch_legacy_magic(g.integer("119547037146038801333356")));
}

TEST(TensorFileTorch, LegacyCheckpointCutShort) {
  // Without the last storage's bytes (4 of bfloat16), or its count.
  for (size_t cut : {1, 4, 8, 12}) {
    std::string bytes = kTorchLegacy.substr(0, kTorchLegacy.size() - cut);
    PickleError e = error_of([&] { TensorFile file(u8(bytes)); });
    EXPECT_EQ(e.code(), ErrorCode::bad_container) << cut << ": " << e.what();
  }
}

TEST(TensorFileTorch, QuantizedIsUnsupported) {
  TensorFile file(u8(kTorchQuantizedZip));
  EXPECT_EQ(file.format(), FileFormat::torch_zip);
  PickleError e = error_of([&] { file.arrays(); });
  EXPECT_EQ(e.code(), ErrorCode::unsupported) << e.what();
  EXPECT_NE(std::string(e.what()).find("_rebuild_qtensor"), std::string::npos) << e.what();
  // A bare _rebuild_qtensor call, without a storage.
  Document doc = pickle::loads(R"(\x80\x02ctorch._utils\x0a_rebuild_qtensor\x0a)R.)"_pk);
  EXPECT_EQ(error_of([&] { pickle::as_array(doc.root()); }).code(), ErrorCode::unsupported);
  // And the other rebuilds of tensors that are not strided views of one storage.
  for (const char* name : {"_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage"}) {
    Document d = pickle::loads(
        "\x80\x02"
        "ctorch._utils\n" +
        std::string(name) + "\n)R.");
    EXPECT_EQ(error_of([&] { pickle::as_array(d.root()); }).code(), ErrorCode::unsupported) << name;
  }
}

// data.pkl alone, with storages looked up by the caller.
TEST(ArrayTorch, OwnStorageLookup) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  Document doc = pickle::loads(kTorchDataPkl);
  const std::string floats = le_all<float>({0, 1, 2, 3, 4, 5});
  const std::string bf16 = "\x80\x3f\x80\x3f";
  std::vector<std::string> asked;
  TorchStorages storages;
  storages.lookup = [&](std::string_view key) -> std::optional<std::span<const std::byte>> {
    asked.emplace_back(key);
    if (key == "0") return as_bytes(floats);
    if (key == "1") return as_bytes(bf16);
    return std::nullopt;
  };
  std::vector<NamedArray> arrays;
  for (const char* name : {"w", "v", "t", "b"}) {
    std::optional<ArrayView> a = pickle::as_array(*doc.root().dict().find(name), &storages);
    ASSERT_TRUE(a) << name;
    arrays.push_back({name, *a});
  }
  expect_checkpoint_tensors(arrays);
  EXPECT_EQ(static_cast<const void*>(arrays[0].view.data.data()),
            static_cast<const void*>(floats.data()));
  EXPECT_EQ(asked, (std::vector<std::string>{"0", "0", "0", "1"}));

  // A storage the lookup does not have.
  TorchStorages missing;
  missing.lookup = [&](std::string_view key) -> std::optional<std::span<const std::byte>> {
    if (key == "0") return as_bytes(floats);
    return std::nullopt;
  };
  Value b = *doc.root().dict().find("b");
  PickleError e = error_of([&] { pickle::as_array(b, &missing); });
  EXPECT_EQ(e.code(), ErrorCode::bad_value);
  EXPECT_NE(std::string(e.what()).find("'1'"), std::string::npos) << e.what();

  // A storage shorter than its persistent id's count (6 floats).
  const std::string five = le_all<float>({0, 1, 2, 3, 4});
  TorchStorages shorter;
  shorter.lookup = [&](std::string_view) -> std::optional<std::span<const std::byte>> {
    return as_bytes(five);
  };
  EXPECT_EQ(error_of([&] { pickle::as_array(*doc.root().dict().find("w"), &shorter); }).code(),
            ErrorCode::bad_value);

  // A big-endian checkpoint's storages (byteorder record "big").
  std::string big;
  for (float f : {0.f, 1.f, 2.f, 3.f, 4.f, 5.f}) big += be(f);
  TorchStorages big_endian;
  big_endian.byteorder = '>';
  big_endian.lookup = [&](std::string_view) -> std::optional<std::span<const std::byte>> {
    return as_bytes(big);
  };
  std::optional<ArrayView> t = pickle::as_array(*doc.root().dict().find("t"), &big_endian);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype.str(), ">f4");
  EXPECT_EQ(t->to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(ArrayTorch, StorageDtypes) {
  Graph g;
  auto of = [&](const char* module, const char* name, char order = '<') {
    return pickle::torch_storage_dtype(g.global(module, name), order);
  };
  ASSERT_TRUE(of("torch", "FloatStorage"));
  EXPECT_EQ(of("torch", "FloatStorage")->name, "float32");
  EXPECT_EQ(of("torch", "FloatStorage", '>')->str(), ">f4");
  EXPECT_EQ(of("torch", "BFloat16Storage")->name, "bfloat16");
  EXPECT_EQ(of("torch", "HalfStorage")->name, "float16");
  EXPECT_EQ(of("torch", "LongStorage")->name, "int64");
  EXPECT_EQ(of("torch", "CharStorage")->name, "int8");
  EXPECT_EQ(of("torch", "ByteStorage")->name, "uint8");
  EXPECT_EQ(of("torch", "BoolStorage", '>')->str(), "|b1");
  EXPECT_EQ(of("torch", "ComplexFloatStorage")->name, "complex64");
  EXPECT_EQ(of("torch", "ComplexHalfStorage")->name, "complex32");
  EXPECT_FALSE(of("torch", "Tensor"));
  EXPECT_FALSE(of("numpy", "FloatStorage"));
  EXPECT_FALSE(pickle::torch_storage_dtype(g.str("FloatStorage")));
  EXPECT_EQ(error_of([&] { of("torch", "QUInt8Storage"); }).code(), ErrorCode::unsupported);
}

TEST(ArrayTorch, TensorsWithoutStorages) {
  // Without storages, a tensor's view has its dtype, shape and strides but no data (the
  // CLI's summaries use it so).
  Document doc = pickle::loads(kTorchDataPkl);
  std::optional<ArrayView> t = pickle::as_array(*doc.root().dict().find("t"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->dtype.name, "float32");
  EXPECT_EQ(t->shape, (Shape{3, 2}));
  EXPECT_EQ(t->strides, (Shape{4, 12}));
  EXPECT_TRUE(t->data.empty());
  EXPECT_EQ(t->storage_key, "0");
  EXPECT_EQ(pickle::array_summary(*t), "torch.Tensor(shape=(3, 2), dtype=float32)");
}

// ---------------------------------------------------------------------------
// .npy and .npz

// An .npy file as numpy.lib.format writes it: the magic, the version, the header
// length (2 bytes in 1.0, 4 in 2.0 and 3.0), the header padded with spaces and a
// newline so the data starts at a multiple of 64, the data.
std::string npy(std::string_view header, std::string_view data, int major = 1) {
  const size_t preamble = major == 1 ? 10 : 12;
  std::string h(header);
  h.append(64 - (preamble + h.size() + 1) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  out += major == 1 ? le(static_cast<uint16_t>(h.size())) : le(static_cast<uint32_t>(h.size()));
  return out + h + std::string(data);
}

// Raw bytes of an .npy preamble and header, without padding.
std::string npy_raw(int major, int minor, uint64_t length, std::string_view rest) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += static_cast<char>(minor);
  out += major == 1 ? le(static_cast<uint16_t>(length)) : le(static_cast<uint32_t>(length));
  return out + std::string(rest);
}

// A zip archive of the members given (name, data, deflated), as np.savez and
// np.savez_compressed write them.
struct Member {
  std::string name, data;
  bool deflated = false;
};
std::string zip(const std::vector<Member>& members) {
  std::string out, dir;
  for (const Member& m : members) {
    std::string payload = m.deflated ? deflate_raw(m.data) : m.data;
    uint32_t crc = pickle_test::crc(m.data);
    uint16_t method = m.deflated ? 8 : 0;
    auto offset = static_cast<uint32_t>(out.size());
    out += le(uint32_t(0x04034b50)) + le(uint16_t(20)) + le(uint16_t(0)) + le(method) +
           le(uint32_t(0)) + le(crc) + le(uint32_t(payload.size())) + le(uint32_t(m.data.size())) +
           le(uint16_t(m.name.size())) + le(uint16_t(0)) + m.name + payload;
    dir += le(uint32_t(0x02014b50)) + le(uint16_t(20)) + le(uint16_t(20)) + le(uint16_t(0)) +
           le(method) + le(uint32_t(0)) + le(crc) + le(uint32_t(payload.size())) +
           le(uint32_t(m.data.size())) + le(uint16_t(m.name.size())) + le(uint16_t(0)) +
           le(uint16_t(0)) + le(uint16_t(0)) + le(uint16_t(0)) + le(uint32_t(0)) + le(offset) +
           m.name;
  }
  auto dir_offset = static_cast<uint32_t>(out.size());
  out += dir;
  out += le(uint32_t(0x06054b50)) + le(uint16_t(0)) + le(uint16_t(0)) +
         le(uint16_t(members.size())) + le(uint16_t(members.size())) + le(uint32_t(dir.size())) +
         le(dir_offset) + le(uint16_t(0));
  return out;
}

// The one array of an .npy file.
ArrayView only_array(const TensorFile& file) {
  std::vector<NamedArray> arrays = file.arrays();
  if (arrays.size() != 1) throw std::runtime_error("not one array");
  EXPECT_EQ(arrays[0].name, "");
  return arrays[0].view;
}

TEST(NpyBuild, BuilderMatchesNumpy) {
  EXPECT_EQ(
      npy("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }", le_all<int16_t>({1, 2, -3})),
      kNpyInt16);
}

TEST(NpyFile, Version1) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  TensorFile file(u8(kNpyInt16));  // numpy's own
  EXPECT_EQ(file.format(), FileFormat::npy);
  EXPECT_EQ(pickle::format_name(file.format()), "numpy .npy file");
  EXPECT_EQ(file.storages(), nullptr);
  ASSERT_EQ(file.roots().size(), 1u);
  ArrayView a = only_array(file);
  EXPECT_EQ(a.origin, ArrayView::Origin::numpy);
  EXPECT_EQ(a.dtype.str(), "<i2");
  EXPECT_EQ(a.shape, Shape{3});
  EXPECT_EQ(a.strides, Shape{2});
  EXPECT_EQ(a.to_vector<int16_t>(), (std::vector<int16_t>{1, 2, -3}));
  // The data is viewed in the file's bytes, after the 128-byte preamble and header.
  EXPECT_EQ(static_cast<const void*>(a.data.data()),
            static_cast<const void*>(kNpyInt16.data() + 128));

  pickle::NpyHeader h = pickle::read_npy_header(u8(kNpyInt16));
  EXPECT_EQ(h.major, 1);
  EXPECT_EQ(h.minor, 0);
  EXPECT_EQ(h.data_offset, 128u);
  EXPECT_EQ(h.text.size(), 118u);
  EXPECT_TRUE(h.text.starts_with("{'descr': '<i2', "));
  EXPECT_TRUE(h.text.ends_with(" \n"));
}

TEST(NpyFile, Versions2And3) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  std::string data;
  for (double d : {1.5, -2.0, 3.0, 4.25}) data += be(d);
  std::string v2 = npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", data, 2);
  TensorFile f2(u8(v2));
  EXPECT_EQ(f2.format(), FileFormat::npy);
  ArrayView a = only_array(f2);
  EXPECT_EQ(a.dtype.str(), ">f8");
  EXPECT_EQ(a.shape, (Shape{2, 2}));
  EXPECT_EQ(a.strides, (Shape{16, 8}));
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1.5, -2.0, 3.0, 4.25}));
  EXPECT_EQ(pickle::read_npy_header(u8(v2)).major, 2);
  EXPECT_EQ(pickle::read_npy_header(u8(v2)).data_offset, 128u);

  // Version 3.0: a UTF-8 header, for field names beyond latin-1.
  std::string v3 =
      npy("{'descr': [('\xce\xbb', '<i4'), ('b', '|u1')], 'fortran_order': False, 'shape': (2,), }",
          le(int32_t(7)) + "\x01" + le(int32_t(-1)) + "\x02", 3);
  TensorFile f3(u8(v3));
  ArrayView s = only_array(f3);
  ASSERT_EQ(s.dtype.fields.size(), 2u);
  EXPECT_EQ(s.dtype.fields[0].name, "\xce\xbb");  // λ
  EXPECT_EQ(s.dtype.fields[1].offset, 4u);
  EXPECT_EQ(s.dtype.itemsize, 5u);
  EXPECT_EQ(s.strides, Shape{5});
  EXPECT_EQ(le_hex(s), "0700000001ffffffff02");
}

TEST(NpyFile, StructuredDescrList) {
  // np.save of a = np.zeros(2, [('x', '<f4'), ('y', '>i2', (2,))]); a['x'] = [1.5, -2];
  // a['y'] = [[1, 2], [3, 4]]: its header and a.tobytes().
  std::string data =
      le(1.5f) + be(int16_t(1)) + be(int16_t(2)) + le(-2.0f) + be(int16_t(3)) + be(int16_t(4));
  std::string bytes =
      npy("{'descr': [('x', '<f4'), ('y', '>i2', (2,))], 'fortran_order': False, 'shape': (2,), }",
          data);
  TensorFile file(u8(bytes));
  ArrayView a = only_array(file);
  EXPECT_EQ(a.dtype.name, "void64");
  EXPECT_EQ(a.dtype.str(), "|V8");
  EXPECT_EQ(a.shape, Shape{2});
  ASSERT_EQ(a.dtype.fields.size(), 2u);
  EXPECT_EQ(a.dtype.fields[0].name, "x");
  EXPECT_EQ(a.dtype.fields[0].type->str(), "<f4");
  EXPECT_EQ(a.dtype.fields[1].name, "y");
  EXPECT_EQ(a.dtype.fields[1].offset, 4u);
  ASSERT_TRUE(a.dtype.fields[1].type->base);
  EXPECT_EQ(a.dtype.fields[1].type->base->str(), ">i2");
  EXPECT_EQ(a.dtype.fields[1].type->subshape, Shape{2});
  EXPECT_EQ(hex(a.data), hex(as_bytes(data)));
}

TEST(NpyFile, FortranOrder) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  // np.save(f, np.asfortranarray([[1., 2., 3.], [4., 5., 6.]])): fortran_order True, the
  // data in column order.
  std::string bytes = npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                          le_all<double>({1, 4, 2, 5, 3, 6}));
  TensorFile file(u8(bytes));
  ArrayView a = only_array(file);
  EXPECT_EQ(a.shape, (Shape{2, 3}));
  EXPECT_EQ(a.strides, (Shape{8, 16}));
  EXPECT_FALSE(a.c_contiguous());
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(NpyFile, ObjectArrayHoldsAPickle) {
  // np.save(f, np.array([1, 'a', None], dtype=object)): the header says '|O' and a
  // pickle of the array follows (numpy writes protocol 3; any protocol reads).
  std::string bytes = npy("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", kObjectP2);
  TensorFile file(u8(bytes));
  ArrayView a = only_array(file);
  EXPECT_EQ(a.dtype.name, "object");
  ASSERT_EQ(a.objects.size(), 3u);
  EXPECT_EQ(a.objects[1].as_str(), "a");
}

TEST(NpyFile, ZeroDimensionalAndEmpty) {
  // TensorFile views the bytes it is given: they outlive it.
  const std::string scalar_bytes =
      npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", "\x07");
  TensorFile scalar(u8(scalar_bytes));
  ArrayView s = only_array(scalar);
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.to_vector<uint8_t>(), std::vector<uint8_t>{7});
  const std::string empty_bytes =
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", "");
  TensorFile empty(u8(empty_bytes));
  ArrayView e = only_array(empty);
  EXPECT_EQ(e.shape, (Shape{0, 5}));
  EXPECT_EQ(e.size(), 0u);
}

TEST(NpyFile, DataTooShort) {
  // (2, 3) int16 needs 12 bytes.
  std::string bytes =
      npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", std::string(11, '\0'));
  ContainerError e = container_error_of([&] { TensorFile file(u8(bytes)); });
  EXPECT_EQ(e.offset(), 128u);  // where the data starts
  // Longer data is left unread, as np.load reads count items.
  std::string longer =
      npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", std::string(5, '\x01'));
  TensorFile file(u8(longer));
  EXPECT_EQ(only_array(file).nbytes(), 4u);
}

TEST(NpyHeader, Refusals) {
  const std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': (), }";
  // Bad magic, short preamble.
  for (std::string bytes :
       {std::string("\x93NUMPZ\x01\x00\x00\x00", 10), std::string("\x93NUMPY\x01\x00\x00", 9),
        std::string("NUMPY\x01\x00\x00\x00\x00", 10), std::string()}) {
    container_error_of([&] { pickle::read_npy_header(u8(bytes)); });
  }
  // Versions numpy does not write.
  for (auto [major, minor] :
       std::initializer_list<std::pair<int, int>>{{0, 0}, {4, 0}, {1, 1}, {2, 5}}) {
    std::string bytes = npy_raw(major, minor, header.size(), header);
    ContainerError e = container_error_of([&] { pickle::read_npy_header(u8(bytes)); });
    EXPECT_EQ(e.offset(), 6u);
  }
  // A header length past the end: version 1 (2 bytes) and 2 (4 bytes), by one and by
  // far (a 4 GiB header in a file of a few bytes).
  for (auto [major, length] : std::initializer_list<std::pair<int, size_t>>{{1, header.size() + 1},
                                                                            {1, 0xFFFF},
                                                                            {2, header.size() + 1},
                                                                            {2, 0xFFFFFFFF},
                                                                            {3, 0x80000000}}) {
    std::string bytes = npy_raw(major, 0, length, header);
    ContainerError e = container_error_of([&] { pickle::read_npy_header(u8(bytes)); });
    EXPECT_EQ(e.offset(), major == 1 ? 10u : 12u);
  }
  // Version 2's 4-byte length cut short.
  container_error_of(
      [&] { pickle::read_npy_header(u8(std::string("\x93NUMPY\x02\x00\x10\x00", 10))); });
  // Exactly the header, no data: fine.
  std::string exact = npy_raw(1, 0, header.size(), header);
  pickle::NpyHeader h = pickle::read_npy_header(u8(exact));
  EXPECT_EQ(h.text, header);
  EXPECT_EQ(h.data_offset, exact.size());
}

TEST(NpyHeader, HeadersTensorFileRefuses) {
  for (std::string header :
       {std::string("{'descr': '<i2', 'fortran_order': False}"),                // no shape
        std::string("{'descr': '<i2', 'shape': ()}"),                           // no fortran_order
        std::string("{'fortran_order': False, 'shape': ()}"),                   // no descr
        std::string("{'descr': '<i2', 'fortran_order': 0, 'shape': ()}"),       // not a bool
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': [2]}"),  // not a tuple
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': (-1,)}"),
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': ('2',)}"),
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': (2**3,)}"),
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': (99999999999999999999,)}"),
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': (4294967296, 4294967296)}"),
        std::string("['descr', '<i2']"), std::string("{'descr': '<i2'"), std::string(""),
        std::string("{'descr': '<i2', 'fortran_order': False, 'shape': ()} x"),
        std::string("{'descr': '<i2\\q', 'fortran_order': False, 'shape': ()}"),
        std::string("{'descr: '<i2', 'fortran_order': False, 'shape': ()}"),
        std::string("{['a']: 1}")}) {
    SCOPED_TRACE(header);
    const std::string bytes = npy(header, std::string(8, '\0'));
    container_error_of([&] { TensorFile file(u8(bytes)); });
  }
  // A dtype numpy would not understand: bad_value, as from any array.
  std::string bad_dtype = npy("{'descr': '<i3', 'fortran_order': False, 'shape': ()}", "abc");
  PickleError e = error_of([&] { TensorFile file(u8(bad_dtype)); });
  EXPECT_EQ(e.code(), ErrorCode::bad_value) << e.what();
}

TEST(NpyHostile, HundredThousandNestedLists) {
  // A header of "[[[[...]]]]" 100000 deep (a version 2 header: more than 65535 bytes)
  // is refused, without recursing or running out of stack.
  const size_t depth = 100000;
  std::string nested = std::string(depth, '[') + std::string(depth, ']');
  std::string header = "{'descr': '<i2', 'fortran_order': False, 'shape': " + nested + "}";
  std::string bytes = npy(header, "", 2);
  container_error_of([&] { TensorFile file(u8(bytes)); });
  // In a descr too, and opened but never closed, and as dicts.
  for (std::string h : {"{'descr': " + nested + ", 'fortran_order': False, 'shape': ()}",
                        "{'descr': " + std::string(depth, '[') + "}",
                        "{'descr': " + std::string(depth, '(') + std::string(depth, ')') + "}",
                        std::string(depth, '{') + std::string(depth, '}'), [&] {
                          std::string s;
                          for (size_t i = 0; i < depth; ++i) s += "{'a': ";
                          return s + "1" + std::string(depth, '}');
                        }()}) {
    const std::string file_bytes = npy(h, "", 3);
    container_error_of([&] { TensorFile file(u8(file_bytes)); });
  }

  // The literal reader itself keeps its open containers on a stack of its own: with no
  // depth limit it reads the 100000 levels; with the default it stops at 64.
  Graph g;
  Value out;
  pickle::detail::LiteralError error;
  EXPECT_TRUE(pickle::detail::parse_literal(nested, g, out, error, SIZE_MAX)) << error.what;
  ASSERT_TRUE(out.is_list());
  Value inner = out;
  size_t levels = 1;
  while (inner.size() == 1) inner = inner[0], ++levels;
  EXPECT_EQ(levels, depth);
  EXPECT_FALSE(pickle::detail::parse_literal(nested, g, out, error));
  EXPECT_EQ(error.what, "literals nested too deep");
  EXPECT_EQ(error.offset, 64u);
  EXPECT_FALSE(pickle::detail::parse_literal(std::string(depth, '('), g, out, error, SIZE_MAX));
}

TEST(NpyHostile, LiteralReader) {
  Graph g;
  Value out;
  pickle::detail::LiteralError error;
  auto ok = [&](std::string_view text) {
    return pickle::detail::parse_literal(text, g, out, error);
  };
  ASSERT_TRUE(ok(" {'a': (1, -2, True, None), \"b\": [], 'c': ('x\\n\\x41',), } "));
  ASSERT_TRUE(out.is_dict());
  EXPECT_EQ((*out.dict().find("a"))[1].as_int(), -2);
  EXPECT_EQ((*out.dict().find("c"))[0].as_str(), "x\nA");
  ASSERT_TRUE(ok("(1,)"));
  EXPECT_TRUE(out.is_tuple());
  ASSERT_TRUE(ok("9223372036854775807"));
  EXPECT_EQ(out.as_int(), INT64_MAX);
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "(", "(1", "(1 2)", "{'a' 1}", "{'a': }", "{1: 2, 3}", "[1,,]", "'abc", "'\\",
           "'\\x4'", "9223372036854775808",
           std::string_view("1"
                            "\0",
                            2),
           "-", "1.5", "x", "{[]: 1}", "(1) (2)"}) {
    EXPECT_FALSE(ok(bad)) << bad;
  }
  // A 100000-digit int is refused without quadratic work.
  EXPECT_FALSE(ok(std::string(100000, '9')));
}

TEST(TensorFileNpz, StoredAndDeflated) {
  if constexpr (!kLittle) GTEST_SKIP() << "little-endian machine assumed";
  // np.savez(f, a=np.array([1, 2, -3], '<i2'), b=np.arange(4.).reshape(2, 2)), with b
  // deflated as np.savez_compressed writes it.
  std::vector<Member> members = {
      {"a.npy", kNpyInt16, false},
      {"b.npy",
       npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
           le_all<double>({0, 1, 2, 3})),
       true},
  };
  std::string bytes = zip(members);
  TensorFile file(u8(bytes));
  EXPECT_EQ(file.format(), FileFormat::npz);
  EXPECT_EQ(pickle::format_name(file.format()), "numpy .npz archive");
  ASSERT_EQ(file.roots().size(), 1u);
  Value root = file.roots()[0];
  ASSERT_TRUE(root.is_dict());
  EXPECT_EQ(root.dict().size(), 2u);
  EXPECT_TRUE(root.dict().find("a"));
  EXPECT_TRUE(root.dict().find("b"));
  std::vector<NamedOther> others;
  std::vector<NamedArray> arrays = file.arrays(&others);
  EXPECT_TRUE(others.empty());
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].name, "a");
  EXPECT_EQ(arrays[0].view.to_vector<int16_t>(), (std::vector<int16_t>{1, 2, -3}));
  // The stored member is viewed in the archive.
  const auto* base = reinterpret_cast<const std::byte*>(bytes.data());
  EXPECT_GE(arrays[0].view.data.data(), base);
  EXPECT_LT(arrays[0].view.data.data(), base + bytes.size());
  EXPECT_EQ(arrays[1].name, "b");
  EXPECT_EQ(arrays[1].view.shape, (Shape{2, 2}));
  EXPECT_EQ(arrays[1].view.to_vector<double>(), (std::vector<double>{0, 1, 2, 3}));
}

TEST(TensorFileNpz, BadMembers) {
  // A member that is not an .npy, among .npy members: neither .npz nor checkpoint.
  std::string mixed = zip({{"a.npy", kNpyInt16}, {"readme.txt", "hello"}});
  container_error_of([&] { TensorFile file(u8(mixed)); }, pickle::Container::zip);
  // An .npy member whose header is cut: the error names .npy.
  std::string cut = zip({{"a.npy", kNpyInt16.substr(0, 60)}});
  container_error_of([&] { TensorFile file(u8(cut)); });
  // An .npy member whose data is short.
  std::string short_data = zip({{"a.npy", kNpyInt16.substr(0, kNpyInt16.size() - 1)}});
  container_error_of([&] { TensorFile file(u8(short_data)); });
}

std::string compress(const std::string& s, int window_bits) {
  return pickle_test::deflate_with(s, window_bits);
}

TEST(TensorFilePickles, Compressed) {
  // A gzip-compressed pickle (joblib's .gz), a zlib-compressed one (joblib's default
  // compression), and a gzip-compressed .npy: read whole, then as the content says.
  for (auto [window_bits, kind] : std::initializer_list<std::pair<int, pickle::Container>>{
           {MAX_WBITS + 16, pickle::Container::gzip}, {MAX_WBITS, pickle::Container::zlib}}) {
    std::string bytes = compress(kFortranF8P5, window_bits);
    TensorFile file(u8(bytes));
    EXPECT_EQ(file.format(), FileFormat::pickle);
    ASSERT_EQ(file.layers().size(), 1u);
    EXPECT_EQ(file.layers()[0], kind);
    std::vector<NamedArray> arrays = file.arrays();
    ASSERT_EQ(arrays.size(), 1u);
    EXPECT_EQ(arrays[0].view.to_vector<double>(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  }
  std::string npy_gz = compress(kNpyInt16, MAX_WBITS + 16);
  TensorFile file(u8(npy_gz));
  EXPECT_EQ(file.format(), FileFormat::npy);
  EXPECT_EQ(only_array(file).to_vector<int16_t>(), (std::vector<int16_t>{1, 2, -3}));
}

TEST(TensorFilePickles, PlainPickles) {
  // Several pickles in one file: each a root, named by its index.
  std::string bytes = kBeInt32P5 + kBoolP4 + R"(\x80\x04K\x07.)"_pk;
  TensorFile file(u8(bytes));
  EXPECT_EQ(file.format(), FileFormat::pickle);
  EXPECT_EQ(file.roots().size(), 3u);
  EXPECT_EQ(file.storages(), nullptr);
  std::vector<NamedOther> others;
  std::vector<NamedArray> arrays = file.arrays(&others);
  ASSERT_EQ(arrays.size(), 2u);
  EXPECT_EQ(arrays[0].name, "0");
  EXPECT_EQ(arrays[0].view.dtype.str(), ">i4");
  EXPECT_EQ(arrays[1].name, "1");
  EXPECT_EQ(arrays[1].view.dtype.name, "bool");
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].name, "2");
  EXPECT_EQ(others[0].what, "int");

  // A numpy scalar is another value, not an array.
  TensorFile scalar(u8(kScalarP2));
  std::vector<NamedOther> scalar_others;
  EXPECT_TRUE(scalar.arrays(&scalar_others).empty());
  ASSERT_EQ(scalar_others.size(), 1u);
  EXPECT_EQ(scalar_others[0].what, "numpy scalar");
}

// NumpyArray<T> in the typed binding (pickle/typed/numpy.hpp): written as numpy writes
// the array (the same bytes numpy_array gives), read back from any numpy array of T's
// dtype, and a TypedError naming both dtypes for another.
struct NumpySeries {
  std::string name;
  pickle::NumpyArray<double> values;
  pickle::NumpyArray<bool> mask;
};

TEST(ArrayTyped, NumpyArrayRoundTripsAsNumpyWritesIt) {
  NumpySeries s{"x", {{2, 2}, {1, 2, 3, 4}}, {{3}, {true, false, true}}};
  std::vector<double> values = {1, 2, 3, 4};
  std::vector<int64_t> shape = {2, 2};
  for (int p = 2; p <= 5; ++p) {
    SCOPED_TRACE(p);
    std::string bytes = pickle::dumps(s.values, {.protocol = p});
    pickle::Graph g;
    pickle::Value expected = pickle::numpy_array(g, pickle::parse_dtype("<f8"), shape,
                                                 std::as_bytes(std::span(values)), {.protocol = p});
    EXPECT_EQ(bytes, pickle::dumps(expected, {.protocol = p}));
    auto back = pickle::loads<pickle::NumpyArray<double>>(bytes);
    EXPECT_EQ(back, s.values);
  }
  auto mask = pickle::loads<pickle::NumpyArray<bool>>(pickle::dumps(s.mask));
  EXPECT_EQ(mask, s.mask);
  try {
    (void)pickle::loads<pickle::NumpyArray<float>>(pickle::dumps(s.values));
    ADD_FAILURE() << "a float64 array read as float32";
  } catch (const pickle::TypedError& e) {
    EXPECT_NE(std::string(e.what()).find("float32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("float64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      (void)pickle::loads<pickle::NumpyArray<double>>(pickle::dumps(std::vector<double>{1})),
      pickle::TypedError);
}

}  // namespace
