// The value builder: the Builder of the opcode machine that makes Values in a Graph,
// the one Unpickler::load uses. See value_builder.cpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "load/decoder.hpp"
#include "pickle/load.hpp"
#include "pickle/value.hpp"

namespace pickle::detail {

// [NOTE strict-natives] Strict mode accepts, without their being listed, the globals
// that load as native values and run nothing, but only where they do: as the callable
// of a REDUCE whose arguments have a shape reduce_native() rebuilds natively (and
// builtins.object only as the base argument of copyreg._reconstructor). Anywhere else
// (returned, stored in a container, as a class, reduced with other arguments) they are
// refused like any unlisted global, since in Python such a use may call them with
// arguments that run code or allocate without bound (`bytearray(10**12)`,
// `copyreg._reconstructor(cls, base, state)` calls base.__init__). The global is made
// when read and remembered as deferred, and so is every tuple that holds one; a
// deferred value that reaches any other use is refused there. The set outlives one
// load() with the memo that can bring such a value back. docs/security.md lists the
// names and shapes.
struct StrictDeferred {
  std::unordered_map<const Node*, std::string> names;  // node -> the global's name
  void clear() { names.clear(); }
};

class LoadObserver;

/// Loads the next pickle of `source` into `g` with the value builder: what
/// Unpickler::load does once the memo's graph is settled. `py2_encoding` is
/// normalized (normalize_encoding); `buffer_cursor` counts the out-of-band buffers
/// used so far; `deferred` and `state` live as long as the memo. `observer`, when not
/// null, watches the load (see [NOTE load-observer]).
Value load_value(Source& source, const LoadOptions& options, Graph& g,
                 std::string_view py2_encoding, size_t& buffer_cursor, StrictDeferred& deferred,
                 MachineState<Value>& state, LoadObserver* observer = nullptr);

}  // namespace pickle::detail
