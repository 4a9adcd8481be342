// The bodies of the fuzz targets, shared with tests/unit/regressions_test.cpp, which
// replays every input in tests/regressions/ through them in the normal build.
// A finding is a crash, a sanitizer report, an exception other than the expected
// error escaping, or __builtin_trap() when a checked property fails.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <ostream>
#include <span>
#include <streambuf>
#include <string>
#include <vector>

#include "graph_program.hpp"
#include "pickle/pickle.hpp"
#include "pickle/tar.hpp"
#include "pickle/tools/dis.hpp"
#include "pickle/tools/ops.hpp"
#include "same_shape.hpp"
#include "trickle_source.hpp"

namespace pickle::fuzz {

/// Load options with tight limits, which keep each run small (the limits themselves are
/// under test too).
inline LoadOptions tight_options() {
  LoadOptions options;
  options.limits.max_memo_entries = 1 << 12;
  options.limits.max_stack = 1 << 14;
  options.limits.max_marks = 1 << 12;
  options.limits.max_int_digits = 2000;
  options.limits.max_long_bytes = 1 << 12;
  return options;
}

/// Loading never crashes, hangs or leaks; every failure is an UnpicklingError. Each
/// loaded value is also printed (repr) and written back at some protocol.
inline void load_target(const uint8_t* data, size_t size) {
  LoadOptions options = tight_options();
  options.py2_str.undecodable_as_bytes = (size & 1) != 0;
  MemorySource source(std::span<const uint8_t>(data, size));
  Unpickler unpickler(source, options);
  Graph graph;
  for (int i = 0; i < 4; ++i) {
    Value v;
    try {
      v = unpickler.load(graph);
    } catch (const UnpicklingError&) {
      return;
    }
    try {
      repr(v, {.max_bytes = 1 << 16});
    } catch (const LimitError&) {
    }
    try {
      DumpOptions d;
      d.protocol = static_cast<int>(size % 6);
      dumps(v, d);
    } catch (const PicklingError&) {
    }
    if (unpickler.at_end()) break;
  }
}

/// Whether our own pickle was refused as a container: a protocol 0 pickle whose first
/// opcode is a PERSID of an id beginning with \x03\x04, \x05\x06 or \x07\x08 starts
/// as a zip file does. The loader claims those magics on purpose ([NOTE
/// container-magic]: no pickler writes such an id, while every zip file starts so); the
/// writer writes what CPython writes.
inline bool refused_as_zip(const UnpicklingError& e, std::string_view bytes) {
  return e.code() == ErrorCode::container && bytes.substr(0, 2) == "PK";
}

/// Load, dump at every protocol, load again: the same data comes back.
inline void roundtrip_target(const uint8_t* data, size_t size) {
  LoadOptions options = tight_options();
  Graph graph;
  Value v;
  try {
    v = loads(std::span<const uint8_t>(data, size), graph, options);
  } catch (const UnpicklingError&) {
    return;
  }
  // A graph naming a Python 2 module cannot survive fix_imports (names_py2_global):
  // below protocol 3 it is checked with fix_imports off on both sides.
  const bool py2_names = names_py2_global(v);
  for (int protocol = 0; protocol <= HIGHEST_PROTOCOL; ++protocol) {
    std::string bytes;
    LoadOptions back;
    try {
      DumpOptions d;
      d.protocol = protocol;
      d.fix_imports = back.fix_imports = !(py2_names && protocol < 3);
      bytes = dumps(v, d);
    } catch (const PicklingError&) {
      continue;  // e.g. a non-ASCII persistent id at protocol 0
    }
    Graph again;
    Value w;
    try {
      w = loads(bytes, again, back);  // must load: an error here is a finding
    } catch (const UnpicklingError& e) {
      if (!refused_as_zip(e, bytes)) throw;
      continue;
    }
    std::string why;
    if (!same_shape(v, w, &why)) {
      fprintf(stderr, "round trip at protocol %d changed the data: %s\n", protocol, why.c_str());
      __builtin_trap();
    }
  }
}

namespace detail_targets {

// An ostream that discards what it is given (dis output nobody reads).
class NullBuffer final : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

[[noreturn]] inline void finding(const char* what, const std::string& detail) {
  fprintf(stderr, "%s: %s\n", what, detail.c_str());
  __builtin_trap();
}

}  // namespace detail_targets

/// A graph built by a fuzzed program (graph_program.hpp), dumped at every protocol,
/// loads back as the same graph (same_shape). A PicklingError is accepted for what a
/// protocol cannot express, but what one protocol writes every higher one writes too.
/// Our own output also disassembles: the walker reads it to its last byte and dis
/// finds nothing to object to, save pickletools' own ASCII-only reading of STRING,
/// GLOBAL, INST and PERSID arguments.
inline void graph_target(const uint8_t* data, size_t size) {
  using detail_targets::finding;
  Graph g;
  GraphProgram prog = build_graph(data, size, g);
  int written_at = -1;  // the lowest protocol that wrote the graph
  for (int protocol = 0; protocol <= HIGHEST_PROTOCOL; ++protocol) {
    std::vector<OutOfBandBuffer> buffers;
    DumpOptions d;
    d.protocol = protocol;
    d.buffer_callback = [&buffers](Value b) {
      buffers.push_back({b.buffer().data, false});
      return false;  // out-of-band, given back to the loader below
    };
    std::string bytes;
    try {
      bytes = dumps(prog.root, d);
    } catch (const PicklingError& e) {
      if (written_at >= 0)
        finding("graph_target", "protocol " + std::to_string(written_at) +
                                    " writes the graph, protocol " + std::to_string(protocol) +
                                    " refuses it: " + e.what());
      continue;
    }
    if (written_at < 0) written_at = protocol;
    LoadOptions options;
    options.py2_str.encoding = std::string(prog.py2_encoding);
    options.buffers = buffers;
    Graph again;
    Value back;
    try {
      back = loads(bytes, again, options);
    } catch (const UnpicklingError& e) {
      if (refused_as_zip(e, bytes)) continue;
      finding("graph_target", "protocol " + std::to_string(protocol) +
                                  ": our own pickle does not load: " + e.what());
    }
    std::string why;
    if (!same_shape(prog.root, back, &why))
      finding("graph_target", "protocol " + std::to_string(protocol) +
                                  ": the round trip changed the graph: " + why);
    auto span = std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    try {
      auto ops = tools::genops(span);
      if (ops.empty() || ops.back().end != bytes.size())
        finding("graph_target", "the walker stops before the end of our own pickle");
      std::ostream out(nullptr);
      detail_targets::NullBuffer null;
      out.rdbuf(&null);
      tools::dis(span, out);
    } catch (const UnpicklingError& e) {
      // pickletools reads the text arguments of these opcodes as ASCII with escapes
      // (codecs.escape_decode), which names CPython writes and loads need not be: a
      // non-ASCII name, or one ending in a backslash. dis refuses them as pickletools
      // does.
      bool pickletools_text =
          (e.code() == ErrorCode::bad_encoding || e.code() == ErrorCode::bad_argument) &&
          e.opcode() &&
          (*e.opcode() == static_cast<uint8_t>(Op::string) ||
           *e.opcode() == static_cast<uint8_t>(Op::global) ||
           *e.opcode() == static_cast<uint8_t>(Op::inst) ||
           *e.opcode() == static_cast<uint8_t>(Op::persid));
      if (!pickletools_text)
        finding("graph_target", "protocol " + std::to_string(protocol) +
                                    ": dis refuses our own pickle: " + e.what());
    }
  }
}

// [NOTE dis-agreement] What the opcode walker (and so `dis`) and the Unpickler must
// agree on, as dis_target checks it. The walker is a builder of the Unpickler's Decoder
// that runs no machine (src/load/builder.hpp, [NOTE builder-contract]), so both read
// through one Reader and one switch ([NOTE one-reader]), and Decoder::step reads an opcode's whole
// argument before any check that needs the stack, the memo or a registry. So, for each pickle of a
// stream, with the same Limits, where W is the walker's run to STOP and U the Unpickler's load:
//
//  1. Boundaries: W yields opcodes back to back from the pickle's first byte.
//  2. U loads, ending at E  =>  W reaches STOP without error, and STOP ends at E.
//     (noload, the other builder of the machine, too.)
//  3. U fails at offset F  =>  F is where W yielded an opcode or where W failed
//     (never inside an argument), and U names the byte at F as its opcode (none when
//     the input ends where an opcode should start).
//  4. U fails at F before W's failure (or W reaches STOP)  =>  the opcode at F read
//     cleanly, so U's reason needs the machine: the stack, marks, memo, node limits, a
//     type, hashing, or a global refused; or, by opcode, a Python 2 str that does not
//     decode (STRING, BINSTRING, SHORT_BINSTRING), empty STACK_GLOBAL names, buffers or
//     extension codes not given (NEXT_BUFFER, EXT*), a text number (INT, LONG, FLOAT)
//     that only pickletools reads ([NOTE text-numbers]). Never truncation, a bad
//     frame, a bad opcode, a bad argument of another opcode.
//  5. W fails at N  =>  U fails at F <= N (U cannot read past what W cannot read), and
//     if F == N, with the same code and message, except that INST checks its MARK
//     before its names: a missing MARK may come first there.
//  6. The Source does not matter: over a TrickleSource (a few bytes per refill, each
//     into a new buffer), W yields the same opcodes with the same arguments and fails
//     the same way, and U succeeds or fails the same way.
//  7. dis, on its own walker, throws a truncation, frame or opcode error only as W
//     does (same offset and message); its other errors (pickletools' own stack and
//     memo checks) are at an opcode W yielded; and it fails whenever W does.
// The stream goes on (several pickles, one memo) while both load a pickle.
namespace detail_targets {

struct Outcome {
  bool ok = false;
  uint64_t offset = 0;  // end of the pickle when ok, else where it failed
  std::optional<uint8_t> opcode;
  ErrorCode code = ErrorCode::truncated;
  std::string message;
  void failed(const UnpicklingError& e) {
    ok = false;
    offset = e.offset();
    opcode = e.opcode();
    code = e.code();
    message = e.what();
  }
  bool same(const Outcome& o) const {
    return ok == o.ok && offset == o.offset &&
           (ok || (opcode == o.opcode && code == o.code && message == o.message));
  }
  std::string str() const { return ok ? "ok, ends at " + std::to_string(offset) : message; }
};

struct Walk {
  std::vector<tools::Instruction> ops;
  Outcome outcome;
};

inline Walk walk(tools::OpcodeWalker& w) {
  Walk r;
  tools::Instruction ins;
  try {
    while (w.next(ins)) r.ops.push_back(ins);
    r.outcome.ok = true;
    r.outcome.offset = r.ops.back().end;
  } catch (const UnpicklingError& e) {
    r.outcome.failed(e);
  }
  return r;
}

inline bool same_argument(const tools::Argument& a, const tools::Argument& b) {
  return a.type == b.type && a.boolean == b.boolean && a.is_big == b.is_big &&
         a.integer == b.integer && a.big == b.big && a.text == b.text && a.name == b.name &&
         a.line == b.line &&
         std::bit_cast<uint64_t>(a.floating) == std::bit_cast<uint64_t>(b.floating);
}

// Property 4: why the Unpickler may refuse an opcode the walker read cleanly.
inline bool needs_the_machine(ErrorCode code, Op op) {
  switch (code) {
    case ErrorCode::stack_underflow:
    case ErrorCode::missing_mark:
    case ErrorCode::bad_type:
    case ErrorCode::memo_missing:
    case ErrorCode::unhashable:
    case ErrorCode::refused_global:
    case ErrorCode::limit_exceeded: return true;
    case ErrorCode::bad_encoding:
      return op == Op::string || op == Op::binstring || op == Op::short_binstring;
    // STACK_GLOBAL of empty names; a text number CPython's unpickler refuses and
    // pickletools reads (the walker reads it for dis: [NOTE text-numbers]).
    case ErrorCode::bad_argument:
      return op == Op::stack_global || op == Op::int_ || op == Op::long_ || op == Op::float_;
    case ErrorCode::unsupported:
      return op == Op::next_buffer || op == Op::ext1 || op == Op::ext2 || op == Op::ext4;
    default: return false;
  }
}

}  // namespace detail_targets

/// The opcode walker, dis and the Unpickler agree on every stream: see
/// [NOTE dis-agreement] for the properties checked.
inline void dis_target(const uint8_t* data, size_t size) {
  using detail_targets::finding;
  using detail_targets::Outcome;
  using detail_targets::Walk;
  LoadOptions options = tight_options();
  const Limits& limits = options.limits;
  auto bytes = std::span<const uint8_t>(data, size);
  const size_t chunk = 1 + size % 7;

  MemorySource wsrc(bytes), usrc(bytes), nsrc(bytes);
  TrickleSource wtsrc(bytes, chunk), utsrc(bytes, chunk);
  tools::OpcodeWalker walker(wsrc, limits), twalker(wtsrc, limits);
  Unpickler unpickler(usrc, options), tunpickler(utsrc, options), nunpickler(nsrc, options);
  Graph graph, tgraph;
  for (int k = 0; k < 4; ++k) {
    std::string at = "pickle " + std::to_string(k) + ": ";
    Walk w = detail_targets::walk(walker);
    Walk tw = detail_targets::walk(twalker);
    Outcome u, tu, n;
    Value uv, tuv;
    try {
      uv = unpickler.load(graph);
      u.ok = true;
      u.offset = usrc.offset();
    } catch (const UnpicklingError& e) {
      u.failed(e);
    }
    try {
      tuv = tunpickler.load(tgraph);
      tu.ok = true;
      tu.offset = utsrc.offset();
    } catch (const UnpicklingError& e) {
      tu.failed(e);
    }
    try {
      n.offset = nunpickler.noload().end_offset;
      n.ok = true;
    } catch (const UnpicklingError& e) {
      n.failed(e);
    }
    auto report = [&](const char* what) {
      finding("dis_target", at + what + "\n  walker: " + w.outcome.str() +
                                "\n  unpickler: " + u.str() + "\n  noload: " + n.str());
    };

    // 1. Boundaries.
    for (size_t i = 0; i < w.ops.size(); ++i) {
      if ((i == 0 && w.ops[i].pos != walker.pickle_start()) ||
          (i > 0 && w.ops[i].pos != w.ops[i - 1].end) || w.ops[i].end <= w.ops[i].pos ||
          data[w.ops[i].pos] != static_cast<uint8_t>(w.ops[i].op))
        report("the walker's opcodes are not back to back");
    }
    // 6. The Source does not matter.
    if (!tw.outcome.same(w.outcome) || tw.ops.size() != w.ops.size())
      report(("over a trickling source the walker differs: " + tw.outcome.str()).c_str());
    for (size_t i = 0; i < w.ops.size(); ++i)
      if (tw.ops[i].pos != w.ops[i].pos || tw.ops[i].end != w.ops[i].end ||
          tw.ops[i].op != w.ops[i].op ||
          !detail_targets::same_argument(tw.ops[i].arg, w.ops[i].arg))
        report("over a trickling source the walker reads another opcode or argument");
    if (!tu.same(u)) report(("over a trickling source the Unpickler differs: " + tu.str()).c_str());
    if (u.ok && !same_shape(uv, tuv))
      report("over a trickling source the Unpickler loads another value");

    auto yielded = [&](uint64_t offset) {
      for (const auto& ins : w.ops)
        if (ins.pos == offset) return true;
      return false;
    };
    for (const Outcome* m : {&u, &n}) {
      // 2. A successful load ends where the walker's STOP ends.
      if (m->ok) {
        if (!w.outcome.ok || w.outcome.offset != m->offset)
          report("the Unpickler loads it, the walker does not end there");
        continue;
      }
      // 3. Failures are at opcode boundaries, and name the opcode there.
      bool at_walker_failure = !w.outcome.ok && m->offset == w.outcome.offset;
      if (!yielded(m->offset) && !at_walker_failure)
        report("the Unpickler fails inside an opcode the walker read");
      // A container's magic (a zip, .npy, ... refused at byte 0) is not an opcode,
      // whatever its first byte would be: that failure names none.
      std::optional<uint8_t> byte_there;
      if (m->offset < size && m->code != ErrorCode::container) byte_there = data[m->offset];
      if (m->opcode != byte_there) report("the Unpickler names another opcode");
      if (!w.outcome.ok && m->offset > w.outcome.offset)
        report("the walker fails first (5)");  // 5. F <= N
      if (at_walker_failure) {
        bool inst_mark = m->code == ErrorCode::missing_mark &&
                         m->opcode == std::optional<uint8_t>(static_cast<uint8_t>(Op::inst));
        if (m->code != w.outcome.code || m->message != w.outcome.message) {
          if (!inst_mark) report("both fail at one opcode, for different reasons (5)");
        }
      } else if (!detail_targets::needs_the_machine(m->code, static_cast<Op>(*m->opcode))) {
        report("the Unpickler refuses an opcode the walker read, not for the machine (4)");
      }
    }

    // 7. dis, on a walker of its own over this pickle.
    if (k == 0) {
      MemorySource dsrc(bytes);
      tools::OpcodeWalker dwalker(dsrc, limits);
      std::ostream out(nullptr);
      detail_targets::NullBuffer null;
      out.rdbuf(&null);
      try {
        tools::dis(dwalker, out);
        if (!w.outcome.ok) report("dis reads what the walker refuses");
      } catch (const UnpicklingError& e) {
        Outcome d;
        d.failed(e);
        bool structural = d.code == ErrorCode::truncated || d.code == ErrorCode::bad_frame ||
                          d.code == ErrorCode::bad_opcode || d.code == ErrorCode::empty_input;
        if (structural && !d.same(w.outcome)) report(("dis differs: " + d.str()).c_str());
        if (!structural && !yielded(d.offset) && !(d.same(w.outcome)))
          report(("dis fails where the walker read no opcode: " + d.str()).c_str());
      }
    }

    if (!u.ok || !n.ok || !tu.ok || unpickler.at_end()) break;
  }
}

// [NOTE builders-agreement] The builders of the Decoder (src/load/builder.hpp): the
// value builder (Unpickler::load, V), noload (Unpickler::noload, N) and the opcode
// walker (W), on the same input with the same Limits, pickle after pickle. All three
// read through one Reader and one switch (Decoder::step); V and N run the machine (the
// stack, marks and memo) and W does not; they differ otherwise only in what their
// builder refuses. builders_target checks, for each pickle:
//  1. Acceptance is nested: V loads => N loads, unless N's own limit stops it
//     (builder_limit: N's scratch graph and the ids it copies count against the growth
//     limits as V's graph does, with other counts); N loads => W reaches STOP; and
//     those that succeed end at the same offset.
//  2. V and N fail at an opcode W yielded or where W failed, naming the byte there
//     (none where the input ends before an opcode, or for a container's magic); and at
//     or before W's failure: there with W's code and message (but INST checks its MARK
//     before its names), before it only for what needs the machine (needs_the_machine).
//  3. V and N run one machine: the first of them to fail fails for its builder's own
//     reason (V: a type, hashing, a global, a Python 2 str that does not decode, an
//     out-of-band buffer not given, a builder limit; N: a builder limit; both: the
//     names each reads from STACK_GLOBAL's operands its own way, which may be empty),
//     or else the other fails at the same offset with the same code and message. Where
//     both fail at one offset for different reasons, both reasons are their builders'
//     own (V refuses a tuple as a module name, N reads it as "?" and refuses an empty
//     name beside it).
// The walker checks nothing that needs the stack, so W never fails where V and N both
// load; rule 2 is [NOTE dis-agreement]'s properties 3 to 5, for both machine builders.
namespace detail_targets {

// A limit a builder checks itself (growth, container sizes, hashing depth), not the
// Reader's or the machine's (stack, marks, memo), which every builder meets alike.
inline bool builder_limit(const Outcome& o) {
  if (o.ok || o.code != ErrorCode::limit_exceeded) return false;
  for (const char* what : {"max_nodes_per_byte", "max_alloc_per_byte", "max_container_items",
                           "too large", "nested too deeply"})
    if (o.message.find(what) != std::string::npos) return true;
  return false;
}

// STACK_GLOBAL hands its operands to the builder, which reads the names from them.
inline bool stack_global_names(const Outcome& o) {
  return !o.ok && o.code == ErrorCode::bad_argument &&
         o.opcode == std::optional<uint8_t>(static_cast<uint8_t>(Op::stack_global));
}

inline bool noload_own(const Outcome& o) {
  return builder_limit(o) || stack_global_names(o);
}

inline bool value_builder_own(const Outcome& o) {
  if (o.ok) return false;
  auto op = o.opcode ? static_cast<Op>(*o.opcode) : Op::stop;
  if (stack_global_names(o)) return true;
  switch (o.code) {
    case ErrorCode::bad_type:
    case ErrorCode::unhashable:
    case ErrorCode::refused_global: return true;
    case ErrorCode::bad_encoding:
      return op == Op::string || op == Op::binstring || op == Op::short_binstring;
    case ErrorCode::unsupported: return op == Op::next_buffer;
    default: return builder_limit(o);
  }
}

}  // namespace detail_targets

/// The value builder, noload and the opcode walker accept and refuse the same inputs
/// at the same offsets: see [NOTE builders-agreement].
inline void builders_target(const uint8_t* data, size_t size) {
  using detail_targets::finding;
  using detail_targets::Outcome;
  using detail_targets::Walk;
  LoadOptions options = tight_options();
  options.limits.max_container_items = 1 << 10;
  options.limits.max_nodes_per_byte = 1 + size % 4;
  auto bytes = std::span<const uint8_t>(data, size);
  MemorySource vsrc(bytes), nsrc(bytes), wsrc(bytes);
  Unpickler value(vsrc, options), noload(nsrc, options);
  tools::OpcodeWalker walker(wsrc, options.limits);
  Graph graph;
  for (int k = 0; k < 4; ++k) {
    Walk w = detail_targets::walk(walker);
    Outcome v, n;
    try {
      value.load(graph);
      v.ok = true;
      v.offset = vsrc.offset();
    } catch (const UnpicklingError& e) {
      v.failed(e);
    }
    try {
      n.offset = noload.noload().end_offset;
      n.ok = true;
    } catch (const UnpicklingError& e) {
      n.failed(e);
    }
    auto report = [&](const std::string& what) {
      finding("builders_target", "pickle " + std::to_string(k) + ": " + what +
                                     "\n  value builder: " + v.str() + "\n  noload: " + n.str() +
                                     "\n  walker: " + w.outcome.str());
    };

    // 1. Nested acceptance, same end.
    if (v.ok && !n.ok && !detail_targets::builder_limit(n))
      report("the value builder loads it, noload refuses it (1)");
    if (v.ok && n.ok && v.offset != n.offset) report("the two loads end apart (1)");
    for (const Outcome* m : {&v, &n})
      if (m->ok && (!w.outcome.ok || w.outcome.offset != m->offset))
        report("a load succeeds where the walker does not end (1)");

    // 2. Against the walker.
    auto yielded = [&](uint64_t offset) {
      for (const auto& ins : w.ops)
        if (ins.pos == offset) return true;
      return false;
    };
    for (const Outcome* m : {&v, &n}) {
      if (m->ok) continue;
      bool at_walker_failure = !w.outcome.ok && m->offset == w.outcome.offset;
      if (!yielded(m->offset) && !at_walker_failure) report("a failure inside an opcode (2)");
      std::optional<uint8_t> byte_there;
      if (m->offset < size && m->code != ErrorCode::container) byte_there = data[m->offset];
      if (m->opcode != byte_there) report("a failure names another opcode (2)");
      if (!w.outcome.ok && m->offset > w.outcome.offset) report("the walker fails first (2)");
      if (at_walker_failure) {
        bool inst_mark = m->code == ErrorCode::missing_mark &&
                         m->opcode == std::optional<uint8_t>(static_cast<uint8_t>(Op::inst));
        if ((m->code != w.outcome.code || m->message != w.outcome.message) && !inst_mark)
          report("a failure where the walker fails, for another reason (2)");
      } else if (!detail_targets::needs_the_machine(m->code, static_cast<Op>(*m->opcode))) {
        report("a failure at an opcode the walker read, not for the machine (2)");
      }
    }

    // 3. One machine for the value builder and noload.
    bool v_first = !v.ok && (n.ok || v.offset < n.offset);
    bool n_first = !n.ok && (v.ok || n.offset < v.offset);
    if (v_first && !detail_targets::value_builder_own(v))
      report("the value builder fails first, not for its builder's reason (3)");
    if (n_first && !detail_targets::noload_own(n))
      report("noload fails first, not for its builder's reason (3)");
    if (!v.ok && !n.ok && v.offset == n.offset &&
        (v.code != n.code || v.message != n.message || v.opcode != n.opcode) &&
        !(detail_targets::value_builder_own(v) && detail_targets::noload_own(n)))
      report("both fail at one offset for different reasons (3)");

    if (!v.ok || !n.ok || !w.outcome.ok || value.at_end()) break;
  }
}

// ---- typed ---------------------------------------------------------------------------

namespace detail_targets {

struct TypedPoint {
  double x = 0, y = 0;
};
PICKLE_OBJECT(TypedPoint, "geometry", "Point", x, y);

struct TypedRecord {
  int64_t id = 0;
  std::string name;
  std::optional<double> score;
  std::vector<std::variant<BigInt, double, std::string, Bytes, std::vector<int>>> items;
  std::map<std::string, std::shared_ptr<TypedRecord>> children;
};
PICKLE_DICT(TypedRecord, id, name, score, items, children);

// Alternatives told apart by the kind of value they read, so that what one writes is
// read back by the same one.
using TypedAny =
    std::variant<TypedRecord, std::map<int64_t, std::vector<std::optional<double>>>,
                 std::vector<TypedPoint>, std::set<int>, BigInt, double, std::string, Bytes,
                 ByteArray, std::tuple<bool, std::optional<std::string>, std::complex<double>>,
                 Decimal, Uuid, std::chrono::microseconds,
                 std::chrono::sys_time<std::chrono::microseconds>, std::chrono::year_month_day,
                 std::unique_ptr<std::deque<std::string>>>;

}  // namespace detail_targets

/// Typed loading never crashes and fails only with an UnpicklingError (the pickle) or
/// a TypedError (the types); what loads is written again by its codecs, and that pickle
/// read and written once more gives the same bytes.
inline void typed_target(const uint8_t* data, size_t size) {
  using detail_targets::TypedAny;
  LoadOptions options = tight_options();
  options.typed.max_depth = 100;
  options.typed.ignore_extra_keys = (size & 2) != 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::optional<TypedAny> value;
  try {
    value.emplace(loads<TypedAny>(bytes, options));
  } catch (const UnpicklingError&) {
    return;
  } catch (const TypedError&) {
    return;
  }
  DumpOptions d;
  d.protocol = static_cast<int>(size % 6);
  std::string first = dumps(*value, d);
  std::string second = dumps(loads<TypedAny>(first, options), d);
  if (first != second) __builtin_trap();
}

}  // namespace pickle::fuzz

