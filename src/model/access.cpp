// Value's checked accessors and kind names.
#include <bit>
#include <string>

#include "model/bigint.hpp"
#include "pickle/value.hpp"

namespace pickle {

std::string_view kind_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::Complex: return "complex";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::ByteArray: return "bytearray";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::FrozenSet: return "frozenset";
    case Kind::Global: return "global";
    case Kind::Object: return "object";
    case Kind::PersistentRef: return "persistent id";
    case Kind::Buffer: return "buffer";
  }
  return "?";
}

namespace {
[[noreturn]] void wrong_kind(Value v, const char* wanted) {
  throw TypeError(std::string("expected ") + wanted + ", got " + std::string(kind_name(v.kind())));
}
template <class T>
T& node_as(Value v, bool ok, const char* wanted) {
  if (!ok) wrong_kind(v, wanted);
  return *static_cast<T*>(v.node());
}
}  // namespace

bool Value::as_bool() const {
  if (kind_ != Kind::Bool) wrong_kind(*this, "bool");
  return i_ != 0;
}

int64_t Value::as_int() const {
  if (kind_ == Kind::Bool) return i_;
  if (kind_ != Kind::Int) wrong_kind(*this, "int");
  if (big_) throw OverflowError("int does not fit in 64 bits");
  return i_;
}

double Value::as_float() const {
  switch (kind_) {
    case Kind::Float: return d_;
    case Kind::Bool: return static_cast<double>(i_);
    case Kind::Int: {
      if (!big_) return static_cast<double>(i_);
      double d;
      if (!detail::twos_to_double(bigint().bytes, d))
        throw OverflowError("int too large to convert to float");
      return d;
    }
    default: wrong_kind(*this, "float");
  }
}

std::string_view Value::as_str() const {
  return str().text;
}
std::string_view Value::as_bytes() const {
  return bytes().data;
}

const BigIntNode& Value::bigint() const {
  return node_as<BigIntNode>(*this, is_bigint(), "big int");
}
const ComplexNode& Value::complex() const {
  return node_as<ComplexNode>(*this, kind_ == Kind::Complex, "complex");
}
StrNode& Value::str() const {
  return node_as<StrNode>(*this, kind_ == Kind::Str, "str");
}
BytesNode& Value::bytes() const {
  return node_as<BytesNode>(*this, kind_ == Kind::Bytes || kind_ == Kind::ByteArray, "bytes");
}
TupleNode& Value::tuple() const {
  return node_as<TupleNode>(*this, kind_ == Kind::Tuple, "tuple");
}
ListNode& Value::list() const {
  return node_as<ListNode>(*this, kind_ == Kind::List, "list");
}
DictNode& Value::dict() const {
  return node_as<DictNode>(*this, kind_ == Kind::Dict, "dict");
}
SetNode& Value::set() const {
  return node_as<SetNode>(*this, kind_ == Kind::Set || kind_ == Kind::FrozenSet, "set");
}
GlobalNode& Value::global() const {
  return node_as<GlobalNode>(*this, kind_ == Kind::Global, "global");
}
ObjectNode& Value::object() const {
  return node_as<ObjectNode>(*this, kind_ == Kind::Object, "object");
}
PersistentRefNode& Value::persistent_ref() const {
  return node_as<PersistentRefNode>(*this, kind_ == Kind::PersistentRef, "persistent id");
}
BufferNode& Value::buffer() const {
  return node_as<BufferNode>(*this, kind_ == Kind::Buffer, "buffer");
}

bool Value::is(Value other) const noexcept {
  if (kind_ != other.kind_) return false;
  if (is_node()) return n_ == other.n_;
  if (kind_ == Kind::Float) return std::bit_cast<uint64_t>(d_) == std::bit_cast<uint64_t>(other.d_);
  return i_ == other.i_;
}

std::span<const Value> Value::items() const {
  switch (kind_) {
    case Kind::Tuple: return tuple().items;
    case Kind::List: return list().items;
    case Kind::Set:
    case Kind::FrozenSet: return set().items;
    default: wrong_kind(*this, "tuple, list, set or frozenset");
  }
}

size_t Value::size() const {
  switch (kind_) {
    case Kind::Dict: return dict().entries.size();
    case Kind::Str: return str().text.size();
    case Kind::Bytes:
    case Kind::ByteArray: return bytes().data.size();
    default: return items().size();
  }
}

Value Value::operator[](size_t i) const {
  std::span<const Value> xs;
  if (kind_ == Kind::Tuple)
    xs = tuple().items;
  else if (kind_ == Kind::List)
    xs = list().items;
  else
    wrong_kind(*this, "tuple or list");
  if (i >= xs.size()) throw IndexError("index " + std::to_string(i) + " out of range");
  return xs[i];
}

Value Value::operator[](std::string_view key) const {
  const Value* v = dict().find(key);
  if (!v) throw KeyError("key '" + std::string(key) + "' not found");
  return *v;
}

const GlobalNode* ObjectNode::callable_global() const noexcept {
  return callable.kind() == Kind::Global ? static_cast<const GlobalNode*>(callable.node())
                                         : nullptr;
}

}  // namespace pickle
