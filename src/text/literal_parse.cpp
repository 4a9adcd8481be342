// A reader of Python literals (str, int, True/False/None, tuple, list, dict), with an
// explicit stack of open containers.
#include "literal_parse.hpp"

#include <string>
#include <vector>

#include "text.hpp"

namespace pickle::detail {

namespace {

struct Open {
  char close;                // ')', ']' or '}'
  std::vector<Value> items;  // a dict's keys and values alternate
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

class LiteralParser {
 public:
  LiteralParser(std::string_view text, Graph& g, LiteralError& error, size_t max_depth)
      : s_(text), g_(g), error_(error), max_depth_(max_depth) {}

  bool run(Value& out) {
    std::vector<Open> stack;
    for (;;) {
      skip();
      // Close containers, and take separators.
      if (!stack.empty()) {
        Open& top = stack.back();
        if (at(top.close)) {
          ++i_;
          Value done = finish(top);
          if (!ok_) return false;
          stack.pop_back();
          if (!place(stack, done, out)) return false;
          if (stack.empty()) break;
          continue;
        }
      }
      if (i_ >= s_.size()) return fail("the text ends inside a literal");
      char c = s_[i_];
      if (c == '(' || c == '[' || c == '{') {
        if (stack.size() >= max_depth_) return fail("literals nested too deep");
        ++i_;
        stack.push_back({c == '(' ? ')' : c == '[' ? ']' : '}', {}});
        continue;
      }
      Value v;
      if (!scalar(v)) return false;
      if (!place(stack, v, out)) return false;
      if (stack.empty()) break;
    }
    skip();
    if (i_ != s_.size()) return fail("text after the literal");
    return true;
  }

 private:
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void skip() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }
  bool fail(std::string what) {
    error_ = {i_, std::move(what)};
    ok_ = false;
    return false;
  }

  // Puts a finished value into the open container (then expects ',' ':' or the close),
  // or makes it the result.
  bool place(std::vector<Open>& stack, Value v, Value& out) {
    if (stack.empty()) {
      out = v;
      return true;
    }
    Open& top = stack.back();
    top.items.push_back(v);
    skip();
    if (top.close == '}' && top.items.size() % 2 == 1) {
      if (!at(':')) return fail("':' expected after a dict key");
      ++i_;
      return true;
    }
    if (at(',')) {
      ++i_;
      return true;
    }
    if (at(top.close)) return true;
    return fail(std::string("',' or '") + top.close + "' expected");
  }

  Value finish(Open& o) {
    if (o.close == ')') return g_.tuple(o.items);
    if (o.close == ']') return g_.list(o.items);
    if (o.items.size() % 2) {
      fail("a dict key without a value");
      return {};
    }
    Value d = g_.dict();
    for (size_t k = 0; k < o.items.size(); k += 2) {
      if (!hashable(o.items[k])) {
        fail("an unhashable dict key");
        return {};
      }
      d.dict().set(o.items[k], o.items[k + 1]);
    }
    return d;
  }

  bool scalar(Value& v) {
    char c = s_[i_];
    if (c == '\'' || c == '"') return string(v);
    for (auto [word, value] : {std::pair{std::string_view("True"), Value(true)},
                               std::pair{std::string_view("False"), Value(false)},
                               std::pair{std::string_view("None"), Value()}}) {
      if (s_.substr(i_).starts_with(word)) {
        i_ += word.size();
        v = value;
        return true;
      }
    }
    size_t start = i_;
    if (c == '-' || c == '+') ++i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    if (i_ == start || (i_ == start + 1 && (c == '-' || c == '+')))
      return fail("a value was expected");
    ParsedInt parsed;
    if (parse_int(s_.substr(start, i_ - start), 10, 4300, parsed) != IntParse::ok)
      return fail("an int out of range");
    if (!parsed.small) return fail("an int beyond 64 bits");
    v = Value(parsed.value);
    return true;
  }

  bool string(Value& v) {
    char quote = s_[i_++];
    std::string text;
    for (;;) {
      if (i_ >= s_.size()) return fail("a str literal without its closing quote");
      char c = s_[i_++];
      if (c == quote) break;
      if (c != '\\') {
        text += c;
        continue;
      }
      if (i_ >= s_.size()) return fail("a str literal without its closing quote");
      char e = s_[i_++];
      switch (e) {
        case 'n': text += '\n'; break;
        case 't': text += '\t'; break;
        case 'r': text += '\r'; break;
        case '0': text += '\0'; break;
        case '\\':
        case '\'':
        case '"': text += e; break;
        case 'x': {
          if (i_ + 2 > s_.size() || digit_value(s_[i_]) > 15 || digit_value(s_[i_ + 1]) > 15)
            return fail("a \\x escape without two hex digits");
          unsigned cp = unsigned(digit_value(s_[i_]) * 16 + digit_value(s_[i_ + 1]));
          i_ += 2;
          // As a code point, in UTF-8.
          if (cp < 0x80) {
            text += static_cast<char>(cp);
          } else {
            text += static_cast<char>(0xC0 | (cp >> 6));
            text += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: return fail("an escape this reader does not take");
      }
    }
    v = g_.str(text);
    return true;
  }

  std::string_view s_;
  Graph& g_;
  LiteralError& error_;
  size_t max_depth_;
  size_t i_ = 0;
  bool ok_ = true;
};

}  // namespace

bool parse_literal(std::string_view text, Graph& g, Value& out, LiteralError& error,
                   size_t max_depth) {
  return LiteralParser(text, g, error, max_depth).run(out);
}

}  // namespace pickle::detail
