// The Reader: typed loads read from a loaded value, with the path of every error.
#include "pickle/typed/reader.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "model/bigint.hpp"
#include "pickle/repr.hpp"
#include "pickle/typed/std.hpp"
#include "pickle/typed/struct.hpp"
#include "text/text.hpp"
#include "typed/reader_state.hpp"

namespace pickle {

namespace {

std::string short_repr(Value v) {
  return repr(v, ReprOptions{.max_bytes = 200, .cut_at_limit = true});
}

std::string int_text(Value v) {
  if (v.is_bigint()) return detail::twos_to_decimal(v.bigint().bytes);
  return std::to_string(v.raw_int());
}

}  // namespace

Reader::Reader(detail::ReaderState& s, Value v) noexcept
    : s_(&s),
      v_(v),
      max_depth_(static_cast<uint32_t>(std::min<size_t>(s.options.max_depth, UINT32_MAX))),
      values_left_(&s.values_left) {}

void Reader::too_many() const {
  ++*values_left_;  // the count wrapped below zero: put it back
  fail(ErrorCode::limit_exceeded,
       "more values read than TypedLoadOptions::max_values allows (a value shared through the "
       "memo is read again at every reference)");
}

void Reader::too_deep() const {
  fail(ErrorCode::limit_exceeded, "values nest deeper than " +
                                      std::to_string(s_->options.max_depth) +
                                      " levels (LoadOptions::typed.max_depth)");
}

// ---- errors -----------------------------------------------------------------------

std::string Reader::path() const {
  std::vector<const Reader*> chain;
  for (const Reader* r = this; r && r->step_ != Step::top; r = r->parent_) chain.push_back(r);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Reader& r = **it;
    switch (r.step_) {
      case Step::top: break;
      case Step::index: out += "[" + std::to_string(r.index_) + "]"; break;
      case Step::key:
        out += "[";
        if (r.name_.data())
          detail::append_str_repr(out, r.name_);
        else
          out += short_repr(r.key_);
        out += "]";
        break;
      case Step::dict_key: out += "<key " + short_repr(r.key_) + ">"; break;
      case Step::attribute:
        out += ".";
        detail::append_name_repr(out, r.name_);
        break;
      case Step::arg: out += ".args[" + std::to_string(r.index_) + "]"; break;
    }
  }
  return out;
}

std::string Reader::found() const {
  switch (v_.kind()) {
    case Kind::None: return "None";
    case Kind::Int: return "int " + int_text(v_);
    case Kind::Global: {
      std::string s = "global ";
      detail::append_name_repr(s, v_.global().module);
      s += ".";
      detail::append_name_repr(s, v_.global().name);
      return s;
    }
    case Kind::Object: {
      const GlobalNode* g = v_.object().callable_global();
      if (!g) return "object";
      std::string s;
      detail::append_name_repr(s, g->module);
      s += ".";
      detail::append_name_repr(s, g->name);
      return s + " object";
    }
    case Kind::PersistentRef: return "persistent id";
    case Kind::Buffer: return "PickleBuffer";
    default: return std::string(kind_name(v_.kind()));
  }
}

void Reader::fail(std::string_view expected) const {
  fail(ErrorCode::type_error, "expected " + std::string(expected) + ", found " + found());
}

void Reader::fail(ErrorCode code, const std::string& detail) const {
  throw TypedError(code, path(), detail);
}

// ---- leaves -----------------------------------------------------------------------

void Reader::expect_none() const {
  if (!v_.is_none()) fail("None");
}

bool Reader::as_bool() const {
  if (!v_.is_bool()) fail("bool");
  return v_.raw_int() != 0;
}

int64_t Reader::signed_int(int64_t lo, int64_t hi) const {
  if (!v_.is_int()) fail("int");
  if (v_.is_bigint() || v_.raw_int() < lo || v_.raw_int() > hi)
    fail(ErrorCode::overflow, "expected an int from " + std::to_string(lo) + " to " +
                                  std::to_string(hi) + ", found " + int_text(v_));
  return v_.raw_int();
}

uint64_t Reader::unsigned_int(uint64_t hi) const {
  if (!v_.is_int()) fail("int");
  uint64_t u = 0;
  bool fits;
  if (v_.is_bigint()) {
    std::span<const uint8_t> b = v_.bigint().bytes;
    fits = !b.empty() && !(b.back() & 0x80) && b.size() <= 9 && (b.size() < 9 || b[8] == 0);
    for (size_t i = 0; fits && i < std::min<size_t>(b.size(), 8); ++i)
      u |= uint64_t(b[i]) << (8 * i);
  } else {
    fits = v_.raw_int() >= 0;
    u = static_cast<uint64_t>(v_.raw_int());
  }
  if (!fits || u > hi)
    fail(ErrorCode::overflow,
         "expected an int from 0 to " + std::to_string(hi) + ", found " + int_text(v_));
  return u;
}

