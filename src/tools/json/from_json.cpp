// Reading the lossless JSON mapping (docs/json.md) into a graph, on simdjson's
// On-Demand parser (docs/json.md says why simdjson). Nothing recurses: every open
// JSON container that holds values is a frame on an explicit stack, holding
// simdjson's iterator, and a finished container hands its value to the frame below.
// simdjson's development checks (on by default without NDEBUG) bound the nesting at
// the parser's max_depth, 1024; the reader has no such bound, and nothing else needs them.
#define SIMDJSON_DEVELOPMENT_CHECKS 0
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "model/bigint.hpp"
#include "pickle/json.hpp"
#include "text/text.hpp"

namespace pickle {

JsonError::JsonError(uint64_t offset, std::string detail)
    : PickleError(ErrorCode::bad_json,
                  "JsonError at byte " + std::to_string(offset) + ": " + detail),
      offset_(offset),
      detail_(std::move(detail)) {}

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

/// Ints in decimal with more digits than this are refused (decimal conversion is
/// quadratic): CPython's int_max_str_digits. Larger ints come as {"$int": "0x..."}.
constexpr size_t kMaxDecimalDigits = 4300;

// What a frame builds: where the values of its JSON container go.
enum class Into : uint8_t {
  list,          // a JSON array: the items of a List
  tuple,         // "$tuple" or "args" array: collected, then the Tuple's items
  set,           // "$set" / "$frozenset" array: members
  states,        // "states" array: BUILD states of the node
  object_items,  // "items" array: an Object's appended items
  pairs,         // "$dict" or "dict_items" array of [key, value] arrays
  pair,          // one [key, value]
  dict,          // a JSON object of str keys: a Dict's entries
  tagged,        // an object of the mapping's own keys ({"$object": ...}, ...)
};

// The fields of a tagged object whose values are read by frames (bits of Frame::seen).
enum Field : uint8_t {
  kContent,  // the value of the "$kind" key
  kHow,
  kArgs,
  kKwargs,
  kStates,
  kItems,
  kDictItems,
  kCalls,
  kOrdered,
  kMemoized,
  kReconstructed,
  kText,
  kFieldCount,
};

struct Frame {
  union {
    od::array_iterator array;
    od::object_iterator object;
  };
  Node* node;
  uint32_t mark;  // scratch size when the frame was pushed
  Into into;
  uint8_t field;   // tagged: the field being read; pair: values read so far
  bool delivers;   // whether the node goes to the frame below when this one closes
  uint16_t seen;   // tagged: fields read (bits of Field)
  uint64_t start;  // offset of the JSON container
  Frame()
      : array(),
        node(nullptr),
        mark(0),
        into(Into::list),
        field(0),
        delivers(false),
        seen(0),
        start(0) {}
};
static_assert(std::is_trivially_copyable_v<od::array_iterator> &&
              std::is_trivially_copyable_v<od::object_iterator>);

std::string_view trim_right(std::string_view t) {
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t'))
    t.remove_suffix(1);
  return t;
}

class Decoder {
 public:
  Decoder(Graph& g, const char* base, size_t size) : g_(g), base_(base), size_(size) {}

  // Reads the whole document (od::document or od::document_reference).
  template <class Doc>
  Value run(Doc& doc) {
    od::json_type type{};
    check(doc.type().get(type), doc);
    at_ = location(doc);
    if (type != od::json_type::array && type != od::json_type::object) return scalar(doc, type);
    od::value root;
    check(doc.get_value().get(root), doc);
    Value out;
    if (begin(root, out) == kValue) {
      result_ = out;
    } else {
      while (!stack_.empty()) step();
    }
    // A container root ends the document; any token after it is trailing content.
    const char* where = nullptr;
    if (trailing_check_ && doc.current_location().get(where) == simdjson::SUCCESS &&
        where >= base_ && where < base_ + size_)
      fail(static_cast<uint64_t>(where - base_), message(simdjson::TRAILING_CONTENT));
    return result_;
  }

  /// Whether run() refuses text after the document (not in a stream of documents).
  bool trailing_check_ = true;

  // After a document: the parser's error at its location, with a clear message.
  template <class Doc>
  void check(error_code e, Doc& doc) {
    if (e == simdjson::SUCCESS) return;
    const char* where = nullptr;
    uint64_t offset = at_;
    if (doc.current_location().get(where) == simdjson::SUCCESS && where >= base_ &&
        where <= base_ + size_)
      offset = static_cast<uint64_t>(where - base_);
    fail(offset, message(e));
  }

  [[noreturn]] void fail(uint64_t offset, std::string detail) {
    throw JsonError(offset, std::move(detail));
  }
  [[noreturn]] void fail(std::string detail) { fail(at_, std::move(detail)); }

