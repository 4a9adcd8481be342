// TensorFile: a file recognised by content (pickles, compressed pickles, torch
// checkpoints zip and legacy, .npy, .npz), loaded into one Graph, and the walk that
// names every tensor and array in it.
#include "pickle/tensor_file.hpp"

#include <cstdio>
#include <cstring>
#include <map>
#include <unordered_set>
#include <utility>

#include "pickle/npy.hpp"
#include "pickle/repr.hpp"
#include "pickle/tar.hpp"
#include "pickle/zip.hpp"
#include "text/literal_parse.hpp"

namespace pickle {

std::string_view format_name(FileFormat f) noexcept {
  switch (f) {
    case FileFormat::pickle: return "pickle";
    case FileFormat::torch_zip: return "PyTorch zip checkpoint";
    case FileFormat::torch_legacy: return "PyTorch legacy checkpoint";
    case FileFormat::npy: return "numpy .npy file";
    case FileFormat::npz: return "numpy .npz archive";
    case FileFormat::torch_tar: return "PyTorch tar checkpoint";
  }
  return "unknown";
}

namespace {

// torch.save's legacy format begins with a pickle of this int (torch/serialization.py's
// MAGIC_NUMBER), little-endian two's complement as LONG1 carries it.
constexpr uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

}  // namespace

Value torch_legacy_persistent_load(Graph& g, Value pid) {
  if (pid.is_tuple() && pid.size() == 4 && pid[0].is_str() && pid[0].as_str() == "module")
    return pid[1];
  return g.persistent_ref(pid);
}

bool is_torch_legacy_magic(Value v) noexcept {
  if (!v.is_bigint()) return false;
  std::span<const uint8_t> b = v.bigint().bytes;
  return b.size() == sizeof kLegacyMagic && std::memcmp(b.data(), kLegacyMagic, b.size()) == 0;
}

namespace {

std::span<const std::byte> as_bytes(std::span<const uint8_t> s) {
  return std::as_bytes(s);
}

[[noreturn]] void bad_file(Container kind, uint64_t at, const std::string& what) {
  throw ContainerError(ErrorCode::bad_container, kind, at, what);
}

// A legacy checkpoint is pickles and raw bytes, no container of the io layer's.
[[noreturn]] void bad_legacy(uint64_t at, const std::string& what) {
  throw PickleError(ErrorCode::bad_container,
                    "a legacy PyTorch checkpoint at byte " + std::to_string(at) + ": " + what);
}

// Runs a load of a pickle held inside a container; an UnpicklingError gets `where`
// appended: its offset counts from the start of that pickle, not of the file.
template <class F>
auto located(const std::string& where, F&& load) {
  try {
    return load();
  } catch (const UnpicklingError& e) {
    if (where.empty()) throw;
    throw UnpicklingError(e.code(), e.offset(), e.opcode(), e.detail() + " (" + where + ")");
  }
}

}  // namespace

struct TensorFile::Impl {
  TensorFileOptions options;
  std::unique_ptr<FileSource> file;
  std::vector<uint8_t> input;  // standard input, read whole
  std::vector<uint8_t> owned;  // the decompressed content of a compressed input
  std::vector<Container> layers;
  std::string where;  // where the offsets of the pickles' errors count, when not the file
  FileFormat format = FileFormat::pickle;
  Graph graph;
  std::vector<Value> roots;
  std::unique_ptr<ZipArchive> zip;
  std::string prefix;                             // a torch zip's directory
  std::vector<std::unique_ptr<Source>> inflated;  // deflated members read whole
  std::map<std::string, std::span<const std::byte>, std::less<>> storage_bytes;
  std::map<std::string, ArrayView, std::less<>> tar_tensors;  // by persistent id
  TorchStorages torch;
  bool has_storages = false;

