// The disassembler: the text of CPython 3.13's pickletools.dis, and its static checks
// of the stack and the memo, over the opcode walker.
#include "pickle/tools/dis.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "model/bigint.hpp"
#include "pickle/error.hpp"
#include "text/text.hpp"

namespace pickle::tools {

namespace {

constexpr std::string_view kMark = "mark";

// pickletools.dis prints arguments with repr(); Python refuses to convert an int of
// more than this many digits to or from text (sys.int_info.default_max_str_digits).
constexpr size_t kMaxStrDigits = 4300;

// An opcode's stack effect as pickletools' lists of stack objects.
struct Effect {
  std::array<std::string_view, 3> before{}, after{};
  uint8_t n_before = 0, n_after = 0;
  int mark_at = -1;  // index of the markobject in `before`, or -1
  bool pushes_mark = false;
};

uint8_t split(std::string_view s, std::array<std::string_view, 3>& out) {
  uint8_t n = 0;
  while (!s.empty()) {
    size_t sp = s.find(' ');
    out[n++] = s.substr(0, sp);
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return n;
}

const std::array<Effect, 256>& effects() {
  static const std::array<Effect, 256> table = [] {
    std::array<Effect, 256> t{};
    for (int b = 0; b < 256; ++b) {
      const OpInfo& info = op_info(static_cast<uint8_t>(b));
      if (!info.valid()) continue;
      Effect& e = t[b];
      e.n_before = split(info.stack_before, e.before);
      e.n_after = split(info.stack_after, e.after);
      for (int i = 0; i < e.n_before; ++i)
        if (e.before[i] == kMark && e.mark_at < 0) e.mark_at = i;
      for (int i = 0; i < e.n_after; ++i) e.pushes_mark |= e.after[i] == kMark;
    }
    return t;
  }();
  return table;
}

// Characters of UTF-8 text, as Python's len() counts them.
size_t chars(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

class Disassembler {
 public:
  Disassembler(OpcodeWalker& walker, std::ostream& out, const DisOptions& opt, DisMemo& memo)
      : walker_(walker), out_(out), opt_(opt), memo_(memo) {
    indent_.assign(static_cast<size_t>(std::max(opt.indentlevel, 0)), ' ');
  }

  void run();

 private:
  void flush() {
    out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    out_.flush();
    buf_.clear();
  }
  [[noreturn]] void fail(ErrorCode code, const Instruction& ins, std::string message) {
    flush();
    throw UnpicklingError(code, ins.pos, static_cast<uint8_t>(ins.op), std::move(message));
  }
  bool argument(const Instruction& ins, std::string& repr, bool& repr_fails);
  void text_int(const Instruction& ins, std::string_view s, std::string& repr);
  void ascii_text(const Instruction& ins, std::string_view raw, bool unescape, std::string& out);

  OpcodeWalker& walker_;
  std::ostream& out_;
  const DisOptions& opt_;
  DisMemo& memo_;
  std::string indent_;
  std::string buf_;
};

// int(s) of a text line, as pickletools reads INT, LONG, GET and PUT: base 10, and at
// most 4300 digits.
void Disassembler::text_int(const Instruction& ins, std::string_view s, std::string& repr) {
  detail::ParsedInt v;
  switch (detail::parse_int(s, 10, kMaxStrDigits, v)) {
    case detail::IntParse::ok: break;
    case detail::IntParse::invalid:
      fail(ErrorCode::bad_argument, ins,
           "pickletools reads the " + std::string(ins.info().name) +
               " argument as a decimal int, and '" + std::string(s) + "' is not one");
    case detail::IntParse::too_many_digits:
      fail(ErrorCode::limit_exceeded, ins,
           std::string(ins.info().name) +
               " literal has more than 4300 digits, more than "
               "Python's int() converts (pickletools stops here)");
  }
  if (v.small)
    detail::append_int_repr(repr, v.value);
  else
    repr += detail::twos_to_decimal(v.big);
}

// pickletools decodes STRING, PERSID, GLOBAL and INST arguments with
// codecs.escape_decode(...).decode("ascii").
void Disassembler::ascii_text(const Instruction& ins, std::string_view raw, bool unescape,
                              std::string& out) {
  std::string_view s = raw;
  std::string decoded, err;
  if (unescape) {
    if (!detail::escape_decode(raw, decoded, err))
      fail(ErrorCode::bad_argument, ins,
           "pickletools cannot undo the escapes of the " + std::string(ins.info().name) +
               " argument: " + err);
    s = decoded;
  }
  for (char c : s)
    if (static_cast<uint8_t>(c) >= 0x80)
      fail(ErrorCode::bad_encoding, ins,
           "pickletools shows the " + std::string(ins.info().name) +
               " argument as ASCII text, and it is not ASCII");
  out.append(s.data(), s.size());
}

// The argument as pickletools prints it (repr of its value); false when the opcode
// has none. Fails where pickletools' own reading of the argument fails; sets
// repr_fails where Python's repr() of it would fail, which pickletools finds out only
// after printing the offset.
bool Disassembler::argument(const Instruction& ins, std::string& repr, bool& repr_fails) {
  const Argument& a = ins.arg;
  switch (ins.info().arg) {
    case ArgKind::none: return false;
    case ArgKind::decimalnl_short:
      if (a.line == "00" || a.line == "01") {
        repr += a.line == "01" ? "True" : "False";
        return true;
      }
      text_int(ins, a.line, repr);
      return true;
    case ArgKind::decimalnl_long: {
      std::string_view s = a.line;
      if (!s.empty() && s.back() == 'L') s.remove_suffix(1);
      text_int(ins, s, repr);
      return true;
    }
    case ArgKind::floatnl: {
      // pickletools' float(s), not the Unpickler's reading. See [NOTE text-numbers].
      double d = 0;
      if (!detail::parse_float(a.line, d))
        fail(ErrorCode::bad_argument, ins,
             "pickletools reads the FLOAT argument with float(), and '" + a.line +
                 "' is not a float");
      detail::append_float_repr(repr, d);
      return true;
    }
    case ArgKind::float8: detail::append_float_repr(repr, a.floating); return true;
    case ArgKind::stringnl: {
      std::string text;
      ascii_text(ins, a.text, false, text);  // the walker has undone the escapes
      detail::append_str_repr(repr, text);
      return true;
    }
    case ArgKind::stringnl_noescape: {
      std::string text;
      ascii_text(ins, a.text, true, text);
      detail::append_str_repr(repr, text);
      return true;
    }
    case ArgKind::stringnl_noescape_pair: {
      std::string text;
      ascii_text(ins, a.text, true, text);
      text += ' ';
      ascii_text(ins, a.name, true, text);
      detail::append_str_repr(repr, text);
      return true;
    }
    case ArgKind::string1:
    case ArgKind::string4: {  // pickletools decodes BINSTRING and SHORT_BINSTRING as latin-1
      std::string text;
      detail::latin1_to_utf8(a.text, text);
      detail::append_str_repr(repr, text);
      return true;
    }
    case ArgKind::bytes1:
    case ArgKind::bytes4:
    case ArgKind::bytes8: detail::append_bytes_repr(repr, a.text); return true;
    case ArgKind::bytearray8: detail::append_bytearray_repr(repr, a.text); return true;
    case ArgKind::unicodestringnl:
    case ArgKind::unicodestring1:
    case ArgKind::unicodestring4:
    case ArgKind::unicodestring8: detail::append_str_repr(repr, a.text); return true;
    case ArgKind::long1:
    case ArgKind::long4: {
      if (!a.is_big) {
        detail::append_int_repr(repr, a.integer);
        return true;
      }
      // A minimal two's-complement int of 1800 bytes or more has more than 4300
      // digits: no need to convert it to know.
      std::string digits;
      if (a.big.size() < 1800) digits = detail::twos_to_decimal(a.big);
      if (a.big.size() >= 1800 || digits.size() - (digits[0] == '-') > kMaxStrDigits)
        repr_fails = true;
      else
        repr += digits;
      return true;
    }
    case ArgKind::uint1:
    case ArgKind::uint2:
    case ArgKind::int4:
    case ArgKind::uint4:
    case ArgKind::uint8: detail::append_int_repr(repr, a.integer); return true;
  }
  return false;
}

void Disassembler::run() {
  const auto& fx = effects();
  std::vector<std::string_view> stack;  // pickletools' emulation: stack-object names
  std::vector<uint64_t> marks;          // offsets of the MARKs on the stack
  int maxproto = -1;
  std::string line, repr;
  Instruction ins;
  long long annocol = opt_.annotate;
  uint64_t base = 0;
  bool first = true;
  try {
    while (walker_.next(ins)) {
      if (first) {
        base = opt_.absolute_offsets ? 0 : ins.pos;
        first = false;
      }
      const uint64_t pos = ins.pos - base;
      const OpInfo& info = ins.info();
      const Effect& e = fx[static_cast<uint8_t>(ins.op)];

      // pickletools reads the argument before it prints anything for the opcode.
      repr.clear();
      bool repr_fails = false;
      bool has_arg = argument(ins, repr, repr_fails);

      char prefix[32];
      std::snprintf(prefix, sizeof prefix, "%5llu: ", static_cast<unsigned long long>(pos));
      buf_ += prefix;

      // The opcode byte as repr(chr(byte))[1:-1], padded to 4.
      line.clear();
      auto code = static_cast<uint8_t>(ins.op);
      if (code >= 0x20 && code < 0x7f) {
        line += static_cast<char>(code);
        line += "   ";
      } else {
        static const char kHex[] = "0123456789abcdef";
        line += "\\x";
        line += kHex[code >> 4];
        line += kHex[code & 15];
      }
      line += ' ';
      for (size_t i = 0; i < marks.size(); ++i) line += indent_;
      line += info.name;
      maxproto = std::max(maxproto, static_cast<int>(info.proto));

      size_t numtopop = e.n_before;
      std::array<std::string_view, 3> after = e.after;
      uint8_t n_after = e.n_after;
      std::string markmsg, errormsg;
      ErrorCode errcode = ErrorCode::missing_mark;

      // A MARK is consumed by opcodes that take one, and by POP of a MARK.
      if (e.mark_at >= 0 || (ins.op == Op::pop && !stack.empty() && stack.back() == kMark)) {
        if (!marks.empty()) {
          markmsg = "(MARK at " + std::to_string(marks.back()) + ")";
          marks.pop_back();
          // Everything down to the topmost MARK goes. pickletools fails here when an
          // opcode popped that MARK as an ordinary item earlier (its stack lost it).
          for (;;) {
            if (stack.empty())
              fail(ErrorCode::stack_underflow, ins,
                   "the MARK this opcode needs was popped as an item by an earlier opcode");
            bool was_mark = stack.back() == kMark;
            stack.pop_back();
            if (was_mark) break;
          }
          numtopop = e.mark_at >= 0 ? static_cast<size_t>(e.mark_at) : 0;
        } else {
          errormsg = markmsg = "no MARK exists on stack";
        }
      }

      // The memo, as pickletools checks it.
      bool is_put = ins.op == Op::put || ins.op == Op::binput || ins.op == Op::long_binput ||
                    ins.op == Op::memoize;
      bool is_get = ins.op == Op::get || ins.op == Op::binget || ins.op == Op::long_binget;
      if (is_put) {
        uint64_t idx;
        if (ins.op == Op::memoize) {
          idx = memo_.entries.size();
          markmsg = "(as " + std::to_string(idx) + ")";
        } else {
          idx = static_cast<uint64_t>(ins.arg.integer);
        }
        if (memo_.entries.count(idx)) {
          errormsg = "memo key " + std::to_string(idx) + " already defined";
          errcode = ErrorCode::bad_argument;
        } else if (stack.empty()) {
          errormsg = "stack is empty -- can't store into memo";
          errcode = ErrorCode::stack_underflow;
        } else if (stack.back() == kMark) {
          errormsg = "can't store markobject in the memo";
          errcode = ErrorCode::bad_type;
        } else {
          memo_.entries.emplace(idx, stack.back());
        }
      } else if (is_get) {
        auto it = memo_.entries.find(static_cast<uint64_t>(ins.arg.integer));
        if (it != memo_.entries.end()) {
          after[0] = it->second;
          n_after = 1;
        } else {
          errormsg = "memo key " + std::to_string(ins.arg.integer) + " has never been stored into";
          errcode = ErrorCode::memo_missing;
        }
      }

      if (repr_fails)
        fail(ErrorCode::limit_exceeded, ins,
             "the int has more than 4300 digits, more than Python's repr() converts "
             "(pickletools has printed the offset only)");
      if (has_arg || !markmsg.empty()) {
        if (info.name.size() < 10) line.append(10 - info.name.size(), ' ');
        if (has_arg) {
          line += ' ';
          line += repr;
        }
        if (!markmsg.empty()) {
          line += ' ';
          line += markmsg;
        }
      }
      if (opt_.annotate != 0) {
        auto len = static_cast<long long>(chars(line));
        if (annocol > len) line.append(static_cast<size_t>(annocol - len), ' ');
        annocol = static_cast<long long>(chars(line));
        if (annocol > 50) annocol = opt_.annotate;
        line += ' ';
        line += info.doc;
      }
      buf_ += line;
      buf_ += '\n';
      if (buf_.size() >= 64 * 1024) flush();

      if (!errormsg.empty()) fail(errcode, ins, errormsg);

      if (stack.size() < numtopop)
        fail(ErrorCode::stack_underflow, ins,
             "tries to pop " + std::to_string(numtopop) + " items from stack with only " +
                 std::to_string(stack.size()) + " items");
      stack.resize(stack.size() - numtopop);
      if (e.pushes_mark) marks.push_back(pos);
      stack.insert(stack.end(), after.begin(), after.begin() + n_after);
    }
  } catch (const UnpicklingError&) {
    flush();
    throw;
  }
  buf_ += "highest protocol among opcodes = " + std::to_string(maxproto) + "\n";
  flush();
  if (!stack.empty()) {
    // pickletools lists the whole stack; one error line lists the top of it.
    constexpr size_t kShown = 16;
    std::string items;
    size_t first = stack.size() > kShown ? stack.size() - kShown : 0;
    if (first > 0) items = "... " + std::to_string(first) + " more, ";
    for (size_t i = first; i < stack.size(); ++i)
      items += (i == first ? "" : ", ") + std::string(stack[i]);
    fail(ErrorCode::stack_underflow, ins, "stack not empty after STOP: [" + items + "]");
  }
}

}  // namespace

void dis(OpcodeWalker& walker, std::ostream& out, const DisOptions& options, DisMemo* memo) {
  DisMemo local;
  Disassembler d(walker, out, options, memo ? *memo : local);
  d.run();
}

void dis(std::span<const uint8_t> data, std::ostream& out, const DisOptions& options,
         DisMemo* memo) {
  MemorySource src(data);
  OpcodeWalker walker(src);
  dis(walker, out, options, memo);
}

}  // namespace pickle::tools
