// Every byte left in a Source, read window by window: the tests of the io layer's
// containers (decompress_test.cpp, zip_test.cpp) compare what a source gives with this.
#pragma once

#include <string>

#include "pickle/io.hpp"

namespace pickle_test {

inline std::string drain(pickle::Source& s) {
  std::string out;
  while (s.ensure(1)) {
    auto w = s.window();
    out.append(reinterpret_cast<const char*>(w.data()), w.size());
    s.consume(w.size());
  }
  return out;
}

}  // namespace pickle_test
