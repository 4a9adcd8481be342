// The value builder's one seam for watching a load: what a load imports, calls and
// sets, as it happens, for the scanner (src/tools/scan). See [NOTE load-observer].
#pragma once

#include "load/builder.hpp"
#include "pickle/value.hpp"

namespace pickle::detail {

// [NOTE load-observer] The scanner must see what loading does on the very machine that
// loads, not on a second reading of the stream (see [NOTE scan-same-machine] in
// src/tools/scan/scanner.cpp). So the value builder (value_builder.cpp) calls an
// observer, when one is given, at each of the steps below; the observer sees the
// Values the load holds at that moment (a name assembled through the memo arrives as
// the Global it became) and changes nothing. Without an observer, each hook is one
// predictable branch.
class LoadObserver {
 public:
  /// A global was looked up (GLOBAL, STACK_GLOBAL, INST, EXT), by the names after
  /// fix_imports; `made` is what the builder pushed for it.
  virtual void global(At at, std::string_view module, std::string_view name, Value made) = 0;
  /// A call: REDUCE (`kwargs` None), NEWOBJ, NEWOBJ_EX, INST and OBJ (`how`), of
  /// `callable` with `args` (a Tuple); `made` is the value the builder made of it (a
  /// native value when the call rebuilt one: a Global for getattr(Outer, 'name')).
  virtual void call(At at, Value callable, Value args, Value kwargs, BuildKind how, Value made) = 0;
  /// BUILD of `state` into `inst`, before the builder applies it.
  virtual void build(At at, Value inst, Value state) = 0;
  /// Whether the loader followed reads bytes of its own after this BUILD of `inst`, and
  /// reading them (see [NOTE after-build]).
  virtual bool reads_after_build(At, Value) { return false; }
  virtual void read_after_build(At, Value, Source&) {}

 protected:
  ~LoadObserver() = default;
};

}  // namespace pickle::detail
