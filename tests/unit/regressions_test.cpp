// Replays tests/regressions/* through the fuzz target bodies (fuzz/targets.hpp). Every
// file goes through every target, whichever found it: each target accepts any bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "targets.hpp"

namespace {

// The targets, by the prefix that names a regression file: `<prefix>-<what>.pkl`.
struct Target {
  const char* prefix;
  void (*body)(const uint8_t*, size_t);
};
constexpr Target kTargets[] = {
    {"load", pickle::fuzz::load_target},
    {"roundtrip", pickle::fuzz::roundtrip_target},
    {"graph", pickle::fuzz::graph_target},
    {"dis", pickle::fuzz::dis_target},
    {"builders", pickle::fuzz::builders_target},
    {"typed", pickle::fuzz::typed_target},
    {"decompress", pickle::fuzz::decompress_target},
    {"zip", pickle::fuzz::zip_target},
    {"tensor_file", pickle::fuzz::tensor_file_target},
    {"scan", pickle::fuzz::scan_target},
    {"json", pickle::fuzz::json_target},
};

TEST(Regressions, EveryFileReplaysCleanly) {
  std::filesystem::path dir = PICKLE_REGRESSIONS_DIR;
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") continue;
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    bool known = false;
    for (const Target& t : kTargets) known = known || name.starts_with(std::string(t.prefix) + "-");
    EXPECT_TRUE(known) << "a regression file is named after the target that found it";
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
    for (const Target& t : kTargets) {
      SCOPED_TRACE(t.prefix);
      EXPECT_NO_THROW(t.body(bytes, data.size()));
    }
    ++replayed;
  }
  EXPECT_GT(replayed, 0) << "no regression inputs found in " << dir;
}

}  // namespace
