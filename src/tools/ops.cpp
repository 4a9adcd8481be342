// The opcode walker: the Unpickler's Reader, opcode by opcode, without a machine.
#include "pickle/tools/ops.hpp"

#include "load/reader.hpp"
#include "model/bigint.hpp"

namespace pickle::tools {

using detail::Reader;

struct OpcodeWalker::Impl {
  Impl(Source& s, const Limits& l) : source(s), limits(l), reader(s, limits) {}
  Source& source;
  Limits limits;
  Reader reader;
  bool in_pickle = false;  // an opcode of the current pickle is next
  bool stopped = false;    // STOP was returned; the next call returns false
  bool started = false;    // the source's start was checked for a container
  uint64_t start = 0;
  std::string scratch;
  detail::ParsedInt parsed;
  std::string refused;

  void read_argument(Op op, Argument& a);
};

namespace {

void set_int(Argument& a, int64_t v) {
  a.type = Argument::Type::integer;
  a.integer = v;
}

void set_int(Argument& a, const detail::ParsedInt& v) {
  a.type = Argument::Type::integer;
  if (v.small) {
    a.integer = v.value;
  } else {
    a.is_big = true;
    a.big = v.big;
  }
}

void set_text(Argument& a, Argument::Type type, std::string_view s) {
  a.type = type;
  a.text.assign(s.data(), s.size());
}

}  // namespace

// The same argument readers as Decoder::step, opcode by opcode. See [NOTE one-reader].
void OpcodeWalker::Impl::read_argument(Op op, Argument& a) {
  Reader& r = reader;
  switch (op) {
    // A text number the Unpickler refuses but pickletools reads is read: `dis` shows
    // it as pickletools does. See [NOTE text-numbers].
    case Op::int_: {
      bool boolean = false;
      r.int_line(parsed, boolean, refused);
      if (boolean) {
        a.type = Argument::Type::boolean;
        a.boolean = parsed.value == 1;
      } else {
        set_int(a, parsed);
      }
      a.line = r.last_line();
      return;
    }
    case Op::long_:
      r.long_line(parsed, refused);
      a.line = r.last_line();
      return set_int(a, parsed);
    case Op::binint: return set_int(a, r.int4("BININT"));
    case Op::binint1: return set_int(a, r.uint1("BININT1"));
    case Op::binint2: return set_int(a, r.uint2("BININT2"));
    case Op::long1:
    case Op::long4: {
      std::string_view d = r.long_bytes(op == Op::long4);
      auto bytes =
          detail::minimal_twos(std::span(reinterpret_cast<const uint8_t*>(d.data()), d.size()));
      a.type = Argument::Type::integer;
      if (!detail::twos_to_int64(bytes, a.integer)) {
        a.is_big = true;
        a.big.assign(bytes.begin(), bytes.end());
      }
      return;
    }
    case Op::string: return set_text(a, Argument::Type::bytes, r.string_line(scratch));
    case Op::binstring: return set_text(a, Argument::Type::bytes, r.binstring());
    case Op::short_binstring:
      return set_text(a, Argument::Type::bytes, r.counted1("SHORT_BINSTRING"));
    case Op::binbytes: return set_text(a, Argument::Type::bytes, r.counted4("BINBYTES"));
    case Op::short_binbytes:
      return set_text(a, Argument::Type::bytes, r.counted1("SHORT_BINBYTES"));
    case Op::binbytes8: return set_text(a, Argument::Type::bytes, r.counted8("BINBYTES8"));
    case Op::bytearray8: return set_text(a, Argument::Type::bytes, r.counted8("BYTEARRAY8"));
    case Op::unicode_: return set_text(a, Argument::Type::text, r.unicode_line(scratch));
    case Op::short_binunicode:
      return set_text(a, Argument::Type::text, Reader::utf8(r.counted1("SHORT_BINUNICODE")));
    case Op::binunicode:
      return set_text(a, Argument::Type::text, Reader::utf8(r.counted4("BINUNICODE")));
    case Op::binunicode8:
      return set_text(a, Argument::Type::text, Reader::utf8(r.counted8("BINUNICODE8")));
    case Op::float_:
      a.type = Argument::Type::floating;
      a.floating = r.float_line(refused);
      a.line = r.last_line();
      return;
    case Op::binfloat:
      a.type = Argument::Type::floating;
      a.floating = r.float8();
      return;
    case Op::get:
      set_int(a, static_cast<int64_t>(r.index_line("GET")));
      a.line = r.last_line();
      return;
    case Op::binget: return set_int(a, r.uint1("BINGET"));
    case Op::long_binget: return set_int(a, r.uint4("LONG_BINGET"));
    case Op::put:
      set_int(a, static_cast<int64_t>(r.index_line("PUT")));
      a.line = r.last_line();
      return;
    case Op::binput: return set_int(a, r.uint1("BINPUT"));
    case Op::long_binput: return set_int(a, r.uint4("LONG_BINPUT"));
    case Op::ext1:
    case Op::ext2:
    case Op::ext4: {
      int64_t code = op == Op::ext1   ? r.uint1("EXT1")
                     : op == Op::ext2 ? r.uint2("EXT2")
                                      : r.int4("EXT4");
      Reader::check_ext_code(code);
      return set_int(a, code);
    }
    case Op::global:
    case Op::inst: {
      bool inst = op == Op::inst;
      set_text(a, Argument::Type::global,
               r.name_line(inst ? "INST module" : "GLOBAL module", inst));
      std::string_view name = r.name_line(inst ? "INST name" : "GLOBAL name", inst);
      a.name.assign(name.data(), name.size());
      Reader::check_global_names(a.text, a.name);
      return;
    }
    case Op::proto: return set_int(a, r.proto());
    case Op::frame: return set_int(a, static_cast<int64_t>(r.frame()));
    case Op::persid: return set_text(a, Argument::Type::text, r.persid_line());
    default: break;
  }
  if (!op_info(op).valid()) Reader::bad_opcode(static_cast<uint8_t>(op));
}

OpcodeWalker::OpcodeWalker(Source& source, const Limits& limits)
    : impl_(std::make_unique<Impl>(source, limits)) {}

OpcodeWalker::~OpcodeWalker() = default;

bool OpcodeWalker::next(Instruction& out) {
  Impl& m = *impl_;
  Reader& r = m.reader;
  if (m.stopped) {
    m.stopped = false;
    m.in_pickle = false;
    return false;
  }
  if (!m.in_pickle) {
    if (!m.started) {
      m.started = true;
      detail::refuse_container(m.source);  // before the reader has read anything
    }
    if (!r.begin_pickle())
      throw UnpicklingError(ErrorCode::empty_input, r.op_offset(), std::nullopt,
                            "no pickle data (the input is empty)");
    m.in_pickle = true;
    m.start = r.pos();
  }
  uint8_t op = 0;
  if (!r.next_opcode(op)) {
    m.in_pickle = false;
    throw UnpicklingError(ErrorCode::truncated, r.op_offset(), std::nullopt,
                          "the input ended before STOP (pickle data was truncated)");
  }
  Argument& a = out.arg;
  a.type = Argument::Type::none;
  a.is_big = false;
  a.big.clear();
  a.text.clear();
  a.name.clear();
  a.line.clear();
  try {
    m.read_argument(static_cast<Op>(op), a);
  } catch (detail::Failure& f) {
    r.sync_out();
    m.in_pickle = false;
    throw UnpicklingError(f.code, r.op_offset(), op, std::move(f.message));
  }
  out.op = static_cast<Op>(op);
  out.pos = r.op_offset();
  out.end = r.pos();
  if (out.op == Op::stop) {
    // Hand the pickle's bytes back to the Source, as the Unpickler does at STOP: the
    // next pickle starts after it even when at_end() is not called in between.
    r.sync_out();
    m.stopped = true;
  }
  return true;
}

bool OpcodeWalker::at_end() {
  return impl_->reader.at_end();
}

uint64_t OpcodeWalker::pickle_start() const noexcept {
  return impl_->start;
}

std::vector<Instruction> genops(std::span<const uint8_t> data, const Limits& limits) {
  MemorySource src(data);
  OpcodeWalker w(src, limits);
  std::vector<Instruction> ops;
  Instruction ins;
  while (w.next(ins)) ops.push_back(ins);
  return ops;
}

std::vector<Instruction> genops(std::string_view data, const Limits& limits) {
  return genops(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()), limits);
}

}  // namespace pickle::tools
