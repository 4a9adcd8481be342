// What a program using pickle++ as a package does, built by tests/package against an
// installed pickle++ (find_package, pkg-config) and a source tree (add_subdirectory).
// It loads a pickle CPython 3.13 wrote at protocol 2, prints its repr, writes it again
// at protocol 4 and compares with CPython's bytes, catches an UnpicklingError thrown by
// the library (its type must be shared across a shared library's boundary), and checks
// that the version macros agree with the library. Output: consumer.expected.
#include <pickle/pickle.hpp>
#include <pickle/version.hpp>

#include <iostream>
#include <string>
#include <string_view>

static_assert(PICKLE_VERSION ==
              PICKLE_VERSION_MAJOR * 10000 + PICKLE_VERSION_MINOR * 100 + PICKLE_VERSION_PATCH);

using namespace std::string_view_literals;  // "..."sv: the pickles hold NUL bytes

namespace {

// CPython 3.13: pickle.dumps(OBJ, protocol=2) and protocol=4, where OBJ is
// {'name': 'pickle++', 'ids': [1, 2, 3], 'pi': 3.25, 'blob': b'\x00\x01', 'point': (None, True)}
const std::string_view kProtocol2 =
    "\x80\x02\x7d\x71\x00\x28\x58\x04\x00\x00\x00\x6e\x61\x6d\x65\x71"
    "\x01\x58\x08\x00\x00\x00\x70\x69\x63\x6b\x6c\x65\x2b\x2b\x71\x02"
    "\x58\x03\x00\x00\x00\x69\x64\x73\x71\x03\x5d\x71\x04\x28\x4b\x01"
    "\x4b\x02\x4b\x03\x65\x58\x02\x00\x00\x00\x70\x69\x71\x05\x47\x40"
    "\x0a\x00\x00\x00\x00\x00\x00\x58\x04\x00\x00\x00\x62\x6c\x6f\x62"
    "\x71\x06\x63\x5f\x63\x6f\x64\x65\x63\x73\x0a\x65\x6e\x63\x6f\x64"
    "\x65\x0a\x71\x07\x58\x02\x00\x00\x00\x00\x01\x71\x08\x58\x06\x00"
    "\x00\x00\x6c\x61\x74\x69\x6e\x31\x71\x09\x86\x71\x0a\x52\x71\x0b"
    "\x58\x05\x00\x00\x00\x70\x6f\x69\x6e\x74\x71\x0c\x4e\x88\x86\x71"
    "\x0d\x75\x2e"sv;
const std::string_view kProtocol4 =
    "\x80\x04\x95\x4d\x00\x00\x00\x00\x00\x00\x00\x7d\x94\x28\x8c\x04"
    "\x6e\x61\x6d\x65\x94\x8c\x08\x70\x69\x63\x6b\x6c\x65\x2b\x2b\x94"
    "\x8c\x03\x69\x64\x73\x94\x5d\x94\x28\x4b\x01\x4b\x02\x4b\x03\x65"
    "\x8c\x02\x70\x69\x94\x47\x40\x0a\x00\x00\x00\x00\x00\x00\x8c\x04"
    "\x62\x6c\x6f\x62\x94\x43\x02\x00\x01\x94\x8c\x05\x70\x6f\x69\x6e"
    "\x74\x94\x4e\x88\x86\x94\x75\x2e"sv;

}  // namespace

int main() {
  try {
    pickle::Document doc = pickle::loads(kProtocol2);
    std::cout << pickle::repr(doc.root()) << "\n";
    pickle::DumpOptions options;  // not {.protocol = 4}: g++ 12 warns (GCC bug 96868)
    options.protocol = 4;
    const std::string again = pickle::dumps(doc.root(), options);
    std::cout << "protocol 4: "
              << (again == kProtocol4 ? "the bytes CPython writes" : "other bytes") << "\n";
  } catch (const pickle::PickleError& e) {
    std::cout << "unexpected error: " << e.what() << "\n";
    return 1;
  }

  try {
    const pickle::Document doc = pickle::loads("\x80\x04K"sv);  // BININT1 without its byte
    std::cout << "loaded " << pickle::repr(doc.root()) << " from a truncated pickle\n";
    return 1;
  } catch (const pickle::UnpicklingError& e) {
    std::cout << "caught " << pickle::error_code_name(e.code()) << " at byte " << e.offset()
              << "\n";
  }

  const std::string from_macros = std::to_string(PICKLE_VERSION_MAJOR) + "." +
                                  std::to_string(PICKLE_VERSION_MINOR) + "." +
                                  std::to_string(PICKLE_VERSION_PATCH);
  std::cerr << "pickle++ headers " << PICKLE_VERSION_STRING << ", library " << pickle::version()
            << "\n";
  const bool agree = from_macros == PICKLE_VERSION_STRING && from_macros == pickle::version();
  std::cout << "version: " << (agree ? "headers and library agree" : "MISMATCH") << "\n";
  return agree ? 0 : 1;
}
