// The files tensors and arrays live in, opened by content: pickles (plain or
// compressed), PyTorch checkpoints (zip, legacy and tar), numpy .npy and .npz. The pickles
// are loaded into a Graph without running anything; tensors view the file's bytes
// (mapped, never copied for stored members). See docs/arrays.md.
//
//   pickle::TensorFile file("model.pt");
//   for (const pickle::NamedArray& t : file.arrays())
//     std::printf("%s %s\n", t.name.c_str(), t.view.dtype.name.c_str());
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pickle/array.hpp"
#include "pickle/container.hpp"
#include "pickle/load.hpp"
#include "pickle/zip.hpp"

namespace pickle {

/// What a TensorFile found.
enum class FileFormat : uint8_t {
  pickle,        ///< one or more pickles, maybe compressed (gzip, bzip2, xz, zlib)
  torch_zip,     ///< torch.save's zip: `<dir>/data.pkl` and `<dir>/data/<key>` storages
  torch_legacy,  ///< torch.save(..., _use_new_zipfile_serialization=False)
  npy,           ///< numpy .npy (versions 1-3)
  npz,           ///< numpy .npz (a zip of .npy members, stored or deflated)
  torch_tar,     ///< the tar checkpoints of torch before 0.4
};
std::string_view format_name(FileFormat f) noexcept;

/// True when v is the int a legacy torch.save file begins with (its magic number).
bool is_torch_legacy_magic(Value v) noexcept;

/// Resolves the persistent ids of a legacy torch.save file's object as torch.load does,
/// without storages: a module class, `('module', cls, source_file, source)`, gives the
/// class; every other id (the storages) loads as a PersistentRef.
Value torch_legacy_persistent_load(Graph& g, Value pid);

/// A tensor or array and its name: dict keys and indices joined by '.'
/// (`model.layer1.weight`); the root's name is empty.
struct NamedArray {
  std::string name;
  ArrayView view;
};

/// A value that is not a tensor or array, as arrays() meets it: its name and what it is
/// (`int`, `str`, `collections.Counter object`, ...).
struct NamedOther {
  std::string name;
  std::string what;
};

struct TensorFileOptions {
  LoadOptions load;
  ContainerLimits containers;
  ZipLimits zip;
};

/// A file of tensors, opened and loaded at construction. Throws OSError when it
/// cannot be read, ContainerError for a malformed container, UnpicklingError for a
/// malformed pickle, PickleError (bad_value, unsupported) for a tensor or array that
/// cannot be read.
class TensorFile {
 public:
  /// Reads the file at `path` ("-": standard input, read whole).
  explicit TensorFile(const std::string& path, const TensorFileOptions& options = {});
  /// Reads bytes that the caller keeps alive while the TensorFile and its views live.
  explicit TensorFile(std::span<const uint8_t> bytes PICKLE_LIFETIMEBOUND,
                      const TensorFileOptions& options = {});
  ~TensorFile();
  TensorFile(TensorFile&&) noexcept;
  TensorFile& operator=(TensorFile&&) noexcept;

  FileFormat format() const noexcept;
  /// The compressed layers around the content, outermost first.
  std::span<const Container> layers() const noexcept;
  /// The values in the file: every pickle of a pickle file, the data.pkl of a
  /// checkpoint, the main pickle of a legacy checkpoint, the array of an .npy file, a
  /// dict of member names to arrays for an .npz.
  std::span<const Value> roots() const noexcept;
  /// Where the storages of torch tensors are found (nullptr for formats without).
  const TorchStorages* storages() const noexcept;
  /// Where `bytes` lie in the file this TensorFile mapped: its descriptor and the
  /// offset, so the kernel can copy them file to file (copy_file_range, sendfile); nullopt
  /// for bytes elsewhere (decompressed, inflated, in the graph, from standard input).
  struct FileRange {
    int descriptor;
    uint64_t offset;
  };
  std::optional<FileRange> file_range(std::span<const std::byte> bytes) const noexcept;
  /// The tensor or array v is, with its data resolved, or nullopt.
  std::optional<ArrayView> array(Value v) const;
  /// Every tensor and array under the roots, depth first in stream order, each node
  /// once (at its first name). A dict's entries are named by their keys (a str as it
  /// is, an int in decimal, other keys by their repr); list and tuple items by their
  /// index; an Object by the names of its state's dict (and slot dict), its set items
  /// and its appended items. When `others` is given, it gets every other value that
  /// is not walked into (ints, strs, Globals, numpy scalars, unknown objects without
  /// state, the BUILD states of containers such as a state_dict's `_metadata`). Several
  /// roots (a file of several pickles) are named by their index.
  std::vector<NamedArray> arrays(std::vector<NamedOther>* others = nullptr) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pickle

#pragma GCC visibility pop
