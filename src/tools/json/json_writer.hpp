// The JSON token writer of the JSON tools: commas, keys and indentation, so that the
// graph walks above it only say what comes next. It keeps one byte per open JSON
// container, not a call frame, so nesting costs heap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/text.hpp"

namespace pickle::detail {

class JsonWriter {
 public:
  /// indent < 0: one line; `spaced` then separates as json.dumps does by default
  /// (", " and ": "), else with no spaces. indent >= 0: a line per element.
  JsonWriter(std::string& out, int indent, bool spaced = false)
      : out_(out), indent_(indent), spaced_(spaced || indent >= 0) {}

  void open_object() { open('{'); }
  void open_array() { open('['); }
  void close_object() { close('}'); }
  void close_array() { close(']'); }

  /// A key of the object open now; its value comes next. `color` (an ANSI sequence)
  /// is written before it, and a reset after, when not empty.
  void key(std::string_view k, bool ensure_ascii = false, std::string_view color = {}) {
    element();
    out_ += color;
    append_json_string(out_, k, ensure_ascii);
    if (!color.empty()) out_ += "\x1b[0m";
    out_ += spaced_ ? ": " : ":";
    after_key_ = true;
  }
  /// A key known to need no escaping (the mapping's own keys).
  void plain_key(std::string_view k) {
    element();
    out_ += '"';
    out_ += k;
    out_ += spaced_ ? "\": " : "\":";
    after_key_ = true;
  }

  void null() { scalar("null"); }
  void boolean(bool b) { scalar(b ? "true" : "false"); }
  /// A number or literal, written as it is.
  void raw(std::string_view text) { scalar(text); }
  void string(std::string_view utf8, bool ensure_ascii = false) {
    element();
    append_json_string(out_, utf8, ensure_ascii);
  }
  /// The output, for a caller that writes a value's text itself after element().
  std::string& out() { return out_; }
  /// Starts a value: the comma and line break before it, unless it follows a key.
  void element() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (open_.empty()) return;
    if (open_.back()) {
      out_ += ',';
      if (spaced_ && indent_ < 0) out_ += ' ';
    }
    open_.back() = 1;
    newline(open_.size());
  }

 private:
  void open(char c) {
    element();
    out_ += c;
    open_.push_back(0);
  }
  void close(char c) {
    bool had_items = open_.back();
    open_.pop_back();
    if (had_items) newline(open_.size());
    out_ += c;
  }
  void scalar(std::string_view text) {
    element();
    out_ += text;
  }
  void newline(size_t depth) {
    if (indent_ < 0) return;
    out_ += '\n';
    out_.append(depth * static_cast<size_t>(indent_), ' ');
  }

  std::string& out_;
  int indent_;
  bool spaced_;
  std::vector<uint8_t> open_;  // per open container: 1 once it has an element
  bool after_key_ = false;
};

}  // namespace pickle::detail
