// The typed entry points: dumps/dump of a C++ value, loads<T>, and the Pickler's and
// Unpickler's typed members.
//
//   std::map<std::string, std::vector<double>> series = ...;
//   std::string bytes = pickle::dumps(series);             // CPython's bytes
//   auto back = pickle::loads<std::map<std::string, std::vector<double>>>(bytes);
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "pickle/dump.hpp"
#include "pickle/load.hpp"
#include "pickle/typed/reader.hpp"
#include "pickle/typed/writer.hpp"

namespace pickle {

namespace detail {
using ErasedWrite = void (*)(pickle::Writer& w, const void* x);
using ErasedRead = void (*)(const pickle::Reader& r, void* out);
template <class T>
void write_erased(pickle::Writer& w, const void* x) {
  w.write(*static_cast<const T*>(x));
}
template <class T>
void read_erased(const pickle::Reader& r, void* out) {
  static_cast<std::optional<T>*>(out)->emplace(r.read<T>());
}
std::string dumps_erased(ErasedWrite write, const void* x, const DumpOptions& options);
// Reads root into *out (a T may hold Values when graph_outlives). `graph` is the graph
// the entry point loaded root into, which bounds the values read
// (TypedLoadOptions::max_values), or null (from_value).
void read_value(Value root, const TypedLoadOptions& options, const Graph* graph,
                bool graph_outlives, ErasedRead read, void* out);
template <class T>
T read_root(Value root, const TypedLoadOptions& options, const Graph* graph, bool graph_outlives) {
  std::optional<T> out;
  read_value(root, options, graph, graph_outlives, &read_erased<T>, &out);
  return std::move(*out);
}
}  // namespace detail

/// One pickle of a C++ value, through its codec: the bytes CPython's pickle.dumps
/// writes for the Python value it stands for (docs/typed.md). Throws PicklingError.
template <class T>
requires detail::typed_argument<T> std::string dumps(const T& x, const DumpOptions& options = {}) {
  return detail::dumps_erased(&detail::write_erased<T>, &x, options);
}
/// Writes one pickle of a C++ value to out.
template <class T>
requires detail::typed_argument<T>
void dump(const T& x, std::ostream& out, const DumpOptions& options = {}) {
  StreamSink sink(out);
  Pickler p(sink, options);
  p.dump(x);
}

/// One pickle read as a T through its codec. Throws UnpicklingError for a bad pickle,
/// TypedError when the values do not fit T (the message says where).
template <class T>
T loads(std::string_view bytes, const LoadOptions& options = {}) {
  Graph g(options.pool);
  Value root = loads(bytes, g, options);
  return detail::read_root<T>(root, options.typed, &g, false);
}
template <class T>
T loads(std::span<const uint8_t> bytes, const LoadOptions& options = {}) {
  return loads<T>(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                  options);
}
/// The same into `graph`, which outlives the result: a T may hold pickle::Values.
template <class T>
T loads(std::string_view bytes, Graph& graph, const LoadOptions& options = {}) {
  Value root = loads(bytes, graph, options);
  return detail::read_root<T>(root, options.typed, &graph, true);
}
/// One pickle from a stream, read as a T.
template <class T>
T load(std::istream& in, const LoadOptions& options = {}) {
  Graph g(options.pool);
  Value root = load(in, g, options);
  return detail::read_root<T>(root, options.typed, &g, false);
}
/// A loaded value read as a T (its graph outlives the result). Bounded by
/// TypedLoadOptions::max_values only when that is set.
template <class T>
T from_value(Value v, const TypedLoadOptions& options = {}) {
  return detail::read_root<T>(v, options, nullptr, true);
}

template <class T>
requires detail::typed_argument<T>
void Pickler::dump(const T& x) {
  dump_erased(&detail::write_erased<T>, &x);
}

template <class T>
T Unpickler::load() {
  Value root = load_for_typed();
  return detail::read_root<T>(root, options().typed, &typed_graph(), false);
}

}  // namespace pickle
#pragma GCC visibility pop
