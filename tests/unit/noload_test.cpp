// noload() reports each persistent id with its value (issue 12 item 10): the tuples
// PyTorch writes for storages, str ids, and ids with parts noload does not build. The
// pickle is what CPython 3.13 writes at protocol 2 for
//   OrderedDict([('w', s0), ('b', s1), ('again', s0), ('name', '@ref'), ('z', Z())])
// with a persistent_id giving ('storage', torch.FloatStorage, key, 'cpu', 4) for a
// storage, 'ref' for '@ref', and (b'oid', [1, 2], (('deep',),)) for Z().

#include <gtest/gtest.h>

#include <string>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/repr.hpp"
#include "pickle_literal.hpp"

namespace {

using namespace pickle_test;

const char kCheckpoint[] =
    R"p(\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(X\x01\x00\x00\x00wq\x02(X\x07\x00)p"
    R"p(\x00\x00storageq\x03ctorch\nFloatStorage\nq\x04X\x01\x00\x00\x000q\x05X\x03\x00\x00)p"
    R"p(\x00cpuq\x06K\x04tq\x07QX\x01\x00\x00\x00bq\x08(h\x03h\x04X\x01\x00\x00\x001q\th)p"
    R"p(\x06K\x04tq\nQX\x05\x00\x00\x00againq\x0b(h\x03h\x04h\x05h\x06K\x04tq\x0cQX\x04\x00)p"
    R"p(\x00\x00nameq\rX\x03\x00\x00\x00refq\x0eQX\x01\x00\x00\x00zq\x0fc_codecs\nencode\nq)p"
    R"p(\x10X\x03\x00\x00\x00oidq\x11X\x06\x00\x00\x00latin1q\x12\x86q\x13Rq\x14]q\x15(K)p"
    R"p(\x01K\x02eX\x04\x00\x00\x00deepq\x16\x85q\x17\x85q\x18\x87q\x19Qu.)p";

TEST(Noload, PersistentIdsWithTheirValues) {
  std::string bytes = py_bytes(kCheckpoint);
  pickle::MemorySource src(bytes);
  pickle::Unpickler u(src);
  pickle::NoloadResult r = u.noload();
  EXPECT_EQ(r.end_offset, bytes.size());
  ASSERT_EQ(r.persistent_ids.size(), 5u);
  const auto& ids = r.persistent_ids;
  EXPECT_EQ(pickle::repr(ids[0].id), "('storage', torch.FloatStorage, '0', 'cpu', 4)");
  EXPECT_EQ(pickle::repr(ids[1].id), "('storage', torch.FloatStorage, '1', 'cpu', 4)");
  EXPECT_EQ(pickle::repr(ids[2].id), "('storage', torch.FloatStorage, '0', 'cpu', 4)");
  EXPECT_EQ(pickle::repr(ids[3].id), "'ref'");
  // bytes (a REDUCE of _codecs.encode) and the list are not built: None, incomplete.
  EXPECT_EQ(pickle::repr(ids[4].id), "(None, None, (('deep',),))");
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(ids[i].binary);
    EXPECT_TRUE(ids[i].complete);
  }
  EXPECT_FALSE(ids[4].complete);
  EXPECT_EQ(ids[0].offset, 102u);
  // The values are what load() gives the same ids.
  pickle::Document d = pickle::loads(bytes);
  EXPECT_TRUE(pickle::equal(ids[0].id, d.root()["w"].persistent_ref().pid));
  EXPECT_TRUE(pickle::equal(ids[3].id, d.root()["name"].persistent_ref().pid));
  // The result owns them: they outlive the Unpickler and later noloads.
  pickle::NoloadResult moved = std::move(r);
  EXPECT_EQ(pickle::repr(moved.persistent_ids[1].id.items()[2]), "'1'");
}

TEST(Noload, TextIdsNestedIdsAndSeveralPickles) {
  // PERSID 'abc'; BINPERSID of a tuple holding a persistent ref; then a second pickle
  // whose id is a tuple memoized by the first.
  std::string bytes = R"(Pabc\n0\x80\x02X\x01\x00\x00\x00aq\x00P7\n\x86q\x01Q.\x80\x02h\x01Q.)"_pk;
  pickle::MemorySource src(bytes);
  pickle::Unpickler u(src);
  pickle::NoloadResult r = u.noload();
  ASSERT_EQ(r.persistent_ids.size(), 3u);
  EXPECT_FALSE(r.persistent_ids[0].binary);
  EXPECT_EQ(r.persistent_ids[0].text, "abc");
  EXPECT_EQ(pickle::repr(r.persistent_ids[0].id), "'abc'");
  EXPECT_EQ(pickle::repr(r.persistent_ids[2].id), "('a', persistent_id('7'))");
  pickle::NoloadResult second = u.noload();
  ASSERT_EQ(second.persistent_ids.size(), 1u);
  EXPECT_EQ(pickle::repr(second.persistent_ids[0].id), "('a', persistent_id('7'))");
  EXPECT_TRUE(u.at_end());
}

TEST(Noload, LimitsHold) {
  // A tuple of a million references to one str, named by a thousand BINPERSIDs through
  // the memo: the id is copied once per noload, and the graph stays within the limits.
  std::string bytes = R"(\x80\x02X\x01\x00\x00\x00sq\x00()"_pk;
  for (int i = 0; i < 100000; ++i) bytes += R"(h\x00)"_pk;
  bytes += R"(tq\x01)"_pk;
  for (int i = 0; i < 1000; ++i) bytes += R"(h\x01Q0)"_pk;
  bytes += "N.";
  pickle::MemorySource src(bytes);
  pickle::Unpickler u(src);
  pickle::NoloadResult r = u.noload();
  EXPECT_EQ(r.persistent_ids.size(), 1000u);
  EXPECT_TRUE(r.persistent_ids[999].id.is(r.persistent_ids[0].id));
  EXPECT_LT(r.graph.bytes_allocated(), size_t(8) << 20);
  pickle::LoadOptions tight;
  tight.limits.max_alloc_per_byte = 1;
  tight.limits.max_nodes_per_byte = 1;
  std::string big = R"(\x80\x02()"_pk;
  const std::string one = R"(X\x01\x00\x00\x00s)"_pk;  // a str node per 6 bytes
  for (int i = 0; i < 1000000; ++i) big += one;
  big += "t.";
  pickle::MemorySource src2(big);
  pickle::Unpickler u2(src2, tight);
  try {
    u2.noload();
    ADD_FAILURE() << "no limit";
  } catch (const pickle::UnpicklingError& e) {
    EXPECT_EQ(e.code(), pickle::ErrorCode::limit_exceeded);
  }
}

}  // namespace
