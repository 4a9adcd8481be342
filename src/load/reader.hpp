// Reading a stream: where an opcode starts, its argument, frames, truncation and the
// limits on what one argument may hold. The Decoder (decoder.hpp), and so each of its
// builders, reads through this one Reader. See [NOTE one-reader].
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "io/peek.hpp"
#include "pickle/error.hpp"
#include "pickle/io.hpp"
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

// [NOTE one-reader] Everything about reading a stream lives in Reader: where an
// opcode starts, how long its argument is, frames, truncation, lengths checked
// against the bytes left, limits, and the checks the Unpickler makes on an argument
// by itself (its syntax, its encoding, a negative count, an unsupported protocol).
// What needs the stack, the memo or a registry is the Decoder's. Frames are handled
// here only, for every reader of a stream: the opcode walker is a builder of the
// Decoder (see [NOTE walker-builder] in src/tools/ops.cpp), and tests/unit/dis_test.cpp
// and the dis and builders fuzz targets check that the builders accept and reject the
// same streams.
class Reader {
 public:
  Reader(Source& src, const Limits& limits) : src_(src), lim_(limits) {}

  /// Starts a pickle (no frame is open). False when no byte is left at all.
  bool begin_pickle() {
    in_frame_ = false;
    frame_end_ = 0;
    fast_end_ = p_;
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
    if (p_ != fast_end_) [[likely]] {
      op = *p_++;
      return true;
    }
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

  /// After sync_out() and reads of the Source by someone else: reads on from where the
  /// Source now is (see [NOTE after-build]).
  void resync() { sync_in(); }
  Source& source() noexcept { return src_; }
  /// True inside a frame that has bytes left.
  bool frame_left() const noexcept { return in_frame_ && frame_end_ > pos(); }

  /// Absolute offset of the current opcode.
  uint64_t op_offset() const noexcept { return op_offset_; }
  /// Absolute offset of the next byte to read.
  uint64_t pos() const noexcept { return win_offset_ + static_cast<uint64_t>(p_ - win_begin_); }

  // ---- raw reads ---------------------------------------------------------------
  const uint8_t* take(size_t n, const char* what) {
    if (size_t(fast_end_ - p_) >= n) [[likely]] {
      const uint8_t* r = p_;
      p_ += n;
      return r;
    }
    return take_slow(n, what);
  }
  // take() at the end of the window or of the frame: refills, leaves the frame, or fails.
  [[gnu::noinline]] const uint8_t* take_slow(size_t n, const char* what) {
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
    if (uint64_t(fast_end_ - p_) >= n) [[likely]] {
      auto r = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
      p_ += n;
      return r;
    }
    return take_payload_slow(static_cast<size_t>(n));
  }
  [[gnu::noinline]] std::string_view take_payload_slow(size_t n) {
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
    update_fast_end();
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
    update_fast_end();
  }
  // [NOTE reader-fast-end] Reads inside both the window and the open frame, the common
  // case, compare with one pointer: fast_end_, the nearer of the window's end and the
  // frame's, never behind p_. A read that would pass it takes the slow path, which
  // refills, leaves the frame or fails, and computes fast_end_ again.
  void update_fast_end() {
    fast_end_ = end_;
    if (!in_frame_) return;
    uint64_t here = pos();
    if (frame_end_ <= here)
      fast_end_ = p_;
    else if (frame_end_ - here < static_cast<uint64_t>(end_ - p_))
      fast_end_ = p_ + (frame_end_ - here);
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
      update_fast_end();
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
  const uint8_t* fast_end_ = nullptr;   // see [NOTE reader-fast-end]
  const uint8_t* win_begin_ = nullptr;  // the Source's window().data() at sync_in()
  uint64_t win_offset_ = 0;             // and its offset()
  uint64_t op_offset_ = 0;
  uint64_t frame_end_ = 0;
  bool in_frame_ = false;
  std::string_view last_line_;
};

}  // namespace pickle::detail
