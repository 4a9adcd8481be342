#include "input.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "pickle/error.hpp"

namespace pickle::cli {

int with_input(const std::string& path, const std::function<int(Source&)>& body) {
  std::unique_ptr<Source> source;
  try {
    if (path == "-")
      source = std::make_unique<StreamSource>(stdin);
    else
      source = std::make_unique<FileSource>(path);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "pickle: %s: %s\n", path.c_str(), e.code().message().c_str());
    return kBadInput;
  }
  try {
    // A zip, gzip, ... input is refused by the library (ErrorCode::container).
    return body(*source);
  } catch (const PicklingError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "PicklingError: %s\n", e.what());
    return kBadInput;
  } catch (const PickleError& e) {  // UnpicklingError: its message names itself
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", e.what());
    return kBadInput;
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "pickle: %s\n", e.what());
    return kUsage;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "pickle: %s: %s\n", path.c_str(), e.what());
    return kBadInput;
  }
}

OutputFile::OutputFile(const std::string& path) : path_(path) {
  if (path == "-") {
    file_ = stdout;
  } else {
    temp_ = path + ".tmp-XXXXXX";
    int fd = ::mkstemp(temp_.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), path);
    // mkstemp makes the file private; give it the mode a new file would get.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0666 & ~mask);
    file_ = ::fdopen(fd, "wb");
    if (!file_) {
      int e = errno;
      ::close(fd);
      ::unlink(temp_.c_str());
      throw std::system_error(e, std::generic_category(), path);
    }
  }
  sink_ = std::make_unique<FileSink>(file_);
}

OutputFile::~OutputFile() {
  if (file_ && file_ != stdout) std::fclose(file_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void OutputFile::commit() {
  sink_->flush();
  if (file_ == stdout) {
    committed_ = true;
    return;
  }
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) throw std::system_error(errno, std::generic_category(), path_);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), path_);
  committed_ = true;
}

}  // namespace pickle::cli
