#include "input.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "pickle/container.hpp"
#include "pickle/error.hpp"

namespace pickle::cli {

LoadOptions LoadArgs::options() const {
  LoadOptions o;
  o.py2_str.encoding = encoding;
  o.py2_str.errors = errors;
  o.fix_imports = !no_fix_imports;
  return o;
}

void add_load_options(CLI::App& cmd, LoadArgs& args, const std::string& encoding_help) {
  cmd.add_option("--encoding", args.encoding, encoding_help)->capture_default_str();
  cmd.add_option("--errors", args.errors,
                 "How Python 2 str decoding errors are handled: strict, ignore, replace, "
                 "surrogateescape, backslashreplace (as CPython 3)")
      ->capture_default_str();
  cmd.add_flag("--no-fix-imports", args.no_fix_imports,
               "Keep the Python 2 module names of globals in protocol 0-2 pickles "
               "(default: map them to Python 3 ones, as CPython 3's fix_imports)");
}

CLI::Option* add_protocol_option(CLI::App& cmd, int& protocol, const std::string& help) {
  auto highest_if_negative = [](std::string& text) -> std::string {
    long long n = 0;
    const char* begin = text.data() + (text.size() > 1 && text[0] == '+');
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(begin, end, n);
    if (ec == std::errc::result_out_of_range && !text.empty() && text[0] == '-')
      n = -1;
    else if (ec != std::errc() || stop != end)
      return "Value " + text + " is not an integer";
    if (n > HIGHEST_PROTOCOL)
      return "Value " + text + " is above the highest protocol, " +
             std::to_string(HIGHEST_PROTOCOL);
    if (n < 0) text = std::to_string(HIGHEST_PROTOCOL);
    return {};
  };
  return cmd.add_option("-p,--protocol", protocol, help)
      ->transform(CLI::Validator(highest_if_negative, "", "protocol"))
      ->type_name("N");
}

int with_errors(const std::string& path, const std::string& inside,
                const std::function<int()>& body) {
  try {
    return body();
  } catch (const OSError& e) {  // the input cannot be read
    std::fflush(stdout);
    std::fprintf(stderr, "pickle: %s: %s\n", path.c_str(), e.error().message().c_str());
    return kBadInput;
  } catch (const OutputError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "pickle: %s\n", e.what());
    return kBadInput;
  } catch (const PicklingError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "PicklingError: %s\n", e.what());
    return kBadInput;
  } catch (const UnpicklingError& e) {  // its message names itself
    std::fflush(stdout);
    std::fprintf(stderr, "%s%s\n", e.what(), inside.c_str());
    return kBadInput;
  } catch (const UsageError& e) {  // an --encoding or --errors the Unpickler refuses
    std::fprintf(stderr, "pickle: %s\n", e.what());
    return kUsage;
  } catch (const PickleError& e) {
    std::fflush(stdout);
    // A PickleError made from a message alone (a codec's) names itself; the others
    // (TypeError, LimitError, ...) say which input.
    if (e.code() == ErrorCode::other)
      std::fprintf(stderr, "%s\n", e.what());
    else
      std::fprintf(stderr, "pickle: %s: %s\n", path.c_str(), e.what());
    return kBadInput;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "pickle: %s: %s\n", path.c_str(), e.what());
    return kBadInput;
  }
}

int with_input(const std::string& path, const std::function<int(Source&)>& body) {
  std::unique_ptr<Source> source;
  try {
    if (path == "-")
      source = std::make_unique<StreamSource>(stdin);
    else
      source = std::make_unique<FileSource>(path);
  } catch (const OSError& e) {
    std::fprintf(stderr, "pickle: %s: %s\n", path.c_str(), e.error().message().c_str());
    return kBadInput;
  }
  std::string inside;  // where the offsets of a load error are counted, when not the file
  return with_errors(path, inside, [&] {
    // Compressed layers are opened by content.
    Opened opened = open_compressed(*source);
    // Innermost first: the offset counts the bytes the innermost layer gives.
    auto layers = opened.layers();
    for (auto c = layers.rbegin(); c != layers.rend(); ++c) {
      inside += inside.empty() ? " (offset in the decompressed bytes of " : ", in ";
      inside += container_name(*c);
    }
    if (!inside.empty()) inside += ")";
    return body(opened.source());
  });
}

int with_tensor_file(const std::string& path, const LoadArgs& load,
                     const std::function<int(TensorFile&)>& body) {
  return with_errors(path, " (in " + path + ")", [&] {
    TensorFileOptions options;
    options.load = load.options();
    TensorFile file(path, options);
    return body(file);
  });
}

bool same_file(const std::string& in, const std::string& out) {
  std::error_code ec;
  if (in == "-" || out == "-" || !std::filesystem::equivalent(in, out, ec)) return false;
  std::fprintf(stderr, "pickle: IN and OUT are the same file\n");
  return true;
}

namespace {
[[noreturn]] void output_failed(const std::string& path, int error) {
  throw OutputError(path + ": " + std::generic_category().message(error));
}
}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (path == "-") {
    file_ = stdout;
  } else {
    temp_ = path + ".tmp-XXXXXX";
    int fd = ::mkstemp(temp_.data());
    if (fd < 0) output_failed(path, errno);
    // mkstemp makes the file private; give it the mode a new file would get.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    file_ = ::fdopen(fd, "wb");
    if (!file_) {
      int e = errno;
      ::close(fd);
      ::unlink(temp_.c_str());
      output_failed(path, e);
    }
  }
  sink_ = std::make_unique<FileSink>(file_);
}

OutputFile::~OutputFile() {
  if (file_ && file_ != stdout) std::fclose(file_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

int OutputFile::descriptor() {
  sink_->flush();
  return ::fileno(file_);
}

void OutputFile::commit() {
  sink_->flush();
  if (file_ == stdout) {
    committed_ = true;
    return;
  }
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) output_failed(path_, errno);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) output_failed(path_, errno);
  committed_ = true;
}

}  // namespace pickle::cli
