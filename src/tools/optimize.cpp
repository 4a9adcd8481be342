// The optimizer: pickletools.optimize's output, read with the opcode walker and written
// through the Emitter.
#include "pickle/tools/optimize.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "dump/emitter.hpp"
#include "pickle/error.hpp"
#include "pickle/opcodes.hpp"
#include "pickle/tools/ops.hpp"

namespace pickle::tools {

namespace {

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
  // The PROTO is copied as it is; the Emitter writes the memo opcodes and the frames
  // (at protocol 4 and above, PROTO arguments above HIGHEST_PROTOCOL included).
  detail::Emitter em(nullptr, std::min(proto, HIGHEST_PROTOCOL));
  em.put(bytes(header_begin, header_end));
  em.set_framing(proto >= 4);
  std::unordered_map<uint64_t, uint32_t> renumbered;  // old key -> new index
  for (const Item& it : items) {
    switch (it.kind) {
      case Kind::put:
        if (!read.count(it.a)) continue;
        em.boundary();
        renumbered[it.a] = em.memoize();
        break;
      case Kind::get: {
        auto found = renumbered.find(it.a);
        if (found == renumbered.end())
          throw UnpicklingError(
              ErrorCode::memo_missing, it.b, static_cast<uint8_t>(data[static_cast<size_t>(it.b)]),
              "memo key " + std::to_string(it.a) + " has never been stored into by this pickle");
        em.boundary();
        em.get(found->second);
        break;
      }
      case Kind::copy: {
        // As pickle.py frames: an opcode larger than a frame goes outside any.
        std::string_view op = bytes(it.a, it.b);
        if (op.size() > detail::kFrameSizeTarget) {
          em.commit_frame();
          em.put_unframed(op);
        } else {
          em.boundary();
          em.put(op);
        }
        break;
      }
    }
  }
  em.finish();
  return em.take_output();
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
