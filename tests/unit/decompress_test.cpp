// Compressed containers opened by the io layer (include/pickle/container.hpp): a
// DecompressSource reads the decompressed bytes of a gzip, bzip2, xz or zlib stream,
// and open_compressed opens every layer at the start of an input. The compressed bytes
// are made here with the libraries' own encoders (zlib's deflate, libbz2, liblzma), so
// each test knows exactly what was compressed. Every test runs over a MemorySource
// (the whole input in one window) and over a StreamSource on a std::istringstream
// (read in chunks), since the decompressor sees its input a window at a time and the
// rules for what follows a stream and for truncation depend on where the input ends.

#include <bzlib.h>
#include <gtest/gtest.h>
#include <lzma.h>
#include <zlib.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "drain.hpp"
#include "pickle/pickle.hpp"
#include "pickle_literal.hpp"

namespace {

using pickle::Container;
using pickle::ContainerError;
using pickle::ContainerLimits;
using pickle::ErrorCode;
using namespace pickle_test;

// pickle.dumps({'weight': [1.0, 2.0], 'step': 3}, 2)
const std::string kDict =
    R"(\x80\x02}q\x00(X\x06\x00\x00\x00weightq\x01]q\x02(G?\xf0\x00\x00\x00\x00\x00\x00)"
    R"(G@\x00\x00\x00\x00\x00\x00\x00eX\x04\x00\x00\x00stepq\x03K\x03u.)"_pk;
// pickle.dumps([1, 'two', None], 4)
const std::string kList =
    R"(\x80\x04\x95\x0e\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01\x8c\x03two\x94Ne.)"_pk;

const Container kKinds[] = {Container::gzip, Container::bzip2, Container::xz, Container::zlib};

// ---------------------------------------------------------------------------
// Compressors, as Python's modules call them: gzip.compress and zlib.compress go
// through deflate, bz2.compress through libbz2, lzma.compress through liblzma's xz
// encoder.

std::string deflate_as(std::string_view data, int window_bits, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

std::string gzip(std::string_view data, int level = 6) {
  return deflate_as(data, 16 + MAX_WBITS, level);  // a gzip header and trailer
}

std::string zlib(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                level) != Z_OK)
    throw std::runtime_error("compress2");
  out.resize(size);
  return out;
}

std::string bzip2(std::string_view data) {
  unsigned size = static_cast<unsigned>(data.size() + data.size() / 100 + 600);
  std::string out(size, '\0');
  if (BZ2_bzBuffToBuffCompress(out.data(), &size, const_cast<char*>(data.data()),
                               static_cast<unsigned>(data.size()), 9, 0, 0) != BZ_OK)
    throw std::runtime_error("BZ2_bzBuffToBuffCompress");
  out.resize(size);
  return out;
}

std::string xz(std::string_view data, uint32_t preset = 1) {
  std::string out(lzma_stream_buffer_bound(data.size()), '\0');
  size_t pos = 0;
  if (lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC64, nullptr,
                              reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                              reinterpret_cast<uint8_t*>(out.data()), &pos, out.size()) != LZMA_OK)
    throw std::runtime_error("lzma_easy_buffer_encode");
  out.resize(pos);
  return out;
}

std::string compress(Container kind, std::string_view data) {
  switch (kind) {
    case Container::gzip: return gzip(data);
    case Container::bzip2: return bzip2(data);
    case Container::xz: return xz(data);
    case Container::zlib: return zlib(data);
    default: throw std::invalid_argument("not a compressed kind");
  }
}

// ---------------------------------------------------------------------------
// Inputs and readers

// The same bytes as a MemorySource, or as a StreamSource over a std::istringstream.
struct Input {
  Input(const std::string& bytes, bool stream) : data(bytes), in(bytes) {
    if (stream)
      source = std::make_unique<pickle::StreamSource>(in);
    else
      source = std::make_unique<pickle::MemorySource>(std::string_view(data));
  }
  std::string data;
  std::istringstream in;
  std::unique_ptr<pickle::Source> source;
};

std::string where(Container kind, bool stream) {
  return std::string(pickle::container_name(kind)) + (stream ? " (stream)" : " (memory)");
}

// repr() of every pickle in a source, one a line, as `pickle show` prints them.
std::string show(pickle::Source& s) {
  pickle::Unpickler u(s);
  pickle::Graph g;
  std::string out;
  while (!u.at_end()) out += pickle::repr(u.load(g)) + "\n";
  return out;
}

std::string show(const std::string& raw) {
  pickle::MemorySource s(raw);
  return show(s);
}

