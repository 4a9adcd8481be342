// JSON both ways: a lossless mapping of the object model (docs/json.md, with its JSON
// Schema), and plain JSON as Python's json.dumps writes it.
//
//   pickle::Document doc = pickle::loads(bytes);
//   std::string text = pickle::to_json(doc.root());        // lossless
//   pickle::Graph g;
//   pickle::Value back = pickle::from_json(text, g);       // the same graph again
//   std::string again = pickle::dumps(back);               // = convert of bytes
//
// Neither direction recurses on the depth of the data.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "pickle/error.hpp"
#include "pickle/value.hpp"

namespace pickle {

struct JsonOptions {
  /// false: the lossless mapping of docs/json.md, which from_json reads back into the
  /// same graph. true: what Python's json.dumps writes for the loaded object where
  /// JSON has a type for it, and a readable form for the rest (docs/json.md, "Plain
  /// JSON"); not meant to be read back.
  bool plain = false;
  /// Spaces per level of nesting, each element on its own line; negative (default):
  /// everything on one line, as `pickle json` writes one document per line.
  int indent = -1;
  /// Plain JSON only: non-ASCII text as \uXXXX escapes, as json.dumps's default
  /// ensure_ascii=True writes it; false writes UTF-8.
  bool ensure_ascii = true;
  /// Plain JSON only: a LimitError (code limit_exceeded) once the output passes this
  /// many bytes. JSON has no references, so plain JSON writes a shared value out at
  /// each reference, and a small pickle can describe an enormous document (a list
  /// holding the same list a thousand times, a thousand times over).
  size_t max_bytes = size_t(1) << 30;
  /// Plain JSON only: ANSI colours for a terminal (keys, strings, numbers, literals).
  bool color = false;
};

/// Appends the JSON of v to out (no newline at the end).
void to_json(std::string& out, Value v, const JsonOptions& options = {});
/// The JSON of v.
std::string to_json(Value v, const JsonOptions& options = {});

/// Malformed JSON, or JSON that does not describe a value of the object model (a wrong
/// type, a dangling reference, an unknown kind, a duplicate id, a number beyond its
/// range). what() reads `JsonError at byte 17: ...`; offset() is the byte of the JSON
/// text where the offending value or token starts. Code `bad_json`.
class JsonError : public PickleError {
 public:
  JsonError(uint64_t offset, std::string detail);
  uint64_t offset() const noexcept { return offset_; }
  const std::string& detail() const noexcept { return detail_; }

 private:
  uint64_t offset_;
  std::string detail_;
};

/// Reads one JSON document of the lossless mapping (plain JSON is a subset of it: an
/// object is a dict with str keys, an array a list) into g and returns its value.
/// Whitespace may surround it; anything else after it is a JsonError.
Value from_json(std::string_view json, Graph& g);

/// Reads the JSON documents of a text one after another (`pickle json` writes one per
/// pickle, one per line):
///
///   pickle::JsonReader r(text);
///   pickle::Graph g;
///   for (pickle::Value v; r.next(g, v); g.clear()) use(v);
class JsonReader {
 public:
  /// Reads from a copy of text (the parser needs padding after the bytes).
  explicit JsonReader(std::string_view text);
  ~JsonReader();
  JsonReader(JsonReader&&) noexcept;
  JsonReader& operator=(JsonReader&&) noexcept;

  /// Reads the next document into g; false when only whitespace is left.
  bool next(Graph& g, Value& out);
  /// Offset in the text of the document next() read last.
  uint64_t offset() const noexcept;

 private:
  bool read(Graph& g, Value& out);
  void diagnose(Graph& g, uint64_t at);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pickle
#pragma GCC visibility pop