  void open(std::span<const uint8_t> in);
  void open_pickles(std::span<const uint8_t> in);
  void open_pickle_stream(std::span<const uint8_t> in);
  void open_legacy(std::span<const uint8_t> in, Unpickler& u, MemorySource& src);
  void open_zip(std::span<const uint8_t> in);
  void open_tar(std::span<const uint8_t> in);
  Value npy_value(std::span<const uint8_t> in, Container where_kind);
  std::span<const uint8_t> member_bytes(const ZipMember& m);
  void use_storages();
};

void TensorFile::Impl::open(std::span<const uint8_t> in) {
  Container kind = detect_container(in.first(std::min<size_t>(in.size(), 16)));
  if (kind == Container::gzip || kind == Container::bzip2 || kind == Container::xz ||
      kind == Container::zlib) {
    // The content is read whole: a checkpoint or .npy inside needs random access, and
    // a legacy checkpoint its raw storages after the pickles. ContainerLimits bound it.
    MemorySource compressed(in);
    Opened opened = open_compressed(compressed, options.containers);
    layers.assign(opened.layers().begin(), opened.layers().end());
    for (auto c = layers.rbegin(); c != layers.rend(); ++c) {
      where += where.empty() ? "offset in the decompressed bytes of " : ", in ";
      where += container_name(*c);
    }
    opened.source().append_rest(owned);
    in = owned;
    kind = detect_container(in.first(std::min<size_t>(in.size(), 16)));
  }
  // An archive is read here and there (its directory, headers, pickles): the kernel's
  // read-ahead would read megabytes of tensor data around each of them.
  if (kind == Container::zip || TarArchive::looks_like_tar(in)) advise(in, Access::random);
  if (kind == Container::zip) return open_zip(in);
  if (kind == Container::npy) {
    format = FileFormat::npy;
    roots.push_back(npy_value(in, Container::npy));
    return;
  }
  if (TarArchive::looks_like_tar(in)) return open_tar(in);
  open_pickles(in);
}

void TensorFile::Impl::open_pickles(std::span<const uint8_t> in) {
  located(where, [&] { open_pickle_stream(in); });
}

void TensorFile::Impl::open_pickle_stream(std::span<const uint8_t> in) {
  MemorySource src(in);
  Unpickler u(src, options.load);
  roots.push_back(u.load(graph));
  if (is_torch_legacy_magic(roots.back())) return open_legacy(in, u, src);
  while (!u.at_end()) {
    u.clear_memo();  // each pickle afresh, as repeated pickle.load(f)
    roots.push_back(u.load(graph));
  }
}

// torch.save's legacy format: pickles of the magic number, the protocol version (1001)
// and sys_info, the object (storages as persistent ids), the storage keys; then for
// each key, its element count (8 bytes, the writer's byte order) and its elements.
void TensorFile::Impl::open_legacy(std::span<const uint8_t> in, Unpickler& u, MemorySource& src) {
  format = FileFormat::torch_legacy;
  auto at = [&] { return src.offset(); };
  u.clear_memo();
  Value version = u.load(graph);
  if (!version.is_int() || version.is_bigint() || version.raw_int() != 1001)
    bad_legacy(at(), "its protocol version is not 1001");
  u.clear_memo();
  Value sys_info = u.load(graph);
  bool little = true;
  if (sys_info.is_dict())
    if (const Value* le = sys_info.dict().find("little_endian"); le && le->is_bool())
      little = le->as_bool();
  torch.byteorder = little ? '<' : '>';
  // The object, with its storages' types recorded as the persistent ids go by.
  std::map<std::string, Dtype, std::less<>> types;
  {
    LoadOptions with_ids = options.load;
    with_ids.persistent_load = [&types, this](Graph& g, Value pid) {
      if (pid.is_tuple() && pid.size() >= 5 && pid[2].is_str())
        if (std::optional<Dtype> d = torch_storage_dtype(pid[1], torch.byteorder))
          types.emplace(std::string(pid[2].as_str()), *d);
      return torch_legacy_persistent_load(g, pid);
    };
    Unpickler object_reader(src, with_ids);
    roots.assign(1, object_reader.load(graph));
  }
  Unpickler keys_reader(src, options.load);
  Value keys = keys_reader.load(graph);
  if (!keys.is_list()) bad_legacy(at(), "no list of storage keys after the object");
  uint64_t pos = at();
  for (Value key : keys.items()) {
    if (!key.is_str()) bad_legacy(pos, "a storage key that is not a str");
    auto type = types.find(key.as_str());
    if (type == types.end())
      bad_legacy(pos, "storage '" + std::string(key.as_str()) + "' is not named by the object");
    if (in.size() - pos < 8) bad_legacy(pos, "the storages are cut short");
    uint64_t count = 0;
    for (int k = 0; k < 8; ++k) {
      uint64_t b = in[pos + (little ? k : 7 - k)];
      count |= b << (8 * k);
    }
    pos += 8;
    uint64_t item = type->second.itemsize;
    if (count > (in.size() - pos) / item)
      bad_legacy(pos, "storage '" + std::string(key.as_str()) + "' of " + std::to_string(count) +
                          " elements passes the end of the file");
    storage_bytes[std::string(key.as_str())] = as_bytes(in.subspan(pos, count * item));
    pos += count * item;
  }
  use_storages();
}

namespace {

std::string id_text(Value id) {
  if (id.is_str()) return std::string(id.as_str());
  if (id.is_int() && !id.is_bigint()) return std::to_string(id.raw_int());
  throw PickleError(ErrorCode::bad_value, "torch tensor: a key that is neither a str nor an int");
}

// Little-endian integers from a member's bytes at `at`, checked against its end.
uint64_t read_le(std::span<const uint8_t> b, uint64_t& at, int n, const char* what) {
  if (b.size() < uint64_t(n) || at > b.size() - uint64_t(n))
    bad_file(Container::tar, at, std::string(what) + " is cut short");
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | b[at + uint64_t(k)];
  at += uint64_t(n);
  return v;
}

}  // namespace

// The tar checkpoints of torch before 0.4: members `storages` (a pickle of their count,
// then for each a pickle of (key, location, storage type), its element count in 8
// bytes and its elements; then a pickle of the views (target, root, offset, numel)),
// `tensors` (a pickle of their count, then for each a pickle of (key, storage key,
// type), ndim in 4 bytes and 4 unused, sizes, strides and the storage offset in 8
// bytes each) and `pickle` (the object, naming tensors by their keys as persistent
// ids), as torch/serialization.py's legacy_load reads them.
void TensorFile::Impl::open_tar(std::span<const uint8_t> in) {
  format = FileFormat::torch_tar;
  TarArchive tar(in, options.zip.max_members);
  const TarMember* storages_m = tar.find("storages");
  const TarMember* tensors_m = tar.find("tensors");
  const TarMember* pickle_m = tar.find("pickle");
  if (!storages_m || !tensors_m || !pickle_m)
    bad_file(Container::tar, 0,
             "a tar archive without the storages, tensors and pickle members of a legacy "
             "PyTorch checkpoint");
  std::map<std::string, Dtype, std::less<>> dtypes;
  {
    std::span<const uint8_t> b = tar.bytes(*storages_m);
    MemorySource src(b);
    Unpickler u(src, options.load);
    Value count = u.load(graph);
    if (!count.is_int() || count.is_bigint() || count.raw_int() < 0)
      bad_file(Container::tar, storages_m->data_offset, "a storage count that is not an int");
    for (int64_t i = 0; i < count.raw_int(); ++i) {
      u.clear_memo();
      Value args = u.load(graph);
      if (!args.is_tuple() || args.size() != 3)
        bad_file(Container::tar, storages_m->data_offset + src.offset(),
                 "a storage record that is not (key, location, type)");
      std::optional<Dtype> dtype = torch_storage_dtype(args[2], '<');
      if (!dtype)
        throw PickleError(
            ErrorCode::bad_value,
            "torch tensor: a storage type that is not one of torch's storage classes");
      uint64_t at = src.offset();
      uint64_t count_elements = read_le(b, at, 8, "a storage");
      if (count_elements > (b.size() - at) / dtype->itemsize)
        bad_file(Container::tar, storages_m->data_offset + at,
                 "a storage passes the end of its member");
      std::string key = id_text(args[0]);
      storage_bytes[key] = as_bytes(b.subspan(at, count_elements * dtype->itemsize));
      dtypes[key] = *dtype;
      src.consume(8 + count_elements * dtype->itemsize);
    }
    u.clear_memo();
    Value views = u.load(graph);
    if (!views.is_list() && !views.is_tuple())
      bad_file(Container::tar, storages_m->data_offset, "storage views that are not a list");
    for (Value view : views.items()) {
      if (!view.is_tuple() || view.size() != 4)
        bad_file(Container::tar, storages_m->data_offset, "a storage view that is not a 4-tuple");
      std::string target = id_text(view[0]), root = id_text(view[1]);
      auto found = storage_bytes.find(root);
      if (found == storage_bytes.end())
        bad_file(Container::tar, storages_m->data_offset, "a view of a storage that is not there");
      uint64_t item = dtypes[root].itemsize;
      int64_t first = view[2].as_int(), n = view[3].as_int();
      uint64_t elements = found->second.size() / item;
      if (first < 0 || n < 0 || uint64_t(first) > elements ||
          uint64_t(n) > elements - uint64_t(first))
        bad_file(Container::tar, storages_m->data_offset, "a storage view beyond its storage");
      storage_bytes[target] = found->second.subspan(uint64_t(first) * item, uint64_t(n) * item);
      dtypes[target] = dtypes[root];
    }
  }
  {
    std::span<const uint8_t> b = tar.bytes(*tensors_m);
    MemorySource src(b);
    Unpickler u(src, options.load);
    Value count = u.load(graph);
    if (!count.is_int() || count.is_bigint() || count.raw_int() < 0)
      bad_file(Container::tar, tensors_m->data_offset, "a tensor count that is not an int");
    for (int64_t i = 0; i < count.raw_int(); ++i) {
      u.clear_memo();
      Value args = u.load(graph);
      if (!args.is_tuple() || args.size() != 3)
        bad_file(Container::tar, tensors_m->data_offset + src.offset(),
                 "a tensor record that is not (key, storage, type)");
      std::string key = id_text(args[0]), storage = id_text(args[1]);
      auto bytes = storage_bytes.find(storage);
      if (bytes == storage_bytes.end())
        bad_file(Container::tar, tensors_m->data_offset,
                 "tensor '" + key + "' names a storage that is not there");
      uint64_t at = src.offset();
      uint64_t ndim = read_le(b, at, 4, "a tensor record");
      at += 4;  // ndim was once 8 bytes
      if (ndim > 64)
        bad_file(Container::tar, tensors_m->data_offset + at,
                 "a tensor of more than 64 dimensions");
      ArrayView t;
      t.origin = ArrayView::Origin::torch;
      t.dtype = dtypes[storage];
      t.data = bytes->second;
      t.storage_key = storage;
      const uint64_t item = t.dtype.itemsize;
      for (uint64_t k = 0; k < ndim; ++k)
        t.shape.push_back(int64_t(read_le(b, at, 8, "a tensor record")));
      for (uint64_t k = 0; k < ndim; ++k) {
        int64_t stride = int64_t(read_le(b, at, 8, "a tensor record"));
        if (stride < 0 || uint64_t(stride) > (uint64_t(1) << 62) / item)
          bad_file(Container::tar, tensors_m->data_offset + at, "a stride out of range");
        t.strides.push_back(stride * int64_t(item));
      }
      uint64_t offset = read_le(b, at, 8, "a tensor record");
      for (int64_t d : t.shape)
        if (d < 0 || d > (int64_t(1) << 62))
          bad_file(Container::tar, tensors_m->data_offset + at, "a size out of range");
      if (offset > (uint64_t(1) << 62) / item)
        bad_file(Container::tar, tensors_m->data_offset + at, "an offset out of range");
      t.offset = offset * item;
      check_array_extent(t, "torch tensor");
      src.consume(at - src.offset());
      tar_tensors[key] = std::move(t);
    }
  }
  {
    MemorySource src(tar.bytes(*pickle_m));
    LoadOptions with_ids = options.load;
    // A tuple is a module class's id, (cls, source_file, source); anything else names a
    // tensor.
    with_ids.persistent_load = [](Graph& g, Value pid) {
      return pid.is_tuple() && pid.size() >= 1 ? pid[0] : g.persistent_ref(pid);
    };
    Unpickler u(src, with_ids);
    roots.push_back(
        located("offset in member pickle of the tar archive", [&] { return u.load(graph); }));
  }
  use_storages();
  torch.tensor = [this](Value ref) -> std::optional<ArrayView> {
    Value id = ref.persistent_ref().pid;
    if (!id.is_str() && !(id.is_int() && !id.is_bigint())) return std::nullopt;
    auto found = tar_tensors.find(id_text(id));
    if (found == tar_tensors.end())
      throw PickleError(ErrorCode::bad_value, "torch tensor: the pickle names tensor '" +
                                                  id_text(id) +
                                                  "', which the archive does not hold");
    ArrayView t = found->second;
    t.source = ref;
    return t;
  };
}

std::span<const uint8_t> TensorFile::Impl::member_bytes(const ZipMember& m) {
  if (m.method == 0) return zip->stored_bytes(m);
  inflated.push_back(zip->open(m));
  return inflated.back()->window();
}

void TensorFile::Impl::open_zip(std::span<const uint8_t> in) {
  zip = std::make_unique<ZipArchive>(in, options.zip);
  std::span<const ZipMember> members = zip->members();
  if (members.empty()) bad_file(Container::zip, 0, "an empty zip archive holds no tensors");
  bool all_npy = true;
  for (const ZipMember& m : members) all_npy = all_npy && m.name.ends_with(".npy");
  if (all_npy) {
    format = FileFormat::npz;
    Value dict = graph.dict();
    for (const ZipMember& m : members) {
      if (zip->find(m.name) != &m) continue;  // a repeated name: the first one counts
      std::span<const uint8_t> bytes = member_bytes(m);
      Value key = graph.str(std::string_view(m.name).substr(0, m.name.size() - 4));
      dict.dict().set(key, located("in member " + m.name + " of the zip archive",
                                   [&] { return npy_value(bytes, Container::npy); }));
    }
    roots.push_back(dict);
    return;
  }
  // One member that is neither: a zip of one pickle, as pandas.to_pickle(...,
  // compression='zip') writes it and pandas.read_pickle reads it.
  if (members.size() == 1 && !members[0].name.ends_with("/data.pkl")) {
    std::span<const uint8_t> bytes = member_bytes(members[0]);
    located("offset in member " + members[0].name + " of the zip archive",
            [&] { open_pickle_stream(bytes); });
    return;
  }
  // PyTorch's reader takes the directory of the first record as the archive's name.
  const std::string& first = members[0].name;
  size_t slash = first.find('/');
  if (slash == std::string::npos)
    bad_file(Container::zip, members[0].header_offset,
             "a zip archive that is neither a PyTorch checkpoint (its first member '" + first +
                 "' is not in a directory) nor an .npz (of .npy members)");
  prefix = first.substr(0, slash + 1);
  const ZipMember* data = zip->find(prefix + "data.pkl");
  if (!data)
    bad_file(
        Container::zip, 0,
        "a zip archive without '" + prefix + "data.pkl': neither a PyTorch checkpoint nor an .npz");
  format = FileFormat::torch_zip;
  if (const ZipMember* order = zip->find(prefix + "byteorder")) {
    std::span<const uint8_t> b = member_bytes(*order);
    std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
    if (text == "big")
      torch.byteorder = '>';
    else if (text != "little")
      bad_file(Container::zip, order->data_offset,
               "a byteorder record that is neither little nor big");
  }
  std::unique_ptr<Source> pickle = zip->open(*data);
  Unpickler u(*pickle, options.load);
  roots.push_back(located("offset in member " + data->name + " of the zip archive",
                          [&] { return u.load(graph); }));
  use_storages();
}

void TensorFile::Impl::use_storages() {
  has_storages = true;
  torch.lookup = [this](std::string_view key) -> std::optional<std::span<const std::byte>> {
    if (auto found = storage_bytes.find(key); found != storage_bytes.end()) return found->second;
    if (!zip) return std::nullopt;
    const ZipMember* m = zip->find(prefix + "data/" + std::string(key));
    if (!m) return std::nullopt;
    std::span<const std::byte> bytes = as_bytes(member_bytes(*m));
    storage_bytes.emplace(std::string(key), bytes);
    return bytes;
  };
}

// An .npy file as the value numpy would pickle for its array: _frombuffer over the
// file's bytes (a Buffer: no copy), or, for an object array, the pickle it holds.
Value TensorFile::Impl::npy_value(std::span<const uint8_t> in, Container where) {
  NpyHeader h = read_npy_header(in);
  Value header;
  detail::LiteralError error;
  if (!detail::parse_literal(h.text, graph, header, error, 16))
    bad_file(where, h.data_offset - h.text.size() + error.offset,
             "the header is not a Python literal: " + error.what);
  auto field = [&](const char* name) -> Value {
    const Value* v = header.is_dict() ? header.dict().find(name) : nullptr;
    if (!v) bad_file(where, 8, std::string("the header has no '") + name + "'");
    return *v;
  };
  Value descr = field("descr"), fortran = field("fortran_order"), shape = field("shape");
  if (!fortran.is_bool()) bad_file(where, 8, "fortran_order is not a bool");
  if (!shape.is_tuple()) bad_file(where, 8, "shape is not a tuple");
  Dtype dtype = dtype_from_value(descr);
  std::span<const uint8_t> data = in.subspan(h.data_offset);
  if (dtype.kind == 'O') {
    MemorySource src(data);
    Unpickler u(src, options.load);
    return located(
        "offset in the pickle after the .npy header, at byte " + std::to_string(h.data_offset),
        [&] { return u.load(graph); });
  }
  uint64_t count = 1;
  for (Value d : shape.items()) {
    if (!d.is_int() || d.is_bigint() || d.raw_int() < 0)
      bad_file(where, 8, "shape holds something other than non-negative ints");
    uint64_t n = uint64_t(d.raw_int());
    if (n && count > (uint64_t(1) << 62) / n) bad_file(where, 8, "shape has too many elements");
    count *= n;
  }
  if (dtype.itemsize && count > data.size() / dtype.itemsize)
    bad_file(where, h.data_offset,
             "the data is " + std::to_string(data.size()) + " bytes; shape and dtype " +
                 dtype.str() + " need " + std::to_string(count * dtype.itemsize));
  Value buffer = graph.buffer(as_bytes(data.first(count * dtype.itemsize)), true);
  return graph.object(
      graph.global("numpy.core.numeric", "_frombuffer"),
      graph.tuple({buffer, descr, shape, graph.str(fortran.as_bool() ? "F" : "C")}));
}

TensorFile::TensorFile(const std::string& path, const TensorFileOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  if (path == "-") {
    StreamSource in(stdin);
    in.append_rest(impl_->input);
    impl_->open(impl_->input);
    return;
  }
  impl_->file = std::make_unique<FileSource>(path);
  impl_->open(impl_->file->window());
}

TensorFile::TensorFile(std::span<const uint8_t> bytes, const TensorFileOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->open(bytes);
}

TensorFile::~TensorFile() = default;
TensorFile::TensorFile(TensorFile&&) noexcept = default;
TensorFile& TensorFile::operator=(TensorFile&&) noexcept = default;

FileFormat TensorFile::format() const noexcept {
  return impl_->format;
}
std::span<const Container> TensorFile::layers() const noexcept {
  return impl_->layers;
}
std::span<const Value> TensorFile::roots() const noexcept {
  return impl_->roots;
}
const TorchStorages* TensorFile::storages() const noexcept {
  return impl_->has_storages ? &impl_->torch : nullptr;
}

std::optional<ArrayView> TensorFile::array(Value v) const {
  return as_array(v, storages());
}

std::optional<TensorFile::FileRange> TensorFile::file_range(
    std::span<const std::byte> bytes) const noexcept {
  if (!impl_->file || impl_->file->descriptor() < 0) return std::nullopt;
  std::span<const uint8_t> map = impl_->file->mapping();
  auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  if (map.empty() || p < map.data() || bytes.size() > map.size() ||
      size_t(p - map.data()) > map.size() - bytes.size())
    return std::nullopt;
  return FileRange{impl_->file->descriptor(), uint64_t(p - map.data())};
}

// ---------------------------------------------------------------------------
// The walk

namespace {

std::string key_name(Value key) {
  if (key.is_str()) return std::string(key.as_str());
  if (key.is_int() && !key.is_bigint()) return std::to_string(key.raw_int());
  ReprOptions options;
  options.max_bytes = 200;
  options.cut_at_limit = true;
  std::string out;
  repr_to(out, key, options);
  return out;
}

std::string join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}

std::string what_is(Value v) {
  if (v.is_object()) {
    if (is_numpy_scalar(v)) return "numpy scalar";
    const GlobalNode* g = v.object().callable_global();
    return g ? std::string(g->module) + "." + std::string(g->name) + " object" : "object";
  }
  if (v.kind() == Kind::Global)
    return "global " + std::string(v.global().module) + "." + std::string(v.global().name);
  return std::string(kind_name(v.kind()));
}

}  // namespace

