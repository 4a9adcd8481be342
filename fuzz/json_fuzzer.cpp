// libFuzzer target: see pickle::fuzz::json_target.
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pickle::fuzz::json_target(data, size);
  return 0;
}
