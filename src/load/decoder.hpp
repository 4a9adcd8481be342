// The opcode machine. Decoding is separate from building: a Reader reads opcodes
// and their arguments; Decoder<Builder> keeps the stack, the marks and the memo, and
// asks a Builder to make and combine items. The value builder and noload are two
// builders of this one machine; the opcode walker of the tools (src/tools/ops.cpp)
// reads through the same Reader, so none of them can disagree about where an opcode
// starts or whether a stream is valid. See [NOTE one-reader].
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "load/memo.hpp"
#include "model/scratch_alloc.hpp"
#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/opcodes.hpp"
#include "text/text.hpp"

namespace pickle::detail {

/// Thrown by builders and helpers; the decoder adds the offset and opcode.
struct Failure {
  ErrorCode code;
  std::string message;
};

[[noreturn]] inline void fail(ErrorCode code, std::string message) {
  throw Failure{code, std::move(message)};
}

/// Throws UnpicklingError (ErrorCode::container) when the source starts with the magic
/// of a container (zip, gzip, ...) rather than a pickle. Called before the first
/// pickle of a source. See [NOTE container-magic].
void refuse_container(Source& source);

/// The Python 2 <-> 3 renames of CPython's _compat_pickle, applied by fix_imports.
void fix_import(std::string_view& module, std::string_view& name);

/// State that outlives one load(): the memo (CPython keeps it between loads).
template <class Item>
struct MachineState {
  Memo<Item> memo;
  std::vector<Item, ScratchAllocator<Item>> stack;
  std::vector<size_t> marks;
};

// [NOTE one-reader] Everything about reading a stream lives in Reader: where an
// opcode starts, how long its argument is, frames, truncation, lengths checked
// against the bytes left, limits, and the checks the Unpickler makes on an argument
// by itself (its syntax, its encoding, a negative count, an unsupported protocol).
// What needs the stack, the memo or a registry is the Decoder's. The opcode walker
// calls the same argument readers as Decoder::step, opcode by opcode, and
// tests/unit/dis_test.cpp checks that the two accept and reject the same streams.
class Reader {
 public:
  Reader(Source& src, const Limits& limits) : src_(src), lim_(limits) {}

  /// Starts a pickle (no frame is open). False when no byte is left at all.
  bool begin_pickle() {
    in_frame_ = false;
    frame_end_ = 0;
    if (!src_.ensure(1)) {
      op_offset_ = src_.offset();
      return false;
    }
    sync_in();
    return true;
  }

  /// Reads the next opcode byte and records its offset; false when the input ends
  /// where an opcode should start.
  bool next_opcode(uint8_t& op) {
    // The Source learns what was consumed only at refills, errors and STOP (sync_out).
    op_offset_ = pos();
    if (p_ == end_ && !refill(1)) return false;
    frame_check(1);
    op = *p_++;
    return true;
  }

  /// Hands the bytes read so far back to the Source.
  void sync_out() {
    auto w = src_.window();
    src_.consume(static_cast<size_t>(p_ - w.data()));
    sync_in();
  }

  /// Absolute offset of the current opcode.
  uint64_t op_offset() const noexcept { return op_offset_; }
  /// Absolute offset of the next byte to read.
  uint64_t pos() const noexcept { return win_offset_ + static_cast<uint64_t>(p_ - win_begin_); }

  // ---- raw reads ---------------------------------------------------------------
  const uint8_t* take(size_t n, const char* what) {
    if (size_t(end_ - p_) < n && !refill(n)) {
      fail(ErrorCode::truncated, std::string(what) + " needs " + std::to_string(n) +
                                     (n == 1 ? " byte, " : " bytes, ") + std::to_string(end_ - p_) +
                                     " left");
    }
    frame_check(n);
    const uint8_t* r = p_;
    p_ += n;
    return r;
  }

  // A payload whose length came from the stream: checked against what remains
  // before anything is allocated or copied.
  std::string_view take_payload(uint64_t n, const char* what) {
    if (n > lim_.max_string)
      fail(ErrorCode::limit_exceeded, std::string(what) + " of " + std::to_string(n) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(lim_.max_string));
    if (uint64_t(end_ - p_) < n && !refill(static_cast<size_t>(n))) {
      fail(ErrorCode::truncated, "length " + std::to_string(n) + " exceeds the " +
                                     std::to_string(end_ - p_) + " bytes left");
    }
    frame_check(static_cast<size_t>(n));
    auto r = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return r;
  }

