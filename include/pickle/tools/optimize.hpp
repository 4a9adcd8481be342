// The optimizer: pickletools.optimize without Python.
//
//   std::string smaller = pickle::tools::optimize(bytes);
//
// The result is byte for byte what CPython 3.13's pickletools.optimize returns: every
// PUT, BINPUT, LONG_BINPUT or MEMOIZE that no GET reads is dropped, the memo is
// renumbered from 0 in order of storing (MEMOIZE at protocol 4 and above, BINPUT or
// LONG_BINPUT at 1 to 3, PUT at 0, where the protocol is the highest of the PROTO
// argument and the GET opcodes used), old FRAMEs are dropped and, at protocol 4 and
// above, the opcodes are framed again as pickle.py frames them (a frame closes once it
// holds 64 KiB; an opcode larger than that is written outside any frame). Every
// other opcode is copied as it is.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "pickle/load.hpp"

namespace pickle::tools {

/// Optimizes the first pickle of `data` (bytes after its STOP are ignored, as
/// pickletools does). Throws UnpicklingError when the stream is unreadable (as
/// OpcodeWalker reports it) or a GET reads a memo key that no earlier PUT of this
/// pickle stored (pickletools fails, or writes a broken pickle, there).
std::string optimize(std::span<const uint8_t> data, const Limits& limits = {});
std::string optimize(std::string_view data, const Limits& limits = {});

/// Optimizes every pickle of `data` in turn, each as optimize() would on that pickle
/// alone, and passes each result to `write`. Offsets in errors are absolute in
/// `data`. A stream written by one Pickler with several dump() calls shares its memo
/// between pickles; a later pickle that reads an earlier one's memo is refused, as
/// each pickle is optimized alone.
void optimize_each(std::span<const uint8_t> data,
                   const std::function<void(std::string_view)>& write, const Limits& limits = {});

}  // namespace pickle::tools
#pragma GCC visibility pop
