// The Writer: typed values written straight through the Emitter, as CPython's
// pickler writes the Python values they stand for (see [NOTE typed-seam]).
#include "pickle/typed/writer.hpp"

#include <string>

#include "model/bigint.hpp"
#include "reductions/table.hpp"
#include "text/text.hpp"
#include "typed/writer_state.hpp"

namespace pickle {

using detail::BatchForm;
using detail::Form;

namespace {

// Items::form_
enum : uint8_t {
  kList,
  kDict,
  kSet,            // EMPTY_SET ... ADDITEMS (protocol 4+)
  kSetCall,        // builtins.set([...]) below protocol 4
  kFrozenSet,      // MARK ... FROZENSET (protocol 4+)
  kFrozenSetCall,  // builtins.frozenset([...]) below protocol 4
  kTuple,
};

const BatchForm& batch_form(uint8_t form) {
  switch (form) {
    case kDict: return detail::kDictItems;
    case kSet: return detail::kSetItems;
    default: return detail::kListItems;
  }
}

bool batched(uint8_t form) {
  return form != kTuple && form != kFrozenSet;
}

}  // namespace

Writer::Writer(detail::WriterState& s) noexcept
    : s_(s), proto_(s.em.protocol()), max_depth_(s.enc.options().typed_max_depth) {}

void Writer::too_deep() {
  throw PicklingError("values nest deeper than " + std::to_string(max_depth_) +
                      " levels (DumpOptions::typed_max_depth): a recursive C++ structure?");
}

// ---- leaves -----------------------------------------------------------------------

void Writer::none() {
  s_.em.boundary();
  s_.em.none();
}

void Writer::boolean(bool b) {
  s_.em.boundary();
  s_.em.boolean(b);
}

void Writer::integer(int64_t i) {
  s_.em.boundary();
  s_.em.int64(i);
}

void Writer::integer(uint64_t u) {
  if (u <= static_cast<uint64_t>(INT64_MAX)) return integer(static_cast<int64_t>(u));
  uint8_t b[9] = {};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(u >> (8 * i));
  integer(std::span<const uint8_t>(b, 9));
}

void Writer::integer(std::span<const uint8_t> le_twos_complement) {
  std::span<const uint8_t> m = detail::minimal_twos(le_twos_complement);
  int64_t small;
  if (detail::twos_to_int64(m, small)) return integer(small);
  s_.em.boundary();
  s_.em.bigint(m);
}

void Writer::float64(double d) {
  s_.em.boundary();
  s_.em.float64(d);
}

void Writer::complex(double real, double imag) {
  // builtins.complex(real, imag) at every protocol: the reductions table's form.
  s_.enc.save_now(s_.enc.scratch().complex(real, imag));
  if (!s_.fast) s_.bind(depth_, s_.em.memo_size() - 1);
}

// A value CPython keeps as a singleton: a memo reference once written, memoized by
// its value (see [NOTE memo-keys]).
template <class Write>
void Writer::singleton(std::string key, const Write& write) {
  if (const uint32_t* i = s_.enc.find_keyed(key)) {
    s_.em.get(*i);
    return s_.bind(depth_, *i);
  }
  write();
  s_.enc.memoize_keyed(std::move(key));
  s_.bind(depth_, s_.em.memo_size() - 1);
}

void Writer::str(std::string_view utf8) {
  if (detail::check_utf8(utf8, true) != std::string_view::npos)
    throw PicklingError("str is not valid UTF-8");
  s_.em.boundary();
  if (s_.fast) return s_.em.str(utf8);
  if (detail::Encoder::single_char(utf8))  // a singleton in CPython
    return singleton("S" + std::string(utf8), [&] { s_.em.str(utf8); });
  s_.em.str(utf8);
  s_.bind(depth_, s_.enc.memoize_typed());
}

void Writer::name(std::string_view identifier) {
  s_.em.boundary();
  if (s_.fast) return s_.em.str(identifier);
  // A one-character name is the one-character singleton str: one object in CPython.
  if (detail::Encoder::single_char(identifier))
    return singleton("S" + std::string(identifier), [&] { s_.em.str(identifier); });
  // Known by the address of its text first (a field name's literal, the same at every
  // record), then, when that text says something else now, by the text.
  detail::WriterState::NameKey k{identifier.data(), identifier.size()};
  auto it = s_.names.find(k);
  if (it != s_.names.end() && it->second.text == identifier) return s_.em.get(it->second.index);
  std::string key = "A" + std::string(identifier);
  if (const uint32_t* i = s_.enc.find_keyed(key)) {
    s_.names.insert_or_assign(k, detail::WriterState::Name{*i, std::string(identifier)});
    return s_.em.get(*i);
  }
  if (detail::check_utf8(identifier, true) != std::string_view::npos)
    throw PicklingError("a name is not valid UTF-8");
  s_.em.str(identifier);
  s_.enc.memoize_keyed(std::move(key));
  s_.names.insert_or_assign(
      k, detail::WriterState::Name{s_.em.memo_size() - 1, std::string(identifier)});
}

void Writer::bytes(std::string_view data) {
  if (proto_ < 3) {
    // _codecs.encode(text, 'latin1'), or bytes(): the reductions table's lowering.
    uint32_t before = s_.em.memo_size();
    s_.enc.save_now(s_.enc.scratch().bytes(data));
    if (s_.em.memo_size() != before) s_.bind(depth_, s_.em.memo_size() - 1);
    return;
  }
  s_.em.boundary();
  if (s_.fast) return s_.em.bytes(data);
  if (data.size() <= 1)  // the empty bytes and one-byte bytes: singletons in CPython
    return singleton("B" + std::string(data), [&] { s_.em.bytes(data); });
  s_.em.bytes(data);
  s_.bind(depth_, s_.enc.memoize_typed());
}

void Writer::bytearray(std::string_view data) {
  if (proto_ < 5) {
    s_.enc.save_now(s_.enc.scratch().bytearray(data));
    if (!s_.fast) s_.bind(depth_, s_.em.memo_size() - 1);
    return;
  }
  s_.em.boundary();
  s_.em.bytearray(data);
  if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
}

void Writer::global(std::string_view module, std::string_view qualname) {
  s_.enc.save_global_now(module, qualname);
}

void Writer::value(Value v) {
  s_.enc.save_now(v);
}

// ---- containers -------------------------------------------------------------------

Writer::Items Writer::begin_list(size_t n) {
  s_.em.boundary();
  s_.em.empty_list();
  if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
  Items c;
  c.count_ = n;
  c.form_ = kList;
  c.phase_ = detail::BatchCursor::kBatchOpen;
  return c;
}

namespace {
// A list of immediates, batched as begin_list()/next()/end() batch it.
template <class T, class Put>
void immediates(detail::Emitter& em, std::span<const T> xs, Put put) {
  if (xs.empty()) return;
  detail::BatchCursor c{detail::BatchCursor::kBatchOpen, 0, 0};
  while (c.i < xs.size()) {
    if (c.i == c.j) em.next_exact_run(c, xs.size(), detail::kListItems);
    for (; c.i < c.j; ++c.i) {
      em.boundary();
      put(xs[c.i]);
    }
  }
  while (em.next_exact_run(c, xs.size(), detail::kListItems)) {
  }
}
}  // namespace

void Writer::list(std::span<const double> xs) {
  begin_list(xs.size());
  immediates(s_.em, xs, [&](double d) { s_.em.float64(d); });
}

void Writer::list(std::span<const int64_t> xs) {
  begin_list(xs.size());
  immediates(s_.em, xs, [&](int64_t i) { s_.em.int64(i); });
}

Writer::Items Writer::begin_dict(size_t n) {
  s_.em.boundary();
  s_.em.empty_dict();
  if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
  Items c;
  c.count_ = n;
  c.form_ = kDict;
  c.phase_ = detail::BatchCursor::kBatchOpen;
  return c;
}

Writer::Items Writer::begin_tuple(size_t n) {
  s_.em.boundary();
  if (n > 0 && s_.em.tuple_marked(n)) s_.em.opcode(Op::mark);
  ++depth_;  // the items are parts of the tuple, memoized after them
  Items c;
  c.count_ = n;
  c.form_ = kTuple;
  return c;
}

Writer::Items Writer::begin_set(size_t n) {
  if (proto_ >= detail::lowering(Form::set).native_from) {
    s_.em.boundary();
    s_.em.opcode(Op::empty_set);
    if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
    return set_items(n, kSet);
  }
  return begin_set_call(Form::set, n, kSetCall);
}

Writer::Items Writer::begin_frozenset(size_t n) {
  if (proto_ >= detail::lowering(Form::frozenset).native_from) {
    s_.em.boundary();
    s_.em.opcode(Op::mark);
    ++depth_;  // the items are parts of the frozenset, memoized after them
    return set_items(n, kFrozenSet);
  }
  return begin_set_call(Form::frozenset, n, kFrozenSetCall);
}

Writer::Items Writer::set_items(size_t n, uint8_t form) {
  Items c;
  c.count_ = n;
  c.phase_ = detail::BatchCursor::kBatchOpen;
  c.form_ = form;
  return c;
}

// Below the protocol that has opcodes for it, a set or frozenset is the reductions
// table's call of its type on a list of the items: set([...]).
Writer::Items Writer::begin_set_call(Form form, size_t n, uint8_t items_form) {
  const detail::Reduction& r = detail::lowering(form);
  begin_reduce(r.module, r.name);
  begin_tuple(1);
  s_.em.boundary();
  s_.em.empty_list();
  if (!s_.fast) s_.enc.memoize_typed();
  return set_items(n, items_form);
}

void Writer::next(Items& c) {
  const size_t per = c.form_ == kDict ? 2 : 1;
  if (c.written_ >= c.count_ * per)
    throw PicklingError("a codec wrote more items than the " + std::to_string(c.count_) +
                        " it began its container with");
  ++c.written_;
  if (!batched(c.form_)) return;
  detail::BatchCursor cur{c.phase_, c.i_, c.j_};
  if (cur.i == cur.j) s_.em.next_exact_run(cur, c.count_, batch_form(c.form_));
  ++cur.i;
  c.phase_ = cur.phase;
  c.i_ = cur.i;
  c.j_ = cur.j;
}

void Writer::end(Items& c) {
  const size_t per = c.form_ == kDict ? 2 : 1;
  if (c.written_ != c.count_ * per)
    throw PicklingError("a codec wrote " + std::to_string(c.written_ / per) +
                        " items where it began its container with " + std::to_string(c.count_));
  if (batched(c.form_) && c.count_ > 0) {
    detail::BatchCursor cur{c.phase_, c.i_, c.j_};
    while (s_.em.next_exact_run(cur, c.count_, batch_form(c.form_))) {
    }
  }
  switch (c.form_) {
    case kTuple:
      --depth_;
      if (c.count_ == 0) return s_.em.empty_tuple();  // not memoized, as in CPython
      s_.em.end_tuple(c.count_);
      if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
      return;
    case kFrozenSet:
      --depth_;
      s_.em.opcode(Op::frozenset);
      if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
      return;
    case kSetCall:
    case kFrozenSetCall: {
      Items t;
      t.count_ = 1;
      t.written_ = 1;
      t.form_ = kTuple;
      end(t);
      return end_reduce();
    }
    default: return;
  }
}

// ---- objects ----------------------------------------------------------------------

void Writer::begin_reduce(std::string_view module, std::string_view name) {
  s_.em.boundary();
  global(module, name);
  ++depth_;  // the arguments are parts of the call, memoized before its result
}

void Writer::end_reduce() {
  --depth_;
  s_.em.opcode(Op::reduce);
  if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
}

void Writer::begin_instance(std::string_view module, std::string_view qualname) {
  s_.em.boundary();
  if (proto_ >= 2) {
    global(module, qualname);
    ++depth_;
    return;
  }
  // copyreg._reconstructor(cls, object, None), as copyreg._reduce_ex writes an
  // instance of a plain class.
  const detail::Reduction& r = detail::lowering(Form::reconstructed);
  global(r.module, r.name);
  ++depth_;
  Items t = begin_tuple(3);
  next(t);
  global(module, qualname);
  next(t);
  global("builtins", "object");
  next(t);
  none();
  end(t);
}

void Writer::end_instance() {
  --depth_;
  s_.em.opcode(proto_ >= 2 ? Op::newobj : Op::reduce);
  if (!s_.fast) s_.bind(depth_, s_.enc.memoize_typed());
}

void Writer::build() {
  s_.em.opcode(Op::build);
}

void Writer::persistent_text(std::string_view id) {
  s_.em.boundary();
  s_.em.persid(id);
}

void Writer::persistent_binary() {
  s_.em.opcode(Op::binpersid);
}

// ---- identity ---------------------------------------------------------------------

bool Writer::begin_shared(const void* address, const void* tag, std::shared_ptr<const void> keep) {
  detail::Encoder::AddressKey key{address, tag};
  if (!s_.fast) {
    if (const uint32_t* i = s_.enc.find_address(key)) {
      s_.em.boundary();
      s_.em.get(*i);
      return false;
    }
  }
  if (!s_.open.insert(key).second)
    throw PicklingError(
        s_.fast ? "a shared_ptr reaches itself, which fast mode (no memo) cannot write"
                : "a shared_ptr reaches itself through a value written before it is memoized "
                  "(a tuple, or a reduction's arguments), which no pickle can express");
  s_.pending.push_back({key, std::move(keep), depth_ + 1, s_.fast});
  return true;
}

void Writer::end_shared() {
  s_.open.erase(s_.pending.back().key);
  s_.pending.pop_back();
}

}  // namespace pickle