  // A text line without its '\n'. The view lasts until the next read.
  std::string_view line(const char* what) {
    size_t scanned = 0;
    for (;;) {
      const void* nl = std::memchr(p_ + scanned, '\n', static_cast<size_t>(end_ - p_) - scanned);
      if (nl) {
        size_t n = static_cast<size_t>(static_cast<const uint8_t*>(nl) - p_);
        if (in_frame_ && pos() < frame_end_ && frame_end_ - pos() < n + 1)
          fail(ErrorCode::bad_frame, std::string(what) + " line runs past the end of the frame");
        frame_check(n + 1);
        auto r = std::string_view(reinterpret_cast<const char*>(p_), n);
        p_ += n + 1;
        last_line_ = r;
        return r;
      }
      scanned = static_cast<size_t>(end_ - p_);
      if (!refill(scanned + 1))
        fail(ErrorCode::truncated,
             std::string(what) + " line has no newline before the input ends");
    }
  }

  /// The line line() read last, as written (valid until the next read).
  std::string_view last_line() const noexcept { return last_line_; }

  /// True when no byte is left.
  bool at_end() {
    sync_out();
    bool end = !src_.ensure(1);
    sync_in();
    return end;
  }

  static uint64_t le(const uint8_t* s, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | s[i];
    return v;
  }

  // ---- arguments ---------------------------------------------------------------
  // One reader per argument family, each with every check the Unpickler makes on
  // the argument alone. See [NOTE one-reader].
  uint8_t uint1(const char* what) { return *take(1, what); }
  uint16_t uint2(const char* what) { return static_cast<uint16_t>(le(take(2, what), 2)); }
  int32_t int4(const char* what) {
    return static_cast<int32_t>(static_cast<uint32_t>(le(take(4, what), 4)));
  }
  uint32_t uint4(const char* what) { return static_cast<uint32_t>(le(take(4, what), 4)); }
  uint64_t uint8(const char* what) { return le(take(8, what), 8); }

  double float8() {
    uint64_t bits = 0;
    const uint8_t* s = take(8, "BINFLOAT");
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | s[i];
    return std::bit_cast<double>(bits);
  }

  // [NOTE text-numbers] INT, LONG and FLOAT lines have two oracles that disagree both
  // ways: CPython's C unpickler, what pickle.loads accepts (INT goes through C's
  // strtol, octal after a leading 0; a NUL byte ends every line; FLOAT takes no
  // whitespace or underscores and raises OverflowError past the largest double), and
  // Python's int(s)/float(s), what pickletools.dis shows (base 10; whitespace and
  // underscores; an overflow is inf). The Reader reads a line when either does, so
  // the opcode walker and `dis` show what pickletools shows; it returns the value the
  // Unpickler loads (or, for a line only pickletools reads, pickletools' value) and,
  // in `refused`, why the C unpickler would refuse the line, which the Decoder turns
  // into an UnpicklingError (bad_argument) at that opcode. text.hpp has both grammars.

  /// INT's line: a bool when `boolean` (CPython: a 2-character line read as 0 or 1).
  void int_line(ParsedInt& out, bool& boolean, std::string& refused) {
    std::string_view s = line("INT");
    refused.clear();
    if (check_digits(c_int_line(s, lim_.max_int_digits, out, boolean), "INT") == IntParse::ok)
      return;
    boolean = false;
    if (check_digits(parse_int(s, 10, lim_.max_int_digits, out), "INT") == IntParse::ok) {
      refused = "invalid INT literal '" + printable(s) + "'";
      return;
    }
    fail(ErrorCode::bad_argument, "invalid INT literal '" + printable(s) + "'");
  }
  /// LONG's line: an int literal with an optional trailing 'L'.
  void long_line(ParsedInt& out, std::string& refused) {
    std::string_view s = line("LONG");
    refused.clear();
    if (check_digits(c_long_line(s, lim_.max_int_digits, out), "LONG") == IntParse::ok) return;
    std::string_view t = s;
    if (!t.empty() && t.back() == 'L') t.remove_suffix(1);
    if (check_digits(parse_int(t, 10, lim_.max_int_digits, out), "LONG") == IntParse::ok) {
      refused = "invalid LONG literal '" + printable(s) + "'";
      return;
    }
    fail(ErrorCode::bad_argument, "invalid LONG literal '" + printable(s) + "'");
  }
  /// LONG1/LONG4: the two's-complement bytes.
  std::string_view long_bytes(bool four) {
    uint64_t n = four ? le(take(4, "LONG4"), 4) : *take(1, "LONG1");
    if (four && static_cast<int32_t>(n) < 0)
      fail(ErrorCode::bad_argument, "LONG4 byte count is negative");
    if (n > lim_.max_long_bytes)
      fail(ErrorCode::limit_exceeded, "int of " + std::to_string(n) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(lim_.max_long_bytes));
    return take_payload(n, four ? "LONG4" : "LONG1");
  }

