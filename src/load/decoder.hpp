// The opcode machine. Decoding is separate from building: the Reader (reader.hpp)
// reads opcodes and their arguments; Decoder<B> keeps the stack, the marks and the memo
// (memo.hpp), and asks a Builder (builder.hpp) to make and combine items. The value
// builder (value_builder.cpp), noload (noload.hpp) and the opcode walker of the tools
// (src/tools/ops.cpp) are builders of this one machine, so none of them can disagree
// about where an opcode starts or whether a stream is valid. See [NOTE one-reader] and
// [NOTE builder-contract].
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "load/builder.hpp"
#include "load/memo.hpp"
#include "load/reader.hpp"
#include "load/stack.hpp"
#include "model/scratch_alloc.hpp"
#include "pickle/error.hpp"
#include "pickle/load.hpp"
#include "pickle/opcodes.hpp"
#include "reductions/names.hpp"

namespace pickle::detail {

/// State that outlives one load(): the memo (CPython keeps it between loads).
template <class Item>
struct MachineState {
  Memo<Item> memo;
  ItemStack<Item> stack;
  std::vector<size_t> marks;
  /// Draws the large tables from this pool (nullptr: the system); before any load.
  void use_pool(MemoryPool* pool) {
    memo.use_pool(pool);
    stack = ItemStack<Item>(pool);
  }
};

/// Runs pickles through a Builder (builder.hpp). See [NOTE builder-contract].
template <class B>
class Decoder {
  static_assert(check_builder<B>(), "the Decoder's builder must satisfy detail::Builder");

 public:
  using Item = typename B::Item;

  Decoder(Source& src, const LoadOptions& options, B& builder, MachineState<Item>& state)
      : r_(src, options.limits), opt_(options), b_(builder), st_(state) {}

  /// Runs one pickle to STOP and returns the top of the stack.
  Item run() {
    start();
    uint8_t op = 0;
    bool have_op = false;
    try {
      for (;;) {
        have_op = false;
        if (!r_.next_opcode(op)) truncated();
        have_op = true;
        if (step(op)) break;
        check_growth();
      }
    } catch (Failure& f) {
      failed(f, have_op, op);
    }
    r_.sync_out();
    return result_;
  }

  // Opcode by opcode, for a caller that pulls (the opcode walker): start(), then
  // next() until it returns true; what run() does in one loop.

  /// Starts a pickle. Throws UnpicklingError (empty_input) when no byte is left.
  void start() {
    st_.stack.clear();
    st_.marks.clear();
    proto_ = 0;
    if (!r_.begin_pickle())
      throw UnpicklingError(ErrorCode::empty_input, r_.op_offset(), std::nullopt,
                            "no pickle data (the input is empty)");
    Usage u = b_.usage();
    start_nodes_ = u.nodes;
    start_bytes_ = u.bytes;
    start_pos_ = r_.pos();
    nodes_ok_ = bytes_ok_ = 0;  // computed after the first opcode
  }

  /// Runs the next opcode, whose byte it sets in `op`; true after STOP (the result is
  /// result()). Throws UnpicklingError.
  bool next(uint8_t& op) {
    bool have_op = false;
    try {
      if (!r_.next_opcode(op)) truncated();
      have_op = true;
      if (step(op)) {
        r_.sync_out();
        return true;
      }
      check_growth();
      return false;
    } catch (Failure& f) {
      failed(f, have_op, op);
    }
  }

  const Item& result() const noexcept { return result_; }
  Reader& reader() noexcept { return r_; }

 private:
  // See [NOTE builder-contract]: false for a reader of opcodes, for which the stack,
  // the marks and the memo are not kept and nothing that needs them is checked.
  static constexpr bool kMachine = B::runs_machine;

  [[noreturn]] void truncated() {
    throw UnpicklingError(ErrorCode::truncated, r_.op_offset(), std::nullopt,
                          "the input ended before STOP (pickle data was truncated)");
  }
  [[noreturn, gnu::cold]] void failed(Failure& f, bool have_op, uint8_t op) {
    r_.sync_out();
    throw UnpicklingError(f.code, r_.op_offset(),
                          have_op ? std::optional<uint8_t>(op) : std::nullopt,
                          std::move(f.message));
  }