std::string Reader::as_int_bytes() const {
  if (!v_.is_int()) fail("int");
  if (v_.is_bigint()) {
    std::span<const uint8_t> b = v_.bigint().bytes;
    return std::string(b.begin(), b.end());
  }
  std::vector<uint8_t> b = detail::int64_to_twos(v_.raw_int());
  return std::string(b.begin(), b.end());
}

std::string Reader::int_bytes(size_t width, bool is_signed) const {
  std::string b = as_int_bytes();
  bool negative = !b.empty() && (static_cast<uint8_t>(b.back()) & 0x80);
  bool fits = is_signed
                  ? b.size() <= width
                  : !negative && (b.size() <= width || (b.size() == width + 1 && b.back() == '\0'));
  if (!fits)
    fail(ErrorCode::overflow, "expected a" + std::string(is_signed ? " signed" : "n unsigned") +
                                  " " + std::to_string(width * 8) + "-bit int, found " +
                                  int_text(v_));
  b.resize(width, negative ? '\xff' : '\0');
  return b;
}

double Reader::float_of_int() const {
  if (v_.is_int()) {
    double d;
    std::vector<uint8_t> back;
    std::string b = as_int_bytes();
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(b.data()), b.size());
    if (detail::twos_to_double(bytes, d) && detail::double_to_twos(d, back) &&
        std::equal(back.begin(), back.end(), bytes.begin(), bytes.end()))
      return d;
    fail(ErrorCode::overflow,
         "expected a float, found " + int_text(v_) + ", an int that a float does not hold exactly");
  }
  fail("float");
}

std::pair<double, double> Reader::as_complex() const {
  if (v_.kind() == Kind::Complex) return {v_.complex().real, v_.complex().imag};
  if (v_.is_float() || v_.is_int()) return {as_float(), 0.0};
  fail("complex");
}

std::string_view Reader::as_bytes() const {
  if (!v_.is_bytes()) fail("bytes");
  return v_.bytes().data;
}

std::string_view Reader::as_bytearray() const {
  if (v_.kind() != Kind::ByteArray) fail("bytearray");
  return v_.bytes().data;
}

std::pair<std::string_view, std::string_view> Reader::as_global() const {
  if (v_.kind() != Kind::Global) fail("a global");
  return {v_.global().module, v_.global().name};
}

// ---- containers -------------------------------------------------------------------

size_t Reader::entries() const {
  if (!v_.is_dict()) fail("dict");
  return v_.dict().entries.size();
}

Reader Reader::entry_key(size_t i) const& {
  size_t n = entries();
  if (i >= n) out_of_range(i);
  Value k = v_.dict().entries[i].first;
  return child(k, Step::dict_key, 0, k, {});
}

Reader Reader::entry_value(size_t i) const& {
  size_t n = entries();
  if (i >= n) out_of_range(i);
  const auto& e = v_.dict().entries[i];
  return child(e.second, Step::key, 0, e.first, {});
}

void Reader::out_of_range(size_t i) const {
  throw IndexError("pickle::Reader: item " + std::to_string(i) + " of " + found() + " at " +
                   (path().empty() ? std::string("the top") : path()));
}

std::optional<Reader> Reader::find(std::string_view key) const& {
  if (!v_.is_dict()) fail("dict");
  const Value* x = v_.dict().find(key);
  if (!x) return std::nullopt;
  return child(*x, Step::key, 0, Value(), key);
}

Reader Reader::at(std::string_view key) const& {
  std::optional<Reader> x = find(key);
  if (!x)
    fail(
        ErrorCode::key_error, "missing key " + [&] {
          std::string s;
          detail::append_str_repr(s, key);
          return s;
        }());
  return *x;
}

// ---- objects ----------------------------------------------------------------------

const ObjectNode& Reader::object() const {
  if (!v_.is_object()) fail("an object");
  return v_.object();
}

void Reader::object_of(std::string_view module, std::string_view qualname) const {
  const GlobalNode* g = v_.is_object() ? v_.object().callable_global() : nullptr;
  if (!g || g->module != module || g->name != qualname) {
    std::string want;
    detail::append_name_repr(want, module);
    want += ".";
    detail::append_name_repr(want, qualname);
    fail(want + " object");
  }
}

size_t Reader::arg_count() const {
  const ObjectNode& o = object();
  return o.args.is_tuple() ? o.args.items().size() : 0;
}