  /// STRING's line, quotes removed and escapes decoded into scratch.
  std::string_view string_line(std::string& scratch) {
    std::string_view s = line("STRING");
    if (s.size() < 2 || s.front() != s.back() || (s.front() != '\'' && s.front() != '"'))
      fail(ErrorCode::bad_argument, "the STRING argument must be quoted");
    std::string err;
    if (!escape_decode(s.substr(1, s.size() - 2), scratch, err)) fail(ErrorCode::bad_argument, err);
    return scratch;
  }
  std::string_view binstring() {
    int32_t n = int4("BINSTRING");
    if (n < 0) fail(ErrorCode::bad_argument, "BINSTRING byte count is negative");
    return take_payload(static_cast<uint64_t>(n), "BINSTRING");
  }
  std::string_view counted1(const char* what) { return take_payload(*take(1, what), what); }
  std::string_view counted4(const char* what) { return take_payload(le(take(4, what), 4), what); }
  std::string_view counted8(const char* what) { return take_payload(le(take(8, what), 8), what); }

  /// UNICODE's line, raw-unicode-escape decoded into scratch as UTF-8.
  std::string_view unicode_line(std::string& scratch) {
    std::string_view s = line("UNICODE");
    std::string err;
    if (!raw_unicode_escape_decode(s, scratch, err)) fail(ErrorCode::bad_encoding, err);
    return scratch;
  }
  /// A counted UTF-8 str (surrogates allowed, as CPython's surrogatepass).
  static std::string_view utf8(std::string_view s) {
    size_t bad = check_utf8(s, true);
    if (bad != std::string_view::npos)
      fail(ErrorCode::bad_encoding, "invalid UTF-8 at byte " + std::to_string(bad) + " of the str");
    return s;
  }

  /// FLOAT's line. See [NOTE text-numbers].
  double float_line(std::string& refused) {
    std::string_view s = line("FLOAT");
    refused.clear();
    double d = 0;
    switch (c_float_line(s, d)) {
      case CFloat::ok: return d;
      case CFloat::overflow:
        refused = "FLOAT literal '" + printable(s) +
                  "' is out of the range of a float (CPython raises OverflowError)";
        return d;
      case CFloat::invalid: break;
    }
    if (parse_float(s, d)) {
      refused = "could not convert '" + printable(s) + "' to a float";
      return d;
    }
    fail(ErrorCode::bad_argument, "could not convert '" + printable(s) + "' to a float");
  }

  /// GET's and PUT's line: a memo index.
  uint64_t index_line(const char* what) {
    std::string_view s = line(what);
    ParsedInt v;
    if (parse_int(s, 10, 40, v) != IntParse::ok || !v.small)
      fail(ErrorCode::bad_argument,
           std::string("invalid ") + what + " index '" + printable(s) + "'");
    if (v.value < 0) fail(ErrorCode::bad_argument, std::string("negative ") + what + " argument");
    return static_cast<uint64_t>(v.value);
  }

