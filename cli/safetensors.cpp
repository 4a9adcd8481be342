// pickle safetensors IN OUT: every tensor and array of IN written as a safetensors
// file (Hugging Face's format: an 8-byte little-endian header length, a JSON header,
// the data C-contiguous and little-endian). Nothing is executed; the output is atomic.
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "commands.hpp"
#include "input.hpp"
#include "json_text.hpp"
#include "pickle/tensor_file.hpp"

namespace pickle::cli {

namespace {

// safetensors' dtype names, by numpy's.
std::string_view safetensors_dtype(const Dtype& d) {
  if (!d.fields.empty() || d.base) return {};
  static const std::map<std::string, std::string_view, std::less<>> names = {
      {"bool", "BOOL"},
      {"uint8", "U8"},
      {"int8", "I8"},
      {"int16", "I16"},
      {"uint16", "U16"},
      {"int32", "I32"},
      {"uint32", "U32"},
      {"int64", "I64"},
      {"uint64", "U64"},
      {"float16", "F16"},
      {"bfloat16", "BF16"},
      {"float32", "F32"},
      {"float64", "F64"},
      {"float8_e4m3fn", "F8_E4M3"},
      {"float8_e5m2", "F8_E5M2"},
  };
  auto found = names.find(d.name);
  return found == names.end() ? std::string_view() : found->second;
}

// Progress on standard error for writes longer than a second, when it is a terminal.
class Progress {
 public:
  explicit Progress(uint64_t total) : total_(total), tty_(::isatty(2)) {}
  ~Progress() {
    if (shown_) std::fputc('\n', stderr);
  }
  void at(uint64_t done) {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200))
      return;
    last_ = now;
    shown_ = true;
    std::fprintf(stderr, "\rpickle: safetensors: %llu of %llu MiB written",
                 static_cast<unsigned long long>(done >> 20),
                 static_cast<unsigned long long>(total_ >> 20));
  }

 private:
  uint64_t total_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
};

// Copies `size` bytes at `offset` of file `in` to the end of file `out` in the kernel:
// copy_file_range, else sendfile. False, having copied nothing, when neither works for
// these files (then the caller writes the bytes itself); OutputError when a copy fails
// part way.
bool kernel_copy(int in, uint64_t offset, int out, uint64_t size, const std::string& path) {
  auto off = static_cast<off_t>(offset);
  uint64_t left = size;
  bool use_sendfile = false;
  while (left > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, uint64_t(1) << 30));
    ssize_t n = use_sendfile ? ::sendfile(out, in, &off, chunk)
                             : ::copy_file_range(in, &off, out, nullptr, chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      bool unsupported = n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
                                   errno == EOPNOTSUPP || errno == EBADF);
      if (unsupported && left == size && !use_sendfile) {
        use_sendfile = true;  // another file system, or a pipe: sendfile may do
        continue;
      }
      if (unsupported && left == size) return false;
      throw OutputError(path + ": " + std::string(std::strerror(n < 0 ? errno : EIO)));
    }
    left -= static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

