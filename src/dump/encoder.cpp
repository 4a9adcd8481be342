// The Encoder's walk: one pickle, the task loop, tuples, lists, dicts, sets and
// frozensets, reductions and their items, and the memo's keys by value.
#include "dump/encoder.hpp"

#include <algorithm>

namespace pickle::detail {

void Encoder::dump(Value v) {
  dump_with([&] {
    save(v);
    run();
  });
}

std::string Encoder::value_key(Value v) const {
  switch (v.kind()) {
    case Kind::Global: {
      // Keyed by the names written, so Python 2's `int` and `long` stay two globals.
      std::string_view module, name;
      text_names(as<GlobalNode>(v), proto_, opt_.fix_imports, module, name);
      return std::string("G") + std::string(module) + '\n' + std::string(name);
    }
    case Kind::Str: {
      auto t = as<StrNode>(v).text;
      if (single_char(t) && !(as<StrNode>(v).flags & kPy2Str)) return "S" + std::string(t);
      return {};
    }
    case Kind::Bytes:
      if (as<BytesNode>(v).data.size() <= 1 && !(as<BytesNode>(v).flags & kPy2Str))
        return "B" + std::string(as<BytesNode>(v).data);
      return {};
    default: return {};
  }
}

void Encoder::save_interned(char space, std::string_view s) {
  std::string key = std::string(1, space) + std::string(s);
  if (!opt_.fast) {
    auto it = named_memo_.find(key);
    if (it != named_memo_.end()) return em_.get(it->second);
  }
  em_.str(s);
  if (!opt_.fast) named_memo_.emplace(std::move(key), em_.memoize());
}

void Encoder::run() {
  while (!tasks_.empty()) {
    Task t = tasks_.back();
    tasks_.pop_back();
    switch (t.kind) {
      case T::save: save(t.v, t.phase != kNoPersistentId); break;
      case T::persid: em_.opcode(Op::binpersid); break;
      case T::tuple: tuple_step(t); break;
      case T::list: list_step(t); break;
      case T::dict: dict_step(t); break;
      case T::set: set_step(t); break;
      case T::frozenset: frozenset_step(t); break;
      case T::reduce: reduce_step(t); break;
      case T::global_path: global_path_step(t); break;
      case T::call: call_step(t); break;
      case T::states: states_step(t); break;
    }
  }
}

void Encoder::states_step(Task t) {
  auto states = build_states(t.v);
  if (t.i > 0) em_.opcode(Op::build);
  if (t.i < states.size()) {
    tasks_.push_back({T::states, 0, t.i + 1, t.v, nullptr});
    save(states[t.i]);
  }
}

void Encoder::tuple_step(Task t) {
  auto items = as<TupleNode>(t.v).items;
  size_t n = items.size();
  if (t.phase == 0) {
    if (n == 0) {
      leave(t.v);
      return em_.empty_tuple();
    }
    if (em_.tuple_marked(n)) em_.opcode(Op::mark);
    t.phase = 1;
  }
  while (t.i < n) {
    Value item = items[t.i];
    ++t.i;
    if (save_item(t, item)) return;
  }
  leave(t.v);
  if (!opt_.fast) {
    if (const uint32_t* i = memo_.find(t.v.node())) {
      // The tuple was written while writing its items: it is recursive. Drop what
      // the items pushed and fetch it from the memo.
      if (!em_.tuple_marked(n)) {
        for (size_t k = 0; k < n; ++k) em_.opcode(Op::pop);
      } else if (proto_ >= 1) {
        em_.opcode(Op::pop_mark);
      } else {
        for (size_t k = 0; k <= n; ++k) em_.opcode(Op::pop);
      }
      return em_.get(*i);
    }
  }
  em_.end_tuple(n);
  memoize(t.v);
}

template <class ValueAt>
bool Encoder::exact_items(Task& t, size_t count, const BatchForm& form, const ValueAt& value_at) {
  const size_t total = count * form.per;
  for (;;) {
    if (t.i == t.j && !em_.next_exact_run(t, count, form)) return false;
    // A run of immediates (ints, floats, None, bools) is written right here: the
    // commonest items of big lists, and they schedule nothing.
    if (!opt_.persistent_id) {
      for (Value x; t.i < t.j && !(x = value_at(t.i)).is_node(); ++t.i) {
        em_.boundary();
        save_immediate(x);
      }
      if (t.i == t.j) continue;
    }
    if (t.i + kPrefetch < total) {
      if (Node* ahead = value_at(t.i + kPrefetch).node()) memo_.prefetch(ahead);
    }
    Value x = value_at(t.i++);
    if (save_item(t, x)) return true;
  }
}

void Encoder::list_step(Task t) {
  const auto& items = as<ListNode>(t.v).items;
  if (t.phase == 0) {  // the opener
    em_.empty_list();
    memoize(t.v);
    if (items.empty()) return finish(t.v);
    t.phase = BatchCursor::kBatchOpen;
  }
  if (!exact_items(t, items.size(), kListItems, [&](size_t k) { return items[k]; })) finish(t.v);
}

void Encoder::dict_step(Task t) {
  const DictNode& d = as<DictNode>(t.v);
  if (t.phase == 0) {  // the opener
    em_.empty_dict();
    memoize(t.v);
    if (d.entries.empty()) return finish(t.v);
    t.phase = BatchCursor::kBatchOpen;
  }
  if (!exact_items(t, d.entries.size(), kDictItems, [&](size_t k) {
        return k % 2 ? d.entries[k / 2].second : d.entries[k / 2].first;
      }))
    finish(t.v);
}

void Encoder::set_step(Task t) {
  const auto& items = as<SetNode>(t.v).items;
  if (t.phase == 0) {  // the opener
    em_.opcode(Op::empty_set);
    memoize(t.v);
    if (items.empty()) return finish(t.v);
    t.phase = BatchCursor::kBatchOpen;  // sets use MARK ... ADDITEMS even for one item
  }
  if (!exact_items(t, items.size(), kSetItems, [&](size_t k) { return items[k]; })) finish(t.v);
}

void Encoder::frozenset_step(Task t) {
  const auto& items = as<SetNode>(t.v).items;
  if (t.phase == 0) {
    em_.opcode(Op::mark);
    t.phase = 1;
  }
  if (t.i < items.size()) {
    Value item = items[t.i++];
    tasks_.push_back(t);
    return push_save(item);
  }
  leave(t.v);
  close(t.v);
  if (!opt_.fast) {
    if (const uint32_t* i = memo_.find(t.v.node())) {
      em_.opcode(Op::pop_mark);
      return em_.get(*i);
    }
  }
  em_.opcode(Op::frozenset);
  memoize(t.v);
  schedule_states(t.v);  // leave() was called above, before the memo check
}

void Encoder::reduce_step(Task t) {
  const ObjectNode& o = *t.o;
  auto again = [&](uint8_t phase, uint32_t i) {
    t.phase = phase;
    t.i = i;
    tasks_.push_back(t);
  };
  // A phase with nothing left to write goes on to the next one in this loop, not
  // through a task of its own.
  auto next = [&](uint8_t phase) {
    t.phase = phase;
    t.i = 0;
    t.j = 0;
  };
  for (;;) switch (t.phase) {
      case 0: {
        again(1, 0);
        // Pushed in reverse: the callable is written first. What would be the last task
        // pushed is saved at once instead, as run() would do next (so below too).
        switch (o.how) {
          case BuildKind::reduce:
          case BuildKind::newobj: push_save(o.args); return save(o.callable);
          case BuildKind::newobj_ex:
            push_save(o.kwargs);
            push_save(o.args);
            return save(o.callable);
          case BuildKind::obj: {
            auto args = o.args.tuple().items;
            for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
            push_save(o.callable);
            em_.opcode(Op::mark);
            return;
          }
          case BuildKind::inst: {
            auto args = o.args.tuple().items;
            for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
            em_.opcode(Op::mark);
            return;
          }
        }
        return;
      }
      case 1: {
        switch (o.how) {
          case BuildKind::reduce: em_.opcode(Op::reduce); break;
          case BuildKind::newobj: em_.opcode(Op::newobj); break;
          case BuildKind::newobj_ex: em_.opcode(Op::newobj_ex); break;
          case BuildKind::obj: em_.opcode(Op::obj); break;
          case BuildKind::inst: {
            std::string_view module, name;
            text_names(*o.callable_global(), proto_, opt_.fix_imports, module, name);
            em_.inst(module, name);
            break;
          }
        }
        if (!opt_.fast) {
          if (const uint32_t* i = memo_find(t.v)) {
            // Written while writing its arguments: recursive. Use the memo's copy,
            // which was written whole, items and state included. CPython writes the
            // items and state a second time here, as its objects reduce afresh; in a
            // graph that would apply them twice on load, so a loaded pickle would not
            // load back the same.
            em_.opcode(Op::pop);
            em_.get(*i);
            close(t.v);
            return;
          } else {
            memoize(t.v);
          }
        }
        next(2);
        continue;
      }
      case 2:
        if (!o.list_items.empty() && iterator_item(t, o.list_items.size(), kListItems)) return;
        next(3);
        continue;
      case 3:
        if (!o.dict_items.empty() && iterator_item(t, o.dict_items.size(), kDictItems)) return;
        next(4);
        continue;
      case 4:
        if (t.i > 0) em_.opcode(Op::build);
        if (t.i < o.states.size()) {
          Value s = o.states[t.i];
          again(4, t.i + 1);
          return save(s);
        }
        next(5);
        continue;
      case 5: {
        size_t n = o.calls.kind() == Kind::List ? o.calls.list().items.size() : 0;
        if (t.i < n) {
          Value call = o.calls.list().items[t.i];
          again(5, t.i + 1);
          if (call.kind() != Kind::Object || call.object().args.kind() != Kind::Tuple)
            throw PicklingError("an object's discarded call must be an object with a tuple");
          tasks_.push_back({T::call, 0, 0, call, nullptr});
          return;
        }
        if (opt_.fast) in_progress_.erase(t.v.node());
        close(t.v);
        return;
      }
    }
}

void Encoder::call_step(Task t) {
  const ObjectNode& c = t.v.object();
  auto args = c.args.tuple().items;
  bool marked = args.empty() ? proto_ == 0 : args.size() > 3 || proto_ < 2;
  switch (t.phase) {
    case 0: tasks_.push_back({T::call, 1, 0, t.v, nullptr}); return save(c.callable);
    case 1:
      if (marked) em_.opcode(Op::mark);
      tasks_.push_back({T::call, 2, 0, t.v, nullptr});
      for (size_t k = args.size(); k-- > 0;) push_save(args[k]);
      return;
    default:
      if (marked)
        em_.opcode(Op::tuple);
      else if (args.empty())
        em_.opcode(Op::empty_tuple);
      else
        em_.opcode(args.size() == 1 ? Op::tuple1 : args.size() == 2 ? Op::tuple2 : Op::tuple3);
      em_.opcode(Op::reduce);
      em_.opcode(Op::pop);
      return;
  }
}

bool Encoder::iterator_item(Task& t, size_t count, const BatchForm& form) {
  if (t.i == t.j && !em_.next_iterator_run(t, count, form)) return false;
  const ObjectNode& o = *t.o;
  size_t k = t.i++;
  Value x = form.per == 1 ? o.list_items[k]
                          : (k % 2 ? o.dict_items[k / 2].second : o.dict_items[k / 2].first);
  tasks_.push_back(t);
  save(x);
  return true;
}

}  // namespace pickle::detail
