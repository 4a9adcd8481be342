// The scanner: every pickle of a file, inside every container a loader opens, loaded
// by the value builder with an observer that judges each global and call.
// See [NOTE scan-same-machine] and [NOTE scan-containers].
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "io/peek.hpp"
#include "load/decoder.hpp"
#include "load/observer.hpp"
#include "load/value_builder.hpp"
#include "pickle/array.hpp"
#include "pickle/npy.hpp"
#include "pickle/scan.hpp"
#include "pickle/tar.hpp"
#include "pickle/tensor_file.hpp"
#include "text/literal_parse.hpp"
#include "text/text.hpp"
#include "tools/scan/names.hpp"

namespace pickle {

namespace {

using detail::At;
using Member = std::vector<std::string>;

std::string dotted(std::string_view module, std::string_view name) {
  std::string s(module);
  s += '.';
  s += name;
  return s;
}

std::string op_name(Op op) {
  return std::string(op_info(op).name);
}

// What a call's callable is, for a finding: a Global's dotted name, `X()` for what a
// call of the global X returned, `persistent_load()` for a persistent id's value.
std::string describe_callable(Value v) {
  if (v.kind() == Kind::Global) return dotted(v.global().module, v.global().name);
  if (v.kind() == Kind::Object) {
    if (const GlobalNode* g = v.object().callable_global())
      return dotted(g->module, g->name) + "()";
    return "<an object>";
  }
  if (v.kind() == Kind::PersistentRef) return "persistent_load()";
  return "<" + std::string(kind_name(v.kind())) + ">";
}

class FileScan;

// numpy's dtype.hasobject: an object kind anywhere in the fields or subarrays.
bool has_object(const Dtype& d) {
  std::vector<const Dtype*> todo{&d};
  while (!todo.empty()) {
    const Dtype* t = todo.back();
    todo.pop_back();
    if (t->kind == 'O') return true;
    for (const Dtype::Field& f : t->fields) todo.push_back(f.type.get());
    if (t->base) todo.push_back(t->base.get());
  }
  return false;
}

// Consumes n bytes of a source, a chunk at a time; false when fewer are left.
bool skip(Source& s, uint64_t n) {
  while (n) {
    size_t step = static_cast<size_t>(std::min<uint64_t>(n, uint64_t(1) << 20));
    if (!s.ensure(step)) return false;
    s.consume(step);
    n -= step;
  }
  return true;
}

// [NOTE scan-same-machine] The scanner is the value builder of the Unpickler, watched
// (see [NOTE load-observer]): it follows the stack and the memo exactly as loading
// does, so a name assembled through the memo, DUP, PUT after POP, STACK_GLOBAL from any
// string opcode, INST, OBJ or EXT (through the Registry a loader would have) reaches
// the observer as the global it is, and every stream loading accepts or refuses, the
// scan accepts or refuses at the same byte. The observer reports:
//   - every global loading would import that is not safe (names, at their opcode);
//   - getattr(X, 'name') as the global X.name it becomes, and getattr of anything
//     that is not a global as unsafe (it reads any attribute of a built object);
//   - a call of something that is not a global (what an earlier call returned, a
//     persistent id's value) as unknown;
//   - BUILD that sets an attribute `__setstate__`, which the next BUILD would call;
//   - bytes given to a nested loader (pickle.loads, io.BytesIO ...): scanned as a
//     file of their own, after the pickle.
class Observer final : public detail::LoadObserver {
 public:
  Observer(FileScan& scan, const Member& member, unsigned depth)
      : scan_(scan), member_(member), depth_(depth) {}

  void global(At at, std::string_view module, std::string_view name, Value) override;
  void call(At at, Value callable, Value args, Value kwargs, BuildKind how, Value made) override;
  void build(At at, Value inst, Value state) override;
  bool reads_after_build(At, Value inst) override;
  void read_after_build(At at, Value inst, Source& src) override;

  struct Nested {
    uint64_t offset;
    std::string loader;
    std::string bytes;
  };
  std::vector<Nested> nested;

 private:
  void collect_bytes(At at, const std::string& loader, Value args, Value kwargs);

