// The Emitter's out-of-line parts: frames, large payloads, the output's hand-over, and
// the text forms of protocols 0 and 1.
#include "dump/emitter.hpp"

#include <stdexcept>

#include "model/bigint.hpp"
#include "pickle/error.hpp"
#include "text/text.hpp"

namespace pickle::detail {

Emitter::Emitter(Sink* sink, int protocol) : sink_(sink) {
  proto_ = protocol < 0 ? HIGHEST_PROTOCOL : protocol;
  if (proto_ > HIGHEST_PROTOCOL)
    throw UsageError("pickle protocol must be <= " + std::to_string(HIGHEST_PROTOCOL));
}

std::string Emitter::take_output() {
  std::string result;
  result.reserve(len_ + deferred_size_);
  advise_huge_pages(result.data(), len_ + deferred_size_);
  size_t from = 0;
  for (const Deferred& d : deferred_) {
    result.append(out_.data() + from, d.at - from);
    result.append(d.data);
    from = d.at;
  }
  result.append(out_.data() + from, len_ - from);
  return result;
}

void Emitter::open_frame() {
  if (out_.capacity() - len_ < kFrameHeader) out_.grow_to(len_ + kFrameHeader);
  len_ += kFrameHeader;  // filled in by commit_frame
  frame_start_ = len_;
  frame_limit_ = len_ + kFrameSizeTarget;
}

void Emitter::commit_frame() {
  if (frame_start_ == npos) return;
  size_t len = len_ - frame_start_;
  size_t header = frame_start_ - kFrameHeader;
  if (len >= kFrameSizeMin) {
    out_.data()[header] = op(Op::frame);
    store_le(out_.data() + header + 1, len, 8);
  } else {
    std::memmove(out_.data() + header, out_.data() + frame_start_, len);
    len_ -= kFrameHeader;
  }
  frame_start_ = npos;
  frame_limit_ = npos;
  if (len_ >= (1u << 20)) flush();
}

void Emitter::flush() {
  if (frame_start_ != npos || !sink_) return;  // an open frame's header is not final yet
  sink_->write(out_.data(), len_);
  len_ = 0;
}

void Emitter::put_large_payload(std::string_view header, std::string_view payload, bool stable) {
  commit_frame();
  flush();
  put_unframed(header);
  if (!sink_ && stable) {
    deferred_.push_back({len_, payload});
    deferred_size_ += payload.size();
    return;
  }
  if (!sink_) return put_unframed(payload);
  flush();
  sink_->write(payload.data(), payload.size());
}

void Emitter::index_text(Op text, uint64_t i) {
  put(op(text));
  put(std::to_string(i));
  put('\n');
}

void Emitter::int_text(int64_t x) {
  if (x >= INT32_MIN && x <= INT32_MAX) {
    put(op(Op::int_));
    put(std::to_string(x));
    return put('\n');
  }
  put(op(Op::long_));
  put(std::to_string(x));
  put("L\n");
}

void Emitter::bigint(std::span<const uint8_t> twos) {
  if (proto_ < 2) {
    put(op(Op::long_));
    put(twos_to_decimal(twos));
    return put("L\n");
  }
  if (twos.size() < 256) {
    put_op_byte(Op::long1, static_cast<uint8_t>(twos.size()));
  } else {
    if (twos.size() > INT32_MAX) throw PicklingError("int too large to pickle");
    put_op_le(Op::long4, twos.size(), 4);
  }
  put(std::string_view(reinterpret_cast<const char*>(twos.data()), twos.size()));
}

void Emitter::float_text(double d) {
  std::string s;
  append_float_repr(s, d);
  put(op(Op::float_));
  put(s);
  put('\n');
}

// Protocol 0: raw-unicode-escape, with \, NUL, \n, \r and ^Z escaped too.
void Emitter::unicode_text(std::string_view utf8) {
  std::string s;
  s.reserve(utf8.size() + 2);
  s.push_back(op(Op::unicode_));
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < utf8.size();) {
    auto c = static_cast<uint8_t>(utf8[i]);
    uint32_t cp;
    int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    cp = len == 1 ? c : len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<uint8_t>(utf8[i + k]) & 0x3Fu);
    i += static_cast<size_t>(len);
    if (cp >= 0x100 || cp == '\\' || cp == 0 || cp == '\n' || cp == '\r' || cp == 0x1a) {
      int digits = cp >= 0x10000 ? 8 : 4;
      s += digits == 8 ? "\\U" : "\\u";
      for (int k = digits - 1; k >= 0; --k) s.push_back(kHex[(cp >> (4 * k)) & 15]);
    } else {
      s.push_back(static_cast<char>(cp));
    }
  }
  s.push_back('\n');
  put(s);
}

void Emitter::huge_str(std::string_view utf8) {
  if (proto_ < 4) throw PicklingError("str longer than 4 GiB needs protocol 4");
  char h[9] = {op(Op::binunicode8)};
  store_le(h + 1, utf8.size(), 8);
  put_payload(std::string_view(h, 9), utf8);
}

void Emitter::huge_bytes(std::string_view d) {
  if (proto_ < 4) throw PicklingError("bytes longer than 4 GiB need protocol 4");
  char h[9] = {op(Op::binbytes8)};
  store_le(h + 1, d.size(), 8);
  put_payload(std::string_view(h, 9), d);
}

void Emitter::py2_str(std::string_view raw, bool stable) {
  if (proto_ >= 1) {
    if (raw.size() < 256) {
      char h[2] = {op(Op::short_binstring), static_cast<char>(raw.size())};
      return put_payload(std::string_view(h, 2), raw, stable);
    }
    if (raw.size() > INT32_MAX) throw PicklingError("Python 2 str too large");
    char h[5] = {op(Op::binstring)};
    store_le(h + 1, raw.size(), 4);
    return put_payload(std::string_view(h, 5), raw, stable);
  }
  std::string s(1, op(Op::string));
  append_py2_str_repr(s, raw);
  s.push_back('\n');
  put(s);
}

void Emitter::global(std::string_view module, std::string_view name) {
  if (module.find('\n') != std::string_view::npos || name.find('\n') != std::string_view::npos)
    throw PicklingError("a global name with a newline needs protocol 4 or higher");
  if (proto_ < 3) {
    for (std::string_view s : {module, name})
      for (char c : s)
        if (static_cast<uint8_t>(c) >= 0x80)
          throw PicklingError("non-ASCII global name '" + quoted_name(s) +
                              "' needs protocol 3 or higher");
  }
  // A GLOBAL line is strict UTF-8: a lone surrogate (kept in a str as its 3-byte
  // form, ED A0..BF xx) cannot be written there, as CPython cannot encode it either.
  for (std::string_view s : {module, name})
    for (size_t i = 0; i + 1 < s.size(); ++i)
      if (static_cast<uint8_t>(s[i]) == 0xED && static_cast<uint8_t>(s[i + 1]) >= 0xA0)
        throw PicklingError("a global name with a lone surrogate needs protocol 4 or higher");
  put(op(Op::global));
  put(module);
  put('\n');
  put(name);
  put('\n');
}

void Emitter::inst(std::string_view module, std::string_view name) {
  put(op(Op::inst));
  put(module);
  put('\n');
  put(name);
  put('\n');
}

void Emitter::persid(std::string_view id) {
  for (char c : id)
    if (static_cast<uint8_t>(c) >= 0x80 || c == '\n')
      throw PicklingError("persistent IDs in protocol 0 must be ASCII strings");
  put(op(Op::persid));
  put(id);
  put('\n');
}

}  // namespace pickle::detail