  // GLOBAL lines are UTF-8, INST lines ASCII, as CPython decodes them.
  std::string_view name_line(const char* what, bool ascii) {
    std::string_view s = line(what);
    if (ascii) {
      for (char c : s)
        if (static_cast<uint8_t>(c) >= 0x80)
          fail(ErrorCode::bad_encoding, std::string(what) + " is not ASCII");
    } else if (check_utf8(s, false) != std::string_view::npos) {
      fail(ErrorCode::bad_encoding, std::string(what) + " is not valid UTF-8");
    }
    return s;
  }
  static void check_global_names(std::string_view module, std::string_view name) {
    if (module.empty() || name.empty())
      fail(ErrorCode::bad_argument, module.empty() ? "empty module name" : "empty global name");
  }

  std::string_view persid_line() {
    std::string_view s = line("PERSID");
    for (char c : s)
      if (static_cast<uint8_t>(c) >= 0x80)
        fail(ErrorCode::bad_encoding, "persistent IDs in protocol 0 must be ASCII strings");
    return s;
  }

  static void check_ext_code(int64_t code) {
    if (code <= 0) fail(ErrorCode::bad_argument, "EXT specifies code <= 0");
  }

  uint8_t proto() {
    uint8_t v = *take(1, "PROTO");
    if (v > HIGHEST_PROTOCOL)
      fail(ErrorCode::unsupported, "unsupported pickle protocol: " + std::to_string(v));
    return v;
  }

  /// FRAME: reads the length and opens the frame.
  uint64_t frame() {
    uint64_t n = le(take(8, "FRAME"), 8);
    if (in_frame_ && pos() < frame_end_)
      fail(ErrorCode::bad_frame, "a new frame begins before the end of the current frame");
    if (uint64_t(end_ - p_) < n && !refill(static_cast<size_t>(n)))
      fail(ErrorCode::truncated, "FRAME of " + std::to_string(n) + " bytes exceeds the " +
                                     std::to_string(end_ - p_) + " bytes left");
    frame_end_ = pos() + n;
    in_frame_ = true;
    return n;
  }

  static std::string printable_byte(uint8_t c) {
    static const char kHex[] = "0123456789abcdef";
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') return std::string("'") + char(c) + "'";
    return std::string("0x") + kHex[c >> 4] + kHex[c & 15];
  }
  static std::string printable(std::string_view s) {
    std::string r;
    for (char c : s.substr(0, 60)) {
      auto u = static_cast<uint8_t>(c);
      if (u >= 0x20 && u < 0x7f)
        r.push_back(c);
      else
        r += "\\x" + printable_byte(u).substr(2);
    }
    if (s.size() > 60) r += "...";
    return r;
  }
  [[noreturn]] static void bad_opcode(uint8_t op) {
    fail(ErrorCode::bad_opcode, "invalid load key " + printable_byte(op) + " (not an opcode)");
  }

 private:
  void sync_in() {
    auto w = src_.window();
    p_ = win_begin_ = w.data();
    end_ = w.data() + w.size();
    win_offset_ = src_.offset();
  }
  bool refill(size_t n) {
    sync_out();
    bool ok = src_.ensure(n);
    sync_in();
    return ok;
  }

  // Frames as pickle.py reads them: a read that starts inside the current frame must
  // end inside it; a read that starts at its end leaves the frame.
  void frame_check(size_t n) {
    if (!in_frame_) return;
    uint64_t at = pos();
    if (at < frame_end_ && frame_end_ - at >= n) [[likely]]
      return;
    frame_boundary(at, n);
  }
  // A read that starts at or past the frame's end, or runs past it (out of line: once
  // per frame, or an error).
  [[gnu::noinline]] void frame_boundary(uint64_t at, size_t n) {
    if (at >= frame_end_) {
      in_frame_ = false;
      return;
    }
    if (frame_end_ - at < n)
      fail(ErrorCode::bad_frame, "pickle exhausted before end of frame: need " + std::to_string(n) +
                                     " bytes, the frame has " + std::to_string(frame_end_ - at) +
                                     " left");
  }

  IntParse check_digits(IntParse r, const char* what) {
    if (r == IntParse::too_many_digits)
      fail(ErrorCode::limit_exceeded, std::string(what) + " literal has more than " +
                                          std::to_string(lim_.max_int_digits) +
                                          " digits (the max_int_digits limit)");
    return r;
  }