  // Nodes collect_bytes has visited: each is visited once per pickle, however often
  // the memo names it, so repeated calls cost no more than the graph holds.
  std::unordered_set<const Node*> visited_;
  FileScan& scan_;
  const Member& member_;
  unsigned depth_;
};

// One file's scan: the findings, and the walk through its containers.
class FileScan {
 public:
  FileScan(const ScanOptions& options, ScanReport& report) : opt_(options), report_(report) {
    load_.limits = options.limits;
    load_.registry = &options.extensions;
    // Every byte is a latin-1 character: a Python 2 str never fails to decode, and a
    // name with a byte outside ASCII is never a trusted (ASCII) name.
    load_.pool = options.pool;
    load_.py2_str.encoding = "latin1";
    // A line either CPython unpickler reads is read (see LoadOptions::python_literals).
    load_.python_literals = true;
  }

  void add(const Member& member, uint64_t offset, std::string opcode, Verdict verdict,
           std::string callable, std::string why) {
    report_.findings.push_back(
        {member, offset, std::move(opcode), verdict, std::move(callable), std::move(why)});
  }
  void error(const Member& member, uint64_t offset, std::string opcode, std::string why) {
    add(member, offset, std::move(opcode), Verdict::error, "", std::move(why));
  }
  const AllowList& allow() const { return opt_.allow; }
  bool joblib_arrays() const { return opt_.joblib_arrays; }
  /// Whether joblib's arrays were read as joblib.load reads them (see
  /// [NOTE joblib-arrays]).
  bool followed_joblib() const { return followed_joblib_; }
  void note_joblib() { followed_joblib_ = true; }
  MemoryPool* pool() const { return opt_.pool; }
  void count_global() { ++report_.globals; }

  /// Bytes held in memory: a container by content, or pickles.
  void bytes(std::span<const uint8_t> data, const Member& member, unsigned depth);
  /// A stream: compressed layers opened, then as bytes() (archives are read whole).
  void stream(Source& src, const Member& member, unsigned depth);
  /// One pickle; its root, or nullopt after an error finding.
  std::optional<Value> one(Source& src, const Member& member, unsigned depth, Graph& g);

 private:
  // The pickles of `src` to its end; a legacy torch.save file's five.
  void pickles(Source& src, const Member& member, unsigned depth);
  void zip(std::span<const uint8_t> data, const Member& member, unsigned depth);
  void tar(std::span<const uint8_t> data, const Member& member, unsigned depth);
  void npy(std::span<const uint8_t> data, const Member& member, unsigned depth);
  void legacy_tar_records(std::span<const uint8_t> b, const Member& member, unsigned depth,
                          bool storages);
  bool nesting_ok(const Member& member, unsigned depth, uint64_t offset) {
    if (depth <= opt_.max_nesting) return true;
    error(member, offset, "",
          "nested more than " + std::to_string(opt_.max_nesting) +
              " levels deep (containers in containers, pickles given to loaders)");
    return false;
  }