namespace pickle::fuzz {

/// Compressed containers never crash, hang, leak or grow past their limits; every
/// failure is a ContainerError or an UnpicklingError. The first byte picks the format
/// (so the fuzzer needs not find the magics) and how the compressed bytes trickle in;
/// the rest is the compressed stream. What it decompresses to is opened again (nested
/// layers) and loaded as pickles.
inline void decompress_target(const uint8_t* data, size_t size) {
  if (size < 1) return;
  static constexpr Container kKinds[] = {Container::gzip, Container::bzip2, Container::xz,
                                         Container::zlib};
  Container kind = kKinds[data[0] & 3];
  size_t chunk = 1 + size_t(data[0] >> 2) * 61;
  std::span<const uint8_t> compressed(data + 1, size - 1);
  ContainerLimits limits;
  limits.max_decompressed = 8 << 20;
  limits.ratio_grace = 1 << 16;
  limits.max_ratio = 5000;
  limits.max_layers = 3;
  // Every decompressed byte, read in chunks of the size the first byte gave.
  try {
    TrickleSource raw(compressed, chunk);
    DecompressSource source(raw, kind, limits);
    uint64_t total = 0;
    while (source.ensure(chunk)) {
      total += source.window().size();
      source.consume(source.window().size());
    }
    total += source.window().size();
    if (total > limits.max_decompressed) __builtin_trap();  // the limit did not hold
  } catch (const ContainerError&) {
  }
  // The same bytes as a pickle file: nested layers opened, each pickle loaded.
  try {
    TrickleSource raw(compressed, chunk);
    DecompressSource outer(raw, kind, limits);
    Opened opened = open_compressed(outer, limits);
    Unpickler unpickler(opened.source(), tight_options());
    Graph graph;
    for (int i = 0; i < 4 && !unpickler.at_end(); ++i) unpickler.load(graph);
  } catch (const ContainerError&) {
  } catch (const UnpicklingError&) {
  }
}

}  // namespace pickle::fuzz