// The ContainerError that f throws (a failure when it throws none or another error).
template <class F>
ContainerError container_error(F f) {
  try {
    f();
  } catch (const ContainerError& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a ContainerError: " << e.what();
    return ContainerError(ErrorCode::internal, Container::none, 0, "");
  }
  ADD_FAILURE() << "nothing thrown";
  return ContainerError(ErrorCode::internal, Container::none, 0, "");
}

// A ContainerError is a PickleError whose what() is `<container> at byte N: <detail>`.
void expect_parts(const ContainerError& e, ErrorCode code, Container kind) {
  EXPECT_EQ(e.code(), code) << e.what();
  EXPECT_EQ(e.container(), kind) << e.what();
  EXPECT_FALSE(e.detail().empty());
  EXPECT_EQ(std::string(e.what()), std::string(pickle::container_name(kind)) + " at byte " +
                                       std::to_string(e.offset()) + ": " + e.detail());
  EXPECT_NE(dynamic_cast<const pickle::PickleError*>(&e), nullptr);
}

// ---------------------------------------------------------------------------
// Round trips

// Each kind opens by content into one layer, and the Unpickler on it loads what the
// uncompressed pickle loads; a DecompressSource made directly yields the exact bytes,
// with offsets counted in the decompressed bytes.
TEST(Decompress, RoundTripEachKind) {
  const std::string expected = show(kDict);
  for (Container kind : kKinds) {
    std::string packed = compress(kind, kDict);
    for (bool stream : {false, true}) {
      SCOPED_TRACE(where(kind, stream));
      {
        Input in(packed, stream);
        pickle::Opened o = pickle::open_compressed(*in.source);
        ASSERT_EQ(o.layers().size(), 1u);
        EXPECT_EQ(o.layers()[0], kind);
        EXPECT_NE(&o.source(), in.source.get());
        EXPECT_EQ(show(o.source()), expected);
        EXPECT_EQ(in.source->offset(), packed.size());  // the whole input was read
      }
      {
        Input in(packed, stream);
        pickle::DecompressSource d(*in.source, kind);
        EXPECT_EQ(d.kind(), kind);
        EXPECT_EQ(d.offset(), 0u);
        EXPECT_EQ(drain(d), kDict);
        EXPECT_EQ(d.offset(), kDict.size());
        EXPECT_EQ(d.ignored_trailing_bytes(), 0u);
      }
    }
  }
}

// An input that is not compressed is given back as it is: no layer, the same source.
// A zip (or .npy) is no compressed stream either: it is left to the Unpickler, which
// refuses it as before.
TEST(Decompress, UncompressedInputIsLeftAsItIs) {
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "memory");
    Input plain(kDict, stream);
    pickle::Opened o = pickle::open_compressed(*plain.source);
    EXPECT_TRUE(o.layers().empty());
    EXPECT_EQ(&o.source(), plain.source.get());
    EXPECT_EQ(show(o.source()), show(kDict));

    Input zip(R"(PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00)"
              R"(\x00\x00\x00\x00)"_pk,
              stream);
    pickle::Opened z = pickle::open_compressed(*zip.source);
    EXPECT_TRUE(z.layers().empty());
    pickle::Unpickler u(z.source());
    pickle::Graph g;
    try {
      u.load(g);
      ADD_FAILURE() << "a zip loaded";
    } catch (const pickle::UnpicklingError& e) {
      EXPECT_EQ(e.code(), ErrorCode::container) << e.what();
    }
  }
}

// A DecompressSource is only for compressed streams: other kinds are a usage error.
TEST(Decompress, OnlyCompressedKinds) {
  pickle::MemorySource s(kDict);
  for (Container kind : {Container::none, Container::zip, Container::npy}) {
    SCOPED_TRACE(pickle::container_name(kind));
    try {
      pickle::DecompressSource d(s, kind);
      ADD_FAILURE() << "made a DecompressSource";
    } catch (const pickle::UsageError& e) {
      EXPECT_EQ(e.code(), ErrorCode::usage);
    }
  }
}

// Layers nest in any order (a gzip of a bzip2 of an xz ...); open_compressed lists them
// outermost first, and the innermost bytes are the pickle.
TEST(Decompress, NestedLayers) {
  std::string packed = gzip(bzip2(xz(zlib(kDict))));
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "memory");
    Input in(packed, stream);
    pickle::Opened o = pickle::open_compressed(*in.source);
    std::vector<Container> layers(o.layers().begin(), o.layers().end());
    EXPECT_EQ(layers, (std::vector<Container>{Container::gzip, Container::bzip2, Container::xz,
                                              Container::zlib}));
    EXPECT_EQ(show(o.source()), show(kDict));
  }
}

