// Hostile input of our own making (issue 5): every case must end in an
// UnpicklingError (or, for a graph that is legal but enormous as a tree, in a clean
// refusal by the printer), and its peak heap use must stay within the bound the test
// states. This executable replaces the global operator new/delete to count live heap
// bytes, so the bounds are exact and hold under ASan too (they measure what the code
// asks for, not the RSS); nothing here measures wall-clock time.
//
// Inputs are built in code at test time, from a few bytes up to ten million opcodes.
// Tests named Deep* walk ten million levels and are slow in Debug builds; CI's
// sanitizer stage may exclude them with a filter on "Deep".

#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/pickle.hpp"

// ---------------------------------------------------------------------------
// Counting allocator: live bytes and their high-water mark.

namespace {

std::atomic<size_t> g_live{0};
std::atomic<size_t> g_peak{0};

void* counted(void* p) {
  if (p) {
    size_t now =
        g_live.fetch_add(malloc_usable_size(p), std::memory_order_relaxed) + malloc_usable_size(p);
    size_t peak = g_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
  }
  return p;
}

void release(void* p) noexcept {
  if (!p) return;
  g_live.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  std::free(p);
}

void* allocate(size_t n) {
  void* p = counted(std::malloc(n ? n : 1));
  if (!p) throw std::bad_alloc();
  return p;
}

void* allocate_aligned(size_t n, std::align_val_t a) {
  size_t align = static_cast<size_t>(a);
  if (align < sizeof(void*)) align = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, align, n ? n : 1) != 0) throw std::bad_alloc();
  return counted(p);
}

}  // namespace

