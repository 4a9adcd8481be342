// The .npy preamble: "\x93NUMPY", a version, the header length (2 bytes in version 1,
// 4 in versions 2 and 3), the header.
#include "pickle/npy.hpp"

#include <string>

namespace pickle {

NpyHeader read_npy_header(std::span<const uint8_t> bytes) {
  auto fail = [](uint64_t at, const std::string& what) {
    throw ContainerError(ErrorCode::bad_container, Container::npy, at, what);
  };
  if (bytes.size() < 10 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 6) !=
                               std::string_view("\x93NUMPY", 6))
    fail(0, "not an .npy file (no \\x93NUMPY magic, or shorter than its preamble)");
  NpyHeader h;
  h.major = bytes[6], h.minor = bytes[7];
  if (h.major < 1 || h.major > 3 || h.minor != 0)
    fail(6, "version " + std::to_string(h.major) + "." + std::to_string(h.minor) +
                " (numpy writes 1.0, 2.0 and 3.0)");
  uint64_t length = 0, start = 0;
  if (h.major == 1) {
    length = bytes[8] | (uint64_t(bytes[9]) << 8);
    start = 10;
  } else {
    if (bytes.size() < 12) fail(8, "the header length is cut short");
    length = bytes[8] | (uint64_t(bytes[9]) << 8) | (uint64_t(bytes[10]) << 16) |
             (uint64_t(bytes[11]) << 24);
    start = 12;
  }
  if (length > bytes.size() - start)
    fail(start, "a header of " + std::to_string(length) + " bytes passes the end of the file");
  h.text = std::string_view(reinterpret_cast<const char*>(bytes.data() + start), length);
  h.data_offset = start + length;
  return h;
}

}  // namespace pickle