// ---------------------------------------------------------------------------
// Streams after streams, as Python's modules read them

// gzip members are read one after another, with zero padding between and after them
// skipped (Python's gzip module); bzip2 and xz streams one after another (bz2, lzma).
TEST(Decompress, StreamsOneAfterAnother) {
  const std::string both = kDict + kList;
  struct Case {
    const char* name;
    Container kind;
    std::string packed;
  };
  const Case cases[] = {
      {"gzip members", Container::gzip, gzip(kDict) + gzip(kList)},
      {"gzip members with padding", Container::gzip,
       gzip(kDict) + std::string(5, '\0') + gzip(kList) + std::string(1000, '\0')},
      {"bzip2 streams", Container::bzip2, bzip2(kDict) + bzip2(kList)},
      {"xz streams", Container::xz, xz(kDict) + xz(kList)},
  };
  for (const Case& c : cases) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (stream ? " (stream)" : " (memory)"));
      {
        Input in(c.packed, stream);
        pickle::DecompressSource d(*in.source, c.kind);
        EXPECT_EQ(drain(d), both);
        EXPECT_EQ(d.ignored_trailing_bytes(), 0u);
        EXPECT_EQ(in.source->offset(), c.packed.size());
      }
      Input in(c.packed, stream);
      pickle::Opened o = pickle::open_compressed(*in.source);
      EXPECT_EQ(show(o.source()), show(both));
    }
  }
  // One gzip member with only padding after it.
  std::string padded = gzip(kDict) + std::string(3, '\0');
  for (bool stream : {false, true}) {
    Input in(padded, stream);
    pickle::DecompressSource d(*in.source, Container::gzip);
    EXPECT_EQ(drain(d), kDict);
  }
}

// bzip2 and xz: bytes after the last stream that do not begin another one are ignored
// (Python's bz2 and lzma ignore them); zlib is one stream, whatever follows it ignored
// (even another zlib stream). ignored_trailing_bytes() counts them once the end is read.
TEST(Decompress, TrailingBytesIgnored) {
  struct Case {
    const char* name;
    Container kind;
    std::string stream;
    std::string trailer;
  };
  const Case cases[] = {
      {"bzip2 + garbage", Container::bzip2, bzip2(kDict), "garbage"},
      {"bzip2 + a partial magic", Container::bzip2, bzip2(kDict), "BZ"},
      {"xz + garbage", Container::xz, xz(kDict), "garbage"},
      {"xz + stream padding", Container::xz, xz(kDict), std::string(4, '\0')},
      {"zlib + garbage", Container::zlib, zlib(kDict), "garbage"},
      {"zlib + another zlib stream", Container::zlib, zlib(kDict), zlib(kList)},
  };
  for (const Case& c : cases) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (stream ? " (stream)" : " (memory)"));
      Input in(c.stream + c.trailer, stream);
      pickle::DecompressSource d(*in.source, c.kind);
      EXPECT_EQ(drain(d), kDict);
      EXPECT_EQ(d.ignored_trailing_bytes(), c.trailer.size());
      EXPECT_EQ(in.source->offset(), c.stream.size() + c.trailer.size());

      Input again(c.stream + c.trailer, stream);
      pickle::Opened o = pickle::open_compressed(*again.source);
      EXPECT_EQ(show(o.source()), show(kDict));
    }
  }
}

// gzip: anything after a member other than another member or zero padding is an error
// (Python's gzip module: "Not a gzipped file"), at the offset of the first such byte.
TEST(Decompress, GzipTrailingGarbageIsAnError) {
  const std::string member = gzip(kDict);
  struct Case {
    const char* name;
    std::string after;
    size_t at;  // offset of the error: after the member and the zeros
  };
  const Case cases[] = {
      {"garbage", "garbage", 0},
      {"padding then garbage", std::string(3, '\0') + "x", 3},
      {"half a magic", "\x1f", 0},
  };
  for (const Case& c : cases) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(std::string(c.name) + (stream ? " (stream)" : " (memory)"));
      Input in(member + c.after, stream);
      ContainerError e = container_error([&] {
        pickle::DecompressSource d(*in.source, Container::gzip);
        drain(d);
      });
      expect_parts(e, ErrorCode::bad_container, Container::gzip);
      EXPECT_EQ(e.offset(), member.size() + c.at);
      EXPECT_NE(e.detail().find("neither another member nor zero padding"), std::string::npos)
          << e.what();
      // Through open_compressed and the Unpickler, the same error.
      Input again(member + c.after, stream);
      ContainerError e2 = container_error([&] {
        pickle::Opened o = pickle::open_compressed(*again.source);
        show(o.source());
      });
      EXPECT_EQ(std::string(e2.what()), e.what());
    }
  }
}