  static std::string message(error_code e) {
    switch (e) {
      case simdjson::TAPE_ERROR:
      case simdjson::INCORRECT_TYPE:
        return "malformed JSON: a missing or extra comma, colon, bracket or brace";
      case simdjson::UTF8_ERROR: return "the text is not valid UTF-8";
      case simdjson::UNCLOSED_STRING: return "a string is not closed";
      case simdjson::STRING_ERROR:
        return "a string with a bad escape or a lone surrogate escape (a str with lone "
               "surrogates is written {\"$str\": [pieces]})";
      case simdjson::NUMBER_ERROR: return "a malformed number, or one beyond the range of a float";
      case simdjson::T_ATOM_ERROR:
      case simdjson::F_ATOM_ERROR:
      case simdjson::N_ATOM_ERROR: return "a malformed literal (true, false or null)";
      case simdjson::EMPTY: return "no JSON document";
      case simdjson::CAPACITY: return "the JSON text is too large for the parser (4 GiB)";
      case simdjson::TRAILING_CONTENT: return "text after the JSON document";
      default: return std::string("malformed JSON (") + simdjson::error_message(e) + ")";
    }
  }

 private:
  template <class V>
  uint64_t location(V& v) {
    std::string_view tok;
    if (!token(v, tok) || tok.data() < base_ || tok.data() > base_ + size_) return at_;
    return static_cast<uint64_t>(tok.data() - base_);
  }

  // The raw text of a value or a document's root (only a document's can fail).
  template <class V>
  static bool token(V& v, std::string_view& out) {
    if constexpr (std::is_same_v<V, od::value>) {
      out = v.raw_json_token();
      return true;
    } else {
      return v.raw_json_token().get(out) == simdjson::SUCCESS;
    }
  }

  void need(error_code e) {
    if (e != simdjson::SUCCESS) fail(message(e));
  }

  // A field's key, unescaped; key_at_ becomes the offset of its opening quote.
  std::string_view read_key(od::field& field) {
    const char* raw = field.key().raw();
    if (raw > base_ && raw <= base_ + size_) key_at_ = static_cast<uint64_t>(raw - 1 - base_);
    std::string_view key;
    need(field.unescaped_key().get(key));
    return key;
  }

  // ---- scalars ---------------------------------------------------------------

  template <class V>
  Value scalar(V& v, od::json_type type) {
    switch (type) {
      case od::json_type::null: {
        bool null = false;
        need(v.is_null().get(null));
        if (!null) fail("a malformed literal");
        return Value();
      }
      case od::json_type::boolean: {
        bool b = false;
        need(v.get_bool().get(b));
        return Value(b);
      }
      case od::json_type::number: return number(v);
      case od::json_type::string: {
        std::string_view s;
        need(v.get_string().get(s));
        return g_.str(s);
      }
      default: fail("a JSON value was expected");
    }
  }

  // Numbers are read from their text here: simdjson 3.0 misreads a document's root
  // number of more than 20 characters (it parses a truncated copy).
  template <class V>
  Value number(V& v) {
    std::string_view tok;
    if (!token(v, tok)) fail("a malformed number");
    const char* end = tok.data();
    while (end < base_ + size_ &&
           std::string_view("0123456789+-.eE").find(*end) != std::string_view::npos)
      ++end;
    tok = std::string_view(tok.data(), static_cast<size_t>(end - tok.data()));
    bool is_float = false;
    if (!json_number(tok, is_float)) fail("a malformed number");
    if (!is_float) {
      std::string_view digits = tok.starts_with('-') ? tok.substr(1) : tok;
      if (digits.size() <= 18) {
        int64_t i = 0;
        for (char c : digits) i = i * 10 + (c - '0');
        return Value(static_cast<long long>(tok.starts_with('-') ? -i : i));
      }
      return decimal(tok);
    }
    double d = 0;
    auto [stop, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), d);
    if (ec == std::errc::result_out_of_range && decimal_exponent(tok) < 0)
      return Value(tok.starts_with('-') ? -0.0 : 0.0);  // as Python's float() reads it
    if (ec != std::errc() || stop != tok.data() + tok.size() || std::isinf(d))
      fail("a number beyond the range of a float");
    return Value(d);
  }

  // The power of ten of a float's first significant digit (clamped): negative for a
  // magnitude below 1.
  static int64_t decimal_exponent(std::string_view t) {
    size_t i = t.starts_with('-') ? 1 : 0, e = t.find_first_of("eE");
    std::string_view mantissa =
        t.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
    int64_t exp = 0;
    if (e != std::string_view::npos) {
      std::string_view x = t.substr(e + 1);
      bool negative = x.starts_with('-');
      if (negative || x.starts_with('+')) x.remove_prefix(1);
      for (char c : x) exp = std::min<int64_t>(exp * 10 + (c - '0'), int64_t(1) << 40);
      if (negative) exp = -exp;
    }
    size_t dot = mantissa.find('.');
    std::string_view whole = mantissa.substr(0, dot);
    if (whole != "0") return static_cast<int64_t>(whole.size()) - 1 + exp;
    std::string_view fraction = dot == std::string_view::npos ? "" : mantissa.substr(dot + 1);
    size_t first = fraction.find_first_not_of('0');
    if (first == std::string_view::npos) return -1;  // zero
    return -static_cast<int64_t>(first) - 1 + exp;
  }

  // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  static bool json_number(std::string_view t, bool& is_float) {
    size_t i = 0, n = t.size();
    auto digits = [&] {
      size_t from = i;
      while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
      return i > from;
    };
    if (i < n && t[i] == '-') ++i;
    if (i < n && t[i] == '0') {
      ++i;
    } else if (!digits()) {
      return false;
    }
    is_float = false;
    if (i < n && t[i] == '.') {
      ++i;
      if (!digits()) return false;
      is_float = true;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
      ++i;
      if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
      if (!digits()) return false;
      is_float = true;
    }
    return i == n;
  }

  Value decimal(std::string_view t) {
    std::string_view digits = t.starts_with('-') ? t.substr(1) : t;
    bool ok = !digits.empty() && (digits.size() == 1 || digits[0] != '0');
    for (char c : digits) ok = ok && c >= '0' && c <= '9';
    if (!ok) fail("a malformed number");
    if (digits.size() > kMaxDecimalDigits)
      fail("an int of more than " + std::to_string(kMaxDecimalDigits) +
           " decimal digits (write it as {\"$int\": \"0x...\"})");
    return g_.integer(t);
  }

  // ---- containers ------------------------------------------------------------

  // What starting a value gave: the value itself, a frame that will give it, or
  // nothing more to do (a field that set a flag).
  enum Outcome { kValue, kPushed, kNothing };

  Frame& push(Into into, Node* node, bool delivers) {
    Frame& f = stack_.emplace_back();
    f.into = into;
    f.node = node;
    f.delivers = delivers;
    f.mark = static_cast<uint32_t>(scratch_.size());
    f.start = at_;
    return f;
  }

  template <class V>
  Outcome push_array(V& v, Into into, Node* node, bool delivers) {
    od::array a;
    need(v.get_array().get(a));
    od::array_iterator it;
    need(a.begin().get(it));
    push(into, node, delivers).array = it;
    return kPushed;
  }

  template <class V>
  void expect(V& v, od::json_type want, const char* what) {
    od::json_type type{};
    need(v.type().get(type));
    if (type != want) fail(std::string(what) + " was expected");
  }

  // Starts a value: a scalar, a reference or a leaf form at once (kValue, in out),
  // else a frame that delivers it when it closes (kPushed).
  template <class V>
  Outcome begin(V& v, Value& out) {
    at_ = location(v);
    od::json_type type{};
    need(v.type().get(type));
    if (type == od::json_type::array) {
      return push_array(v, Into::list, g_.make<ListNode>(g_.resource()), true);
    }
    if (type != od::json_type::object) {
      out = scalar(v, type);
      return kValue;
    }
    od::object o;
    need(v.get_object().get(o));
    od::object_iterator it;
    need(o.begin().get(it));
    if (!(it != it)) {  // {}: an empty dict
      out = Value(g_.make<DictNode>(g_.resource()));
      return kValue;
    }
    od::field field;
    need((*it).get(field));
    std::string_view key;
    key = read_key(field);
    if (!key.starts_with('$')) {
      push(Into::dict, g_.make<DictNode>(g_.resource()), true).object = it;
      // Read by the loop, not from here: a dict's first value may be a dict.
      pending_ = {true, false, 0, key, field.value()};
      return kPushed;
    }
    return tagged(it, field, key, out);
  }

  // A key of a JSON object that is a dict: the document's key str of that text.
  Value key_str(std::string_view text) {
    auto found = keys_.find(text);
    if (found != keys_.end()) return found->second;
    Value k = g_.str(text);
    keys_.emplace(k.str().text, k);
    return k;
  }

  // The value of a dict entry whose key was read; the key waits on the scratch stack.
  Outcome dict_entry(std::string_view key, od::value& v) {
    scratch_.push_back(key_str(key));
    Value out;
    if (begin(v, out) == kValue) accept(out);
    return kPushed;
  }

  // ---- tagged objects ------------------------------------------------------------

  template <class Fn>
  void for_rest(od::object_iterator& it, Fn&& fn) {
    ++it;
    while (it != it) {
      od::field field;
      need((*it).get(field));
      std::string_view key;
      key = read_key(field);
      at_ = location(field.value());
      fn(key, field.value());
      ++it;
    }
  }

  int64_t id_value(od::value& v) {
    at_ = location(v);
    int64_t id = -1;
    if (v.get_int64().get(id) != simdjson::SUCCESS || id < 0)
      fail("an id must be a non-negative integer");
    return id;
  }

  void define(int64_t id, Value v) {
    if (id < 0) return;
    if (!ids_.emplace(id, v).second) fail(id_at_, "duplicate id " + std::to_string(id));
  }

  std::string string_of(od::value& v, const char* what) {
    expect(v, od::json_type::string, what);
    std::string_view s;
    need(v.get_string().get(s));
    return std::string(s);
  }

  bool bool_of(od::value& v) {
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) fail("true or false was expected");
    return b;
  }

  Outcome tagged(od::object_iterator& it, od::field& first, std::string_view key, Value& out) {
    int64_t id = -1;
    od::field field = first;
    if (key == "$id") {
      id = id_value(field.value());
      id_at_ = at_;
      ++it;
      if (!(it != it)) fail("an \"$id\" with no kind after it");
      need((*it).get(field));
      key = read_key(field);
      if (!key.starts_with('$') || key == "$id" || key == "$ref" || key == "$key")
        fail(key_at_, "a kind key (\"$list\", \"$object\", ...) must follow \"$id\"");
    }
    od::value& content = field.value();
    at_ = location(content);
    if (key == "$ref" || key == "$key") {
      if (id >= 0) fail("\"" + std::string(key) + "\" takes no \"$id\"");
      if (key == "$ref") {
        int64_t ref = id_value(content);
        auto found = ids_.find(ref);
        if (found == ids_.end())
          fail("a reference to id " + std::to_string(ref) + ", which no value before it has");
        out = found->second;
      } else {
        std::string_view text;
        expect(content, od::json_type::string, "a string");
        need(content.get_string().get(text));
        out = key_str(text);
      }
      no_more(it, key);
      return kValue;
    }
    if (key == "$tuple" || key == "$list" || key == "$set" || key == "$frozenset" ||
        key == "$dict" || key == "$object" || key == "$persistent")
      return container_form(it, key, content, id);
    out = leaf(it, key, content);
    define(id, out);
    return kValue;
  }

  // The forms that hold no values: read here to their end.
  Value leaf(od::object_iterator& it, std::string_view key, od::value& content) {
    if (key == "$str") {
      od::json_type type{};
      need(content.type().get(type));
      Value v = type == od::json_type::array ? pieces(content)
                                             : g_.str(string_of(content, "a string or pieces"));
      for_rest(it, [&](std::string_view k, od::value& f) {
        if (k != "py2") fail(key_at_, "unknown key \"" + std::string(k) + "\" in a \"$str\"");
        std::string enc = string_of(f, "an encoding name");
        std::string_view lit = enc == "ascii"    ? "ascii"
                               : enc == "latin1" ? "latin1"
                               : enc == "utf-8"  ? "utf-8"
                                                 : "";
        if (lit.empty()) fail("the encoding of a Python 2 str is ascii, latin1 or utf-8");
        v.str().flags |= kPy2Str;
        v.str().py2_encoding = lit;
      });
      return v;
    }
    if (key == "$bytes" || key == "$bytearray") {
      std::string data;
      if (!detail::decode_base64(string_of(content, "a base64 string"), data))
        fail("malformed base64");
      Value v = key == "$bytes" ? g_.bytes(data) : g_.bytearray(data);
      for_rest(it, [&](std::string_view k, od::value& f) {
        if (k != "py2" || key != "$bytes") fail(key_at_, "unknown key \"" + std::string(k) + "\"");
        if (bool_of(f)) v.bytes().flags |= kPy2Str;
      });
      return v;
    }
    if (key == "$float") {
      Value v(float_text(string_of(content, "nan, -nan, inf, -inf or 0x and 16 hex digits")));
      no_more(it, key);
      return v;
    }
    if (key == "$int") {
      Value v = int_text(string_of(content, "an int as a string"));
      no_more(it, key);
      return v;
    }
    if (key == "$complex") {
      double parts[2] = {0, 0};
      uint64_t start = at_;
      expect(content, od::json_type::array, "[real, imag]");
      od::array a;
      need(content.get_array().get(a));
      size_t n = 0;
      for (auto item : a) {
        od::value part;
        need(item.get(part));
        if (n < 2) parts[n] = float_of(part);
        ++n;
      }
      if (n != 2) fail(start, "a complex is [real, imag]");
      no_more(it, key);
      return g_.complex(parts[0], parts[1]);
    }
    if (key == "$global") {
      auto names = name_pair(content);
      Value v = g_.global(names.first, names.second);
      for_rest(it, [&](std::string_view k, od::value& f) {
        GlobalNode& gn = v.global();
        if (k == "py2") {
          auto old = name_pair(f);
          gn.py2_module = g_.copy(old.first);
          gn.py2_name = g_.copy(old.second);
        } else if (k == "getattr") {
          if (bool_of(f)) gn.flags |= kGetattrForm;
        } else {
          fail(key_at_, "unknown key \"" + std::string(k) + "\" in a \"$global\"");
        }
      });
      return v;
    }
    if (key == "$buffer") {
      std::string data;
      if (!detail::decode_base64(string_of(content, "a base64 string"), data))
        fail("malformed base64");
      std::string_view kept = g_.copy(data);
      bool readonly = false;
      size_t index = 0;
      for_rest(it, [&](std::string_view k, od::value& f) {
        if (k == "readonly") {
          readonly = bool_of(f);
        } else if (k == "index") {
          index = static_cast<size_t>(id_value(f));
        } else {
          fail(key_at_, "unknown key \"" + std::string(k) + "\" in a \"$buffer\"");
        }
      });
      return g_.buffer(std::as_bytes(std::span(kept.data(), kept.size())), readonly, index);
    }
    fail(key_at_, "unknown kind \"" + std::string(key) + "\"");
  }

  void no_more(od::object_iterator& it, std::string_view kind) {
    for_rest(it, [&](std::string_view k, od::value&) {
      fail(key_at_, "unknown key \"" + std::string(k) + "\" in a \"" + std::string(kind) + "\"");
    });
  }

  std::pair<std::string, std::string> name_pair(od::value& v) {
    uint64_t start = location(v);
    expect(v, od::json_type::array, "[module, name]");
    od::array a;
    need(v.get_array().get(a));
    std::string parts[2];
    size_t n = 0;
    for (auto item : a) {
      od::value part;
      need(item.get(part));
      at_ = location(part);
      if (n < 2) parts[n] = string_of(part, "a name");
      ++n;
    }
    if (n != 2) fail(start, "a global is [module, name]");
    return {parts[0], parts[1]};
  }

  double float_of(od::value& v) {
    at_ = location(v);
    od::json_type type{};
    need(v.type().get(type));
    if (type == od::json_type::number) {
      Value n = number(v);
      if (n.is_bigint()) fail("a float was expected");
      return n.as_float();
    }
    if (type == od::json_type::object) {
      od::object o;
      need(v.get_object().get(o));
      double d = 0;
      size_t n = 0;
      for (auto f : o) {
        od::field field;
        need(std::move(f).get(field));
        std::string_view k;
        k = read_key(field);
        if (k != "$float" || n++) fail("a float was expected");
        d = float_text(string_of(field.value(), "a float's name"));
      }
      if (n != 1) fail("a float was expected");
      return d;
    }
    fail("a float was expected");
  }

  double float_text(const std::string& t) {
    if (t == "nan") return std::bit_cast<double>(0x7ff8000000000000ull);
    if (t == "-nan") return std::bit_cast<double>(0xfff8000000000000ull);
    if (t == "inf") return std::bit_cast<double>(0x7ff0000000000000ull);
    if (t == "-inf") return std::bit_cast<double>(0xfff0000000000000ull);
    if (t.size() == 18 && t.starts_with("0x")) {
      uint64_t bits = 0;
      for (char c : t.substr(2)) {
        int d = detail::digit_value(c);
        if (d > 15) fail("a float's bits are 0x and 16 hex digits");
        bits = bits << 4 | static_cast<uint64_t>(d);
      }
      return std::bit_cast<double>(bits);
    }
    fail("a \"$float\" is nan, -nan, inf, -inf or 0x and 16 hex digits");
  }

  Value int_text(const std::string& t) {
    std::string_view s = t;
    bool negative = s.starts_with('-');
    if (negative) s.remove_prefix(1);
    if (!s.starts_with("0x")) return decimal(t);
    s.remove_prefix(2);
    bool ok = !s.empty();
    for (char c : s) ok = ok && detail::digit_value(c) < 16;
    if (!ok) fail("a hex int is 0x and hex digits");
    std::vector<uint8_t> le = detail::based_to_twos(s, 16, negative);
    return g_.integer(le);
  }

  Value pieces(od::value& v) {
    od::array a;
    need(v.get_array().get(a));
    std::string text;
    for (auto item : a) {
      od::value part;
      need(item.get(part));
      at_ = location(part);
      od::json_type type{};
      need(part.type().get(type));
      if (type == od::json_type::string) {
        std::string_view s;
        need(part.get_string().get(s));
        text += s;
      } else {
        int64_t unit = 0;
        if (type != od::json_type::number || part.get_int64().get(unit) != simdjson::SUCCESS ||
            unit < 0xD800 || unit > 0xDFFF)
          fail("a piece of a str is a string or a surrogate code unit (55296 to 57343)");
        detail::append_utf8(text, static_cast<uint32_t>(unit));
      }
    }
    return g_.str(text);
  }

  Outcome container_form(od::object_iterator& it, std::string_view key, od::value& content,
                         int64_t id) {
    Node* n = nullptr;
    if (key == "$tuple") {
      n = g_.make<TupleNode>();
    } else if (key == "$list") {
      n = g_.make<ListNode>(g_.resource());
    } else if (key == "$set" || key == "$frozenset") {
      n = g_.make<SetNode>(key == "$set" ? Kind::Set : Kind::FrozenSet, g_.resource());
    } else if (key == "$dict") {
      n = g_.make<DictNode>(g_.resource());
    } else if (key == "$object") {
      auto* o = g_.make<ObjectNode>(g_.resource());
      o->args = g_.tuple({});
      n = o;
    } else {
      n = g_.make<PersistentRefNode>();
    }
    define(id, Value(n));
    Frame& t = push(Into::tagged, n, true);
    t.object = it;
    t.seen = 1u << kContent;
    pending_ = {true, true, kContent, key, content};  // read by the loop, as above
    return kPushed;
  }

  // The field a key names for a node of this kind, or kFieldCount.
  static uint8_t field_of(Kind kind, std::string_view k) {
    bool container =
        kind == Kind::List || kind == Kind::Dict || kind == Kind::Set || kind == Kind::FrozenSet;
    if (k == "states" && (container || kind == Kind::Object)) return kStates;
    if (k == "ordered" && kind == Kind::Dict) return kOrdered;
    if (k == "memoized" && (kind == Kind::Tuple || kind == Kind::Object)) return kMemoized;
    if (kind == Kind::Object) {
      if (k == "how") return kHow;
      if (k == "args") return kArgs;
      if (k == "kwargs") return kKwargs;
      if (k == "items") return kItems;
      if (k == "dict_items") return kDictItems;
      if (k == "calls") return kCalls;
      if (k == "reconstructed") return kReconstructed;
    }
    if (k == "text" && kind == Kind::PersistentRef) return kText;
    return kFieldCount;
  }

  // Reads the value of a field of the tagged frame on top.
  void field(od::value& v, uint8_t which) {
    Frame& t = stack_.back();
    Node* n = t.node;
    t.field = which;
    at_ = location(v);
    switch (which) {
      case kContent:
        switch (n->kind) {
          case Kind::Tuple:
            expect(v, od::json_type::array, "an array of items");
            push_array(v, Into::tuple, n, false);
            return;
          case Kind::List:
            expect(v, od::json_type::array, "an array of items");
            push_array(v, Into::list, n, false);
            return;
          case Kind::Set:
          case Kind::FrozenSet:
            expect(v, od::json_type::array, "an array of members");
            push_array(v, Into::set, n, false);
            return;
          case Kind::Dict: {
            od::json_type type{};
            need(v.type().get(type));
            if (type == od::json_type::array) {
              push_array(v, Into::pairs, n, false);
              return;
            }
            if (type != od::json_type::object)
              fail("a \"$dict\" is an object or an array of [key, value] pairs");
            od::object o;
            need(v.get_object().get(o));
            od::object_iterator it;
            need(o.begin().get(it));
            push(Into::dict, n, false).object = it;
            return;  // the entries are read as the frame steps
          }
          default: break;  // Object and PersistentRef: the content is a value
        }
        break;
      case kArgs: {
        od::json_type type{};
        need(v.type().get(type));
        if (type == od::json_type::array) {
          push_array(v, Into::tuple, g_.make<TupleNode>(), true);
          return;
        }
        break;
      }
      case kStates:
        expect(v, od::json_type::array, "an array of states");
        push_array(v, Into::states, n, false);
        return;
      case kItems:
        expect(v, od::json_type::array, "an array of items");
        push_array(v, Into::object_items, n, false);
        return;
      case kDictItems:
        expect(v, od::json_type::array, "an array of [key, value] pairs");
        push_array(v, Into::pairs, n, false);
        return;
      case kHow: {
        std::string how = string_of(v, "how the object was built");
        auto* o = static_cast<ObjectNode*>(n);
        if (how == "reduce") {
          o->how = BuildKind::reduce;
        } else if (how == "newobj") {
          o->how = BuildKind::newobj;
        } else if (how == "newobj_ex") {
          o->how = BuildKind::newobj_ex;
        } else if (how == "inst") {
          o->how = BuildKind::inst;
        } else if (how == "obj") {
          o->how = BuildKind::obj;
        } else {
          fail("\"how\" is reduce, newobj, newobj_ex, inst or obj");
        }
        return advance();
      }
      case kOrdered:
      case kMemoized:
      case kReconstructed:
      case kText: {
        static constexpr uint8_t kFlags[] = {kOrderedDict, pickle::kMemoized,
                                             pickle::kReconstructed, kTextPid};
        if (bool_of(v)) n->flags |= kFlags[which - kOrdered];
        return advance();
      }
      default: break;
    }
    Value out;
    if (begin(v, out) == kValue) accept(out);
  }

  // ---- the loop ----------------------------------------------------------------

  bool has_next(Frame& f) {
    return (f.into == Into::dict || f.into == Into::tagged) ? f.object != f.object
                                                            : f.array != f.array;
  }

  // Reads the next element of the frame on top, or closes it.
  void step() {
    if (pending_.active) {
      pending_.active = false;
      if (pending_.is_field) return field(pending_.value, pending_.which);
      dict_entry(pending_.key, pending_.value);
      return;
    }
    Frame& f = stack_.back();
    if (!has_next(f)) return close();
    if (f.into == Into::dict || f.into == Into::tagged) {
      od::field fld;
      need((*f.object).get(fld));
      std::string_view key;
      key = read_key(fld);
      at_ = location(fld.value());
      if (f.into == Into::dict) {
        dict_entry(key, fld.value());
        return;
      }
      uint8_t which = field_of(f.node->kind, key);
      if (which == kFieldCount)
        fail(key_at_, "unknown key \"" + std::string(key) + "\" in this form");
      if (f.seen & (1u << which))
        fail(key_at_, "the key \"" + std::string(key) + "\" appears twice");
      f.seen = static_cast<uint16_t>(f.seen | (1u << which));
      return field(fld.value(), which);
    }
    od::value item;
    need((*f.array).get(item));
    if (f.into == Into::pairs) {
      at_ = location(item);
      expect(item, od::json_type::array, "a [key, value] pair");
      push_array(item, Into::pair, f.node, false);
      return;
    }
    Value out;
    if (begin(item, out) == kValue) accept(out);
  }

  // The frame on top has no more elements: finish its node, pop it, and hand its
  // value to the frame below (or keep it as the result).
  void close() {
    Frame f = stack_.back();
    stack_.pop_back();
    at_ = f.start;  // what fails from here on is about the whole container
    switch (f.into) {
      case Into::tuple: {
        auto* t = static_cast<TupleNode*>(f.node);
        t->items = g_.copy(std::span<const Value>(scratch_).subspan(f.mark));
        scratch_.resize(f.mark);
        break;
      }
      case Into::pair:
        if (f.field != 2) fail("a [key, value] pair has two items");
        break;
      default: break;
    }
    if (stack_.empty()) {
      result_ = Value(f.node);
      return;
    }
    if (f.delivers) return accept(Value(f.node));
    advance();
  }

  // On to the next element of the frame on top.
  void advance() {
    Frame& p = stack_.back();
    if (p.into == Into::dict || p.into == Into::tagged) {
      ++p.object;
    } else {
      ++p.array;
    }
  }

  // A finished value, to the frame on top; then on to its next element.
  void accept(Value v) {
    Frame& p = stack_.back();
    switch (p.into) {
      case Into::list: static_cast<ListNode*>(p.node)->items.push_back(v); break;
      case Into::tuple: scratch_.push_back(v); break;
      case Into::set: try { static_cast<SetNode*>(p.node)->add(v);
        } catch (const TypeError& e) {
          fail(e.what());
        }
        break;
      case Into::states: try { g_.add_state(Value(p.node), v);
        } catch (const TypeError& e) {
          fail(e.what());
        }
        break;
      case Into::object_items: static_cast<ObjectNode*>(p.node)->list_items.push_back(v); break;
      case Into::pair:
        if (p.field == 0) {
          if (p.node->kind == Kind::Dict && !pickle::hashable(v))
            fail(std::string("unhashable type: '") + std::string(kind_name(v.kind())) + "'");
          scratch_.push_back(v);
        } else if (p.field == 1) {
          Value k = scratch_.back();
          scratch_.pop_back();
          set_pair(p.node, k, v);
        } else {
          fail("a [key, value] pair has two items");
        }
        ++p.field;
        break;
      case Into::dict: {
        Value k = scratch_.back();
        scratch_.pop_back();
        set_pair(p.node, k, v);
        break;
      }
      case Into::tagged: tagged_value(p, v); break;
      case Into::pairs: break;  // its pair frames deliver nothing
    }
    advance();
  }

  void set_pair(Node* target, Value k, Value v) {
    if (target->kind == Kind::Object) {
      static_cast<ObjectNode*>(target)->dict_items.emplace_back(k, v);
      return;
    }
    try {
      static_cast<DictNode*>(target)->set(k, v);
    } catch (const TypeError& e) {
      fail(e.what());
    }
  }

  // The value of a field of a tagged frame.
  void tagged_value(Frame& t, Value v) {
    if (t.node->kind == Kind::PersistentRef) {
      static_cast<PersistentRefNode*>(t.node)->pid = v;
      return;
    }
    auto* o = static_cast<ObjectNode*>(t.node);
    switch (t.field) {
      case kContent: o->callable = v; break;
      case kArgs:
        if (v.kind() != Kind::Tuple) fail("\"args\" is a tuple");
        o->args = v;
        break;
      case kKwargs:
        if (v.kind() != Kind::Dict) fail("\"kwargs\" is a dict");
        o->kwargs = v;
        break;
      case kCalls:
        if (v.kind() != Kind::List && !v.is_none()) fail("\"calls\" is a list or null");
        o->calls = v;
        break;
      default: break;
    }
  }

  Graph& g_;
  const char* base_;
  size_t size_;
  uint64_t at_ = 0;      // offset of the value or key read last
  uint64_t id_at_ = 0;   // offset of the "$id" read last
  uint64_t key_at_ = 0;  // offset of the key read last
  std::vector<Frame> stack_;
  std::vector<Value> scratch_;  // tuple items and pending keys
  std::unordered_map<int64_t, Value> ids_;
  std::unordered_map<std::string_view, Value> keys_;
  Value result_;
  // [NOTE json-no-recursion] The first entry of an object, read with its key to tell a
  // dict from a form, waits here for the loop: reading it at once would recurse when
  // it is itself an object. One at most, as the loop reads it next.
  struct Pending {
    bool active = false;
    bool is_field = false;  // a form's content, else a dict's entry
    uint8_t which = 0;
    std::string_view key;
    od::value value;
  } pending_;
};

}  // namespace

