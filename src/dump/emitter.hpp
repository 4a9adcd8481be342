// The Emitter: the one writer of opcodes. It owns the output (a buffer handed to a
// Sink, or kept for dumps()), framing, the memo's PUT and GET opcodes, one writer per
// leaf family choosing the opcodes CPython's C pickler (_pickle, 3.8–3.13) chooses at
// the protocol, and the batching of container items. What to write, and when, is the
// caller's: the Encoder's graph walk, and pickletools.optimize's copy.
//
// The writers used for every value are inline; what protocols 0 and 1 write as text,
// and payloads too large for a frame, are out of line in emitter.cpp.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/sink.hpp"
#include "pickle/opcodes.hpp"

namespace pickle::detail {

constexpr size_t kFrameSizeTarget = 64 * 1024;  // CPython's _FRAME_SIZE_TARGET
constexpr size_t kFrameSizeMin = 4;             // smaller frames get no FRAME opcode
constexpr size_t kFrameHeader = 9;
constexpr size_t kBatch = 1000;  // CPython's _BATCHSIZE

inline char op(Op o) {
  return static_cast<char>(o);
}

// [NOTE batching] CPython batches items by 1000 in two ways. Exact lists, dicts
// and sets (batch_list_exact, batch_dict_exact, save_set): a lone list or dict item
// gets APPEND/SETITEM, otherwise every batch is MARK ... APPENDS/SETITEMS/ADDITEMS,
// and after a full batch of a dict or set another batch starts even when nothing
// is left. Items of a reduction (an iterator): a batch of one gets APPEND/SETITEM,
// and no empty batch is written.
struct BatchForm {
  Op many, one;
  uint8_t per;    // values per item: 1, or 2 for a key and its value
  bool lone_one;  // exact: a lone item gets `one` (a set is batched even then)
  bool trailing;  // exact: a full last batch is followed by an empty one
};
constexpr BatchForm kListItems{Op::appends, Op::append, 1, true, false};
constexpr BatchForm kDictItems{Op::setitems, Op::setitem, 2, true, true};
constexpr BatchForm kSetItems{Op::additems, Op::additems, 1, false, true};

// Where a container's items are: values [0, i) are written, and [i, j) is the run
// being written, whose values follow one another with no opcode between. The caller
// resumes a run where it left it, and asks for the next one (next_exact_run,
// next_iterator_run) when i == j. `phase` 0 is the caller's (nothing written);
// exact batching starts at kBatchOpen.
struct BatchCursor {
  static constexpr uint8_t kBatchOpen = 1, kBatchOne = 2, kBatchMany = 3;
  uint8_t phase = 0;
  uint32_t i = 0;
  uint32_t j = 0;
};

class Emitter {
 public:
  static constexpr size_t npos = size_t(-1);

  // sink == nullptr: the output stays here for take_output() (see [NOTE output-buffer]).
  // Throws UsageError for a protocol above HIGHEST_PROTOCOL; a negative one
  // means HIGHEST_PROTOCOL.
  Emitter(Sink* sink, int protocol);

  int protocol() const noexcept { return proto_; }

  // ---- a pickle --------------------------------------------------------------------
  // PROTO (protocol 2+), then framing (4+).
  void start() {
    reset();
    if (proto_ >= 2) {
      put(op(Op::proto));
      put(static_cast<char>(proto_));
    }
    framing_ = proto_ >= 4;
  }
  // STOP, then finish().
  void stop() {
    put(op(Op::stop));
    finish();
  }
  // Closes the open frame and hands what is written to the sink.
  void finish() {
    commit_frame();
    framing_ = false;
    flush();
    if (sink_) sink_->flush();
  }
  // After a failure: what was not handed to the sink yet is dropped by the next start().
  void abandon() noexcept { framing_ = false; }
  // Starts an output afresh, with framing off.
  void reset() {
    len_ = 0;
    deferred_.clear();
    deferred_size_ = 0;
    frame_start_ = npos;
    frame_limit_ = npos;
    framing_ = false;
  }
  // Framing from here on (on: frames are opened as bytes come).
  void set_framing(bool on) { framing_ = on; }
  // Without a sink: the bytes written, with the deferred payloads in their places.
  std::string take_output();
  // The output buffer, to hand from one dumps() to the next (see [NOTE spare-memory]).
  ByteBuffer& buffer() noexcept { return out_; }