  // [NOTE growth] What one load builds is bounded by what it read: nodes and graph
  // bytes are checked against the input consumed after every opcode. One opcode can
  // at most copy what already exists, so the graph never passes twice the bound.
  // base + per_byte * used, or UINT64_MAX when that overflows (no bound).
  static uint64_t bound(size_t base, size_t per_byte, uint64_t used) {
    uint64_t allowed;
    if (__builtin_mul_overflow(uint64_t(per_byte), used, &allowed) ||
        __builtin_add_overflow(allowed, uint64_t(base), &allowed))
      return UINT64_MAX;
    return allowed;
  }
  // The bounds only grow with the input read, so a node count and a byte count below
  // those computed at an earlier opcode are below the current bounds too: most opcodes
  // compare two numbers, and the bounds are computed again only when one is reached.
  void check_growth() {
    if constexpr (!kMachine) return;
    Usage u = b_.usage();
    if (u.nodes <= nodes_ok_ && u.bytes <= bytes_ok_) [[likely]]
      return;
    check_growth_now(u);
  }
  [[gnu::noinline]] void check_growth_now(Usage u) {
    uint64_t used = r_.pos() - start_pos_;
    const Limits& lim = opt_.limits;
    uint64_t nodes_allowed = bound(4096, lim.max_nodes_per_byte, used);
    if (u.nodes - start_nodes_ > nodes_allowed) [[unlikely]]
      fail(ErrorCode::limit_exceeded,
           "more nodes than the input size allows (the max_nodes_per_byte limit)");
    uint64_t bytes_allowed = bound(size_t(16) << 20, lim.max_alloc_per_byte, used);
    size_t bytes = u.bytes;
    if (bytes > start_bytes_ && bytes - start_bytes_ > bytes_allowed) [[unlikely]]
      fail(ErrorCode::limit_exceeded, "the graph holds " + std::to_string(bytes - start_bytes_) +
                                          " bytes for " + std::to_string(used) +
                                          " bytes of input (the max_alloc_per_byte limit)");
    nodes_ok_ = saturating_add(start_nodes_, nodes_allowed);
    bytes_ok_ = saturating_add(start_bytes_, bytes_allowed);
  }
  static uint64_t saturating_add(uint64_t a, uint64_t b) {
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
  }

  // ---- stack -----------------------------------------------------------------
  // Without the machine (kMachine false) the stack is empty and stays so: pops give
  // a default Item, a MARK is always found, and nothing is refused.
  size_t fence() const {
    if constexpr (!kMachine) return 0;
    return st_.marks.empty() ? 0 : st_.marks.back();
  }