  const ScanOptions& opt_;
  ScanReport& report_;
  LoadOptions load_;
  bool followed_joblib_ = false;
};

// ---- the observer ----------------------------------------------------------------

void Observer::global(At at, std::string_view module, std::string_view name, Value) {
  scan_.count_global();
  // getattr is judged where it is called, by what it reaches.
  if (module == "builtins" && name == "getattr") return;
  std::string why;
  Verdict v = scan_.allow().judge(module, name, why);
  if (v != Verdict::safe)
    scan_.add(member_, at.offset, op_name(at.op), v, dotted(module, name), why);
}

void Observer::call(At at, Value callable, Value args, Value kwargs, BuildKind how, Value made) {
  if (callable.kind() != Kind::Global) {
    scan_.add(member_, at.offset, op_name(at.op), Verdict::unknown, describe_callable(callable),
              "calls what an earlier call or persistent_load returned, which no name tells");
    return;
  }
  const GlobalNode& f = callable.global();
  if (f.module == "builtins" && f.name == "getattr" && how == BuildKind::reduce) {
    if (made.kind() == Kind::Global) {  // getattr(module.Outer, 'name'): module.Outer.name
      const GlobalNode& reached = made.global();
      std::string why;
      Verdict v = scan_.allow().judge(reached.module, reached.name, why);
      if (v != Verdict::safe)
        scan_.add(member_, at.offset, op_name(at.op), v, dotted(reached.module, reached.name),
                  "reached by getattr: " + why);
    } else {
      scan_.add(member_, at.offset, op_name(at.op), Verdict::unsafe, "builtins.getattr",
                "getattr of a value that is not a global reads any attribute of what the "
                "pickle built (a step to code execution)");
    }
    return;
  }
  if (detail::scan::nested_loader(f.module, f.name))
    collect_bytes(at, dotted(f.module, f.name), args, kwargs);
}

// The bytes reachable from a nested loader's arguments (through tuples, lists, dicts
// and the arguments of objects such as io.BytesIO(...)), with an explicit stack; a node
// already visited in this pickle is not visited again (its bytes are scanned once).
void Observer::collect_bytes(At at, const std::string& loader, Value args, Value kwargs) {
  std::vector<Value> todo{args, kwargs};
  while (!todo.empty()) {
    Value v = todo.back();
    todo.pop_back();
    if (!v.is_node() || !visited_.insert(v.node()).second) continue;
    switch (v.kind()) {
      case Kind::Bytes:
      case Kind::ByteArray: nested.push_back({at.offset, loader, std::string(v.as_bytes())}); break;
      case Kind::Str:
        // A Python 2 str is bytes to a Python 2 loader: its latin-1 bytes.
        if (v.str().flags & kPy2Str) {
          std::string raw;
          if (detail::utf8_to_latin1(v.str().text, 0x100, raw))
            nested.push_back({at.offset, loader, std::move(raw)});
        }
        break;
      case Kind::Tuple:
      case Kind::List:
        for (Value x : v.items()) todo.push_back(x);
        break;
      case Kind::Dict:
        for (const auto& [k, x] : v.dict().entries) todo.push_back(x);
        break;
      case Kind::Object:
        todo.push_back(v.object().args);
        todo.push_back(v.object().kwargs);
        break;
      default: break;
    }
  }
}

void Observer::build(At at, Value, Value state) {
  // A dict state, or the (dict, slots) pair; a key __setstate__ becomes an attribute
  // that the next BUILD of the object calls with its state.
  Value parts[2] = {state, Value()};
  if (state.kind() == Kind::Tuple && state.size() == 2) {
    parts[0] = state[0];
    parts[1] = state[1];
  }
  for (Value d : parts) {
    if (d.kind() != Kind::Dict) continue;
    if (const Value* setter = d.dict().find("__setstate__")) {
      scan_.add(member_, at.offset, op_name(at.op), Verdict::unsafe,
                setter->kind() == Kind::Global ? describe_callable(*setter) : "__setstate__",
                "BUILD sets the attribute __setstate__, which the object's next BUILD calls "
                "with its state");
    }
  }
}

// [NOTE joblib-arrays] joblib.dump writes each numpy array as a NumpyArrayWrapper
// object, and right after its BUILD, outside the pickle (the frame committed first),
// the array itself: for an object dtype a whole pickle (read by pickle.load from the
// file), else a padding length byte and that much padding (when the state names
// numpy_array_alignment_bytes, joblib 1.2 and later) and the elements, as joblib's
// NumpyUnpickler reads them. The scan skips the elements and scans the pickle.
bool Observer::reads_after_build(At, Value inst) {
  if (inst.kind() != Kind::Object || !scan_.joblib_arrays()) return false;
  const GlobalNode* g = inst.object().callable_global();
  return g && g->module == "joblib.numpy_pickle" && g->name == "NumpyArrayWrapper";
}

void Observer::read_after_build(At, Value inst, Source& src) {
  scan_.note_joblib();
  const auto& states = inst.object().states;
  if (states.empty() || !states.back().is_dict())
    detail::fail(ErrorCode::bad_value, "a joblib NumpyArrayWrapper without its state dict");
  const DictNode& state = states.back().dict();
  const Value* dtype = state.find("dtype");
  const Value* shape = state.find("shape");
  if (!dtype || !shape || !shape->is_tuple())
    detail::fail(ErrorCode::bad_value, "a joblib NumpyArrayWrapper without a dtype and a shape");
  Dtype d;
  try {
    d = dtype_from_value(*dtype);
  } catch (const PickleError& e) {
    detail::fail(ErrorCode::bad_value, std::string("a joblib array's dtype: ") + e.what());
  }
  if (has_object(d)) {
    Graph g(scan_.pool());
    if (!scan_.one(src, member_, depth_, g))
      detail::fail(ErrorCode::bad_value, "the pickle of a joblib object array could not be read");
    return;
  }
  uint64_t count = 1;
  for (Value n : shape->items()) {
    if (!n.is_int() || n.is_bigint() || n.raw_int() < 0 ||
        __builtin_mul_overflow(count, uint64_t(n.raw_int()), &count))
      detail::fail(ErrorCode::bad_value, "a joblib array's shape is not a tuple of sizes");
  }
  uint64_t nbytes;
  if (__builtin_mul_overflow(count, d.itemsize, &nbytes))
    detail::fail(ErrorCode::bad_value, "a joblib array's size overflows");
  if (const Value* align = state.find("numpy_array_alignment_bytes"); align && !align->is_none()) {
    if (!src.ensure(1))
      detail::fail(ErrorCode::truncated, "the input ends before a joblib array's padding");
    uint8_t padding = src.window()[0];
    src.consume(1);
    if (!skip(src, padding))
      detail::fail(ErrorCode::truncated, "the input ends inside a joblib array's padding");
  }
  if (!skip(src, nbytes))
    detail::fail(ErrorCode::truncated, "the input ends inside a joblib array's " +
                                           std::to_string(nbytes) + " bytes of data");
}

// ---- the walk ------------------------------------------------------------------------

std::optional<Value> FileScan::one(Source& src, const Member& member, unsigned depth, Graph& g) {
  detail::MachineState<Value> state;  // a new memo, as each pickle.load(f) has
  state.use_pool(opt_.pool);
  detail::StrictDeferred deferred;
  size_t cursor = 0;
  Observer observer(*this, member, depth);
  std::optional<Value> root;
  ++report_.pickles;
  try {
    root = detail::load_value(src, load_, g, "latin1", cursor, deferred, state, &observer);
  } catch (const UnpicklingError& e) {
    std::string op = e.opcode() ? std::string(op_info(*e.opcode()).name) : std::string();
    error(member, e.offset(), op, e.what());
  } catch (const ContainerError& e) {
    error(member, e.offset(), "", e.what());
  } catch (const PickleError& e) {
    error(member, src.offset(), "", e.what());
  } catch (const std::bad_alloc&) {
    error(member, src.offset(), "", "out of memory");
  }
  // What the pickle gave nested loaders, each scanned as a file of its own (also when
  // the pickle failed after giving it: the loader ran before the failure).
  for (Observer::Nested& n : observer.nested) {
    Member inner = member;
    inner.push_back(n.loader + "@" + std::to_string(n.offset));
    if (!nesting_ok(inner, depth + 1, 0)) continue;
    bytes(std::span(reinterpret_cast<const uint8_t*>(n.bytes.data()), n.bytes.size()), inner,
          depth + 1);
  }
  return root;
}

// [NOTE scan-containers] What a loader would read, the scan reads:
//   - a pickle file: every pickle in it, to its end (a benign pickle followed by
//     another, or data after STOP, is scanned on); a legacy torch.save file (its
//     first pickle is torch's magic number): its five pickles, as torch.load reads
//     them, not the raw storages after them;
//   - gzip, bzip2, xz and zlib streams, opened by content, at any depth;
//   - zip archives, whatever their extension: every member whose name ends in .pkl or
//     .pickle, or whose bytes begin with a pickle's PROTO 2-5 or a container's magic,
//     and the only member of a one-member archive; duplicate names are each scanned,
//     and so are members whose local header names them otherwise (they are judged by
//     both names) or claims encryption (their stored bytes are read anyway, as
//     PyTorch's reader does). Tensor storages (`<dir>/data/<key>` of an archive with a
//     data.pkl) are raw data that no loader unpickles;
//   - the tar checkpoints of torch before 0.4: the records of `storages` and `tensors`
//     (skipping their raw data) and the `pickle` and `sys_info` members;
//   - .npy files of an object dtype (the pickle after the header), and .npz members.
void FileScan::stream(Source& src, const Member& member, unsigned depth) {
  Container kind = Container::none;
  try {
    kind = detail::peek_container(src);
  } catch (const PickleError& e) {
    error(member, src.offset(), "", e.what());
    return;
  }
  switch (kind) {
    case Container::gzip:
    case Container::bzip2:
    case Container::xz:
    case Container::zlib: {
      Member inner = member;
      inner.push_back(kind == Container::gzip    ? "gzip"
                      : kind == Container::bzip2 ? "bzip2"
                      : kind == Container::xz    ? "xz"
                                                 : "zlib");
      if (!nesting_ok(inner, depth + 1, src.offset())) return;
      try {
        DecompressSource d(src, kind, opt_.containers, DecompressSource::Partial::deliver);
        stream(d, inner, depth + 1);
      } catch (const ContainerError& e) {
        error(member, e.offset(), "", e.what());
      }
      return;
    }
    case Container::none:
      // A tar needs 262 bytes to be told; a pickle stream is read as it comes. A
      // corrupt compressed tail is raised again when the pickles read past what came
      // before it (see [NOTE corrupt-tail]).
      try {
        src.ensure(262);
      } catch (const ContainerError&) {
      }
      if (!TarArchive::looks_like_tar(src.window())) return pickles(src, member, depth);
      [[fallthrough]];
    default: {
      // Archives are read whole (a mapped file never gets here: scan_file hands its
      // mapping to bytes()).
      std::vector<uint8_t> all;
      try {
        src.append_rest(all);
      } catch (const PickleError& e) {
        error(member, src.offset(), "", e.what());
        return;
      }
      return bytes(all, member, depth);
    }
  }
}

void FileScan::bytes(std::span<const uint8_t> data, const Member& member, unsigned depth) {
  if (TarArchive::looks_like_tar(data)) return tar(data, member, depth);
  switch (detect_container(data)) {
    case Container::zip: return zip(data, member, depth);
    case Container::npy: return npy(data, member, depth);
    case Container::none: {
      MemorySource src(data);
      return pickles(src, member, depth);
    }
    default: {
      MemorySource src(data);
      return stream(src, member, depth);
    }
  }
}

void FileScan::pickles(Source& src, const Member& member, unsigned depth) {
  if (src.at_end()) return error(member, src.offset(), "", "no pickle data (the input is empty)");
  Graph g(opt_.pool);
  for (size_t n = 0; !src.at_end(); ++n) {
    std::optional<Value> root = one(src, member, depth, g);
    if (!root) return;  // where the next pickle would start is not known
    if (n == 0 && is_torch_legacy_magic(*root)) {
      // torch.load reads four more pickles, then raw storages it never unpickles.
      for (int k = 0; k < 4; ++k)
        if (!one(src, member, depth, g)) return;
      return;
    }
    g.clear();
  }
}

void FileScan::zip(std::span<const uint8_t> data, const Member& member, unsigned depth) {
  std::optional<ZipArchive> archive;
  try {
    archive.emplace(data, opt_.zip);
  } catch (const PickleError& e) {
    const auto* c = dynamic_cast<const ContainerError*>(&e);
    return error(member, c ? c->offset() : 0, "", e.what());
  }
  auto members = archive->members();
  // The directories that hold a data.pkl: their data/ members are tensor storages.
  std::vector<std::string_view> checkpoint_dirs;
  for (const ZipMember& m : members) {
    std::string_view n = m.name;
    if (n == "data.pkl" || n.ends_with("/data.pkl"))
      checkpoint_dirs.push_back(n.substr(0, n.size() - std::string_view("data.pkl").size()));
  }
  auto is_storage = [&](std::string_view n) {
    return std::any_of(checkpoint_dirs.begin(), checkpoint_dirs.end(), [&](std::string_view d) {
      return n.size() > d.size() + 5 && n.starts_with(d) && n.substr(d.size(), 5) == "data/";
    });
  };
  for (const ZipMember& m : members) {
    if (m.name.ends_with("/")) continue;  // a directory
    Member inner = member;
    inner.push_back(m.name);
    // The member's bytes: stored ones as they lie (whatever the flags claim), deflated
    // ones inflated and checked (whole, in the opened source's window: no copy).
    std::span<const uint8_t> content;
    std::unique_ptr<Source> opened;
    try {
      if (m.method == 0) {
        content = archive->data(m);
      } else {
        opened = archive->open(m);
        content = opened->window();
      }
    } catch (const PickleError& e) {
      const auto* c = dynamic_cast<const ContainerError*>(&e);
      error(inner, c ? c->offset() : m.header_offset, "", e.what());
      continue;
    }
    std::string_view n = m.name;
    bool pickle_name = n.ends_with(".pkl") || n.ends_with(".pickle");
    bool pickle_head = content.size() >= 2 && content[0] == 0x80 && content[1] >= 2 &&
                       content[1] <= HIGHEST_PROTOCOL;
    bool container =
        detect_container(content) != Container::none || TarArchive::looks_like_tar(content);
    bool candidate = pickle_name || members.size() == 1 || m.name_differs ||
                     ((pickle_head || container) && !is_storage(n));
    if (!candidate) continue;
    if (!nesting_ok(inner, depth + 1, m.header_offset)) continue;
    bytes(content, inner, depth + 1);
  }
}

void FileScan::npy(std::span<const uint8_t> data, const Member& member, unsigned depth) {
  NpyHeader h;
  try {
    h = read_npy_header(data);
  } catch (const PickleError& e) {
    return error(member, 0, "", e.what());
  }
  Graph g(opt_.pool);
  Value header;
  detail::LiteralError le;
  if (!detail::parse_literal(h.text, g, header, le) || !header.is_dict())
    return error(member, 10 + le.offset, "", "the .npy header is not a dict literal: " + le.what);
  const Value* descr = header.dict().find("descr");
  if (!descr) return error(member, 10, "", "the .npy header has no 'descr'");
  bool object = false;
  try {
    object = has_object(dtype_from_value(*descr));
  } catch (const PickleError& e) {
    return error(member, 10, "", e.what());
  }
  if (!object) return;  // raw elements, never unpickled
  // numpy.load(allow_pickle=True) unpickles the array after the header.
  MemorySource src(data.subspan(h.data_offset));
  Member inner = member;
  inner.push_back("<object array at " + std::to_string(h.data_offset) + ">");
  Graph pg(opt_.pool);
  one(src, inner, depth, pg);
}

void FileScan::tar(std::span<const uint8_t> data, const Member& member, unsigned depth) {
  std::optional<TarArchive> archive;
  try {
    archive.emplace(data, opt_.zip.max_members);
  } catch (const PickleError& e) {
    const auto* c = dynamic_cast<const ContainerError*>(&e);
    return error(member, c ? c->offset() : 0, "", e.what());
  }
  for (const TarMember& m : archive->members()) {
    if (m.type != '0' && m.type != '\0') continue;
    Member inner = member;
    inner.push_back(m.name);
    if (!nesting_ok(inner, depth + 1, m.data_offset)) continue;
    std::span<const uint8_t> b = archive->bytes(m);
    if (m.name == "storages" || m.name == "tensors")
      legacy_tar_records(b, inner, depth + 1, m.name == "storages");
    else
      bytes(b, inner, depth + 1);
  }
}

// torch < 0.4's `storages` and `tensors` members: a pickle of a count, then per record
// a pickle and raw bytes (see TensorFile's reader in tensor_file.cpp); then, for
// storages, a pickle of the views. Only the pickles are scanned.
void FileScan::legacy_tar_records(std::span<const uint8_t> b, const Member& member, unsigned depth,
                                  bool storages) {
  MemorySource src(b);
  Graph g(opt_.pool);
  auto le = [&](int n, uint64_t& out) {
    if (b.size() - src.offset() < uint64_t(n)) return false;
    out = 0;
    for (int k = n - 1; k >= 0; --k) out = (out << 8) | b[src.offset() + uint64_t(k)];
    src.consume(size_t(n));
    return true;
  };
  std::optional<Value> count = one(src, member, depth, g);
  if (!count) return;
  if (!count->is_int() || count->is_bigint() || count->raw_int() < 0)
    return error(member, 0, "", "a record count that is not an int");
  for (int64_t i = 0; i < count->raw_int(); ++i) {
    uint64_t at = src.offset();
    std::optional<Value> rec = one(src, member, depth, g);
    if (!rec) return;
    if (!rec->is_tuple() || rec->size() != 3)
      return error(member, at, "", "a record that is not a 3-tuple");
    uint64_t n = 0;
    if (storages) {
      std::optional<Dtype> d = torch_storage_dtype((*rec)[2], '<');
      if (!d) return error(member, at, "", "a storage type that is not one of torch's");
      if (!le(8, n) || n > (b.size() - src.offset()) / d->itemsize)
        return error(member, src.offset(), "", "a storage passes the end of its member");
      src.consume(size_t(n * d->itemsize));
    } else {
      uint64_t unused = 0;
      if (!le(4, n) || !le(4, unused) || n > 64 || (b.size() - src.offset()) < n * 16 + 8)
        return error(member, src.offset(), "", "a tensor record passes the end of its member");
      src.consume(size_t(n * 16 + 8));
    }
  }
  if (storages) one(src, member, depth, g);
}

// The file's verdict: its worst finding's (Verdict ranks them).
void settle(ScanReport& report) {
  for (const Finding& f : report.findings) report.verdict = std::max(report.verdict, f.verdict);
}

// [NOTE joblib-two-readers] A joblib file has two readers: joblib.load reads the bytes
// after each NumpyArrayWrapper as the array, pickle.load as opcodes. The scan follows
// joblib; when it did, it reads the file again as pickle.load would, and adds what that
// reading finds to be unsafe (a payload laid out as "array data" for pickle.load). What
// array bytes read as opcodes name otherwise is noise, and an error there is expected.
void scan_whole(FileScan& scan, std::span<const uint8_t> bytes, const ScanOptions& options,
                ScanReport& report) {
  scan.bytes(bytes, {}, 0);
  if (!scan.followed_joblib()) return;
  ScanOptions plain_options = options;
  plain_options.joblib_arrays = false;
  ScanReport plain;
  FileScan rescan(plain_options, plain);
  rescan.bytes(bytes, {}, 0);
  for (Finding& f : plain.findings) {
    if (f.verdict != Verdict::unsafe) continue;
    bool known = std::any_of(report.findings.begin(), report.findings.end(), [&](const Finding& g) {
      return g.member == f.member && g.offset == f.offset && g.callable == f.callable;
    });
    if (known) continue;
    f.why = "read as pickle.load reads this joblib file (not as joblib.load): " + f.why;
    report.findings.push_back(std::move(f));
  }
}

}  // namespace

ScanReport scan_bytes(std::span<const uint8_t> bytes, const ScanOptions& options) {
  ScanReport report;
  FileScan scan(options, report);
  scan_whole(scan, bytes, options, report);
  settle(report);
  return report;
}

ScanReport scan_file(const std::string& path, const ScanOptions& options) {
  ScanReport report;
  FileScan scan(options, report);
  if (path == "-") {
    // Read whole (an archive needs all of it, and joblib files are read twice).
    StreamSource in(stdin);
    std::vector<uint8_t> all;
    in.append_rest(all);
    scan_whole(scan, all, options, report);
  } else {
    FileSource in(path);
    std::span<const uint8_t> all = in.mapping();
    if (!all.empty()) {
      // An archive's tensors are never read: no read-ahead around what is.
      bool archive = detect_container(all) == Container::zip || TarArchive::looks_like_tar(all);
      advise(all, archive ? Access::random : Access::sequential);
      scan_whole(scan, all, options, report);
    } else {
      scan.stream(in, {}, 0);
    }
  }
  settle(report);
  return report;
}

}  // namespace pickle