// ---------------------------------------------------------------------------
// Malformed streams

// A stream cut short (inside the compressed data, or one byte before its end) is
// bad_container at the end of the input, in every format and for a second stream too.
TEST(Decompress, TruncatedStreams) {
  for (Container kind : kKinds) {
    std::string packed = compress(kind, kDict);
    std::vector<std::string> cuts = {packed.substr(0, packed.size() / 2),
                                     packed.substr(0, packed.size() - 1)};
    if (kind != Container::zlib)  // a second stream cut short (zlib has no second one)
      cuts.push_back(packed + packed.substr(0, packed.size() / 2));
    for (const std::string& cut : cuts) {
      for (bool stream : {false, true}) {
        SCOPED_TRACE(where(kind, stream) + " cut to " + std::to_string(cut.size()) + " of " +
                     std::to_string(packed.size()));
        Input in(cut, stream);
        ContainerError e = container_error([&] {
          pickle::DecompressSource d(*in.source, kind);
          drain(d);
        });
        expect_parts(e, ErrorCode::bad_container, kind);
        EXPECT_EQ(e.offset(), cut.size());
        EXPECT_EQ(e.detail(), "the compressed data ends before the end of the stream");
      }
    }
  }
}

// A corrupted byte in the compressed data (which every format's check catches, if its
// decoder does not) is bad_container, with an offset in the compressed input: where the
// decoder's window began, at or before the end of the input.
TEST(Decompress, CorruptedStreams) {
  for (Container kind : kKinds) {
    std::string packed = compress(kind, kDict);
    std::string bad = packed;
    size_t at = packed.size() / 2;
    bad[at] = static_cast<char>(bad[at] ^ 0x55);
    for (bool stream : {false, true}) {
      SCOPED_TRACE(where(kind, stream));
      Input in(bad, stream);
      ContainerError e = container_error([&] {
        pickle::DecompressSource d(*in.source, kind);
        drain(d);
      });
      expect_parts(e, ErrorCode::bad_container, kind);
      EXPECT_LE(e.offset(), bad.size());
    }
  }
}

// A malformed pickle inside a compressed stream is the Unpickler's error, with its
// offset counted in the decompressed bytes: the same error as for the raw bytes.
TEST(Decompress, PickleErrorsCountDecompressedBytes) {
  const std::string cut = kDict.substr(0, kDict.size() - 1);  // no STOP
  std::string raw_error;
  try {
    pickle::loads(cut);
  } catch (const pickle::UnpicklingError& e) {
    raw_error = e.what();
    EXPECT_EQ(e.code(), ErrorCode::truncated);
  }
  ASSERT_FALSE(raw_error.empty());
  for (Container kind : kKinds) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(where(kind, stream));
      Input in(compress(kind, cut), stream);
      pickle::Opened o = pickle::open_compressed(*in.source);
      try {
        show(o.source());
        ADD_FAILURE() << "loaded";
      } catch (const pickle::UnpicklingError& e) {
        EXPECT_EQ(e.code(), ErrorCode::truncated);
        EXPECT_EQ(std::string(e.what()), raw_error);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Limits (ContainerLimits): limit_exceeded, the message naming the field

// max_decompressed bounds the decompressed bytes: exactly the limit passes, one byte
// more does not, in every format.
TEST(Decompress, MaxDecompressed) {
  const std::string zeros(size_t(1) << 20, '\0');
  for (Container kind : kKinds) {
    std::string packed = compress(kind, zeros);
    for (bool stream : {false, true}) {
      SCOPED_TRACE(where(kind, stream));
      ContainerLimits limits;
      limits.max_decompressed = zeros.size();
      {
        Input in(packed, stream);
        pickle::DecompressSource d(*in.source, kind, limits);
        EXPECT_EQ(drain(d).size(), zeros.size());
      }
      limits.max_decompressed = zeros.size() - 1;
      Input in(packed, stream);
      ContainerError e = container_error([&] {
        pickle::DecompressSource d(*in.source, kind, limits);
        drain(d);
      });
      expect_parts(e, ErrorCode::limit_exceeded, kind);
      EXPECT_NE(e.detail().find("ContainerLimits::max_decompressed"), std::string::npos)
          << e.what();
    }
  }
}

// max_ratio bounds decompressed bytes per compressed byte past ratio_grace: 10 MiB of
// zeros is about 1,000 to 1 in gzip (under the default 100,000, refused at 100) and
// over 200,000 to 1 in bzip2 (refused by the default once the grace is lowered). Within
// the grace, or under the ratio, the same data is read whole.
TEST(Decompress, MaxRatio) {
  const std::string zeros(size_t(10) << 20, '\0');
  struct Case {
    Container kind;
    std::string packed;
    uint64_t max_ratio;
  };
  const Case cases[] = {{Container::gzip, gzip(zeros, 9), 100},
                        {Container::bzip2, bzip2(zeros), ContainerLimits{}.max_ratio}};
  for (const Case& c : cases) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(where(c.kind, stream));
      ContainerLimits limits;
      limits.max_ratio = c.max_ratio;
      limits.ratio_grace = uint64_t(1) << 20;
      Input in(c.packed, stream);
      ContainerError e = container_error([&] {
        pickle::DecompressSource d(*in.source, c.kind, limits);
        drain(d);
      });
      expect_parts(e, ErrorCode::limit_exceeded, c.kind);
      EXPECT_NE(e.detail().find("ContainerLimits::max_ratio"), std::string::npos) << e.what();
      EXPECT_LE(e.offset(), c.packed.size());
    }
  }
  // The default grace (64 MiB) covers the bzip2 bomb; gzip's ratio is under the default.
  for (const Case& c : cases) {
    SCOPED_TRACE(pickle::container_name(c.kind));
    pickle::MemorySource s(c.packed);
    pickle::DecompressSource d(s, c.kind);
    EXPECT_EQ(drain(d).size(), zeros.size());
  }
}