std::function<int()> add_safetensors(CLI::App& app) {
  struct Args {
    std::string in, out;
    LoadArgs load{.encoding = "latin1"};
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "safetensors",
      "Write every tensor and numpy array of IN (a pickle, a PyTorch checkpoint, an .npy or "
      ".npz file) to OUT as a safetensors file; other values are listed on standard error");
  cmd->add_option("IN", args->in, "Input file, or - for standard input")->required();
  cmd->add_option("OUT", args->out, "Output file, or - for standard output")->required();
  add_load_options(*cmd, args->load,
                   "How to decode Python 2 str: latin1 (the default here), ASCII, utf-8 or "
                   "bytes");
  return [args]() -> int {
    if (same_file(args->in, args->out)) return kUsage;
    return with_tensor_file(args->in, args->load, [&](TensorFile& file) {
      std::vector<NamedOther> others;
      std::vector<NamedArray> arrays = file.arrays(&others);
      // What is written: each tensor of a dtype safetensors has, once per name.
      std::vector<const NamedArray*> written;
      std::map<std::string_view, const NamedArray*> by_name;
      for (const NamedArray& a : arrays) {
        std::string_view dtype = safetensors_dtype(a.view.dtype);
        if (dtype.empty()) {
          others.push_back(
              {a.name, a.view.dtype.name + " array (a dtype safetensors does not have)"});
          continue;
        }
        if (a.view.data.empty() && a.view.nbytes())
          throw PickleError(ErrorCode::bad_value, "tensor '" + a.name +
                                                      "' has no data in this file (its storage '" +
                                                      a.view.storage_key +
                                                      "' is not here: a data.pkl without its "
                                                      "checkpoint?)");
        // A view with stride 0 (torch's expand) describes more bytes than its storage
        // holds; written out they multiply. Past 64 times its storage and 1 GiB, refused.
        if (!a.view.c_contiguous() &&
            a.view.nbytes() >
                std::max<uint64_t>(uint64_t(64) * a.view.data.size(), uint64_t(1) << 30))
          throw PickleError(ErrorCode::limit_exceeded,
                            "tensor '" + a.name + "' is a view of " +
                                std::to_string(a.view.nbytes()) + " bytes over a storage of " +
                                std::to_string(a.view.data.size()) +
                                " (an expanded view?); written out it would be over 64 times that");
        if (!by_name.emplace(a.name, &a).second)
          throw PickleError(ErrorCode::bad_value, "two tensors are named '" + a.name +
                                                      "'; safetensors names must differ");
        written.push_back(&a);
      }
      // The header, padded with spaces to a multiple of 8 bytes, as safetensors pads it.
      std::string header = "{";
      uint64_t offset = 0;
      for (const NamedArray* a : written) {
        if (header.size() > 1) header += ",";
        append_json_string(header, a->name);
        header += ":{\"dtype\":\"";
        header += safetensors_dtype(a->view.dtype);
        header += "\",\"shape\":[";
        for (size_t k = 0; k < a->view.shape.size(); ++k)
          header += (k ? "," : "") + std::to_string(a->view.shape[k]);
        uint64_t end = offset + a->view.nbytes();
        header +=
            "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
        offset = end;
      }
      header += "}";
      header.append((8 - header.size() % 8) % 8, ' ');
      OutputFile out(args->out);
      char length[8];
      for (int k = 0; k < 8; ++k) length[k] = static_cast<char>(uint64_t(header.size()) >> (8 * k));
      out.sink().write(length, 8);
      out.sink().write(header.data(), header.size());
      Progress progress(offset);
      uint64_t done = 0;
      std::vector<std::byte> scratch;
      for (const NamedArray* a : written) {
        // A tensor's bytes are read start to end (the archive was advised random).
        advise(
            std::span(reinterpret_cast<const uint8_t*>(a->view.data.data()), a->view.data.size()),
            Access::sequential);
        std::span<const std::byte> bytes = a->view.c_order_le(scratch);
        // Bytes as they lie in the mapped input (a stored member, contiguous and
        // little-endian: nearly every tensor of a checkpoint) are copied by the kernel,
        // file to file, without passing through this process.
        if (scratch.empty() && !bytes.empty()) {
          if (auto range = file.file_range(bytes);
              range && kernel_copy(range->descriptor, range->offset, out.descriptor(), bytes.size(),
                                   args->out)) {
            progress.at(done += bytes.size());
            continue;
          }
        }
        // In pieces, so progress moves on a large tensor.
        constexpr size_t kPiece = size_t(64) << 20;
        for (size_t at = 0; at < bytes.size(); at += kPiece) {
          size_t n = std::min(kPiece, bytes.size() - at);
          out.sink().write(reinterpret_cast<const char*>(bytes.data() + at), n);
          progress.at(done += n);
        }
      }
      out.commit();
      for (const NamedOther& o : others)
        std::fprintf(stderr, "pickle: not written: %s (%s)\n",
                     o.name.empty() ? "(the root)" : o.name.c_str(), o.what.c_str());
      return kOk;
    });
  };
}

}  // namespace pickle::cli