Reader Reader::arg(size_t i) const& {
  const ObjectNode& o = object();
  size_t n = arg_count();
  if (i >= n)
    fail(ErrorCode::type_error, "expected an argument " + std::to_string(i) +
                                    " to the call, found " + std::to_string(n) + " arguments");
  return child(o.args.items()[i], Step::arg, i, Value(), {});
}

std::optional<Reader> Reader::state() const& {
  const ObjectNode& o = object();
  if (o.states.empty()) return std::nullopt;
  return child(o.states.back(), Step::attribute, 0, Value(), "__getstate__()");
}

namespace {
// The dicts of a BUILD state: the state itself, or (state, slots) of a class with
// __slots__, either of which may be None.
void state_dicts(Value state, const DictNode* out[2]) {
  out[0] = out[1] = nullptr;
  if (state.is_dict()) {
    out[0] = &state.dict();
  } else if (state.is_tuple() && state.items().size() == 2) {
    for (int k = 0; k < 2; ++k)
      if (state.items()[k].is_dict()) out[k] = &state.items()[k].dict();
  }
}
}  // namespace

std::optional<Reader> Reader::attribute(std::string_view name) const& {
  const ObjectNode& o = object();
  if (o.states.empty()) return std::nullopt;
  const DictNode* dicts[2];
  state_dicts(o.states.back(), dicts);
  for (const DictNode* d : dicts) {
    if (!d) continue;
    if (const Value* x = d->find(name)) return child(*x, Step::attribute, 0, Value(), name);
  }
  return std::nullopt;
}

std::optional<Reader> Reader::attribute(std::string_view name, size_t hint) const& {
  const ObjectNode& o = object();
  if (o.states.empty()) return std::nullopt;
  Value state = o.states.back();
  if (state.is_dict()) {
    const auto& e = state.dict().entries;
    if (hint < e.size() && e[hint].first.is_str() && e[hint].first.str().text == name)
      return child(e[hint].second, Step::attribute, 0, Value(), name);
  }
  return attribute(name);
}

size_t Reader::attribute_count() const {
  const ObjectNode& o = object();
  if (o.states.empty()) return 0;
  const DictNode* dicts[2];
  state_dicts(o.states.back(), dicts);
  return (dicts[0] ? dicts[0]->size() : 0) + (dicts[1] ? dicts[1]->size() : 0);
}

bool Reader::ignore_extra_keys() const noexcept {
  return s_->options.ignore_extra_keys;
}

// ---- identity ---------------------------------------------------------------------

std::shared_ptr<void> Reader::find_shared(const void* tag) const {
  if (!v_.is_node()) return nullptr;
  auto it = s_->shared.find({v_.node(), tag});
  if (it == s_->shared.end()) return nullptr;
  if (it->second.filling && !s_->options.allow_shared_cycles)
    fail(ErrorCode::type_error,
         "a shared object that contains itself (a cycle of shared_ptrs, which would never be "
         "freed): refused unless TypedLoadOptions::allow_shared_cycles");
  return it->second.object;
}

void Reader::remember_shared(const void* tag, std::shared_ptr<void> p) const {
  if (v_.is_node())
    s_->shared.insert_or_assign(detail::ReaderState::SharedKey{v_.node(), tag},
                                detail::ReaderState::Shared{std::move(p), true});
}

void Reader::filled_shared(const void* tag) const {
  if (!v_.is_node()) return;
  auto it = s_->shared.find({v_.node(), tag});
  if (it != s_->shared.end()) it->second.filling = false;
}

void codec<Value>::load(const Reader& r, Value& v) {
  if (!r.s_->graph_outlives)
    throw UsageError(
        "a pickle::Value read by a typed load needs a Graph that outlives it: use "
        "pickle::loads<T>(bytes, graph) or pickle::from_value<T>(value)");
  v = r.value();
}

namespace detail {

[[noreturn]] void fail_extra_key(const Reader& r, Value dict,
                                 bool (*is_field)(std::string_view, const void*),
                                 const void* fields, const char* what) {
  const DictNode* dicts[2] = {nullptr, nullptr};
  if (dict.is_dict())
    dicts[0] = &dict.dict();
  else if (r.value().is_object() && !r.value().object().states.empty())
    state_dicts(r.value().object().states.back(), dicts);
  for (const DictNode* d : dicts) {
    if (!d) continue;
    for (const auto& [k, v] : d->entries) {
      if (k.is_str() && is_field(k.str().text, fields)) continue;
      r.fail(ErrorCode::key_error, std::string("unexpected ") + what + " " + short_repr(k));
    }
  }
  r.fail(ErrorCode::key_error, std::string("unexpected ") + what);
}

}  // namespace detail

}  // namespace pickle
