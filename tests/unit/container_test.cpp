// Containers recognised by their magic bytes (issue 12 item 11): a zip, gzip, bzip2, xz,
// zlib or .npy input given to the Unpickler or the opcode walker is refused with
// ErrorCode::container and a message naming it, not with an error about its bytes read
// as opcodes. The heads below are the first bytes of files Python's zipfile, gzip,
// bz2, lzma and zlib modules write for pickle.dumps([1, 2], 2), and a .npy header.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/tools/ops.hpp"
#include "pickle_literal.hpp"

namespace {

using pickle::Container;
using pickle::ErrorCode;
using pickle::UnpicklingError;
using namespace pickle_test;

struct Case {
  const char* name;
  std::string bytes;
  Container kind;
  const char* named;  // in the message
};

std::vector<Case> containers() {
  return {
      {"zip",
       R"(PK\x03\x04\x14\x00\x00\x00\x00\x005\xb3\x86]\xbb\xf7,\xc7\x0c\x00\x00\x00)"
       R"(\x0c\x00\x00\x00\x10\x00\x00\x00archive/data.pkl)"_pk,
       Container::zip, "a zip archive"},
      {"empty_zip",
       R"(PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
       R"(\x00\x00\x00\x00)"_pk,
       Container::zip, "a zip archive"},
      {"spanned_zip", R"(PK\x07\x08PK\x03\x04)"_pk, Container::zip, "a zip archive"},
      {"gzip",
       R"(\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03k`\x8a-d\xd0\xf0f\xf4fJ\xd5\x03)"
       R"(\x00\xbb\xf7,\xc7\x0c\x00\x00\x00)"_pk,
       Container::gzip, "gzip-compressed data"},
      {"bzip2", R"(BZh91AY&SY\x8c-)"_pk, Container::bzip2, "bzip2-compressed data"},
      {"bzip2_empty", R"(BZh9\x17rE8P\x90\x00\x00\x00\x00)"_pk, Container::bzip2,
       "bzip2-compressed data"},
      {"xz", R"(\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4F\x02\x00!\x01)"_pk, Container::xz,
       "xz-compressed data"},
      {"zlib", R"(x\x9ck`\x8a-d\xd0\xf0f\xf4fJ\xd5\x03\x00\x12\xc6\x02\xa5)"_pk, Container::zlib,
       "zlib-compressed data"},
      {"zlib_fast", R"(x\x01k`)"_pk, Container::zlib, "zlib-compressed data"},
      {"zlib_best", R"(x\xdak`)"_pk, Container::zlib, "zlib-compressed data"},
      {"npy",
       R"(\x93NUMPY\x01\x00v\x00{'descr': '<i8', 'fortran_order': False, )"
       R"('shape': (2,), }\n)"_pk,
       Container::npy, "a numpy .npy file"},
  };
}

UnpicklingError load_error(const std::string& bytes, bool stream, bool noload = false) {
  std::istringstream in(bytes);
  pickle::MemorySource mem(bytes);
  pickle::StreamSource str(in);
  pickle::Source& src = stream ? static_cast<pickle::Source&>(str) : mem;
  pickle::Unpickler u(src);
  try {
    if (noload) {
      u.noload();
    } else {
      pickle::Graph g;
      u.load(g);
    }
  } catch (const UnpicklingError& e) {
    return e;
  }
  ADD_FAILURE() << "loaded";
  return UnpicklingError(ErrorCode::truncated, 0, std::nullopt, "");
}

TEST(Containers, DetectedByMagic) {
  for (const Case& c : containers()) {
    SCOPED_TRACE(c.name);
    auto head = std::span(reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size());
    EXPECT_EQ(pickle::detect_container(head), c.kind);
    EXPECT_EQ(pickle::container_name(c.kind), c.named);
  }
}

TEST(Containers, RefusedByTheUnpicklerNoloadAndTheWalker) {
  for (const Case& c : containers()) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (stream ? " (stream)" : ""));
      for (bool noload : {false, true}) {
        UnpicklingError e = load_error(c.bytes, stream, noload);
        EXPECT_EQ(e.code(), ErrorCode::container);
        EXPECT_EQ(e.offset(), 0u);
        EXPECT_FALSE(e.opcode().has_value());
        EXPECT_NE(e.detail().find(std::string("the input is ") + c.named + ", not a pickle"),
                  std::string::npos)
            << e.what();
      }
      try {
        pickle::tools::genops(c.bytes);
        ADD_FAILURE() << "the walker read it";
      } catch (const UnpicklingError& e) {
        EXPECT_EQ(e.code(), ErrorCode::container);
        EXPECT_EQ(std::string(e.what()), load_error(c.bytes, stream).what());
      }
    }
  }
  Case zip = containers()[0];
  EXPECT_NE(load_error(zip.bytes, false).detail().find("PyTorch"), std::string::npos);
  std::string via_loads;
  try {
    pickle::loads(zip.bytes);
  } catch (const UnpicklingError& e) {
    via_loads = e.what();
  }
  EXPECT_EQ(via_loads.rfind("UnpicklingError at byte 0: the input is a zip archive", 0), 0u)
      << via_loads;
}