Value from_json(std::string_view json, Graph& g) {
  // simdjson 3.0 reads a root `null` followed by whitespace as a malformed literal.
  simdjson::padded_string text(trim_right(json));
  od::parser parser;
  Decoder d(g, text.data(), text.size());
  od::document doc;
  error_code e = parser.iterate(text).get(doc);
  if (e != simdjson::SUCCESS) d.fail(0, Decoder::message(e));
  return d.run(doc);
}

struct JsonReader::Impl {
  simdjson::padded_string text;
  od::parser parser;
  od::document_stream stream;
  od::document_stream::iterator it;
  bool started = false;
  bool blank = false;  // nothing but whitespace: no documents
  uint64_t offset = 0;
};

JsonReader::JsonReader(std::string_view text) : impl_(std::make_unique<Impl>()) {
  impl_->text = simdjson::padded_string(text);
  // simdjson 3.0's stream over a blank text reports uninitialised truncated bytes.
  impl_->blank = trim_right(text).empty();
  if (impl_->blank) return;
  // One batch for the whole text: a document may be as large as the text.
  size_t batch = std::max<size_t>(text.size(), size_t(1) << 16);
  error_code e = impl_->parser.iterate_many(impl_->text, batch).get(impl_->stream);
  if (e != simdjson::SUCCESS) throw JsonError(0, Decoder::message(e));
}