  // push and need_items run for nearly every opcode: inline, with their errors out of
  // line, so the loop does not save and restore registers around a call per opcode.
  [[gnu::always_inline]] void push(Item it) {
    if constexpr (!kMachine) return;
    if (st_.stack.size() >= opt_.limits.max_stack) [[unlikely]]
      stack_full();
    st_.stack.push_back(std::move(it));
  }
  [[noreturn, gnu::cold, gnu::noinline]] void stack_full() const {
    fail(ErrorCode::limit_exceeded,
         "stack holds more than " + std::to_string(opt_.limits.max_stack) + " items");
  }
  [[gnu::always_inline]] void need_items(size_t n) {
    if constexpr (!kMachine) return;
    if (st_.stack.size() - fence() < n) [[unlikely]]
      underflow(n);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void underflow(size_t n) const {
    if (st_.stack.size() >= n)
      fail(ErrorCode::stack_underflow,
           "needs " + std::to_string(n) + " items above the mark, found " +
               std::to_string(st_.stack.size() - fence()) + " (unexpected MARK)");
    fail(ErrorCode::stack_underflow, "needs " + std::to_string(n) + " items on the stack, found " +
                                         std::to_string(st_.stack.size()));
  }
  Item pop() {
    if constexpr (!kMachine) return Item{};
    need_items(1);
    Item it = std::move(st_.stack.back());
    st_.stack.pop_back();
    return it;
  }
  Item& top() {
    if constexpr (!kMachine) return none_ = Item{};
    need_items(1);
    return st_.stack.back();
  }
  // Items above the top mark; the mark is removed. The span stays valid until the
  // next push.
  size_t pop_mark() {
    if constexpr (!kMachine) return 0;
    if (st_.marks.empty()) [[unlikely]]
      fail(ErrorCode::missing_mark, "needs a MARK on the stack, found none");
    size_t m = st_.marks.back();
    st_.marks.pop_back();
    return m;
  }
  std::span<Item> above(size_t m) {
    if constexpr (!kMachine) return {};
    return {st_.stack.data() + m, st_.stack.size() - m};
  }
  Item& at_index(size_t i) {
    if constexpr (!kMachine) return none_ = Item{};
    return st_.stack[i];
  }
  void truncate(size_t m) {
    if constexpr (kMachine) st_.stack.truncate(m);
  }

  // ---- globals ---------------------------------------------------------------
  Item find_class(At at, std::string_view module, std::string_view name) {
    Reader::check_global_names(module, name);
    if (proto_ < 3 && opt_.fix_imports) {
      std::string_view m = module, n = name;
      fix_import(m, n);
      if (m != module || n != name) {
        Item g = b_.global(at, m, n);
        b_.renamed(at, g, module, name);
        return g;
      }
    }
    return b_.global(at, module, name);
  }

  // ---- one opcode ------------------------------------------------------------
  // Returns true at STOP. Arguments are read by the Reader; see [NOTE one-reader].
  // Inlined into the loop of run(): out of line, the call per opcode costs a tenth of
  // the load time of small items (GCC stops inlining it by size alone).
  [[gnu::always_inline]] inline bool step(uint8_t op) {
    const At at{r_.op_offset(), static_cast<Op>(op)};
    switch (static_cast<Op>(op)) {
      // Integers
      case Op::int_: {
        bool boolean = false;
        r_.int_line(int_, boolean, refused_);
        if (kMachine && !refused_.empty() && !opt_.python_literals)
          fail(ErrorCode::bad_argument, refused_);
        if (boolean) return push(b_.boolean(at, int_.value == 1)), false;
        return push(integer(at, int_)), false;
      }
      case Op::long_:
        r_.long_line(int_, refused_);
        if (kMachine && !refused_.empty() && !opt_.python_literals)
          fail(ErrorCode::bad_argument, refused_);
        return push(integer(at, int_)), false;
      case Op::binint: return push(b_.integer(at, r_.int4("BININT"))), false;
      case Op::binint1: return push(b_.integer(at, r_.uint1("BININT1"))), false;
      case Op::binint2: return push(b_.integer(at, r_.uint2("BININT2"))), false;
      case Op::long1:
      case Op::long4: {
        std::string_view d = r_.long_bytes(op == static_cast<uint8_t>(Op::long4));
        return push(b_.big_integer(
                   at, std::span(reinterpret_cast<const uint8_t*>(d.data()), d.size()))),
               false;
      }
      // Python 2 str, bytes
      case Op::string: return push(b_.py2_string(at, r_.string_line(scratch_))), false;
      case Op::binstring: return push(b_.py2_string(at, r_.binstring())), false;
      case Op::short_binstring:
        return push(b_.py2_string(at, r_.counted1("SHORT_BINSTRING"))), false;
      case Op::binbytes: return push(b_.bytes(at, r_.counted4("BINBYTES"))), false;
      case Op::short_binbytes: return push(b_.bytes(at, r_.counted1("SHORT_BINBYTES"))), false;
      case Op::binbytes8: return push(b_.bytes(at, r_.counted8("BINBYTES8"))), false;
      case Op::bytearray8: return push(b_.bytearray(at, r_.counted8("BYTEARRAY8"))), false;
      case Op::next_buffer: return push(b_.next_buffer(at)), false;
      case Op::readonly_buffer: b_.readonly_buffer(at, top()); return false;
      // Constants
      case Op::none: return push(b_.none(at)), false;
      case Op::newtrue: return push(b_.boolean(at, true)), false;
      case Op::newfalse: return push(b_.boolean(at, false)), false;
      // Text
      case Op::unicode_: return push(b_.str(at, r_.unicode_line(scratch_))), false;
      case Op::short_binunicode:
        return push(b_.str(at, Reader::utf8(r_.counted1("SHORT_BINUNICODE")))), false;
      case Op::binunicode: return push(b_.str(at, Reader::utf8(r_.counted4("BINUNICODE")))), false;
      case Op::binunicode8:
        return push(b_.str(at, Reader::utf8(r_.counted8("BINUNICODE8")))), false;
      // Floats
      case Op::float_: {
        double d = r_.float_line(refused_);
        if (kMachine && !refused_.empty() && !opt_.python_literals)
          fail(ErrorCode::bad_argument, refused_);
        return push(b_.floating(at, d)), false;
      }
      case Op::binfloat: return push(b_.floating(at, r_.float8())), false;
      // Containers
      case Op::empty_list: return push(b_.list(at, {})), false;
      case Op::empty_tuple: return push(b_.tuple(at, {})), false;
      case Op::empty_dict: return push(b_.dict(at, {})), false;
      case Op::empty_set: return push(b_.set(at)), false;
      case Op::list:
      case Op::tuple:
      case Op::dict:
      case Op::frozenset: {
        size_t m = pop_mark();
        auto items = above(m);
        Item made;
        switch (static_cast<Op>(op)) {
          case Op::list: made = b_.list(at, items); break;
          case Op::tuple: made = b_.tuple(at, items); break;
          case Op::dict:
            if (items.size() % 2) fail(ErrorCode::stack_underflow, "odd number of items for DICT");
            made = b_.dict(at, items);
            break;
          default: made = b_.frozenset(at, items); break;
        }
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::tuple1:
      case Op::tuple2:
      case Op::tuple3: {
        size_t n = op - static_cast<uint8_t>(Op::tuple1) + 1;
        need_items(n);
        size_t m = st_.stack.size() - n;
        Item made = b_.tuple(at, above(m));
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::append: {
        Item v = pop();
        b_.append(at, top(), std::span<Item>(&v, 1));
        return false;
      }
      case Op::appends:
      case Op::setitems:
      case Op::additems: {
        size_t m = pop_mark();
        if (kMachine && m <= fence())
          fail(ErrorCode::stack_underflow,
               std::string(op_info(op).name) + " needs a container below the mark");
        Item& target = at_index(m - 1);
        auto items = above(m);
        if (op == static_cast<uint8_t>(Op::appends))
          b_.append(at, target, items);
        else if (op == static_cast<uint8_t>(Op::additems))
          b_.add(at, target, items);
        else {
          if (items.size() % 2)
            fail(ErrorCode::stack_underflow, "odd number of items for SETITEMS");
          b_.setitems(at, target, items);
        }
        truncate(m);
        return false;
      }
      case Op::setitem: {
        need_items(3);
        size_t m = st_.stack.size() - 2;
        b_.setitems(at, at_index(m - 1), above(m));
        truncate(m);
        return false;
      }
      // Stack manipulation
      case Op::pop:
        if (!st_.marks.empty() && st_.marks.back() == st_.stack.size()) {
          st_.marks.pop_back();
        } else {
          Item gone = pop();
          b_.discarded(at, gone);
        }
        return false;
      case Op::dup: {
        Item t = top();
        return push(std::move(t)), false;
      }
      case Op::mark:
        if constexpr (!kMachine) return false;
        if (st_.marks.size() >= opt_.limits.max_marks)
          fail(ErrorCode::limit_exceeded,
               "more than " + std::to_string(opt_.limits.max_marks) + " open MARKs");
        st_.marks.push_back(st_.stack.size());
        return false;
      case Op::pop_mark: truncate(pop_mark()); return false;
      // Memo
      case Op::get: return memo_get(at, r_.index_line("GET")), false;
      case Op::binget: return memo_get(at, r_.uint1("BINGET")), false;
      case Op::long_binget: return memo_get(at, r_.uint4("LONG_BINGET")), false;
      case Op::put: return memo_put(at, r_.index_line("PUT"), true), false;
      case Op::binput: return memo_put(at, r_.uint1("BINPUT"), true), false;
      case Op::long_binput: return memo_put(at, r_.uint4("LONG_BINPUT"), true), false;
      case Op::memoize: return memo_put(at, st_.memo.size(), false), false;
      // Extensions
      case Op::ext1: return ext(at, r_.uint1("EXT1")), false;
      case Op::ext2: return ext(at, r_.uint2("EXT2")), false;
      case Op::ext4: return ext(at, r_.int4("EXT4")), false;
      // Objects
      case Op::global: {
        std::string module(r_.name_line("GLOBAL module", false));
        std::string_view name = r_.name_line("GLOBAL name", false);
        return push(find_class(at, module, name)), false;
      }
      case Op::stack_global: {
        need_items(2);
        Item name = pop();
        Item module = pop();
        std::string_view m, n;
        if (!b_.stack_global(at, module, name, m, n))
          fail(ErrorCode::bad_type, "STACK_GLOBAL needs two str operands");
        std::string mc(m), nc(n);
        return push(find_class(at, mc, nc)), false;
      }
      case Op::reduce: {
        Item args = pop();
        Item& f = top();
        f = b_.reduce(at, f, args);
        return false;
      }
      case Op::build: {
        Item state = pop();
        b_.used(at, state);
        b_.build(at, top(), state);
        if (b_.reads_after_build(at, top())) [[unlikely]]
          read_after_build(at);
        return false;
      }
      case Op::inst: {
        std::string module(r_.name_line("INST module", true));
        std::string name(r_.name_line("INST name", true));
        size_t m = pop_mark();
        Item cls = find_class(at, module, name);
        Item made = b_.instantiate(at, cls, above(m), BuildKind::inst);
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::obj: {
        size_t m = pop_mark();
        auto items = above(m);
        if (items.empty()) {
          if constexpr (!kMachine)
            return push(b_.instantiate(at, Item{}, items, BuildKind::obj)), false;
          fail(ErrorCode::stack_underflow, "OBJ needs a class after the mark");
        }
        Item made = b_.instantiate(at, items[0], items.subspan(1), BuildKind::obj);
        truncate(m);
        return push(std::move(made)), false;
      }
      case Op::newobj: {
        need_items(2);
        Item args = pop();
        Item& cls = top();
        cls = b_.newobj(at, cls, args, nullptr);
        return false;
      }
      case Op::newobj_ex: {
        need_items(3);
        Item kwargs = pop();
        Item args = pop();
        Item& cls = top();
        cls = b_.newobj(at, cls, args, &kwargs);
        return false;
      }
      // Machine control
      case Op::proto:
        proto_ = r_.proto();
        b_.argument(at, static_cast<uint64_t>(proto_));
        return false;
      case Op::stop:
        result_ = pop();
        b_.used(at, result_);
        return true;
      case Op::frame: b_.argument(at, r_.frame()); return false;
      // Persistent ids
      case Op::persid: return push(b_.persistent_text(at, r_.persid_line())), false;
      case Op::binpersid: {
        Item& pid = top();
        pid = b_.persistent_binary(at, pid);
        return false;
      }
    }
    Reader::bad_opcode(op);
  }

  // See [NOTE after-build].
  [[gnu::noinline]] void read_after_build(At at) {
    if (r_.frame_left())
      fail(ErrorCode::bad_frame,
           "the loader reads data of its own after this BUILD, inside a frame");
    r_.sync_out();
    b_.read_after_build(at, top(), r_.source());
    r_.resync();
  }

  Item integer(At at, const ParsedInt& v) {
    if (v.small) return b_.integer(at, v.value);
    return b_.big_integer(at, v.big);
  }

  void memo_get(At at, uint64_t i) {
    b_.argument(at, i);
    if constexpr (!kMachine) return push(Item{});
    const Item* it = st_.memo.get(i);
    if (!it) fail(ErrorCode::memo_missing, "memo has no entry " + std::to_string(i));
    push(*it);
  }
  // `explicit_index`: PUT and its binary forms, not MEMOIZE.
  void memo_put(At at, uint64_t i, bool explicit_index) {
    if (explicit_index) b_.argument(at, i);
    if constexpr (!kMachine) return;
    need_items(1);
    if (st_.memo.size() >= opt_.limits.max_memo_entries && !st_.memo.get(i))
      fail(ErrorCode::limit_exceeded,
           "memo holds more than " + std::to_string(opt_.limits.max_memo_entries) + " entries");
    st_.memo.put(i, st_.stack.back(), opt_.limits);
    b_.memoized(at, st_.stack.back());
  }

  void ext(At at, int64_t code) {
    Reader::check_ext_code(code);
    b_.argument(at, static_cast<uint64_t>(code));
    if constexpr (!kMachine) return push(Item{});
    const auto* entry =
        opt_.registry ? opt_.registry->extension(static_cast<int32_t>(code)) : nullptr;
    if (!entry) fail(ErrorCode::unsupported, "unregistered extension code " + std::to_string(code));
    push(find_class(at, entry->first, entry->second));
  }

  Reader r_;
  const LoadOptions& opt_;
  B& b_;
  MachineState<Item>& st_;
  int proto_ = 0;
  Item result_{};
  Item none_{};  // top() without the machine
  size_t start_nodes_ = 0;
  size_t start_bytes_ = 0;
  uint64_t start_pos_ = 0;
  uint64_t nodes_ok_ = 0;  // node and byte counts below the growth bounds (check_growth)
  uint64_t bytes_ok_ = 0;
  std::string scratch_;
  std::string refused_;  // see [NOTE text-numbers]
  ParsedInt int_;
};

}  // namespace pickle::detail