  Source& src_;
  const Limits& lim_;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  const uint8_t* win_begin_ = nullptr;  // the Source's window().data() at sync_in()
  uint64_t win_offset_ = 0;             // and its offset()
  uint64_t op_offset_ = 0;
  uint64_t frame_end_ = 0;
  bool in_frame_ = false;
  std::string_view last_line_;
};

template <class Builder>
class Decoder {
 public:
  using Item = typename Builder::Item;

  Decoder(Source& src, const LoadOptions& options, Builder& builder, MachineState<Item>& state)
      : r_(src, options.limits), opt_(options), b_(builder), st_(state) {}

  /// Runs one pickle to STOP and returns the top of the stack.
  Item run() {
    st_.stack.clear();
    st_.marks.clear();
    proto_ = 0;
    if (!r_.begin_pickle())
      throw UnpicklingError(ErrorCode::empty_input, r_.op_offset(), std::nullopt,
                            "no pickle data (the input is empty)");
    start_nodes_ = b_.node_count();
    start_bytes_ = b_.bytes_allocated();
    start_pos_ = r_.pos();
    nodes_ok_ = bytes_ok_ = 0;  // computed after the first opcode
    uint8_t op = 0;
    bool have_op = false;
    try {
      for (;;) {
        have_op = false;
        if (!r_.next_opcode(op)) {
          throw UnpicklingError(ErrorCode::truncated, r_.op_offset(), std::nullopt,
                                "the input ended before STOP (pickle data was truncated)");
        }
        have_op = true;
        if (step(op)) break;
        check_growth();
      }
    } catch (Failure& f) {
      r_.sync_out();
      throw UnpicklingError(f.code, r_.op_offset(),
                            have_op ? std::optional<uint8_t>(op) : std::nullopt,
                            std::move(f.message));
    }
    r_.sync_out();
    return result_;
  }

 private:
  // [NOTE growth] What one load builds is bounded by what it read: nodes and graph
  // bytes are checked against the input consumed after every opcode. One opcode can
  // at most copy what already exists, so the graph never passes twice the bound.
  // base + per_byte * used, or UINT64_MAX when that overflows (no bound).
  static uint64_t bound(size_t base, size_t per_byte, uint64_t used) {
    uint64_t allowed;
    if (__builtin_mul_overflow(uint64_t(per_byte), used, &allowed) ||
        __builtin_add_overflow(allowed, uint64_t(base), &allowed))
      return UINT64_MAX;
    return allowed;
  }
  // The bounds only grow with the input read, so a node count and a byte count below
  // those computed at an earlier opcode are below the current bounds too: most opcodes
  // compare two numbers, and the bounds are computed again only when one is reached.
  void check_growth() {
    if (b_.node_count() <= nodes_ok_ && b_.bytes_allocated() <= bytes_ok_) [[likely]]
      return;
    check_growth_now();
  }
  [[gnu::noinline]] void check_growth_now() {
    uint64_t used = r_.pos() - start_pos_;
    const Limits& lim = opt_.limits;
    uint64_t nodes_allowed = bound(4096, lim.max_nodes_per_byte, used);
    if (b_.node_count() - start_nodes_ > nodes_allowed) [[unlikely]]
      fail(ErrorCode::limit_exceeded,
           "more nodes than the input size allows (the max_nodes_per_byte limit)");
    uint64_t bytes_allowed = bound(size_t(16) << 20, lim.max_alloc_per_byte, used);
    size_t bytes = b_.bytes_allocated();
    if (bytes > start_bytes_ && bytes - start_bytes_ > bytes_allowed) [[unlikely]]
      fail(ErrorCode::limit_exceeded, "the graph holds " + std::to_string(bytes - start_bytes_) +
                                          " bytes for " + std::to_string(used) +
                                          " bytes of input (the max_alloc_per_byte limit)");
    nodes_ok_ = saturating_add(start_nodes_, nodes_allowed);
    bytes_ok_ = saturating_add(start_bytes_, bytes_allowed);
  }
  static uint64_t saturating_add(uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
  }

  // ---- stack -----------------------------------------------------------------
  size_t fence() const { return st_.marks.empty() ? 0 : st_.marks.back(); }

