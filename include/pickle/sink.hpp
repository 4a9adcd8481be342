// Sinks: where a Pickler (and every other writer of pickles) puts its bytes.
//
//   std::string out;
//   pickle::StringSink sink(out);
//   pickle::Pickler p(sink);
//   p.dump(v);  // out holds the pickle
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstddef>
#include <cstdio>
#include <ostream>
#include <string>

namespace pickle {

/// Where the Pickler writes. Implementations: StringSink, FileSink, StreamSink.
class Sink {
 public:
  virtual ~Sink();
  virtual void write(const char* data, size_t size) = 0;
  virtual void flush() {}
};

/// Appends to a std::string (owned, or the caller's).
class StringSink final : public Sink {
 public:
  StringSink() : out_(&own_) {}
  explicit StringSink(std::string& out) : out_(&out) {}
  void write(const char* data, size_t size) override { out_->append(data, size); }
  std::string& str() noexcept { return *out_; }

 private:
  std::string own_;
  std::string* out_;
};

/// Writes to a FILE* (not closed). Throws PicklingError when a write fails.
class FileSink final : public Sink {
 public:
  explicit FileSink(std::FILE* file) : file_(file) {}
  void write(const char* data, size_t size) override;
  void flush() override;

 private:
  std::FILE* file_;
};

/// Writes to a std::ostream. Throws PicklingError when the stream fails.
class StreamSink final : public Sink {
 public:
  explicit StreamSink(std::ostream& out) : out_(out) {}
  void write(const char* data, size_t size) override;
  void flush() override;

 private:
  std::ostream& out_;
};

}  // namespace pickle
#pragma GCC visibility pop