  // ---- framing ---------------------------------------------------------------------
  // An opcode boundary where CPython closes a full frame (before each value it saves).
  void boundary() {
    if (len_ >= frame_limit_) commit_frame();
  }
  void commit_frame();

  // ---- raw bytes -------------------------------------------------------------------
  // [NOTE output-buffer] out_ is raw storage: its first len_ bytes are the output, the
  // rest is room to write into (grown geometrically by realloc, which neither fills
  // nor, for large blocks, copies; each opcode is a capacity check and a few stores).
  // Without a sink (dumps()) nothing is flushed: payloads of 64 KiB and more are not
  // copied as they come but recorded in deferred_, and take_output() copies
  // everything once into a string reserved to the final size (on huge pages when
  // large, see advise_huge_pages).
  char* room(size_t n) {
    if (frame_start_ == npos && framing_) [[unlikely]]
      open_frame();
    if (out_.capacity() - len_ < n) [[unlikely]]
      out_.grow_to(len_ + n);
    return out_.data() + len_;
  }
  void put(char c) {
    *room(1) = c;
    ++len_;
  }
  void put(std::string_view s) {
    if (s.empty()) return;  // an empty view may have no data pointer for memcpy
    std::memcpy(room(s.size()), s.data(), s.size());
    len_ += s.size();
  }
  void opcode(Op o) { put(op(o)); }
  static void store_le(char* p, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  // An opcode and its n-byte little-endian argument.
  void put_op_le(Op o, uint64_t v, int n) {
    char* p = room(9);
    p[0] = op(o);
    store_le(p + 1, v, n);
    len_ += 1 + static_cast<size_t>(n);
  }
  void put_op_byte(Op o, uint8_t b) {
    char* p = room(2);
    p[0] = op(o);
    p[1] = static_cast<char>(b);
    len_ += 2;
  }
  // Bytes outside any frame (framing resumes after them).
  void put_unframed(std::string_view s) {
    bool was_framing = std::exchange(framing_, false);
    put(s);
    framing_ = was_framing;
  }
  // Header and payload of a str/bytes. One of 64 KiB or more goes outside any frame,
  // straight to the sink to avoid a copy (as CPython does). `stable`: the payload
  // outlives the pickle (it is in a graph), so without a sink it may be placed at the
  // end (see [NOTE output-buffer]).
  void put_payload(std::string_view header, std::string_view payload, bool stable = true) {
    if (payload.size() >= kFrameSizeTarget) [[unlikely]]
      return put_large_payload(header, payload, stable);
    char* p = room(header.size() + payload.size());
    std::memcpy(p, header.data(), header.size());
    if (!payload.empty()) std::memcpy(p + header.size(), payload.data(), payload.size());
    len_ += header.size() + payload.size();
  }

  // ---- memo ------------------------------------------------------------------------
  // PUT, BINPUT, LONG_BINPUT or MEMOIZE of the next index, which it returns.
  uint32_t memoize() {
    uint32_t i = memo_count_++;
    if (proto_ >= 4)
      put(op(Op::memoize));
    else
      put_index(Op::binput, Op::long_binput, Op::put, i);
    return i;
  }
  // GET, BINGET or LONG_BINGET of index i.
  void get(uint32_t i) { put_index(Op::binget, Op::long_binget, Op::get, i); }
  // Indices memoized since the last clear_memo().
  uint32_t memo_size() const noexcept { return memo_count_; }
  void clear_memo() noexcept { memo_count_ = 0; }

  // ---- leaves ----------------------------------------------------------------------
  void none() { put(op(Op::none)); }
  void boolean(bool b) {
    if (proto_ >= 2) return put(op(b ? Op::newtrue : Op::newfalse));
    put(b ? "I01\n" : "I00\n");
  }
  void int64(int64_t x) {
    if (proto_ >= 1) {
      if (x >= 0 && x <= 0xff) return put_op_byte(Op::binint1, static_cast<uint8_t>(x));
      if (x >= 0 && x <= 0xffff) return put_op_le(Op::binint2, static_cast<uint64_t>(x), 2);
      if (x >= INT32_MIN && x <= INT32_MAX)
        return put_op_le(Op::binint, static_cast<uint32_t>(static_cast<int32_t>(x)), 4);
    }
    if (proto_ >= 2) {
      // LONG1: two's complement, little-endian, without redundant sign bytes; the
      // bytes needed are the significant bits and a sign bit, rounded up.
      int n = (64 - __builtin_clrsbll(x) + 7) / 8;
      char* p = room(10);
      p[0] = op(Op::long1);
      p[1] = static_cast<char>(n);
      store_le(p + 2, static_cast<uint64_t>(x), 8);
      len_ += 2 + static_cast<size_t>(n);
      return;
    }
    int_text(x);
  }
  // An int of any size as its two's complement bytes, little-endian.
  void bigint(std::span<const uint8_t> twos);
  void float64(double d) {
    if (proto_ >= 1) {
      uint64_t bits = std::bit_cast<uint64_t>(d);
      char* p = room(9);
      p[0] = op(Op::binfloat);
      for (int i = 0; i < 8; ++i) p[1 + i] = static_cast<char>((bits >> (8 * (7 - i))) & 0xff);
      len_ += 9;
      return;
    }
    float_text(d);
  }
  // A str (valid UTF-8, lone surrogates allowed).
  void str(std::string_view utf8) {
    if (proto_ < 1) return unicode_text(utf8);
    size_t n = utf8.size();
    char h[9];
    if (n <= 0xff && proto_ >= 4) {
      h[0] = op(Op::short_binunicode);
      h[1] = static_cast<char>(n);
      return put_payload(std::string_view(h, 2), utf8);
    }
    if (n > 0xffffffffu) return huge_str(utf8);
    h[0] = op(Op::binunicode);
    store_le(h + 1, n, 4);
    put_payload(std::string_view(h, 5), utf8);
  }
  // A bytes with its own opcodes (protocol 3+; below, bytes are a reduction).
  void bytes(std::string_view d) {
    size_t n = d.size();
    char h[9];
    if (n <= 0xff) {
      h[0] = op(Op::short_binbytes);
      h[1] = static_cast<char>(n);
      return put_payload(std::string_view(h, 2), d);
    }
    if (n > 0xffffffffu) return huge_bytes(d);
    h[0] = op(Op::binbytes);
    store_le(h + 1, n, 4);
    put_payload(std::string_view(h, 5), d);
  }
  // BYTEARRAY8 (protocol 5).
  void bytearray(std::string_view d) {
    char h[9] = {op(Op::bytearray8)};
    store_le(h + 1, d.size(), 8);
    put_payload(std::string_view(h, 9), d);
  }
  // A Python 2 str's bytes, with the opcode family Python 2 wrote it with (`stable` as
  // for put_payload).
  void py2_str(std::string_view raw, bool stable);
  // One GLOBAL line; throws PicklingError for names the protocol cannot write there.
  void global(std::string_view module, std::string_view name);
  // INST's two lines (after MARK and the arguments).
  void inst(std::string_view module, std::string_view name);
  // EXT1, EXT2 or EXT4 (protocol 2+).
  void ext(uint32_t code) {
    if (code <= 0xff) return put_op_byte(Op::ext1, static_cast<uint8_t>(code));
    if (code <= 0xffff) return put_op_le(Op::ext2, code, 2);
    put_op_le(Op::ext4, code, 4);
  }
  // PERSID's line (protocol 0: an ASCII id without newlines, else PicklingError).
  void persid(std::string_view id);

  // ---- containers ------------------------------------------------------------------
  void empty_tuple() { put(proto_ >= 1 ? std::string_view(")") : std::string_view("(t")); }
  void empty_list() { put(proto_ >= 1 ? std::string_view("]") : std::string_view("(l")); }
  void empty_dict() { put(proto_ >= 1 ? std::string_view("}") : std::string_view("(d")); }
  // Whether a tuple of n > 0 items opens with MARK (no TUPLE1-3 below protocol 2).
  bool tuple_marked(size_t n) const { return !(n <= 3 && proto_ >= 2); }
  // The opcode that ends a tuple of n > 0 items.
  void end_tuple(size_t n) {
    if (tuple_marked(n)) return put(op(Op::tuple));
    put(static_cast<char>(static_cast<uint8_t>(Op::tuple1) + n - 1));
  }
  // The opcodes before the next run of an exact list, dict or set (c.phase starts at
  // kBatchOpen, after the container's opener). False when every item is written,
  // the closing opcodes too. See [NOTE batching].
  bool next_exact_run(BatchCursor& c, size_t count, const BatchForm& f) {
    const size_t total = count * f.per, full = kBatch * f.per;
    switch (c.phase) {
      case BatchCursor::kBatchOpen:
        if (proto_ == 0 || (count == 1 && f.lone_one)) {
          c.phase = BatchCursor::kBatchOne;
          return next_single(c, total, f);
        }
        c.phase = BatchCursor::kBatchMany;
        return open_batch(c, total, full);
      case BatchCursor::kBatchOne: return next_single(c, total, f);
      default:
        put(op(f.many));
        if (c.i < total) return open_batch(c, total, full);
        if (f.trailing && c.j % full == 0) {
          put(op(Op::mark));  // the trailing empty batch
          put(op(f.many));
        }
        return false;
    }
  }
  // The same for the items of a reduction, batched as CPython batches an iterator
  // (c.j starts at 0). See [NOTE batching].
  bool next_iterator_run(BatchCursor& c, size_t count, const BatchForm& f) {
    const size_t total = count * f.per, full = kBatch * f.per;
    if (proto_ == 0) return next_single(c, total, f);  // no MARK-based opcodes
    if (c.j != 0) put(op(c.j - (c.j - 1) / full * full > f.per ? f.many : f.one));
    if (c.i == total) return false;
    size_t len = std::min(full, total - c.i);
    if (len > f.per) put(op(Op::mark));
    c.j = static_cast<uint32_t>(c.i + len);
    return true;
  }

 private:
  // One item at a time: key [, value], then the single-item opcode.
  bool next_single(BatchCursor& c, size_t total, const BatchForm& f) {
    if (c.i > 0) put(op(f.one));
    if (c.i == total) return false;
    c.j = c.i + f.per;
    return true;
  }
  bool open_batch(BatchCursor& c, size_t total, size_t full) {
    put(op(Op::mark));
    c.j = static_cast<uint32_t>(std::min(total, c.i + full));
    return true;
  }
  void put_index(Op binary_small, Op binary_large, Op text, uint64_t i) {
    if (proto_ < 1) return index_text(text, i);
    if (i < 256) return put_op_byte(binary_small, static_cast<uint8_t>(i));
    put_op_le(binary_large, i, 4);
  }
  PICKLE_COLD void open_frame();
  void flush();
  PICKLE_COLD void put_large_payload(std::string_view header, std::string_view payload,
                                     bool stable);
  // Protocols 0 and 1's text forms, and the 8-byte lengths of protocol 4.
  PICKLE_COLD void index_text(Op text, uint64_t i);
  PICKLE_COLD void int_text(int64_t x);
  PICKLE_COLD void float_text(double d);
  PICKLE_COLD void unicode_text(std::string_view utf8);
  PICKLE_COLD void huge_str(std::string_view utf8);
  PICKLE_COLD void huge_bytes(std::string_view d);

  Sink* sink_;
  int proto_;
  ByteBuffer out_;
  size_t len_ = 0;
  struct Deferred {
    size_t at;  // where in out_'s bytes the payload goes
    std::string_view data;
  };
  std::vector<Deferred> deferred_;
  size_t deferred_size_ = 0;
  size_t frame_start_ = npos;
  size_t frame_limit_ = npos;  // commit the open frame once len_ reaches this
  bool framing_ = false;
  uint32_t memo_count_ = 0;
};

}  // namespace pickle::detail
