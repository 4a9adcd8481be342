// libFuzzer target: see pickle::fuzz::builders_target.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pickle::fuzz::builders_target(data, size);
  return 0;
}
