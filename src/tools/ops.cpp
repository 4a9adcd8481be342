// The opcode walker: the Unpickler's Decoder, opcode by opcode, with a builder that
// makes nothing and records each opcode's argument.
#include "pickle/tools/ops.hpp"

#include "load/builder.hpp"
#include "load/decoder.hpp"
#include "model/bigint.hpp"

namespace pickle::tools {

using detail::At;
using detail::Reader;

namespace {

void set_int(Argument& a, int64_t v) {
  a.type = Argument::Type::integer;
  a.integer = v;
}

void set_text(Argument& a, Argument::Type type, std::string_view s) {
  a.type = type;
  a.text.assign(s.data(), s.size());
}

// [NOTE walker-builder] The walker is a builder of the Decoder that runs no machine
// (runs_machine false, see [NOTE builder-contract]): the Decoder reads every opcode
// with the one switch the Unpickler uses and calls this builder's callbacks, which
// record the opcode's argument in an Argument instead of making values. So the walker
// reads exactly what the Unpickler reads, and refuses exactly what the Reader
// refuses; what needs the stack, the memo or a registry is not checked (see
// [NOTE dis-agreement] in fuzz/targets.hpp). The Decoder hands arguments over
// decoded; the lines of INT, LONG, FLOAT, GET and PUT come from the Reader.
class ArgumentBuilder {
 public:
  struct Item {};
  static constexpr bool runs_machine = false;

  Argument* arg = nullptr;         // the argument of the opcode being run
  const Reader* reader = nullptr;  // for the text lines

  detail::Usage usage() const { return {}; }

  Item none(At) { return {}; }
  Item boolean(At at, bool b) {
    if (at.op == Op::int_) {  // INT 00 or 01; NEWTRUE and NEWFALSE have no argument
      arg->type = Argument::Type::boolean;
      arg->boolean = b;
      line();
    }
    return {};
  }
  Item integer(At at, int64_t v) {
    set_int(*arg, v);
    if (at.op == Op::int_ || at.op == Op::long_) line();
    return {};
  }
  Item big_integer(At at, std::span<const uint8_t> le) {
    arg->type = Argument::Type::integer;
    if (at.op == Op::int_ || at.op == Op::long_) {  // beyond int64 already
      arg->is_big = true;
      arg->big.assign(le.begin(), le.end());
      line();
      return {};
    }
    auto bytes = detail::minimal_twos(le);  // LONG1, LONG4
    if (!detail::twos_to_int64(bytes, arg->integer)) {
      arg->is_big = true;
      arg->big.assign(bytes.begin(), bytes.end());
    }
    return {};
  }
  Item floating(At at, double d) {
    arg->type = Argument::Type::floating;
    arg->floating = d;
    if (at.op == Op::float_) line();
    return {};
  }
  Item str(At, std::string_view s) { return set_text(*arg, Argument::Type::text, s), Item{}; }
  Item bytes(At, std::string_view s) { return set_text(*arg, Argument::Type::bytes, s), Item{}; }
  Item bytearray(At, std::string_view s) {
    return set_text(*arg, Argument::Type::bytes, s), Item{};
  }
  Item py2_string(At, std::string_view raw) {
    return set_text(*arg, Argument::Type::bytes, raw), Item{};
  }
  Item persistent_text(At, std::string_view pid) {
    return set_text(*arg, Argument::Type::text, pid), Item{};
  }
  Item global(At at, std::string_view module, std::string_view name) {
    if (at.op == Op::global || at.op == Op::inst) names(module, name);
    return {};
  }
  // fix_imports renamed a GLOBAL or INST: the argument is what the stream says.
  void renamed(At at, Item, std::string_view module, std::string_view name) {
    if (at.op == Op::global || at.op == Op::inst) names(module, name);
  }
  // The walker has no operands to read: any names pass.
  bool stack_global(At, const Item&, const Item&, std::string_view& m, std::string_view& n) {
    m = n = "?";
    return true;
  }
  // PROTO, FRAME, EXT*, and the memo indices of GET and PUT.
  void argument(At at, uint64_t v) {
    set_int(*arg, static_cast<int64_t>(v));
    if (at.op == Op::get || at.op == Op::put) line();
  }
  bool reads_after_build(At, Item&) { return false; }
  void read_after_build(At, Item&, Source&) {}

  Item next_buffer(At) { return {}; }
  void readonly_buffer(At, Item&) {}
  Item list(At, std::span<Item>) { return {}; }
  Item tuple(At, std::span<Item>) { return {}; }
  Item dict(At, std::span<Item>) { return {}; }
  Item set(At) { return {}; }
  Item frozenset(At, std::span<Item>) { return {}; }
  void append(At, Item&, std::span<Item>) {}
  void add(At, Item&, std::span<Item>) {}
  void setitems(At, Item&, std::span<Item>) {}
  Item reduce(At, Item, Item) { return {}; }
  void build(At, Item&, Item) {}
  Item instantiate(At, Item, std::span<Item>, BuildKind) { return {}; }
  Item newobj(At, Item, Item, Item*) { return {}; }
  Item persistent_binary(At, Item) { return {}; }
  void used(At, Item) {}
  void memoized(At, Item) {}
  void discarded(At, Item) {}

 private:
  void line() { arg->line = reader->last_line(); }
  void names(std::string_view module, std::string_view name) {
    set_text(*arg, Argument::Type::global, module);
    arg->name.assign(name.data(), name.size());
  }
};
static_assert(detail::Builder<ArgumentBuilder>);

LoadOptions options_with(const Limits& limits) {
  LoadOptions o;
  o.limits = limits;
  return o;
}

}  // namespace

struct OpcodeWalker::Impl {
  Impl(Source& s, const Limits& l)
      : source(s), options(options_with(l)), decoder(s, options, builder, state) {
    builder.reader = &decoder.reader();
  }
  Source& source;
  LoadOptions options;
  ArgumentBuilder builder;
  detail::MachineState<ArgumentBuilder::Item> state;
  detail::Decoder<ArgumentBuilder> decoder;
  bool in_pickle = false;  // an opcode of the current pickle is next
  bool stopped = false;    // STOP was returned; the next call returns false
  bool started = false;    // the source's start was checked for a container
  uint64_t start = 0;
};

OpcodeWalker::OpcodeWalker(Source& source, const Limits& limits)
    : impl_(std::make_unique<Impl>(source, limits)) {}

OpcodeWalker::~OpcodeWalker() = default;

bool OpcodeWalker::next(Instruction& out) {
  Impl& m = *impl_;
  Reader& r = m.decoder.reader();
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
    m.decoder.start();
    m.in_pickle = true;
    m.start = r.pos();
  }
  Argument& a = out.arg;
  a.type = Argument::Type::none;
  a.is_big = false;
  a.big.clear();
  a.text.clear();
  a.name.clear();
  a.line.clear();
  m.builder.arg = &a;
  uint8_t op = 0;
  bool stop = false;
  try {
    stop = m.decoder.next(op);
  } catch (const UnpicklingError&) {
    m.in_pickle = false;
    throw;
  }
  out.op = static_cast<Op>(op);
  out.pos = r.op_offset();
  out.end = r.pos();
  // At STOP the Decoder has handed the pickle's bytes back to the Source, as the
  // Unpickler does: the next pickle starts after it even when at_end() is not called
  // in between.
  m.stopped = stop;
  return true;
}

bool OpcodeWalker::at_end() {
  return impl_->decoder.reader().at_end();
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