void* operator new(size_t n) {
  return allocate(n);
}
void* operator new[](size_t n) {
  return allocate(n);
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return counted(std::malloc(n ? n : 1));
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return counted(std::malloc(n ? n : 1));
}
void* operator new(size_t n, std::align_val_t a) {
  return allocate_aligned(n, a);
}
void* operator new[](size_t n, std::align_val_t a) {
  return allocate_aligned(n, a);
}
void operator delete(void* p) noexcept {
  release(p);
}
void operator delete[](void* p) noexcept {
  release(p);
}
void operator delete(void* p, size_t) noexcept {
  release(p);
}
void operator delete[](void* p, size_t) noexcept {
  release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  release(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  release(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  release(p);
}

namespace {

using namespace std::string_literals;
using pickle::ErrorCode;
using pickle::Graph;
using pickle::LoadOptions;
using pickle::ReprOptions;
using pickle::UnpicklingError;
using pickle::Value;

constexpr size_t KiB = size_t(1) << 10;
constexpr size_t MiB = size_t(1) << 20;

/// Runs f and returns the most heap it held at once beyond what was live before.
size_t peak_of(const std::function<void()>& f) {
  size_t base = g_live.load();
  g_peak.store(base);
  f();
  return g_peak.load() - base;
}

/// Reports a measured peak next to its bound (in the test log and the XML output).
void report(size_t peak, size_t bound) {
  std::printf("    peak heap %zu bytes (%.2f MiB), bound %zu bytes (%.2f MiB)\n", peak,
              double(peak) / MiB, bound, double(bound) / MiB);
  ::testing::Test::RecordProperty("peak_heap_bytes", std::to_string(peak));
  ::testing::Test::RecordProperty("bound_bytes", std::to_string(bound));
}

struct Expect {
  ErrorCode code;
  std::optional<uint64_t> offset;  // absolute offset of the failing opcode
};

/// Loads `data` (from memory and, if `stream`, from a std::istream too) and checks
/// that it fails as expected with peak heap use within `bound`.
void expect_hostile(const std::string& data, Expect want, size_t bound,
                    const LoadOptions& options = {}, bool stream = true) {
  for (int via_stream = 0; via_stream <= (stream ? 1 : 0); ++via_stream) {
    SCOPED_TRACE(via_stream ? "StreamSource" : "MemorySource");
    std::optional<UnpicklingError> error;
    std::istringstream in(via_stream ? data : std::string());
    size_t peak = peak_of([&] {
      Graph g;
      try {
        if (via_stream)
          pickle::load(in, g, options);
        else
          pickle::loads(data, g, options);
      } catch (const UnpicklingError& e) {
        error = e;
      }
    });
    ASSERT_TRUE(error) << "loaded without error";
    EXPECT_EQ(error->code(), want.code) << error->what();
    if (want.offset) {
      EXPECT_EQ(error->offset(), *want.offset) << error->what();
    }
    report(peak, bound);
    EXPECT_LE(peak, bound) << error->what();
  }
}

std::string le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

// Pickles are C++ string literals: "..."s where they hold a NUL, and an octal escape
// (K\001a) where a hex escape would swallow the next letter (\x01a is one byte).
const std::string kProto2 = "\x80\x02";
const std::string kProto4 = "\x80\x04";
const std::string kProto5 = "\x80\x05";

// The small cases hold the input, one graph block (64 KiB) and a few strings.
constexpr size_t kSmall = 256 * KiB;

// ---------------------------------------------------------------------------
// Declared lengths far beyond the data: nothing is allocated for them.

TEST(Hostile, LengthPrefixesWithNoData) {
  const uint64_t k32 = 0xFFFFFFFFu, k64 = ~uint64_t(0);
  struct Case {
    std::string name;
    std::string data;
    Expect want;
  } cases[] = {
      {"BINUNICODE 2^32-1", kProto4 + "X" + le(k32, 4), {ErrorCode::truncated, 2}},
      {"BINBYTES 2^32-1", kProto4 + "B" + le(k32, 4), {ErrorCode::truncated, 2}},
      // BINSTRING's count is signed: 0xFFFFFFFF is -1.
      {"BINSTRING 2^32-1", "T" + le(k32, 4), {ErrorCode::bad_argument, 0}},
      {"BINSTRING 2^31-1", "T" + le(0x7FFFFFFF, 4), {ErrorCode::truncated, 0}},
      {"LONG4 2^31-1", kProto2 + "\x8b" + le(0x7FFFFFFF, 4), {ErrorCode::limit_exceeded, 2}},
      {"BINUNICODE8 2^32-1", kProto4 + "\x8d" + le(k32, 8), {ErrorCode::truncated, 2}},
      // Past Limits::max_string (2^40) the limit speaks first.
      {"BINUNICODE8 2^64-1", kProto4 + "\x8d" + le(k64, 8), {ErrorCode::limit_exceeded, 2}},
      {"BINBYTES8 2^64-1", kProto4 + "\x8e" + le(k64, 8), {ErrorCode::limit_exceeded, 2}},
      {"BYTEARRAY8 2^64-1", kProto5 + "\x96" + le(k64, 8), {ErrorCode::limit_exceeded, 2}},
      {"BINBYTES8 2^40", kProto4 + "\x8e" + le(uint64_t(1) << 40, 8), {ErrorCode::truncated, 2}},
      {"FRAME 2^64-1", kProto4 + "\x95" + le(k64, 8) + "N.", {ErrorCode::truncated, 2}},
      {"FRAME 2^32-1", kProto4 + "\x95" + le(k32, 8) + "N.", {ErrorCode::truncated, 2}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_hostile(c.data, c.want, kSmall);
  }
}

// A FRAME longer than the data, and frames that lie about where opcodes end.
TEST(Hostile, FrameLongerThanTheData) {
  std::string body = "K\x01.";
  expect_hostile(kProto4 + "\x95" + le(1000, 8) + body, {ErrorCode::truncated, 2}, kSmall);
  // A frame of 2 bytes, then an opcode whose argument runs past its end.
  expect_hostile(kProto4 + "\x95" + le(2, 8) + "J" + le(1, 4) + ".", {ErrorCode::bad_frame, 11},
                 kSmall);
  // A second frame opened inside the first.
  expect_hostile(kProto4 + "\x95" + le(20, 8) + "\x95" + le(1, 8) + "N" + std::string(10, 'N'),
                 {ErrorCode::bad_frame, 11}, kSmall);
}

// ---------------------------------------------------------------------------
// The memo: far indices cost a map entry, never a table sized by the index.

TEST(Hostile, LongBinputFarIndex) {
  // LONG_BINPUT 0xFFFFFFFF, then LONG_BINGET of an index never stored.
  std::string data = kProto2 + "N" + "r" + le(0xFFFFFFFF, 4) + "j" + le(0xFFFFFFFE, 4) + ".";
  expect_hostile(data, {ErrorCode::memo_missing, 8}, kSmall);
  // The far index itself works and stays cheap.
  std::string ok = kProto2 + "N" + "r" + le(0xFFFFFFFF, 4) + "0j" + le(0xFFFFFFFF, 4) + ".";
  size_t peak = peak_of([&] {
    pickle::Document doc = pickle::loads(ok);
    EXPECT_TRUE(doc.root().is_none());
  });
  report(peak, kSmall);
  EXPECT_LE(peak, kSmall);
}

// A million distinct far indices: each costs one sparse-map entry, paid for by the
// five bytes of its LONG_BINPUT. Then the same flood against max_memo_entries, at the
// boundary.
TEST(Hostile, LongBinputFlood) {
  constexpr size_t kPuts = 1000000;
  std::string data = kProto2 + "N";
  for (size_t i = 0; i < kPuts; ++i) data += "r" + le(0xFFFFFFFF - i, 4);
  // No STOP: the input ends where an opcode should start.
  size_t bound = 24 * data.size() + MiB;  // ~110 bytes per entry, map and buckets
  expect_hostile(data, {ErrorCode::truncated, data.size()}, bound);

  LoadOptions o;
  o.limits.max_memo_entries = kPuts - 1;
  expect_hostile(data, {ErrorCode::limit_exceeded, 3 + 5 * (kPuts - 1)}, bound, o, false);
}

// Ten million MEMOIZEs of one value: past Limits::dense_memo_span entries each goes
// to the sparse map (a node and a bucket, ~56 bytes) for one input byte.
TEST(Hostile, TenMillionMemoize) {
  constexpr size_t kMemoize = 10000000;
  std::string data = "N" + std::string(kMemoize, '\x94');  // no STOP
  LoadOptions defaults;
  size_t bound = 2 * 17 * defaults.limits.dense_memo_span + 72 * kMemoize;
  expect_hostile(data, {ErrorCode::truncated, data.size()}, bound, {}, false);
}

// Memo indices that double the dense table with each PUT stop growing it at
// Limits::dense_memo_span slots (17 bytes each); beyond, the map takes over.
TEST(Hostile, DenseMemoLadder) {
  std::string data = kProto2 + "N";
  uint64_t index = 0;
  for (int i = 0; i < 32; ++i) {
    data += "r" + le(index, 4);
    index = 2 * index + 64;
  }
  data += "j" + le(1, 4) + ".";  // never stored
  LoadOptions defaults;
  size_t bound = 2 * 17 * defaults.limits.dense_memo_span + kSmall;
  expect_hostile(data, {ErrorCode::memo_missing, data.size() - 6}, bound);
}

// ---------------------------------------------------------------------------
// Floods of cheap opcodes: every slot they make is paid for by an input byte.

TEST(Hostile, TenMillionMarks) {
  constexpr size_t kMarks = 10000000;
  std::string data(kMarks, '(');
  data += '.';  // STOP with nothing on the stack
  // The mark stack: 8 bytes per MARK, doubled by vector growth, plus the old block
  // while it moves.
  size_t bound = 24 * kMarks + MiB;
  expect_hostile(data, {ErrorCode::stack_underflow, kMarks}, bound, {}, false);
}

TEST(Hostile, TenMillionDups) {
  constexpr size_t kDups = 10000000;
  std::string data = "N" + std::string(kDups, '2');  // DUP; no STOP
  // The stack: 16 bytes per item, doubled by growth, plus the old block.
  size_t bound = 48 * kDups + MiB;
  expect_hostile(data, {ErrorCode::truncated, data.size()}, bound, {}, false);
}

// Ten million nested EMPTY_LIST/APPEND, then one APPEND too many.
TEST(Hostile, TenMillionNestedAppends) {
  constexpr size_t kDepth = 10000000;
  std::string data = kProto2 + std::string(kDepth + 1, ']') + std::string(kDepth + 1, 'a') + ".";
  // A list node and its one-slot item array per level (~100 bytes with the arena's
  // slack), and the stack that holds every open list (16 bytes each, doubled).
  size_t bound = 160 * kDepth + MiB;
  expect_hostile(data, {ErrorCode::stack_underflow, 2 * kDepth + 3}, bound, {}, false);
}

// ---------------------------------------------------------------------------
// Operands of the wrong kind.

TEST(Hostile, StackGlobalWithNonStrOperands) {
  struct Case {
    std::string name, operands;
  } cases[] = {
      {"int, int", "K\x01K\x02"}, {"str, int", "\x8c\x01mK\x02"},   {"int, str", "K\x01\x8c\x01n"},
      {"None, None", "NN"},       {"bytes, bytes", "C\x01mC\x01n"}, {"tuple, str", ")\x8c\x01n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string data = kProto4 + c.operands + "\x93.";
    expect_hostile(data, {ErrorCode::bad_type, 2 + c.operands.size()}, kSmall);
  }
  // With fewer than two operands it is an underflow, not a type error.
  expect_hostile(kProto4 + "\x8c\x01m\x93.", {ErrorCode::stack_underflow, 5}, kSmall);
}

// BUILD, SETITEM(S), APPEND(S), ADDITEMS, REDUCE, NEWOBJ and friends applied to the
// wrong kind of value: a restricted unpickler that let these through corrupted its own
// state (CVE-2026-24747 in PyTorch's weights-only unpickler, cited by issue 5).
TEST(Hostile, OperationsOnTheWrongKinds) {
  const std::string kGlobal = "c__main__\nC\n";
  struct Case {
    std::string name, data;
    ErrorCode code;
  } cases[] = {
      {"BUILD on an int", "K\x01}b.", ErrorCode::bad_type},
      // A list or dict takes attributes (a dict state: issue 12), never a list state.
      {"BUILD of a list on a list", "]]b.", ErrorCode::bad_type},
      {"BUILD on None", "N}b.", ErrorCode::bad_type},
      {"BUILD on a str", "\x8c\x01s}b.", ErrorCode::bad_type},
      {"BUILD on a global", kGlobal + "}b.", ErrorCode::bad_type},
      {"BUILD of an int on a dict", "}K\001b.", ErrorCode::bad_type},
      {"SETITEM on a list", "]K\x01K\x02s.", ErrorCode::bad_type},
      {"SETITEM on a tuple", ")K\x01K\x02s.", ErrorCode::bad_type},
      {"SETITEM on an int", "K\x00K\x01K\x02s."s, ErrorCode::bad_type},
      {"SETITEM on a global", kGlobal + "K\x01K\x02s.", ErrorCode::bad_type},
      {"SETITEMS on a list", "](K\x01K\x02u.", ErrorCode::bad_type},
      {"SETITEMS on a set", "\x8f(K\x01K\x02u.", ErrorCode::bad_type},
      {"SETITEMS on None", "N(K\x01K\x02u.", ErrorCode::bad_type},
      {"APPEND to a dict", "}K\001a.", ErrorCode::bad_type},
      {"APPEND to a tuple", ")K\001a.", ErrorCode::bad_type},
      {"APPEND to a str", "\x8c\x01sK\001a.", ErrorCode::bad_type},
      {"APPENDS to a dict", "}(K\001e.", ErrorCode::bad_type},
      {"APPENDS to a set", "\x8f(K\001e.", ErrorCode::bad_type},
      {"APPENDS to a global", kGlobal + "(K\001e.", ErrorCode::bad_type},
      {"ADDITEMS to a list", "](K\x01\x90.", ErrorCode::bad_type},
      {"ADDITEMS to a frozenset", "(\x91(K\x01\x90.", ErrorCode::bad_type},
      {"ADDITEMS to a dict", "}(K\x01\x90.", ErrorCode::bad_type},
      {"REDUCE of an int", "K\x01)R.", ErrorCode::bad_type},
      {"REDUCE with a list of args", kGlobal + "]R.", ErrorCode::bad_type},
      {"NEWOBJ of a str", "\x8c\x01s)\x81.", ErrorCode::bad_type},
      {"NEWOBJ with int args", kGlobal + "K\x01\x81.", ErrorCode::bad_type},
      {"NEWOBJ_EX with list kwargs", kGlobal + ")]\x92.", ErrorCode::bad_type},
      {"OBJ of an int", "(K\x01o.", ErrorCode::bad_type},
      {"READONLY_BUFFER on an int", "K\x01\x98.", ErrorCode::bad_type},
      {"unhashable dict key", "}]K\x01s.", ErrorCode::unhashable},
      // The container must be below the MARK, and on this side of the previous one.
      {"APPENDS with no container", "(K\001e.", ErrorCode::stack_underflow},
      {"SETITEMS behind a MARK", "}((K\x01K\x02u.", ErrorCode::stack_underflow},
      {"SETITEM with two items", "K\x01K\x02s.", ErrorCode::stack_underflow},
      {"SETITEM across a MARK", "}K\x01(K\x02s.", ErrorCode::stack_underflow},
      {"BUILD with no object", "}b.", ErrorCode::stack_underflow},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string data = kProto5 + c.data;
    // The failing opcode is the last before STOP.
    expect_hostile(data, {c.code, data.size() - 2}, kSmall);
  }
}

// ---------------------------------------------------------------------------
// Amplification: a few bytes that copy a large value (a natively rebuilt set(x) of a
// list the memo holds) are stopped by Limits::max_alloc_per_byte.

TEST(Hostile, SetOfSharedListAmplification) {
  constexpr int kItems = 100000;
  std::string data = kProto2 + "c__builtin__\nset\nq\x01" + "]q\x00("s;
  for (int i = 0; i < kItems; ++i) data += "J" + le(uint32_t(i), 4);
  data += "e";
  size_t header = data.size();
  // set(L), popped, again and again: 6 bytes for a copy of 100 000 items.
  for (int i = 0; i < 100000; ++i) data += "h\x01h\x00\x85R0"s;
  data += "N.";
  LoadOptions defaults;
  // The graph may hold 16 MiB + max_alloc_per_byte per byte read; one opcode can at
  // most double what exists; the stack and memo are small here.
  size_t graph_bound = 16 * MiB + defaults.limits.max_alloc_per_byte * data.size();
  size_t bound = 2 * graph_bound + 4 * MiB;
  std::optional<UnpicklingError> error;
  size_t peak = peak_of([&] {
    try {
      pickle::loads(data);
    } catch (const UnpicklingError& e) {
      error = e;
    }
  });
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::limit_exceeded) << error->what();
  EXPECT_GT(error->offset(), header);
  report(peak, bound);
  EXPECT_LE(peak, bound);
}

// A list grown past Limits::max_container_items by APPENDS batches, at the boundary.
TEST(Hostile, ContainerItemsLimit) {
  std::string data = kProto2 + "]";
  for (int batch = 0; batch < 10; ++batch) {
    data += "(";
    for (int i = 0; i < 100; ++i) data += "K\x01";
    data += "e";
  }
  std::string ok = data + ".";
  LoadOptions o;
  o.limits.max_container_items = 1000;
  pickle::Document doc = pickle::loads(ok, o);
  EXPECT_EQ(doc.root().size(), 1000u);
  std::string over = data + "K\002a.";
  expect_hostile(over, {ErrorCode::limit_exceeded, over.size() - 2}, kSmall, o);
  // Sets, dicts and tuples too.
  o.limits.max_container_items = 2;
  expect_hostile(kProto4 + "\x8f(K\x01K\x02K\x03\x90.", {ErrorCode::limit_exceeded, 10}, kSmall, o);
  expect_hostile(kProto4 + "(K\x01K\x01K\x02K\x02K\x03K\003d.", {ErrorCode::limit_exceeded, 15},
                 kSmall, o);
  expect_hostile(kProto4 + "(K\x01K\x02K\x03t.", {ErrorCode::limit_exceeded, 9}, kSmall, o);
}

// ---------------------------------------------------------------------------
// Billion laughs: lists of a thousand references to lists of a thousand references,
// six deep: 12 KB of pickle, 10^18 values when walked as a tree. Loading is cheap
// (the graph is small); printing stops at the expansion budget.

std::string billion_laughs(char container) {
  // container: ']' for lists (APPENDS), ')' for tuples (MARK ... TUPLE).
  std::string data = kProto2;
  if (container == ']') {
    data += "]q\x00K\001a"s;
  } else {
    data += "K\x01\x85q\x00"s;
  }
  for (int level = 1; level <= 6; ++level) {
    std::string get = "h" + std::string(1, char(level - 1));
    std::string put = "q" + std::string(1, char(level));
    if (container == ']') {
      data += "]" + put + "(";
      for (int i = 0; i < 1000; ++i) data += get;
      data += "e";
    } else {
      data += "(";
      for (int i = 0; i < 1000; ++i) data += get;
      data += "t" + put;
    }
  }
  return data + ".";
}

TEST(Hostile, BillionLaughsLoadsSmallAndFailsToPrint) {
  std::string data = billion_laughs(']');
  ASSERT_LT(data.size(), 13000u);
  pickle::Document doc;
  size_t load_peak = peak_of([&] { doc = pickle::loads(data); });
  size_t load_bound = 2 * MiB;
  report(load_peak, load_bound);
  EXPECT_LE(load_peak, load_bound);

  // `pickle show`'s budget for this input: 2^20 values plus 64 per byte.
  ReprOptions budget;
  budget.max_visits = (size_t(1) << 20) + 64 * data.size();
  budget.max_bytes = (size_t(1) << 26) + 64 * data.size();
  std::optional<pickle::LimitError> error;
  size_t repr_peak = peak_of([&] {
    try {
      pickle::repr(doc.root(), budget);
    } catch (const pickle::LimitError& e) {
      error = e;
    }
  });
  ASSERT_TRUE(error);
  EXPECT_NE(std::string(error->what()).find("max_visits"), std::string::npos) << error->what();
  // The output so far (a few bytes per value visited, doubled by string growth).
  size_t repr_bound = 16 * budget.max_visits;
  report(repr_peak, repr_bound);
  EXPECT_LE(repr_peak, repr_bound);

  // The default budget stops it too, by output size.
  EXPECT_THROW(pickle::repr(doc.root(), {.max_bytes = 8 * MiB}), pickle::LimitError);

  // As `pickle show` prints it: cut at the same budget, in the same memory.
  budget.cut_at_limit = true;
  std::string out;
  pickle::ReprCut cut = pickle::ReprCut::none;
  size_t cut_peak = peak_of([&] { cut = pickle::repr_to(out, doc.root(), budget); });
  EXPECT_EQ(cut, pickle::ReprCut::max_visits);
  EXPECT_TRUE(out.starts_with("[[[[[[[1], [1], ") && out.ends_with(", [...")) << out.substr(0, 20);
  report(cut_peak, repr_bound);
  EXPECT_LE(cut_peak, repr_bound);
}

// Equality and hashing visit each shared node once, not once per path.
TEST(Hostile, BillionLaughsEqualityAndHash) {
  std::string data = billion_laughs(')');
  pickle::Document a, b;
  size_t peak = peak_of([&] {
    a = pickle::loads(data);
    b = pickle::loads(data);
    EXPECT_EQ(pickle::hash(a.root()), pickle::hash(b.root()));
    EXPECT_TRUE(pickle::equal(a.root(), b.root()));
  });
  size_t bound = 4 * MiB;
  report(peak, bound);
  EXPECT_LE(peak, bound);
}

// A list holding itself a million times: a cycle, printed as [...] each time.
TEST(Hostile, SelfReferenceManyTimes) {
  constexpr size_t kRefs = 1000000;
  std::string data = kProto2 + "]q\x00("s;
  for (size_t i = 0; i < kRefs; ++i) data += "h\x00"s;
  data += "e.";
  size_t peak = peak_of([&] {
    pickle::Document doc = pickle::loads(data);
    ASSERT_EQ(doc.root().size(), kRefs);
    std::string out = pickle::repr(doc.root());
    EXPECT_EQ(out.size(), 2 + 5 * kRefs + 2 * (kRefs - 1));
    EXPECT_EQ(out.substr(0, 12), "[[...], [...");
  });
  // The list (16 bytes per item, doubled), the stack during APPENDS, the output.
  size_t bound = 24 * data.size() + 4 * 7 * kRefs + MiB;
  report(peak, bound);
  EXPECT_LE(peak, bound);
}

// ---------------------------------------------------------------------------
// The densest honest pickles load with the default limits (a list of empty sets or
// dicts after pickletools.optimize: one byte per container).

TEST(Hostile, DenseHonestPicklesLoad) {
  for (char op : {'\x8f', '}', ')', ']'}) {
    std::string data = kProto4 + "]";
    for (int batch = 0; batch < 1000; ++batch) {
      data += "(" + std::string(1000, op) + "e";
    }
    data += ".";
    Graph g;
    Value v;
    ASSERT_NO_THROW(v = pickle::loads(data, g)) << "opcode " << int(uint8_t(op));
    EXPECT_EQ(v.size(), 1000000u);
    double ratio = double(g.bytes_allocated()) / double(data.size());
    std::printf("    opcode 0x%02x: %.1f graph bytes per input byte\n", uint8_t(op), ratio);
    LoadOptions defaults;
    EXPECT_LT(ratio, double(defaults.limits.max_alloc_per_byte) / 2);
  }
}

// ---------------------------------------------------------------------------
// Ten million levels: load, equality, hashing, repr and destruction, all without
// recursion (each would need far more than the 8 MiB stack). Dumping ten million
// levels is tested by DeepPickler in tests/unit/pickler_test.cpp.

TEST(HostileDeep, TenMillionLevelsEverywhere) {
  constexpr size_t kDepth = 10000000;
  // ((((),),),) ten million deep: EMPTY_TUPLE, then TUPLE1 ten million times (what
  // pickletools.optimize leaves of CPython's protocol 2 output).
  std::string data = kProto2 + ")" + std::string(kDepth, '\x85') + ".";
  pickle::Document a = pickle::loads(data);
  {
    pickle::Document b = pickle::loads(data);
    EXPECT_TRUE(pickle::equal(a.root(), b.root()));
    EXPECT_EQ(pickle::hash(a.root()), pickle::hash(b.root()));
  }  // destruction: the graph is freed at once, by its arena
  {
    std::string text = pickle::repr(a.root());
    ASSERT_EQ(text.size(), 3 * kDepth + 2);
    EXPECT_EQ(text.substr(0, 4), "((((");
    EXPECT_EQ(text.substr(text.size() - 6), ",),),)");
  }
}

}  // namespace
