// The disassembler: pickletools.dis without Python.
//
//   pickle::FileSource src("data.pkl");
//   pickle::tools::OpcodeWalker walker(src);
//   pickle::tools::DisMemo memo;                    // shared between the pickles: --memo
//   do pickle::tools::dis(walker, std::cout, {}, &memo);
//   while (!walker.at_end());
//
// The text is CPython 3.13's `python -m pickletools` character for character: offsets,
// opcode bytes, indentation by MARK depth, arguments as Python's repr(), "(MARK at N)",
// "(as N)" for MEMOIZE, the "highest protocol among opcodes" line, and the same static
// checks of the stack and the memo. Annotations (DisOptions::annotate) are the one-line
// docs of our opcode table, not CPython's docstrings; their layout is pickletools'.
//
// Errors are UnpicklingError, thrown after the text written so far is flushed:
// - the stream is unreadable (what OpcodeWalker reports): nothing is written for the
//   failing opcode, as pickletools;
// - pickletools' own checks fail (no MARK, a memo key stored twice or never, an
//   item popped from an empty stack, items left at STOP): the failing opcode's line
//   (or, for items left at STOP, the protocol line too) is written first, as
//   pickletools;
// - pickletools itself cannot go on where the Unpickler could (a STRING, GLOBAL, INST
//   or PERSID argument that is not ASCII after undoing its escapes, a text int of more
//   than 4300 digits, which Python's int() refuses; an int of more than 4300 digits
//   to print, after which pickletools has written only the offset): dis stops where
//   pickletools stops, with an error that says why.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <ostream>
#include <string_view>
#include <unordered_map>

#include "pickle/tools/ops.hpp"

namespace pickle::tools {

/// Options of dis(), as pickletools.dis's arguments and `python -m pickletools`' flags.
struct DisOptions {
  /// Column hint for annotations (pickletools.dis's `annotate`): 0, the default, means
  /// none; any other value adds each opcode's doc, aligned as pickletools aligns it.
  /// The command line's --annotate uses 30, as pickletools' -a.
  int annotate = 0;
  /// Blanks per MARK level (pickletools' indentlevel, -l); negative counts as 0.
  int indentlevel = 4;
  /// Offsets as printed: false (default) counts from the first byte of the pickle, as
  /// pickletools given that pickle's bytes; true prints absolute offsets in the
  /// input, as pickletools given a file positioned at the pickle.
  bool absolute_offsets = false;
};

/// The memo dis() checks PUT, MEMOIZE and GET against (pickletools.dis's `memo`):
/// memo index to the name of the stack object stored there (pickletools' names:
/// "list", "any", ...). Give the same DisMemo to the dis() of several pickles that
/// share one Pickler's memo (`pickle dis --memo`).
struct DisMemo {
  std::unordered_map<uint64_t, std::string_view> entries;
};

/// Disassembles the next pickle of `walker` onto `out`. `memo` may be null (a fresh
/// memo for this pickle). Throws UnpicklingError (see above) after writing and
/// flushing what pickletools would have written.
void dis(OpcodeWalker& walker, std::ostream& out, const DisOptions& options = {},
         DisMemo* memo = nullptr);

/// Disassembles the first pickle of `data` (pickletools.dis on bytes).
void dis(std::span<const uint8_t> data, std::ostream& out, const DisOptions& options = {},
         DisMemo* memo = nullptr);

}  // namespace pickle::tools
#pragma GCC visibility pop