JsonReader::~JsonReader() = default;
JsonReader::JsonReader(JsonReader&&) noexcept = default;
JsonReader& JsonReader::operator=(JsonReader&&) noexcept = default;

uint64_t JsonReader::offset() const noexcept {
  return impl_->offset;
}

bool JsonReader::next(Graph& g, Value& out) {
  Impl& m = *impl_;
  if (m.blank) return false;
  if (!m.started) {
    m.it = m.stream.begin();
    m.started = true;
  } else {
    ++m.it;
  }
  if (!(m.it != m.stream.end())) {
    size_t truncated = std::min(m.stream.truncated_bytes(), m.text.size());
    if (truncated == 0) return false;
    m.offset = m.text.size() - truncated;
    diagnose(g, m.offset);
    throw JsonError(m.offset, "the text ends inside a JSON document");
  }
  m.offset = m.it.current_index();
  try {
    return read(g, out);
  } catch (const JsonError&) {
    diagnose(g, m.offset);
    throw;
  }
}

// A stream's error is found again by reading the document where it starts on its own,
// which tells where it is more precisely (a stray bracket after a document fails the
// whole stream, and an error inside one may be reported where its batch starts).
void JsonReader::diagnose(Graph& g, uint64_t at) {
  if (at >= impl_->text.size()) return;  // nothing there to read on its own
  std::string_view rest(impl_->text.data() + at, impl_->text.size() - at);
  Graph scratch(g.pool());
  try {
    from_json(rest, scratch);
  } catch (const JsonError& e) {
    throw JsonError(at + e.offset(), e.detail());
  }
}

bool JsonReader::read(Graph& g, Value& out) {
  Impl& m = *impl_;
  Decoder d(g, m.text.data(), m.text.size());
  d.trailing_check_ = false;
  od::document_reference doc;
  error_code e = (*m.it).get(doc);
  od::json_type type{};
  if (e == simdjson::SUCCESS) e = doc.type().get(type);
  if (e != simdjson::SUCCESS) d.fail(m.offset, Decoder::message(e));
  if (type == od::json_type::array || type == od::json_type::object) {
    out = d.run(doc);
    return true;
  }
  // simdjson 3.0's streams refuse a scalar document that other documents follow
  // (TRAILING_CONTENT): its token is read again as a document of its own.
  std::string_view token;
  if (doc.raw_json_token().get(token) != simdjson::SUCCESS)
    d.fail(m.offset, "a malformed JSON value");
  try {
    out = from_json(token, g);
  } catch (const JsonError& error) {
    throw JsonError(m.offset + error.offset(), error.detail());
  }
  return true;
}

}  // namespace pickle