// max_layers bounds nested compression: a gzip of a gzip of a gzip opens with three
// layers allowed and is refused with two, at the third layer's magic.
TEST(Decompress, MaxLayers) {
  const std::string packed = gzip(gzip(gzip(kDict)));
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "stream" : "memory");
    ContainerLimits limits;
    limits.max_layers = 3;
    {
      Input in(packed, stream);
      pickle::Opened o = pickle::open_compressed(*in.source, limits);
      EXPECT_EQ(o.layers().size(), 3u);
      EXPECT_EQ(show(o.source()), show(kDict));
    }
    limits.max_layers = 2;
    Input in(packed, stream);
    ContainerError e = container_error([&] { pickle::open_compressed(*in.source, limits); });
    expect_parts(e, ErrorCode::limit_exceeded, Container::gzip);
    EXPECT_EQ(e.offset(), 0u);  // the start of the second layer's decompressed bytes
    EXPECT_NE(e.detail().find("ContainerLimits::max_layers"), std::string::npos) << e.what();
  }
  // The default (4) opens four layers and refuses a fifth.
  const std::string four_layers = gzip(gzip(gzip(gzip(kDict))));
  pickle::MemorySource four(four_layers);
  EXPECT_EQ(pickle::open_compressed(four).layers().size(), 4u);
  const std::string five_layers = gzip(gzip(gzip(gzip(gzip(kDict)))));
  pickle::MemorySource five(five_layers);
  EXPECT_EQ(container_error([&] { pickle::open_compressed(five); }).code(),
            ErrorCode::limit_exceeded);
}

// ---------------------------------------------------------------------------
// A large payload through a stream

// A pickle holding a 5 MB bytes object, compressed, read through a StreamSource: many
// input chunks and many decompressed windows, and a BINBYTES longer than any of them.
TEST(Decompress, LargePayloadThroughAStream) {
  std::string payload(5'000'000, '\0');
  uint32_t x = 12345;
  for (char& c : payload) {  // an LCG's high bytes: barely compressible
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  std::string pickled =
      "\x80\x03"
      "B";  // PROTO 3, BINBYTES with a 4-byte length
  for (int i = 0; i < 4; ++i) pickled += static_cast<char>((payload.size() >> (8 * i)) & 0xff);
  pickled += payload + ".";
  for (Container kind : {Container::gzip, Container::zlib}) {
    SCOPED_TRACE(pickle::container_name(kind));
    std::string packed = kind == Container::gzip ? gzip(pickled, 1) : zlib(pickled, 1);
    std::istringstream in(packed);
    pickle::StreamSource s(in);
    pickle::Opened o = pickle::open_compressed(s);
    ASSERT_EQ(o.layers().size(), 1u);
    pickle::Unpickler u(o.source());
    pickle::Graph g;
    pickle::Value v = u.load(g);
    EXPECT_TRUE(v.as_bytes() == payload);
    EXPECT_TRUE(u.at_end());
    EXPECT_EQ(s.offset(), packed.size());
  }
}

}  // namespace
