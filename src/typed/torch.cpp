// PyTorch tensors as torch.save pickles them: a rebuild function of torch._utils over
// a storage named by a persistent id, resolved through TorchStorages. See
// docs/arrays.md.
#include <string>
#include <string_view>

#include "array_parts.hpp"
#include "pickle/array.hpp"

namespace pickle::detail {

namespace {

constexpr std::string_view kWhat = "torch tensor";

// torch's storage classes, by the name torch.save writes (`torch.FloatStorage`), with
// the dtype of their elements (numpy's name) and its size.
struct StorageType {
  std::string_view storage, dtype;
  uint64_t size;
};
constexpr StorageType kStorageTypes[] = {
    {"DoubleStorage", "float64", 8},
    {"FloatStorage", "float32", 4},
    {"HalfStorage", "float16", 2},
    {"BFloat16Storage", "bfloat16", 2},
    {"LongStorage", "int64", 8},
    {"IntStorage", "int32", 4},
    {"ShortStorage", "int16", 2},
    {"CharStorage", "int8", 1},
    {"ByteStorage", "uint8", 1},
    {"BoolStorage", "bool", 1},
    {"ComplexDoubleStorage", "complex128", 16},
    {"ComplexFloatStorage", "complex64", 8},
    {"ComplexHalfStorage", "complex32", 4},
    {"UInt16Storage", "uint16", 2},
    {"UInt32Storage", "uint32", 4},
    {"UInt64Storage", "uint64", 8},
    {"Float8_e4m3fnStorage", "float8_e4m3fn", 1},
    {"Float8_e5m2Storage", "float8_e5m2", 1},
    {"Float8_e4m3fnuzStorage", "float8_e4m3fnuz", 1},
    {"Float8_e5m2fnuzStorage", "float8_e5m2fnuz", 1},
    {"UntypedStorage", "uint8", 1},
};

// Rebuild functions whose tensors are not plain strided views of one storage.
struct Unsupported {
  std::string_view function, what;
};
constexpr Unsupported kUnsupported[] = {
    {"_rebuild_qtensor", "a quantized tensor"},
    {"_rebuild_sparse_tensor", "a sparse tensor"},
    {"_rebuild_sparse_csr_tensor", "a sparse CSR tensor"},
    {"_rebuild_nested_tensor", "a nested tensor"},
    {"_rebuild_meta_tensor_no_storage", "a meta tensor (it has no data)"},
    {"_rebuild_wrapper_subclass", "a tensor subclass without storage"},
    {"_rebuild_xla_tensor", "an XLA tensor"},
    {"_rebuild_mlc_tensor", "an MLC tensor"},
    {"_rebuild_device_tensor_from_numpy", "a tensor of a device pickled through numpy"},
};

}  // namespace

std::optional<Dtype> storage_dtype(Value type, char byteorder) {
  const GlobalNode* g = type.kind() == Kind::Global ? &type.global() : nullptr;
  if (g && (g->module == "torch" || g->module == "torch.storage" || g->module == "torch.cuda")) {
    for (const StorageType& t : kStorageTypes) {
      if (g->name == t.storage) {
        Dtype d = parse_dtype(t.dtype);
        if (d.itemsize > 1 && d.kind != 'b') d.byteorder = byteorder;
        d.name.clear();
        if (t.dtype == "bfloat16" || t.dtype.starts_with("float8") || t.dtype == "complex32")
          d.name = std::string(t.dtype);
        finish_dtype(d);
        return d;
      }
    }
    if (g->name.starts_with("Q"))
      throw PickleError(ErrorCode::unsupported, "torch tensor: a quantized storage (torch." +
                                                    std::string(g->name) + ") is not read");
  }
  return std::nullopt;
}

namespace {

std::string key_text(Value key) {
  if (key.is_str()) return std::string(key.as_str());
  if (key.is_int() && !key.is_bigint()) return std::to_string(key.raw_int());
  bad_value(kWhat, "a storage key that is neither a str nor an int");
}

}  // namespace

std::optional<ArrayView> torch_tensor(Value v, const TorchStorages* storages) {
  const ObjectNode& o = v.object();
  const GlobalNode* g = o.callable_global();
  if (!g || g->module != "torch._utils") return std::nullopt;
  for (const Unsupported& u : kUnsupported)
    if (g->name == u.function)
      throw PickleError(ErrorCode::unsupported, "torch tensor: torch._utils." +
                                                    std::string(u.function) + " (" +
                                                    std::string(u.what) + ") is not read");
  if (!o.args.is_tuple()) return std::nullopt;
  if (g->name == "_rebuild_parameter" || g->name == "_rebuild_parameter_with_state") {
    // (data, requires_grad, backward_hooks[, state]): data is the tensor.
    Value inner = o.args.size() ? o.args[0] : Value();
    const GlobalNode* ig = inner.is_object() ? inner.object().callable_global() : nullptr;
    if (!ig || ig->module != "torch._utils" || !ig->name.starts_with("_rebuild_tensor"))
      bad_value(kWhat, "a parameter whose data is not a tensor");
    std::optional<ArrayView> t = torch_tensor(inner, storages);
    if (t) t->source = v;
    return t;
  }
  if (g->name != "_rebuild_tensor_v2" && g->name != "_rebuild_tensor") return std::nullopt;
  // (storage, storage_offset, size, stride, ...).
  if (o.args.size() < 4) bad_value(kWhat, "a rebuild call without (storage, offset, size, stride)");
  Value storage = o.args[0];
  if (storage.kind() != Kind::PersistentRef) {
    const GlobalNode* sg = storage.is_object() ? storage.object().callable_global() : nullptr;
    if (sg && sg->name == "_load_from_bytes")
      throw PickleError(ErrorCode::unsupported,
                        "torch tensor: a storage pickled by pickle.dumps "
                        "(torch.storage._load_from_bytes) is not read; torch.save writes "
                        "checkpoints this library reads");
    bad_value(kWhat, "its storage is not a persistent id");
  }
  Value pid = storage.persistent_ref().pid;
  // ('storage', storage_type, key, location, numel[, view_metadata]).
  if (!pid.is_tuple() || pid.size() < 5 || !pid[0].is_str() || pid[0].as_str() != "storage")
    bad_value(kWhat, "a persistent id that is not ('storage', type, key, location, numel)");
  ArrayView t;
  t.origin = ArrayView::Origin::torch;
  t.source = v;
  t.storage = pid;
  std::optional<Dtype> dtype = storage_dtype(pid[1], storages ? storages->byteorder : '<');
  if (!dtype) bad_value(kWhat, "a storage type that is not one of torch's storage classes");
  t.dtype = std::move(*dtype);
  t.storage_key = key_text(pid[2]);
  if (pid[3].is_str()) t.device = std::string(pid[3].as_str());
  int64_t numel = pid[4].is_int() && !pid[4].is_bigint() ? pid[4].raw_int() : -1;
  if (numel < 0) bad_value(kWhat, "a storage size that is not a non-negative int");
  int64_t offset = o.args[1].is_int() && !o.args[1].is_bigint() ? o.args[1].raw_int() : -1;
  if (offset < 0) bad_value(kWhat, "a storage offset that is not a non-negative int");
  t.shape = int_list(o.args[2], "torch tensor size", 0);
  std::vector<int64_t> stride = int_list(o.args[3], "torch tensor stride", 0);
  if (stride.size() != t.shape.size()) bad_value(kWhat, "its size and stride differ in length");
  if (t.shape.size() > 64) bad_value(kWhat, "more than 64 dimensions");
  const uint64_t item = t.dtype.itemsize;
  for (int64_t s : stride) {
    if (uint64_t(s) > (uint64_t(1) << 62) / item) bad_value(kWhat, "a huge stride");
    t.strides.push_back(s * int64_t(item));
  }
  if (uint64_t(offset) > (uint64_t(1) << 62) / item) bad_value(kWhat, "a huge storage offset");
  t.offset = uint64_t(offset) * item;
  if (!storages) return t;  // no data to view: dtype and shape only
  std::optional<std::span<const std::byte>> bytes = storages->lookup(t.storage_key);
  if (!bytes) bad_value(kWhat, "its storage '" + t.storage_key + "' is not in the file");
  std::span<const std::byte> data = *bytes;
  if (uint64_t(numel) > (uint64_t(1) << 62) / item || data.size() < uint64_t(numel) * item)
    bad_value(kWhat, "storage '" + t.storage_key + "' holds " + std::to_string(data.size()) +
                         " bytes; its persistent id says " + std::to_string(numel) +
                         " elements of " + std::to_string(item));
  data = data.first(uint64_t(numel) * item);
  // A legacy file's view of a storage: (view_key, offset, size) in elements.
  if (pid.size() >= 6 && pid[5].is_tuple()) {
    Value view = pid[5];
    if (view.size() != 3) bad_value(kWhat, "a storage view that is not (key, offset, size)");
    int64_t first = view[1].is_int() && !view[1].is_bigint() ? view[1].raw_int() : -1;
    int64_t count = view[2].is_int() && !view[2].is_bigint() ? view[2].raw_int() : -1;
    if (first < 0 || count < 0 || first > numel || count > numel - first)
      bad_value(kWhat, "a storage view beyond its storage");
    data = data.subspan(uint64_t(first) * item, uint64_t(count) * item);
  }
  t.data = data;
  check_extent(t, kWhat);
  return t;
}

}  // namespace pickle::detail

namespace pickle {
std::optional<Dtype> torch_storage_dtype(Value storage_type, char byteorder) {
  return detail::storage_dtype(storage_type, byteorder);
}
}  // namespace pickle
