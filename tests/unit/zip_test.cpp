// ZipArchive (pickle/zip.hpp, docs/containers.md "Zip archives"): archives laid out
// byte by byte here, so each field a hostile archive can lie in is set on purpose:
// stored and deflated members, ZIP64 records, data descriptors, duplicate names, a
// local name that differs, a suffix; and every refusal with its code and message.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "drain.hpp"
#include "pickle/pickle.hpp"
#include "zip_layout.hpp"
#include "zlib_bytes.hpp"

namespace {

using pickle_test::crc;
using pickle_test::deflate_raw;

using pickle::ContainerError;
using pickle::ErrorCode;
using pickle::ZipArchive;
using pickle::ZipMember;
using pickle_test::build;
using pickle_test::drain;
using pickle_test::Entry;
using pickle_test::Layout;
using pickle_test::put;

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The ContainerError `f` throws, checked to name the zip archive.
template <class F>
ContainerError error_of(F f) {
  try {
    f();
  } catch (const ContainerError& e) {
    EXPECT_EQ(e.container(), pickle::Container::zip);
    EXPECT_NE(std::string(e.what()).find("a zip archive at byte "), std::string::npos) << e.what();
    return e;
  }
  ADD_FAILURE() << "no ContainerError";
  return ContainerError(ErrorCode::internal, pickle::Container::zip, 0, "");
}

// pickle.dumps([1, 2], 2); the length from the array, as the bytes hold a NUL.
constexpr char kPickleBytes[] =
    "\x80\x02]q\x00(K\x01K\x02"
    "e.";
const std::string kPickle(kPickleBytes, sizeof kPickleBytes - 1);

TEST(Zip, StoredAndDeflatedMembersReadBack) {
  std::string big(100000, 'x');
  std::string zip = build(
      {{{"archive/data.pkl", kPickle}, {"archive/data/0", big, true}, {"archive/version", "3\n"}}});
  ZipArchive z(bytes_of(zip));
  ASSERT_EQ(z.members().size(), 3u);
  EXPECT_EQ(z.members()[1].method, 8);
  EXPECT_EQ(z.members()[1].size, big.size());
  EXPECT_LT(z.members()[1].compressed_size, 1000u);
  // The stored pickle loads through open(), and is a view of the archive's bytes.
  const ZipMember* pkl = z.find("archive/data.pkl");
  ASSERT_NE(pkl, nullptr);
  auto view = z.stored_bytes(*pkl);
  EXPECT_EQ(view.data(), bytes_of(zip).data() + pkl->data_offset);
  auto source = z.open(*pkl);
  pickle::Unpickler u(*source);
  pickle::Graph g;
  EXPECT_EQ(pickle::repr(u.load(g)), "[1, 2]");
  auto inflated = z.open(*z.find("archive/data/0"));
  EXPECT_EQ(drain(*inflated), big);
  EXPECT_EQ(z.find("archive/nothing"), nullptr);
}

TEST(Zip, Zip64RecordsAndDataDescriptors) {
  Layout l{{{"a/data.pkl", kPickle, true, false, true}, {"a/data/0", "0123", false, true, true}}};
  l.zip64_end = true;
  std::string zip = build(l);
  ZipArchive z(bytes_of(zip));
  ASSERT_EQ(z.members().size(), 2u);
  EXPECT_EQ(z.members()[0].size, kPickle.size());
  EXPECT_EQ(drain(*z.open(z.members()[0])), kPickle);
  EXPECT_EQ(drain(*z.open(z.members()[1])), "0123");
}

TEST(Zip, FirstOfDuplicateNamesWinsAndBothAreListed) {
  std::string zip = build({{{"archive/data.pkl", "first"}, {"archive/data.pkl", "second"}}});
  ZipArchive z(bytes_of(zip));
  EXPECT_EQ(z.members().size(), 2u);
  EXPECT_EQ(drain(*z.open(*z.find("archive/data.pkl"))), "first");
}

TEST(Zip, LocalNameThatDiffersIsFlaggedAndTheDataFoundByItsLength) {
  Entry e{"archive/data.pkl", kPickle};
  e.local_name = "a-much-longer-local-name/data.pkl";
  std::string zip = build({{e}});
  ZipArchive z(bytes_of(zip));
  EXPECT_TRUE(z.members()[0].name_differs);
  EXPECT_EQ(drain(*z.open(z.members()[0])), kPickle);
}

TEST(Zip, SuffixAndEmptyArchive) {
  Layout l{{{"x", "data"}}};
  l.suffix = "TRAILING BYTES";
  std::string z_bytes = build(l);  // the archive outlives its views
  ZipArchive z(bytes_of(z_bytes));
  EXPECT_EQ(drain(*z.open(z.members()[0])), "data");
  EXPECT_TRUE(ZipArchive(bytes_of(build({}))).members().empty());
}

TEST(Zip, CrcMismatchIsRefusedByOpenNotByTheView) {
  Entry stored{"s", "stored bytes"};
  stored.crc_override = 1234;
  Entry deflated{"d", std::string(5000, 'y'), true};
  deflated.crc_override = 5678;
  std::string zip = build({{stored, deflated}});
  ZipArchive z(bytes_of(zip));
  EXPECT_EQ(z.stored_bytes(z.members()[0]).size(), 12u);
  for (const ZipMember& m : z.members()) {
    ContainerError e = error_of([&] { z.open(m); });
    EXPECT_EQ(e.code(), ErrorCode::bad_container);
    EXPECT_NE(e.detail().find("CRC-32 mismatch"), std::string::npos) << e.detail();
  }
}

TEST(Zip, DeclaredSizesAreHeld) {
  Entry more{"more", std::string(5000, 'z'), true};
  more.size_override = 4000;  // inflates to 5000
  Entry fewer{"fewer", std::string(5000, 'z'), true};
  fewer.size_override = 6000;
  Entry lie{"lie", std::string(5000, 'z'), true};
  lie.size_override = uint64_t(1) << 40;  // far beyond deflate's ratio
  lie.zip64 = true;
  std::string z_bytes = build({{more, fewer, lie}});  // the archive outlives its views
  ZipArchive z(bytes_of(z_bytes));
  EXPECT_NE(error_of([&] { z.open(z.members()[0]); }).detail().find("more than its declared size"),
            std::string::npos);
  EXPECT_NE(error_of([&] { z.open(z.members()[1]); }).detail().find("not its declared 6000"),
            std::string::npos);
  ContainerError e = error_of([&] { z.open(z.members()[2]); });
  EXPECT_NE(e.detail().find("max_decompressed"), std::string::npos) << e.detail();
  EXPECT_EQ(e.code(), ErrorCode::limit_exceeded);
  pickle::ZipLimits generous;
  generous.decompress.max_decompressed = uint64_t(1) << 50;
  std::string g_bytes = build({{lie}});  // the archive outlives its views
  ZipArchive g(bytes_of(g_bytes), generous);
  EXPECT_NE(error_of([&] { g.open(g.members()[0]); }).detail().find("more than deflate can make"),
            std::string::npos);
}

TEST(Zip, EncryptedAndOtherMethodsAreUnsupported) {
  Entry enc{"e", "data"};
  enc.flags = 1;
  Entry bz{"b", "data"};
  bz.method_override = 12;                   // bzip2 inside zip
  std::string z_bytes = build({{enc, bz}});  // the archive outlives its views
  ZipArchive z(bytes_of(z_bytes));
  for (const ZipMember& m : z.members())
    EXPECT_EQ(error_of([&] { z.open(m); }).code(), ErrorCode::unsupported);
  EXPECT_EQ(error_of([&] { z.stored_bytes(z.members()[0]); }).code(), ErrorCode::unsupported);
}

TEST(Zip, HostileDirectoriesAreRefused) {
  auto refused = [](const std::string& zip, const char* words,
                    ErrorCode code = ErrorCode::bad_container, pickle::ZipLimits limits = {}) {
    ContainerError e = error_of([&] { ZipArchive z(bytes_of(zip), limits); });
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(e.detail().find(words), std::string::npos) << e.detail();
  };
  // Two members over the same compressed bytes: the classic overlapping zip bomb.
  Entry a{"a", std::string(100, 'a')}, b{"b", std::string(100, 'b')};
  b.offset_override = 0;
  refused(build({{a, b}}), "overlap");
  // A member whose data runs past the end of the file.
  std::string zip = build({{{"m", std::string(64, 'm')}}});
  Entry huge{"m", "tiny"};
  huge.zip64 = true;
  huge.size_override = 4;
  std::string z64 = build({{huge}});
  // Its compressed size lives at a known place of the ZIP64 extra field: make it enormous.
  size_t extra = z64.find(std::string("\x01\x00\x18\x00", 4));
  ASSERT_NE(extra, std::string::npos);
  for (int i = 0; i < 8; ++i) z64[extra + 12 + i] = '\x7f';
  refused(z64, "run past the end of the file");
  // A directory that claims more members than it has room for, or than the limit.
  Layout many{{{"x", "1"}}};
  many.count_override = 60000;
  refused(build(many), "too small for the 60000 members");
  pickle::ZipLimits few;
  few.max_members = 2;
  refused(build({{{"1", ""}, {"2", ""}, {"3", ""}}}), "ZipLimits::max_members",
          ErrorCode::limit_exceeded, few);
  // No end record at all, and one cut off.
  refused(zip.substr(0, zip.size() - 22), "no end of central directory");
  refused(std::string("PK\x03\x04", 4), "too short");
  // A local header that is not where the directory says.
  Entry moved{"moved", "data"};
  moved.offset_override = 3;
  refused(build({{moved}}), "no local header at its offset");
}

}  // namespace
