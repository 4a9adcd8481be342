// A builder of the Decoder that lacks a callback (here `global`) must not compile, and
// the diagnostic must name the callback (src/load/builder.hpp, check_builder).
#include <cstdint>
#include <span>
#include <string_view>

#include "load/decoder.hpp"

namespace {

using pickle::BuildKind;
using pickle::detail::At;
using pickle::detail::Usage;

struct CountingBuilder {
  using Item = int;
  static constexpr bool runs_machine = true;
  Usage usage() const { return {}; }
  Item none(At) { return 0; }
  Item boolean(At, bool) { return 0; }
  Item integer(At, int64_t) { return 0; }
  Item big_integer(At, std::span<const uint8_t>) { return 0; }
  Item floating(At, double) { return 0; }
  Item str(At, std::string_view) { return 0; }
  Item bytes(At, std::string_view) { return 0; }
  Item bytearray(At, std::string_view) { return 0; }
  Item py2_string(At, std::string_view) { return 0; }
  Item next_buffer(At) { return 0; }
  void readonly_buffer(At, Item&) {}
  Item list(At, std::span<Item>) { return 0; }
  Item tuple(At, std::span<Item>) { return 0; }
  Item dict(At, std::span<Item>) { return 0; }
  Item set(At) { return 0; }
  Item frozenset(At, std::span<Item>) { return 0; }
  void append(At, Item&, std::span<Item>) {}
  void add(At, Item&, std::span<Item>) {}
  void setitems(At, Item&, std::span<Item>) {}
#ifdef PICKLE_CONTROL
  Item global(At, std::string_view, std::string_view) {
    return 0;
  }
#endif
  bool stack_global(At, const Item&, const Item&, std::string_view&, std::string_view&) {
    return true;
  }
  Item reduce(At, Item, Item) {
    return 0;
  }
  void build(At, Item&, Item) {}
  Item instantiate(At, Item, std::span<Item>, BuildKind) {
    return 0;
  }
  Item newobj(At, Item, Item, Item*) {
    return 0;
  }
  Item persistent_text(At, std::string_view) {
    return 0;
  }
  bool reads_after_build(At, Item&) { return false; }
  void read_after_build(At, Item&, pickle::Source&) {}
  Item persistent_binary(At, Item) {
    return 0;
  }
  void used(At, Item) {}
  void memoized(At, Item) {}
  void discarded(At, Item) {}
  void renamed(At, Item, std::string_view, std::string_view) {}
  void argument(At, uint64_t) {}
};

}  // namespace

int main() {
  pickle::MemorySource source(std::string_view("N."));
  pickle::LoadOptions options;
  CountingBuilder b;
  pickle::detail::MachineState<int> state;
  pickle::detail::Decoder<CountingBuilder> d(source, options, b, state);
  return d.run();
}
