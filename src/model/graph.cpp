// The Graph's makers: nodes of every kind, and BUILD states.
#include <cstring>
#include <memory>
#include <string>

#include "model/bigint.hpp"
#include "pickle/value.hpp"

namespace pickle {

std::string_view Graph::copy(std::string_view s) {
  if (s.empty()) return {};
  char* p = static_cast<char*>(allocate(s.size(), 1));
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

std::span<const Value> Graph::copy(std::span<const Value> s) {
  if (s.empty()) return {};
  auto* p = static_cast<Value*>(allocate(s.size() * sizeof(Value), alignof(Value)));
  std::uninitialized_copy(s.begin(), s.end(), p);
  return {p, s.size()};
}

Value Graph::bytes(std::string_view data) {
  auto* n = make<BytesNode>(Kind::Bytes);
  n->data = copy(data);
  return Value(n);
}

Value Graph::bytes(std::span<const std::byte> data) {
  return bytes(std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

Value Graph::bytearray(std::string_view data) {
  auto* n = make<BytesNode>(Kind::ByteArray);
  n->data = copy(data);
  return Value(n);
}

Value Graph::tuple(std::span<const Value> items) {
  auto* n = make<TupleNode>();
  n->items = copy(items);
  return Value(n);
}

Value Graph::list(std::span<const Value> items) {
  auto* n = make<ListNode>(resource());
  n->items.assign(items.begin(), items.end());
  return Value(n);
}

Value Graph::dict(std::initializer_list<std::pair<Value, Value>> items) {
  auto* n = make<DictNode>(resource());
  for (const auto& [k, v] : items) n->set(k, v);
  return Value(n);
}

Value Graph::set(std::span<const Value> items) {
  auto* n = make<SetNode>(Kind::Set, resource());
  for (Value v : items) n->add(v);
  return Value(n);
}

Value Graph::frozenset(std::span<const Value> items) {
  auto* n = make<SetNode>(Kind::FrozenSet, resource());
  for (Value v : items) n->add(v);
  return Value(n);
}

Value Graph::complex(double real, double imag) {
  auto* n = make<ComplexNode>();
  n->real = real;
  n->imag = imag;
  return Value(n);
}

Value Graph::integer(std::span<const uint8_t> le) {
  auto m = detail::minimal_twos(le);
  int64_t small;
  if (detail::twos_to_int64(m, small)) return Value(static_cast<long long>(small));
  auto* n = make<BigIntNode>();
  auto* p = static_cast<uint8_t*>(allocate(m.size(), 1));
  std::memcpy(p, m.data(), m.size());
  n->bytes = {p, m.size()};
  return Value(n);
}

Value Graph::integer(std::string_view decimal) {
  bool neg = false;
  if (!decimal.empty() && (decimal[0] == '-' || decimal[0] == '+')) {
    neg = decimal[0] == '-';
    decimal.remove_prefix(1);
  }
  if (decimal.empty()) throw TypeError("not a decimal integer");
  for (char c : decimal)
    if (c < '0' || c > '9') throw TypeError("not a decimal integer");
  auto bytes = detail::decimal_to_twos(decimal, neg);
  return integer(bytes);
}

Value Graph::global(std::string_view module, std::string_view name) {
  auto* n = make<GlobalNode>();
  n->module = copy(module);
  n->name = copy(name);
  return Value(n);
}

Value Graph::object(Value callable, Value args, BuildKind how, Value kwargs) {
  if (args.kind() != Kind::Tuple) throw TypeError("object arguments must be a tuple");
  auto* n = make<ObjectNode>(resource());
  n->callable = callable;
  n->args = args;
  n->how = how;
  n->kwargs = kwargs;
  return Value(n);
}

Value Graph::persistent_ref(Value pid) {
  auto* n = make<PersistentRefNode>();
  n->pid = pid;
  return Value(n);
}

namespace {
ListNode** states_slot(Value v) noexcept {
  switch (v.kind()) {
    case Kind::List: return &v.list().states;
    case Kind::Dict: return &v.dict().states;
    case Kind::Set:
    case Kind::FrozenSet: return &v.set().states;
    default: return nullptr;
  }
}
}  // namespace

std::span<const Value> build_states(Value v) noexcept {
  if (v.kind() == Kind::Object) {
    const auto& s = v.object().states;
    return {s.data(), s.size()};
  }
  ListNode** slot = states_slot(v);
  if (!slot || !*slot) return {};
  return {(*slot)->items.data(), (*slot)->items.size()};
}

void Graph::add_state(Value target, Value state) {
  if (target.kind() == Kind::Object) {
    target.object().states.push_back(state);
    return;
  }
  ListNode** slot = states_slot(target);
  if (!slot) throw TypeError(std::string(kind_name(target.kind())) + " cannot take a BUILD state");
  if (state.is_none()) return;  // changes nothing in Python: kept by no one
  // With no __setstate__, BUILD sets attributes: from a dict, or a (dict, slots
  // dict) pair; CPython refuses anything else there.
  auto dict_or_none = [](Value v) { return v.is_dict() || v.is_none(); };
  bool attributes = state.is_dict() ||
                    (state.is_tuple() && state.tuple().items.size() == 2 &&
                     dict_or_none(state.tuple().items[0]) && dict_or_none(state.tuple().items[1]));
  if (!attributes)
    throw TypeError("BUILD on a " + std::string(kind_name(target.kind())) +
                    " sets attributes from a dict or a (dict, dict) pair, not " +
                    std::string(kind_name(state.kind())));
  if (!*slot) *slot = make<ListNode>(resource());
  (*slot)->items.push_back(state);
}

Value Graph::buffer(std::span<const std::byte> data, bool readonly, size_t index) {
  auto* n = make<BufferNode>();
  n->data = data;
  n->index = index;
  if (readonly) n->flags |= kReadOnly;
  return Value(n);
}

}  // namespace pickle