// Heads that begin a pickle, or no known magic, or only part of one, are left to the
// decoder.
TEST(Containers, OnlyWholeMagicsAreClaimed) {
  pickle::Document d = pickle::loads(R"(PK\n.)"_pk);  // PERSID 'K'
  EXPECT_EQ(d.root().kind(), pickle::Kind::PersistentRef);
  d = pickle::loads(R"(B\x01\x00\x00\x00a.)"_pk);  // BINBYTES
  EXPECT_EQ(d.root().as_bytes(), "a");
  for (const char* head :
       {"P", "PK", "PK\\x03", "PK\\x03\\x05", "\\x1f", "\\x1f\\x8c", "BZ", "BZh", "BZh0", "BZhA",
        "\\xfd7zXZ", "\\x93NUMP", "\\x93NUMPy", "x", "x\\x00", "x\\xbc", "\\x78\\x9d"}) {
    SCOPED_TRACE(head);
    std::string bytes = py_bytes(head);
    auto span = std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    EXPECT_EQ(pickle::detect_container(span), Container::none);
    for (bool stream : {false, true})
      EXPECT_NE(load_error(bytes, stream).code(), ErrorCode::container);
  }
  // Only the start of a source is checked: a later pickle that begins like a zip is a
  // PERSID like any other.
  std::string two = R"(N.PK\x03\x04\n.)"_pk;
  pickle::MemorySource src(two);
  pickle::Unpickler u(src);
  pickle::Graph g;
  EXPECT_TRUE(u.load(g).is_none());
  EXPECT_EQ(u.load(g).kind(), pickle::Kind::PersistentRef);
}

// The check reads a byte more only while the bytes so far may begin a magic, so a
// stream holding one small pickle is read without waiting for bytes it does not have.
TEST(Containers, NoReadPastAShortPickle) {
  // Hands out bytes only as they are asked for, and counts requests past the end.
  struct OnDemand : pickle::Source {
    explicit OnDemand(std::string s) : data(std::move(s)) {
      auto* base = reinterpret_cast<const uint8_t*>(data.data());
      set_window(base, base, base, 0);
    }
    std::string data;
    size_t asked_beyond = 0;
    bool refill(size_t need) override {
      auto* base = reinterpret_cast<const uint8_t*>(data.data());
      size_t start = size_t(pos_ - base);
      bool ok = start + need <= data.size();
      if (!ok) ++asked_beyond;
      set_window(base, pos_, base + (ok ? start + need : data.size()), 0);
      return ok;
    }
  };
  for (const char* p : {"N.", "K\\x01.", "PK\\n.", "x", "BZ"}) {
    SCOPED_TRACE(p);
    OnDemand src(py_bytes(p));
    pickle::Unpickler u(src);
    pickle::Graph g;
    try {
      u.load(g);
    } catch (const UnpicklingError&) {
    }
    if (std::string(p).back() == '.') {
      EXPECT_EQ(src.asked_beyond, 0u);
    }
  }
}

}  // namespace