  void push(Item it) {
    if (st_.stack.size() >= opt_.limits.max_stack) [[unlikely]]
      fail(ErrorCode::limit_exceeded,
           "stack holds more than " + std::to_string(opt_.limits.max_stack) + " items");
    st_.stack.push_back(std::move(it));
  }
  void need_items(size_t n) {
    if (st_.stack.size() - fence() < n) [[unlikely]] {
      if (st_.stack.size() >= n)
        fail(ErrorCode::stack_underflow,
             "needs " + std::to_string(n) + " items above the mark, found " +
                 std::to_string(st_.stack.size() - fence()) + " (unexpected MARK)");
      fail(ErrorCode::stack_underflow, "needs " + std::to_string(n) +
                                           " items on the stack, found " +
                                           std::to_string(st_.stack.size()));
    }
  }
  Item pop() {
    need_items(1);
    Item it = std::move(st_.stack.back());
    st_.stack.pop_back();
    return it;
  }
  Item& top() {
    need_items(1);
    return st_.stack.back();
  }
  // Items above the top mark; the mark is removed. The span stays valid until the
  // next push.
  size_t pop_mark() {
    if (st_.marks.empty()) [[unlikely]]
      fail(ErrorCode::missing_mark, "needs a MARK on the stack, found none");
    size_t m = st_.marks.back();
    st_.marks.pop_back();
    return m;
  }
  std::span<Item> above(size_t m) { return {st_.stack.data() + m, st_.stack.size() - m}; }
  void truncate(size_t m) { st_.stack.resize(m); }

  // ---- globals ---------------------------------------------------------------
  Item find_class(std::string_view module, std::string_view name) {
    Reader::check_global_names(module, name);
    if (proto_ < 3 && opt_.fix_imports) {
      std::string_view m = module, n = name;
      fix_import(m, n);
      if (m != module || n != name) {
        Item g = b_.global(m, n);
        if constexpr (requires { b_.renamed(g, module, name); }) b_.renamed(g, module, name);
        return g;
      }
    }
    return b_.global(module, name);
  }

