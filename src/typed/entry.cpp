// The typed entry points that are not templates: a typed dump through an Encoder of
// its own or a Pickler's, and the state of a typed load.
#include "pickle/typed/entry.hpp"

#include "dump/pickler_impl.hpp"
#include "typed/reader_state.hpp"
#include "typed/writer_state.hpp"

namespace pickle {

namespace detail {

std::string dumps_erased(ErasedWrite write, const void* x, const DumpOptions& options) {
  Encoder encoder(nullptr, options);
  WriterState state(encoder);
  encoder.dump_with([&] { write(state.writer, x); });
  return encoder.take_output();
}

void read_value(Value root, const TypedLoadOptions& options, const Graph* graph,
                bool graph_outlives, ErasedRead read, void* out) {
  size_t budget = options.max_values;
  if (budget == 0)
    budget = graph ? 4 * (graph->bytes_allocated() / 16 + graph->node_count()) + 65536 : SIZE_MAX;
  ReaderState state(options, graph_outlives, budget);
  read(Reader(state, root), out);
}

}  // namespace detail

void Pickler::dump_erased(void (*write)(Writer& w, const void* x), const void* x) {
  detail::WriterState state(impl_->encoder);
  impl_->encoder.dump_with([&] { write(state.writer, x); });
}

}  // namespace pickle