namespace pickle::fuzz {

/// Zip archives never crash, hang, leak or allocate past their limits; every failure
/// is a ContainerError (or an UnpicklingError from a member loaded as a pickle). Every
/// member is opened (stored ones also viewed), and loaded as a pickle.
inline void zip_target(const uint8_t* data, size_t size) {
  ZipLimits limits;
  limits.max_members = 64;
  limits.decompress.max_decompressed = 8 << 20;
  try {
    ZipArchive archive(std::span<const uint8_t>(data, size), limits);
    for (const ZipMember& m : archive.members()) {
      if (m.data_offset > size || m.compressed_size > size - m.data_offset) __builtin_trap();
      try {
        if (m.method == 0) (void)archive.stored_bytes(m);
        std::unique_ptr<Source> source = archive.open(m);
        Unpickler unpickler(*source, tight_options());
        Graph graph;
        unpickler.load(graph);
      } catch (const ContainerError&) {
      } catch (const UnpicklingError&) {
      }
    }
  } catch (const ContainerError&) {
  }
}

/// A file of tensors, opened by content (npy, npz, torch zip and legacy checkpoints,
/// compressed or plain pickles): every tensor and array it names is read out in C
/// order. Only PickleErrors (ContainerError, UnpicklingError, bad_value, unsupported)
/// may escape; a view must never reach outside its data.
inline void tensor_file_target(const uint8_t* data, size_t size) {
  TensorFileOptions options;
  options.load = tight_options();
  options.zip.max_members = 64;
  options.zip.decompress.max_decompressed = 8 << 20;
  options.containers.max_decompressed = 8 << 20;
  try {
    TensorFile file(std::span<const uint8_t>(data, size), options);
    std::vector<NamedOther> others;
    std::vector<std::byte> scratch;
    for (const NamedArray& a : file.arrays(&others)) {
      const ArrayView& v = a.view;
      if (v.dtype.kind == 'O' || v.data.empty()) continue;
      if (v.offset > v.data.size()) __builtin_trap();
      // An expanded view (stride 0) may describe far more bytes than it holds.
      if (v.nbytes() > (uint64_t(64) << 20)) continue;
      std::span<const std::byte> bytes = v.c_order_le(scratch);
      if (bytes.size() != v.nbytes()) __builtin_trap();
    }
  } catch (const PickleError&) {
  }
}

/// [NOTE scan-agreement] The scanner loads with the value builder, observed (see [NOTE
/// scan-same-machine] in src/tools/scan/scanner.cpp), so on a stream of pickles it
/// accepts and refuses exactly what loading does: each pickle in turn with a fresh
/// memo, the same error at the same byte. And it never crashes, hangs or leaks on any
/// input, containers included; its verdict is its worst finding's.
/// Reading JSON (pickle/json.hpp) never crashes or hangs; every failure is a JsonError.
/// What it reads is written again losslessly, and that text reads back to the same text
/// (a fixed point); it is also written as plain JSON and as a pickle. The documents of
/// the input are read as a stream too.
inline void json_target(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Graph graph;
  Value v;
  bool read = true;
  try {
    v = from_json(text, graph);
  } catch (const JsonError&) {
    read = false;
  }
  if (read) {
    std::string json = to_json(v);
    Graph again;
    Value w;
    try {
      w = from_json(json, again);
    } catch (const JsonError& e) {
      std::fprintf(stderr, "json_target: %s reading back %s\n", e.what(), json.c_str());
      __builtin_trap();
    }
    if (to_json(w) != json) {
      std::fprintf(stderr, "json_target: %s read back as %s\n", json.c_str(), to_json(w).c_str());
      __builtin_trap();
    }
    JsonOptions plain;
    plain.plain = true;
    plain.max_bytes = 1 << 16;
    try {
      to_json(v, plain);
    } catch (const LimitError&) {
    }
    try {
      dumps(v);
    } catch (const PicklingError&) {  // a graph no pickle describes (a Global named "")
    }
  }
  try {
    JsonReader reader(text);
    Graph g;
    for (int i = 0; i < 8 && reader.next(g, v); ++i) g.clear();
  } catch (const JsonError&) {
  }
}

inline void scan_target(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  ScanOptions options;
  options.limits = tight_options().limits;
  options.zip.max_members = 64;
  options.zip.decompress.max_decompressed = 8 << 20;
  options.containers.max_decompressed = 8 << 20;
  options.joblib_arrays = false;  // read as pickle.load reads them, for the comparison
  ScanReport report = scan_bytes(in, options);
  Verdict worst = Verdict::safe;
  const Finding* scan_error = nullptr;
  for (const Finding& f : report.findings) {
    if (f.why.empty()) __builtin_trap();
    worst = std::max(worst, f.verdict);
    if (f.verdict == Verdict::error && f.member.empty() && !scan_error) scan_error = &f;
  }
  if (worst != report.verdict) __builtin_trap();

  if (size == 0) {
    if (!scan_error) __builtin_trap();
    return;
  }
  if (detect_container(in) != Container::none || TarArchive::looks_like_tar(in)) return;
  LoadOptions load = tight_options();
  load.py2_str.encoding = "latin1";
  load.python_literals = true;
  MemorySource src(in);
  Graph graph;
  std::optional<uint64_t> load_error;
  try {
    Unpickler unpickler(src, load);
    for (size_t n = 0; !unpickler.at_end(); ++n) {
      unpickler.clear_memo();
      Value v = unpickler.load(graph);
      if (n == 0 && is_torch_legacy_magic(v)) return;  // the scan reads five pickles
    }
  } catch (const UnpicklingError& e) {
    load_error = e.offset();
  }
  if (load_error.has_value() != (scan_error != nullptr)) __builtin_trap();
  if (load_error && *load_error != scan_error->offset) __builtin_trap();
}

}  // namespace pickle::fuzz