std::vector<NamedArray> TensorFile::arrays(std::vector<NamedOther>* others) const {
  std::vector<NamedArray> found;
  std::unordered_set<const Node*> seen;
  struct Item {
    Value v;
    std::string name;
  };
  std::vector<Item> stack;
  std::span<const Value> roots = impl_->roots;
  for (size_t i = roots.size(); i-- > 0;)
    stack.push_back({roots[i], roots.size() > 1 ? std::to_string(i) : std::string()});
  auto other = [&](const std::string& name, Value v) {
    if (others) others->push_back({name, what_is(v)});
  };
  // Children are pushed in reverse, so they are visited in stream order.
  std::vector<Item> children;
  auto push_children = [&] {
    for (size_t k = children.size(); k-- > 0;) stack.push_back(std::move(children[k]));
    children.clear();
  };
  auto container_states = [&](const std::string& path, Value v) {
    for (Value state : build_states(v)) {
      if (state.is_dict())
        for (auto& [k, val] : state.dict().entries) other(join(path, key_name(k)), val);
      else
        other(path, state);
    }
  };
  while (!stack.empty()) {
    Item item = std::move(stack.back());
    stack.pop_back();
    Value v = item.v;
    if (const Node* n = v.node()) {
      if (!seen.insert(n).second) continue;
    }
    switch (v.kind()) {
      case Kind::Dict:
        for (auto& [k, val] : v.dict().entries)
          children.push_back({val, join(item.name, key_name(k))});
        container_states(item.name, v);
        break;
      case Kind::List:
      case Kind::Tuple: {
        std::span<const Value> items = v.items();
        for (size_t i = 0; i < items.size(); ++i)
          children.push_back({items[i], join(item.name, std::to_string(i))});
        if (v.is_list()) container_states(item.name, v);
        break;
      }
      case Kind::Object: {
        if (std::optional<ArrayView> a = array(v)) {
          found.push_back({item.name, std::move(*a)});
          break;
        }
        const ObjectNode& o = v.object();
        bool walked = false;
        for (Value state : o.states) {
          // A dict, or (dict or None, slot dict) as __getstate__ returns with slots.
          Value parts[2] = {state, Value()};
          if (state.is_tuple() && state.size() == 2) parts[0] = state[0], parts[1] = state[1];
          for (Value part : parts) {
            if (part.is_none()) continue;
            walked = true;
            if (part.is_dict()) {
              for (auto& [k, val] : part.dict().entries)
                children.push_back({val, join(item.name, key_name(k))});
            } else {
              children.push_back({part, item.name});
            }
          }
        }
        for (size_t i = 0; i < o.list_items.size(); ++i, walked = true)
          children.push_back({o.list_items[i], join(item.name, std::to_string(i))});
        for (auto& [k, val] : o.dict_items) {
          children.push_back({val, join(item.name, key_name(k))});
          walked = true;
        }
        if (!walked && o.args.is_tuple() && o.args.size() && !is_numpy_scalar(v)) {
          std::span<const Value> args = o.args.items();
          for (size_t i = 0; i < args.size(); ++i)
            children.push_back({args[i], join(item.name, std::to_string(i))});
          walked = true;
        }
        if (!walked) other(item.name, v);
        break;
      }
      case Kind::PersistentRef:
        if (std::optional<ArrayView> a = array(v))
          found.push_back({item.name, std::move(*a)});
        else
          other(item.name, v);
        break;
      default: other(item.name, v); break;
    }
    push_children();
  }
  return found;
}

}  // namespace pickle
