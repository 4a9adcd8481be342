// The optimizer: pickletools.optimize's output, over the opcode walker.
#include "pickle/tools/optimize.hpp"

#include <unordered_map>
#include <vector>

#include "pickle/error.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/tools/ops.hpp"

namespace pickle::tools {

namespace {

// What pickle.py's _Framer does, for a whole pickle written at once.
class Framer {
 public:
  static constexpr size_t kFrameSizeMin = 4;
  static constexpr size_t kFrameSizeTarget = 64 * 1024;

  explicit Framer(std::string& out) : out_(out) {}

  void start() { framing_ = true; }
  void end() {
    if (framing_ && !frame_.empty()) commit(true);
    framing_ = false;
  }
  // Closes the frame once it is full (or when forced) before the next opcode.
  void commit(bool force) {
    if (!framing_ || (frame_.size() < kFrameSizeTarget && !force)) return;
    if (frame_.size() >= kFrameSizeMin) {
      out_ += static_cast<char>(Op::frame);
      uint64_t n = frame_.size();
      for (int i = 0; i < 8; ++i) out_ += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    out_ += frame_;
    frame_.clear();
  }
  void write(std::string_view data) { (framing_ ? frame_ : out_) += data; }
  // An opcode too large for a frame goes straight out.
  void write_unframed(std::string_view data) { out_ += data; }

 private:
  std::string& out_;
  std::string frame_;
  bool framing_ = false;
};

void put_le(std::string& s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

// pickle.py's Pickler.put and Pickler.get for a memo index.
std::string put_opcode(int proto, uint64_t idx) {
  std::string s;
  if (proto >= 4) {
    s += static_cast<char>(Op::memoize);
  } else if (proto >= 1) {
    s += static_cast<char>(idx < 256 ? Op::binput : Op::long_binput);
    put_le(s, idx, idx < 256 ? 1 : 4);
  } else {
    s += static_cast<char>(Op::put);
    s += std::to_string(idx);
    s += '\n';
  }
  return s;
}

std::string get_opcode(int proto, uint64_t idx) {
  std::string s;
  if (proto >= 1) {
    s += static_cast<char>(idx < 256 ? Op::binget : Op::long_binget);
    put_le(s, idx, idx < 256 ? 1 : 4);
  } else {
    s += static_cast<char>(Op::get);
    s += std::to_string(idx);
    s += '\n';
  }
  return s;
}

// One pickle of the walker's source, `data` being the whole input.
std::string optimize_one(OpcodeWalker& walker, std::span<const uint8_t> data) {
  enum class Kind : uint8_t { copy, put, get };
  struct Item {
    Kind kind;
    uint64_t a, b;  // copy: [a, b) of data; put/get: the memo key, and the GET's offset
  };
  std::vector<Item> items;
  std::unordered_map<uint64_t, bool> read;  // keys some GET reads
  std::unordered_map<uint64_t, char> stored;
  uint64_t start = 0;
  size_t header_begin = 0, header_end = 0;
  int proto = 0;
  bool first = true;
  Instruction ins;
  while (walker.next(ins)) {
    if (first) {
      start = ins.pos;
      first = false;
    }
    switch (ins.op) {
      case Op::put:
      case Op::binput:
      case Op::long_binput:
        stored.emplace(static_cast<uint64_t>(ins.arg.integer), 0);
        items.push_back({Kind::put, static_cast<uint64_t>(ins.arg.integer), 0});
        break;
      case Op::memoize: {
        uint64_t idx = stored.size();
        stored.emplace(idx, 0);
        items.push_back({Kind::put, idx, 0});
        break;
      }
      case Op::frame: break;
      case Op::get:
      case Op::binget:
      case Op::long_binget:
        proto = std::max(proto, static_cast<int>(ins.info().proto));
        read.emplace(static_cast<uint64_t>(ins.arg.integer), true);
        items.push_back({Kind::get, static_cast<uint64_t>(ins.arg.integer), ins.pos});
        break;
      case Op::proto:
        proto = std::max(proto, static_cast<int>(ins.arg.integer));
        if (ins.pos == start) {
          header_begin = static_cast<size_t>(ins.pos);
          header_end = static_cast<size_t>(ins.end);
          break;
        }
        items.push_back({Kind::copy, ins.pos, ins.end});
        break;
      default: items.push_back({Kind::copy, ins.pos, ins.end}); break;
    }
  }

  auto bytes = [&](uint64_t a, uint64_t b) {
    return std::string_view(reinterpret_cast<const char*>(data.data()) + a,
                            static_cast<size_t>(b - a));
  };
  std::string out(bytes(header_begin, header_end));
  Framer framer(out);
  if (proto >= 4) framer.start();
  std::unordered_map<uint64_t, uint64_t> renumbered;  // old key -> new index
  uint64_t next = 0;
  for (const Item& it : items) {
    switch (it.kind) {
      case Kind::put:
        if (!read.count(it.a)) continue;
        framer.commit(false);
        framer.write(put_opcode(proto, next));
        renumbered[it.a] = next++;
        break;
      case Kind::get: {
        auto found = renumbered.find(it.a);
        if (found == renumbered.end())
          throw UnpicklingError(
              ErrorCode::memo_missing, it.b, static_cast<uint8_t>(data[static_cast<size_t>(it.b)]),
              "memo key " + std::to_string(it.a) + " has never been stored into by this pickle");
        framer.commit(false);
        framer.write(get_opcode(proto, found->second));
        break;
      }
      case Kind::copy: {
        std::string_view op = bytes(it.a, it.b);
        bool frameless = op.size() > Framer::kFrameSizeTarget;
        framer.commit(frameless);
        if (frameless)
          framer.write_unframed(op);
        else
          framer.write(op);
        break;
      }
    }
  }
  framer.end();
  return out;
}

}  // namespace

std::string optimize(std::span<const uint8_t> data, const Limits& limits) {
  MemorySource src(data);
  OpcodeWalker walker(src, limits);
  return optimize_one(walker, data);
}

std::string optimize(std::string_view data, const Limits& limits) {
  return optimize(std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()), limits);
}

void optimize_each(std::span<const uint8_t> data,
                   const std::function<void(std::string_view)>& write, const Limits& limits) {
  MemorySource src(data);
  OpcodeWalker walker(src, limits);
  do {
    write(optimize_one(walker, data));
  } while (!walker.at_end());
}

}  // namespace pickle::tools
