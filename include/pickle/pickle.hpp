// pickle++: read and write Python pickles (protocols 0–5) from C++. Umbrella header.
#pragma once
#include "pickle/version.hpp"
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include "pickle/array.hpp"
#include "pickle/container.hpp"
#include "pickle/dump.hpp"
#include "pickle/error.hpp"
#include "pickle/io.hpp"
#include "pickle/json.hpp"
#include "pickle/load.hpp"
#include "pickle/npy.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/pool.hpp"
#include "pickle/registry.hpp"
#include "pickle/repr.hpp"
#include "pickle/sink.hpp"
#include "pickle/tar.hpp"
#include "pickle/scan.hpp"
#include "pickle/tensor_file.hpp"
#include "pickle/typed.hpp"
#include "pickle/value.hpp"
#include "pickle/zip.hpp"

namespace pickle {
/// The library version, "major.minor.patch".
const char* version() noexcept;
}  // namespace pickle
#pragma GCC visibility pop
