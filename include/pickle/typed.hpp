// The typed binding: C++ types to and from pickles through pickle::codec<T>
// (docs/typed.md). Codecs for the standard library (pickle/typed/std.hpp), Python's
// bytes, big ints, Decimal, UUID and datetime types (pickle/typed/python.hpp), and
// PICKLE_DICT / PICKLE_OBJECT for plain structs (pickle/typed/struct.hpp).
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include "pickle/typed/entry.hpp"
#include "pickle/typed/numpy.hpp"
#include "pickle/typed/python.hpp"
#include "pickle/typed/reader.hpp"
#include "pickle/typed/std.hpp"
#include "pickle/typed/struct.hpp"
#include "pickle/typed/writer.hpp"
#pragma GCC visibility pop
