// Walking the opcodes of a pickle: the analogue of Python's pickletools.genops.
//
//   pickle::MemorySource src(bytes);
//   pickle::tools::OpcodeWalker walker(src);
//   pickle::tools::Instruction ins;
//   while (walker.next(ins))                       // every opcode up to and with STOP
//     std::printf("%llu %s\n", (unsigned long long)ins.pos, std::string(ins.info().name).c_str());
//
// The walker is a builder of the Unpickler's opcode machine (src/load/decoder.hpp, with
// the one reader of src/load/reader.hpp) that runs no stack, so both agree on where every opcode
// starts and on what makes a stream unreadable: an unknown opcode, truncation, a length beyond the
// input, a broken frame, an argument the Unpickler would refuse by itself (bad UTF-8, an
// unsupported protocol, a configured limit), except a text number (INT, LONG, FLOAT) that
// pickletools reads and the Unpickler refuses, which it reads with pickletools' value so that `dis`
// can show it (see [NOTE text-numbers] in src/load/reader.hpp). What needs the stack, the memo or a
// registry (a missing MARK, an unknown memo key, an unregistered extension code) is
// not the walker's business: it reads a stream, it does not run it.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/load.hpp"
#include "pickle/opcodes.hpp"

namespace pickle::tools {

/// The argument of an opcode, decoded as the Unpickler reads it.
struct Argument {
  enum class Type : uint8_t {
    none,      ///< the opcode takes no argument
    integer,   ///< `integer`, or `big` when `is_big` (LONG, LONG1, LONG4, INT beyond int64)
    boolean,   ///< INT written as 00 or 01: `boolean`
    floating,  ///< FLOAT, BINFLOAT: `floating`
    text,      ///< a str as UTF-8 in `text` (UNICODE, BINUNICODE*), or PERSID's line
    bytes,     ///< `text` holds bytes: BINBYTES*, BYTEARRAY8, and Python 2 str (STRING,
               ///< BINSTRING, SHORT_BINSTRING) after STRING's escapes are undone
    global,    ///< GLOBAL, INST: the module in `text`, the name in `name`, as written
  };
  Type type = Type::none;
  bool boolean = false;
  bool is_big = false;
  int64_t integer = 0;
  /// An integer beyond int64: minimal two's-complement little-endian bytes.
  std::vector<uint8_t> big;
  double floating = 0;
  std::string text;
  std::string name;
  /// For arguments written as a text line (INT, LONG, FLOAT, GET, PUT): the line as
  /// written, without its newline. Empty otherwise.
  std::string line;
};

/// One opcode of a stream, as pickletools.genops yields it: the opcode, its decoded
/// argument, and where it is.
struct Instruction {
  Op op = Op::stop;
  uint64_t pos = 0;  ///< absolute offset of the opcode byte in the input
  uint64_t end = 0;  ///< absolute offset just after its argument
  Argument arg;
  const OpInfo& info() const noexcept { return op_info(op); }
};

/// Reads the opcodes of a stream of pickles one by one, checking what the Unpickler
/// checks about the stream. Errors are UnpicklingError with the offset and opcode,
/// exactly as Unpickler::load would report them for the same bytes.
class OpcodeWalker {
 public:
  /// `limits` are the Unpickler's (payload sizes, digits of text ints, ...).
  explicit OpcodeWalker(Source& source, const Limits& limits = {});
  ~OpcodeWalker();
  OpcodeWalker(const OpcodeWalker&) = delete;
  OpcodeWalker& operator=(const OpcodeWalker&) = delete;

  /// Reads the next opcode of the current pickle into `out` and returns true; after
  /// STOP has been returned, returns false once, and the next call starts the next
  /// pickle of the stream. Throws UnpicklingError: `empty_input` when a pickle
  /// should start and no byte is left, `truncated` when the input ends before STOP,
  /// and whatever the Unpickler would report for a malformed opcode. Reusing one
  /// Instruction keeps its buffers.
  bool next(Instruction& out);

  /// True when no byte is left (check it between pickles, as with Unpickler::at_end).
  bool at_end();

  /// Absolute offset of the first opcode of the current (or last) pickle.
  uint64_t pickle_start() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Every opcode of the first pickle in `data`, through its STOP (pickletools.genops
/// on bytes). Bytes after STOP are not read. Throws UnpicklingError.
std::vector<Instruction> genops(std::span<const uint8_t> data, const Limits& limits = {});
std::vector<Instruction> genops(std::string_view data, const Limits& limits = {});

}  // namespace pickle::tools
#pragma GCC visibility pop
