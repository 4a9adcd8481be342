// Replays tests/regressions/* through the fuzz target bodies.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "targets.hpp"

namespace {

TEST(Regressions, EveryFileReplaysCleanly) {
  std::filesystem::path dir = PICKLE_REGRESSIONS_DIR;
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().filename().string());
    const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
    EXPECT_NO_THROW(pickle::fuzz::load_target(bytes, data.size()));
    EXPECT_NO_THROW(pickle::fuzz::roundtrip_target(bytes, data.size()));
    ++replayed;
  }
  EXPECT_GT(replayed, 0) << "no regression inputs found in " << dir;
}

}  // namespace
