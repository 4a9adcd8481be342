// The Pickler's state, for the files that define its members: the dump layer's
// (pickler.cpp) and the typed layer's typed dump (typed/entry.cpp).
#pragma once

#include "dump/encoder.hpp"
#include "pickle/dump.hpp"

namespace pickle {

struct Pickler::Impl {
  detail::Encoder encoder;
  uint64_t memo_epoch = 0;  // the Graph::epoch() of the memo's nodes (0: not known)
  Impl(Sink& s, DumpOptions o) : encoder(&s, std::move(o)) {}
};

}  // namespace pickle
