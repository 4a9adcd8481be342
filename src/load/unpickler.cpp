// The Unpickler and loads(): the public API of the load layer over the Decoder and its
// builders (value_builder.cpp, noload.hpp).
#include <string>

#include "load/decoder.hpp"
#include "load/noload.hpp"
#include "load/value_builder.hpp"
#include "pickle/load.hpp"
#include "text/text.hpp"

namespace pickle {
// ---------------------------------------------------------------------------

struct Unpickler::Impl {
  Source& source;
  LoadOptions options;
  std::string py2_encoding;
  detail::MachineState<Value> state;
  detail::MachineState<Value> null_state;
  Graph noload_graph;  // what noload builds; lives with null_state's memo
  Graph typed_graph;   // what load<T>() reads from; lives with the memo
  Value unbuilt;       // noload's marker, a node of noload_graph
  size_t buffer_cursor = 0;
  uint64_t memo_epoch = 0;          // the Graph::epoch() the memo's Values belong to
  detail::StrictDeferred deferred;  // lives with the memo; see [NOTE strict-natives]
  bool started = false;             // the source's start was checked for a container
  Impl(Source& s, LoadOptions o)
      : source(s), options(std::move(o)), noload_graph(options.pool), typed_graph(options.pool) {
    state.use_pool(options.pool);
    null_state.use_pool(options.pool);
  }
  void check_start() {
    if (started) return;
    started = true;
    detail::refuse_container(source);
  }
};

Unpickler::Unpickler(Source& source, LoadOptions options)
    : impl_(std::make_unique<Impl>(source, std::move(options))) {
  impl_->py2_encoding = detail::normalize_encoding(impl_->options.py2_str.encoding);
  if (impl_->py2_encoding.empty())
    throw UsageError("unsupported encoding for Python 2 str: " + impl_->options.py2_str.encoding);
  const std::string& e = impl_->options.py2_str.errors;
  if (e != "strict" && e != "ignore" && e != "replace" && e != "surrogateescape" &&
      e != "backslashreplace")
    throw UsageError("unsupported error handler: " + e);
}

Unpickler::~Unpickler() = default;

Value Unpickler::load_for_typed() {
  return load(impl_->typed_graph);
}

const Graph& Unpickler::typed_graph() const noexcept {
  return impl_->typed_graph;
}

Value Unpickler::load(Graph& g) {
  // The memo holds Values of the graph the last load built into: loading into
  // another graph (or this one after clear()) starts with an empty memo, so a GET
  // of an earlier entry is an UnpicklingError, never a dangling node.
  if (impl_->memo_epoch != g.epoch()) {
    impl_->state.memo.clear();
    impl_->deferred.clear();
    impl_->memo_epoch = g.epoch();
  }
  impl_->check_start();
  return detail::load_value(impl_->source, impl_->options, g, impl_->py2_encoding,
                            impl_->buffer_cursor, impl_->deferred, impl_->state);
}

NoloadResult Unpickler::noload() {
  impl_->check_start();
  Impl& m = *impl_;
  // See [NOTE noload-ids]. The scratch graph is started afresh whenever no memo entry
  // can point into it.
  if (m.null_state.memo.size() == 0 || !m.unbuilt.is_node()) {
    m.null_state.memo.clear();
    m.noload_graph.clear();
    m.unbuilt = m.noload_graph.global("", "<not built by noload>");
  }
  NoloadResult r;
  if (m.options.pool) r.graph = Graph(m.options.pool);
  detail::NoloadBuilder b(m.noload_graph, m.unbuilt, r, m.options, m.py2_encoding);
  detail::Decoder<detail::NoloadBuilder> d(m.source, m.options, b, m.null_state);
  d.run();
  r.end_offset = impl_->source.offset();
  return r;
}

bool Unpickler::at_end() {
  return impl_->source.at_end();
}
void Unpickler::clear_memo() {
  impl_->state.memo.clear();
  impl_->deferred.clear();
  impl_->null_state.memo.clear();
  impl_->noload_graph.clear();
  impl_->unbuilt = Value();
}
const LoadOptions& Unpickler::options() const noexcept {
  return impl_->options;
}

Value loads(std::span<const uint8_t> data, Graph& g, const LoadOptions& options) {
  MemorySource src(data);
  Unpickler u(src, options);
  return u.load(g);
}
Value loads(std::string_view data, Graph& g, const LoadOptions& options) {
  return loads(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()), g, options);
}
Document loads(std::span<const uint8_t> data, const LoadOptions& options) {
  Graph g(options.pool);
  Value root = loads(data, g, options);
  return Document(std::move(g), root);
}
Document loads(std::string_view data, const LoadOptions& options) {
  Graph g(options.pool);
  Value root = loads(data, g, options);
  return Document(std::move(g), root);
}
Value load(std::istream& in, Graph& g, const LoadOptions& options) {
  StreamSource src(in);
  Unpickler u(src, options);
  return u.load(g);
}

}  // namespace pickle
