// The public dumping API: Pickler, dumps and dump, over the Encoder.
#include "dump/pickler_impl.hpp"

namespace pickle {

Pickler::Pickler(Sink& sink, DumpOptions options)
    : impl_(std::make_unique<Impl>(sink, std::move(options))) {}
Pickler::~Pickler() = default;
void Pickler::dump(Value v) {
  impl_->encoder.dump(v);
}
void Pickler::dump(Value v, const Graph& graph) {
  // The memo tells a node from a freed one at its address by its stamp ([NOTE
  // node-stamp]); dropping the memo of another graph, or of this one before clear(),
  // keeps it to the nodes of one graph state, as documented, and its size bounded.
  if (impl_->memo_epoch != graph.epoch()) {
    impl_->encoder.clear_memo();
    impl_->memo_epoch = graph.epoch();
  }
  impl_->encoder.dump(v);
}
void Pickler::clear_memo() {
  impl_->encoder.clear_memo();
}
int Pickler::protocol() const noexcept {
  return impl_->encoder.protocol();
}

std::string dumps(Value v, const DumpOptions& options) {
  // The output stays in the Emitter; with a pool, the Encoder takes its spares from it
  // and gives them back (see [NOTE spare-memory]).
  detail::Encoder encoder(nullptr, options);
  encoder.dump(v);
  return encoder.take_output();
}

void dump(Value v, std::ostream& out, const DumpOptions& options) {
  StreamSink sink(out);
  Pickler p(sink, options);
  p.dump(v);
}

}  // namespace pickle
