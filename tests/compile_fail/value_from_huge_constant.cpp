// An unsigned constant above INT64_MAX does not fit an immediate Value: in a constant
// expression that is a compile error (at run time, pickle::OverflowError).
#include <cstdint>

#include "pickle/value.hpp"

int main() {
#ifdef PICKLE_CONTROL
  constexpr pickle::Value v = uint64_t{1} << 62;
#else
  constexpr pickle::Value v = uint64_t{1} << 63;
#endif
  return v.is_int() ? 0 : 1;
}