  // ---- one opcode ------------------------------------------------------------
  // Returns true at STOP. Arguments are read by the Reader; see [NOTE one-reader].
  bool step(uint8_t op) {
    switch (static_cast<Op>(op)) {
      // Integers
      case Op::int_: {
        bool boolean = false;
        r_.int_line(int_, boolean, refused_);
        if (!refused_.empty()) fail(ErrorCode::bad_argument, refused_);
        if (boolean) return push(b_.boolean(int_.value == 1)), false;
        return push(integer(int_)), false;
      }
      case Op::long_:
        r_.long_line(int_, refused_);
        if (!refused_.empty()) fail(ErrorCode::bad_argument, refused_);
        return push(integer(int_)), false;
      case Op::binint: return push(b_.integer(r_.int4("BININT"))), false;
      case Op::binint1: return push(b_.integer(r_.uint1("BININT1"))), false;
      case Op::binint2: return push(b_.integer(r_.uint2("BININT2"))), false;
      case Op::long1:
      case Op::long4: {
        std::string_view d = r_.long_bytes(op == static_cast<uint8_t>(Op::long4));
        return push(
                   b_.big_integer(std::span(reinterpret_cast<const uint8_t*>(d.data()), d.size()))),
               false;
      }
      // Python 2 str, bytes
      case Op::string: return push(b_.py2_string(r_.string_line(scratch_))), false;
      case Op::binstring: return push(b_.py2_string(r_.binstring())), false;
      case Op::short_binstring: return push(b_.py2_string(r_.counted1("SHORT_BINSTRING"))), false;
      case Op::binbytes: return push(b_.bytes(r_.counted4("BINBYTES"))), false;
      case Op::short_binbytes: return push(b_.bytes(r_.counted1("SHORT_BINBYTES"))), false;
      case Op::binbytes8: return push(b_.bytes(r_.counted8("BINBYTES8"))), false;
      case Op::bytearray8: return push(b_.bytearray(r_.counted8("BYTEARRAY8"))), false;
      case Op::next_buffer: return push(b_.next_buffer()), false;
      case Op::readonly_buffer: b_.readonly_buffer(top()); return false;
      // Constants
      case Op::none: return push(b_.none()), false;
      case Op::newtrue: return push(b_.boolean(true)), false;
      case Op::newfalse: return push(b_.boolean(false)), false;
      // Text
      case Op::unicode_: return push(b_.str(r_.unicode_line(scratch_))), false;
      case Op::short_binunicode:
        return push(b_.str(Reader::utf8(r_.counted1("SHORT_BINUNICODE")))), false;
      case Op::binunicode: return push(b_.str(Reader::utf8(r_.counted4("BINUNICODE")))), false;
      case Op::binunicode8: return push(b_.str(Reader::utf8(r_.counted8("BINUNICODE8")))), false;
      // Floats
      case Op::float_: {
        double d = r_.float_line(refused_);
        if (!refused_.empty()) fail(ErrorCode::bad_argument, refused_);
        return push(b_.floating(d)), false;
      }
      case Op::binfloat: return push(b_.floating(r_.float8())), false;
      // Containers
      case Op::empty_list: return push(b_.list({})), false;
      case Op::empty_tuple: return push(b_.tuple({})), false;
      case Op::empty_dict: return push(b_.dict({})), false;
      case Op::empty_set: return push(b_.set()), false;
      case Op::list:
      case Op::tuple:
      case Op::dict:
      case Op::frozenset: {
        size_t m = pop_mark();
        auto items = above(m);
        Item made;
        switch (static_cast<Op>(op)) {
          case Op::list: made = b_.list(items); break;
          case Op::tuple: made = b_.tuple(items); break;
          case Op::dict:
            if (items.size() % 2) fail(ErrorCode::stack_underflow, "odd number of items for DICT");
            made = b_.dict(items);
            break;
          default: made = b_.frozenset(items); break;
        }
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::tuple1:
      case Op::tuple2:
      case Op::tuple3: {
        size_t n = op - static_cast<uint8_t>(Op::tuple1) + 1;
        need_items(n);
        size_t m = st_.stack.size() - n;
        Item made = b_.tuple(above(m));
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::append: {
        Item v = pop();
        b_.append(top(), std::span<Item>(&v, 1));
        return false;
      }
      case Op::appends:
      case Op::setitems:
      case Op::additems: {
        size_t m = pop_mark();
        if (m <= fence())
          fail(ErrorCode::stack_underflow,
               std::string(op_info(op).name) + " needs a container below the mark");
        Item& target = st_.stack[m - 1];
        auto items = above(m);
        if (op == static_cast<uint8_t>(Op::appends))
          b_.append(target, items);
        else if (op == static_cast<uint8_t>(Op::additems))
          b_.add(target, items);
        else {
          if (items.size() % 2)
            fail(ErrorCode::stack_underflow, "odd number of items for SETITEMS");
          b_.setitems(target, items);
        }
        truncate(m);
        return false;
      }
      case Op::setitem: {
        need_items(3);
        size_t m = st_.stack.size() - 2;
        b_.setitems(st_.stack[m - 1], above(m));
        truncate(m);
        return false;
      }
      // Stack manipulation
      case Op::pop:
        if (!st_.marks.empty() && st_.marks.back() == st_.stack.size()) {
          st_.marks.pop_back();
        } else {
          Item gone = pop();
          if constexpr (requires { b_.discarded(gone); }) b_.discarded(gone);
        }
        return false;
      case Op::dup: {
        Item t = top();
        return push(std::move(t)), false;
      }
      case Op::mark:
        if (st_.marks.size() >= opt_.limits.max_marks)
          fail(ErrorCode::limit_exceeded,
               "more than " + std::to_string(opt_.limits.max_marks) + " open MARKs");
        st_.marks.push_back(st_.stack.size());
        return false;
      case Op::pop_mark: truncate(pop_mark()); return false;
      // Memo
      case Op::get: return memo_get(r_.index_line("GET")), false;
      case Op::binget: return memo_get(r_.uint1("BINGET")), false;
      case Op::long_binget: return memo_get(r_.uint4("LONG_BINGET")), false;
      case Op::put: return memo_put(r_.index_line("PUT")), false;
      case Op::binput: return memo_put(r_.uint1("BINPUT")), false;
      case Op::long_binput: return memo_put(r_.uint4("LONG_BINPUT")), false;
      case Op::memoize: return memo_put(st_.memo.size()), false;
      // Extensions
      case Op::ext1: return ext(r_.uint1("EXT1")), false;
      case Op::ext2: return ext(r_.uint2("EXT2")), false;
      case Op::ext4: return ext(r_.int4("EXT4")), false;
      // Objects
      case Op::global: {
        std::string module(r_.name_line("GLOBAL module", false));
        std::string_view name = r_.name_line("GLOBAL name", false);
        return push(find_class(module, name)), false;
      }
      case Op::stack_global: {
        need_items(2);
        Item name = pop();
        Item module = pop();
        std::string_view m, n;
        if (!b_.as_str(module, m) || !b_.as_str(name, n))
          fail(ErrorCode::bad_type, "STACK_GLOBAL needs two str operands");
        std::string mc(m), nc(n);
        return push(find_class(mc, nc)), false;
      }
      case Op::reduce: {
        Item args = pop();
        Item& f = top();
        f = b_.reduce(f, args);
        return false;
      }
      case Op::build: {
        Item state = pop();
        if constexpr (requires { b_.used(state); }) b_.used(state);
        b_.build(top(), state);
        return false;
      }
      case Op::inst: {
        std::string module(r_.name_line("INST module", true));
        std::string name(r_.name_line("INST name", true));
        size_t m = pop_mark();
        Item cls = find_class(module, name);
        Item made = b_.instantiate(cls, above(m), BuildKind::inst);
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::obj: {
        size_t m = pop_mark();
        auto items = above(m);
        if (items.empty()) fail(ErrorCode::stack_underflow, "OBJ needs a class after the mark");
        Item made = b_.instantiate(items[0], items.subspan(1), BuildKind::obj);
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::newobj: {
        need_items(2);
        Item args = pop();
        Item& cls = top();
        cls = b_.newobj(cls, args, nullptr);
        return false;
      }
      case Op::newobj_ex: {
        need_items(3);
        Item kwargs = pop();
        Item args = pop();
        Item& cls = top();
        cls = b_.newobj(cls, args, &kwargs);
        return false;
      }
      // Machine control
      case Op::proto: proto_ = r_.proto(); return false;
      case Op::stop:
        result_ = pop();
        if constexpr (requires { b_.used(result_); }) b_.used(result_);
        return true;
      case Op::frame: r_.frame(); return false;
      // Persistent ids
      case Op::persid: return push(b_.persistent_text(r_.persid_line(), r_.op_offset())), false;
      case Op::binpersid: {
        Item& pid = top();
        pid = b_.persistent_binary(pid, r_.op_offset());
        return false;
      }
    }
    Reader::bad_opcode(op);
  }

  Item integer(const ParsedInt& v) {
    if (v.small) return b_.integer(v.value);
    return b_.big_integer(v.big);
  }

  void memo_get(uint64_t i) {
    const Item* it = st_.memo.get(i);
    if (!it) fail(ErrorCode::memo_missing, "memo has no entry " + std::to_string(i));
    push(*it);
  }
  void memo_put(uint64_t i) {
    need_items(1);
    if (st_.memo.size() >= opt_.limits.max_memo_entries && !st_.memo.get(i))
      fail(ErrorCode::limit_exceeded,
           "memo holds more than " + std::to_string(opt_.limits.max_memo_entries) + " entries");
    st_.memo.put(i, st_.stack.back(), opt_.limits);
    if constexpr (requires { b_.memoized(st_.stack.back()); }) b_.memoized(st_.stack.back());
  }

  void ext(int64_t code) {
    Reader::check_ext_code(code);
    const auto* entry =
        opt_.registry ? opt_.registry->extension(static_cast<int32_t>(code)) : nullptr;
    if (!entry) fail(ErrorCode::unsupported, "unregistered extension code " + std::to_string(code));
    push(find_class(entry->first, entry->second));
  }

  Reader r_;
  const LoadOptions& opt_;
  Builder& b_;
  MachineState<Item>& st_;
  int proto_ = 0;
  Item result_{};
  size_t start_nodes_ = 0;
  size_t start_bytes_ = 0;
  uint64_t start_pos_ = 0;
  uint64_t nodes_ok_ = 0;  // node and byte counts below the growth bounds (check_growth)
  uint64_t bytes_ok_ = 0;
  std::string scratch_;
  std::string refused_;  // see [NOTE text-numbers]
  ParsedInt int_;
};

}  // namespace pickle::detail
