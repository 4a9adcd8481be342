// Shared pieces of the subcommands: the load and protocol options, opening inputs,
// writing outputs, and mapping errors to exit statuses.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <cstdio>

#include "commands.hpp"
#include "pickle/dump.hpp"
#include "pickle/load.hpp"
#include "pickle/tensor_file.hpp"

namespace pickle::cli {

/// The load options of every subcommand that loads pickles (DESIGN.md): --encoding,
/// --errors and --no-fix-imports, as CPython 3's pickle.load takes them.
struct LoadArgs {
  std::string encoding = "ASCII";
  std::string errors = "strict";
  bool no_fix_imports = false;
  /// LoadOptions with these settings (the rest at their defaults).
  LoadOptions options() const;
};

/// Adds the load options to cmd, parsed into args (which must outlive parsing). The
/// default encoding is args.encoding as given; `encoding_help` describes the option.
void add_load_options(CLI::App& cmd, LoadArgs& args, const std::string& encoding_help);

/// Adds -p/--protocol to cmd, parsed into `protocol`: 0 to HIGHEST_PROTOCOL, and any
/// negative number for HIGHEST_PROTOCOL, as the pickle module documents; above it is a
/// usage error. Returns the option (whose count() says whether it was given).
CLI::Option* add_protocol_option(CLI::App& cmd, int& protocol, const std::string& help);

/// Opens path ("-" for standard input) and runs body on it. Maps errors to the
/// tool's exit statuses: UnpicklingError and unreadable files print one line on
/// standard error and give kBadInput (an OutputError too); bad option values give
/// kUsage.
int with_input(const std::string& path, const std::function<int(Source&)>& body);

/// Runs body, mapping the errors it throws to exit statuses as with_input does; an
/// UnpicklingError's line gets `inside` appended (where its offsets count).
int with_errors(const std::string& path, const std::string& inside,
                const std::function<int()>& body);

/// Opens path ("-" for standard input) as a TensorFile (by content: pickles, torch
/// checkpoints, .npy, .npz) and runs body on it, mapping errors as with_input does.
int with_tensor_file(const std::string& path, const LoadArgs& load,
                     const std::function<int(TensorFile&)>& body);

/// True, after saying so on standard error, when IN and OUT name one file (which a
/// command that writes OUT refuses: a usage error).
bool same_file(const std::string& in, const std::string& out);

/// An output file that cannot be created or renamed into place. The message is
/// "OUT: reason", printed as `pickle: OUT: reason` (the input is not named).
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An output file written through a temporary beside it and renamed into place by
/// commit(), so a failure never leaves a partial file ("-" is standard output).
class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  Sink& sink() { return *sink_; }
  /// The file's descriptor, for bytes the kernel copies into it (copy_file_range,
  /// sendfile); what the sink buffered is written first.
  int descriptor();
  void commit();

 private:
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<FileSink> sink_;
  bool committed_ = false;
};

}  // namespace pickle::cli
