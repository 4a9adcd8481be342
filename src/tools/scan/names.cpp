// The scanner's tables: the globals trusted by default, reasoned per group in
// docs/security.md ("The allow-list"), and the globals known to be dangerous, with
// the harm each does. See [NOTE scan-verdicts] in allow_list.cpp.
#include "tools/scan/names.hpp"

#include <algorithm>
#include <vector>

namespace pickle::detail::scan {

std::string_view group_reason(Group g) noexcept {
  switch (g) {
    case Group::builtin:
      return "a builtin data type, or a reconstructor that makes one without running code";
    case Group::stdlib: return "a standard library data type whose construction runs no code";
    case Group::enum_class: return "a standard library enum: a lookup of a member";
    case Group::numpy: return "numpy's reconstruction of its own arrays, dtypes and scalars";
    case Group::pandas: return "pandas' reconstruction of its own frames, indexes and arrays";
    case Group::sklearn:
      return "a scikit-learn estimator or its data: built without __init__, state set by "
             "__setstate__";
    case Group::scipy: return "SciPy's reconstruction of its own sparse matrices";
    case Group::torch: return "PyTorch's reconstruction of its own tensors and storages";
  }
  return {};
}

namespace {

using G = Group;

// clang-format off
// [NOTE allow-list-table] Every name here is reasoned in docs/security.md, in its group;
// tests/unit/scan_test.cpp checks that the page lists exactly these names. A name is
// trusted only as module and qualified name exactly (after fix_imports): another name
// of a trusted module, or a method of a trusted class, is not.
constexpr Trusted kTrusted[] = {
  // Builtin data types and their reconstructors: what --strict keeps.
  {"_codecs", "encode", G::builtin},
  {"builtins", "Ellipsis", G::builtin},
  {"builtins", "NotImplemented", G::builtin},
  {"builtins", "bool", G::builtin},
  {"builtins", "bytearray", G::builtin},
  {"builtins", "bytes", G::builtin},
  {"builtins", "complex", G::builtin},
  {"builtins", "dict", G::builtin},
  {"builtins", "float", G::builtin},
  {"builtins", "frozenset", G::builtin},
  {"builtins", "int", G::builtin},
  {"builtins", "list", G::builtin},
  {"builtins", "object", G::builtin},
  {"builtins", "range", G::builtin},
  {"builtins", "set", G::builtin},
  {"builtins", "slice", G::builtin},
  {"builtins", "str", G::builtin},
  {"builtins", "tuple", G::builtin},
  {"collections", "OrderedDict", G::builtin},
  {"copyreg", "__newobj__", G::builtin},
  {"copyreg", "__newobj_ex__", G::builtin},
  {"copyreg", "_reconstructor", G::builtin},

  // The standard library's plain data types.
  {"array", "_array_reconstructor", G::stdlib},
  {"array", "array", G::stdlib},
  {"builtins", "ArithmeticError", G::stdlib},
  {"builtins", "AssertionError", G::stdlib},
  {"builtins", "AttributeError", G::stdlib},
  {"builtins", "Exception", G::stdlib},
  {"builtins", "IndexError", G::stdlib},
  {"builtins", "KeyError", G::stdlib},
  {"builtins", "LookupError", G::stdlib},
  {"builtins", "NotImplementedError", G::stdlib},
  {"builtins", "OverflowError", G::stdlib},
  {"builtins", "RuntimeError", G::stdlib},
  {"builtins", "StopIteration", G::stdlib},
  {"builtins", "TypeError", G::stdlib},
  {"builtins", "ValueError", G::stdlib},
  {"builtins", "ZeroDivisionError", G::stdlib},
  {"collections", "ChainMap", G::stdlib},
  {"collections", "Counter", G::stdlib},
  {"collections", "UserDict", G::stdlib},
  {"collections", "UserList", G::stdlib},
  {"collections", "UserString", G::stdlib},
  {"collections", "defaultdict", G::stdlib},
  {"collections", "deque", G::stdlib},
  {"datetime", "date", G::stdlib},
  {"datetime", "datetime", G::stdlib},
  {"datetime", "time", G::stdlib},
  {"datetime", "timedelta", G::stdlib},
  {"datetime", "timezone", G::stdlib},
  {"decimal", "Decimal", G::stdlib},
  {"fractions", "Fraction", G::stdlib},
  {"ipaddress", "IPv4Address", G::stdlib},
  {"ipaddress", "IPv4Interface", G::stdlib},
  {"ipaddress", "IPv4Network", G::stdlib},
  {"ipaddress", "IPv6Address", G::stdlib},
  {"ipaddress", "IPv6Interface", G::stdlib},
  {"ipaddress", "IPv6Network", G::stdlib},
  {"pathlib", "Path", G::stdlib},
  {"pathlib", "PosixPath", G::stdlib},
  {"pathlib", "PurePath", G::stdlib},
  {"pathlib", "PurePosixPath", G::stdlib},
  {"pathlib", "PureWindowsPath", G::stdlib},
  {"pathlib", "WindowsPath", G::stdlib},
  {"pathlib._local", "Path", G::stdlib},
  {"pathlib._local", "PosixPath", G::stdlib},
  {"pathlib._local", "PurePath", G::stdlib},
  {"pathlib._local", "PurePosixPath", G::stdlib},
  {"pathlib._local", "PureWindowsPath", G::stdlib},
  {"pathlib._local", "WindowsPath", G::stdlib},
  {"re", "_compile", G::stdlib},
  {"time", "struct_time", G::stdlib},
  {"types", "SimpleNamespace", G::stdlib},
  {"uuid", "UUID", G::stdlib},

  // Standard library enums: the class (called with a value) and its members by name.
  {"http", "HTTPStatus", G::enum_class},
  {"re", "RegexFlag", G::enum_class},
  {"signal", "Signals", G::enum_class},
  {"socket", "AddressFamily", G::enum_class},
  {"socket", "SocketKind", G::enum_class},
  {"uuid", "SafeUUID", G::enum_class},

  // numpy 1.x and 2.x (numpy.core became numpy._core).
  {"numpy", "dtype", G::numpy},
  {"numpy", "ndarray", G::numpy},
  {"numpy._core.multiarray", "_reconstruct", G::numpy},
  {"numpy._core.multiarray", "scalar", G::numpy},
  {"numpy._core.numeric", "_frombuffer", G::numpy},
  {"numpy.core.multiarray", "_reconstruct", G::numpy},
  {"numpy.core.multiarray", "scalar", G::numpy},
  {"numpy.core.numeric", "_frombuffer", G::numpy},
  {"numpy.ma.core", "MaskedArray", G::numpy},
  {"numpy.ma.core", "_mareconstruct", G::numpy},
  {"numpy.matrixlib.defmatrix", "matrix", G::numpy},
  {"numpy.random._pickle", "__bit_generator_ctor", G::numpy},
  {"numpy.random._pickle", "__generator_ctor", G::numpy},
  {"numpy.random._pickle", "__randomstate_ctor", G::numpy},

  // PyTorch.
  {"torch", "BFloat16Storage", G::torch},
  {"torch", "BoolStorage", G::torch},
  {"torch", "ByteStorage", G::torch},
  {"torch", "CharStorage", G::torch},
  {"torch", "ComplexDoubleStorage", G::torch},
  {"torch", "ComplexFloatStorage", G::torch},
  {"torch", "DoubleStorage", G::torch},
  {"torch", "FloatStorage", G::torch},
  {"torch", "HalfStorage", G::torch},
  {"torch", "IntStorage", G::torch},
  {"torch", "LongStorage", G::torch},
  {"torch", "ShortStorage", G::torch},
  {"torch", "Size", G::torch},
  {"torch._utils", "_rebuild_parameter", G::torch},
  {"torch._utils", "_rebuild_parameter_with_state", G::torch},
  {"torch._utils", "_rebuild_tensor", G::torch},
  {"torch._utils", "_rebuild_tensor_v2", G::torch},
  {"torch.cuda", "BFloat16Storage", G::torch},
  {"torch.cuda", "BoolStorage", G::torch},
  {"torch.cuda", "ByteStorage", G::torch},
  {"torch.cuda", "CharStorage", G::torch},
  {"torch.cuda", "DoubleStorage", G::torch},
  {"torch.cuda", "FloatStorage", G::torch},
  {"torch.cuda", "HalfStorage", G::torch},
  {"torch.cuda", "IntStorage", G::torch},
  {"torch.cuda", "LongStorage", G::torch},
  {"torch.cuda", "ShortStorage", G::torch},
};

/// What a dangerous global does.
enum class Harm : unsigned char { process, code, import, files, network, loader, gadget, native };

std::string_view harm_text(Harm h) {
  switch (h) {
    case Harm::process: return "runs a shell command or another program";
    case Harm::code: return "executes Python code";
    case Harm::import: return "imports any module";
    case Harm::files: return "reads, writes or deletes files";
    case Harm::network: return "opens network connections";
    case Harm::loader: return "loads a nested pickle or model file, which runs what it holds";
    case Harm::gadget:
      return "reaches any attribute, object or function (a step to code execution)";
    case Harm::native: return "loads or calls native code";
  }
  return {};
}

struct Danger {
  std::string_view module;
  std::string_view name;  // empty: the whole module and its submodules
  Harm harm;
};

// Checked in order; names before the modules that hold them.
constexpr Danger kDanger[] = {
  // builtins (and Python 2's __builtin__, which a Python 2 loader imports as it is)
  {"builtins", "eval", Harm::code},         {"builtins", "exec", Harm::code},
  {"builtins", "execfile", Harm::code},     {"builtins", "compile", Harm::code},
  {"builtins", "__build_class__", Harm::code},
  {"builtins", "breakpoint", Harm::code},   {"builtins", "input", Harm::code},
  {"builtins", "__import__", Harm::import}, {"builtins", "reload", Harm::import},
  {"builtins", "open", Harm::files},        {"builtins", "file", Harm::files},
  {"builtins", "getattr", Harm::gadget},    {"builtins", "setattr", Harm::gadget},
  {"builtins", "delattr", Harm::gadget},    {"builtins", "globals", Harm::gadget},
  {"builtins", "locals", Harm::gadget},     {"builtins", "vars", Harm::gadget},
  {"builtins", "type", Harm::gadget},       {"builtins", "help", Harm::code},
  {"builtins", "exit", Harm::process},      {"builtins", "quit", Harm::process},
  // nested loaders named one by one in modules that are otherwise trusted
  {"numpy", "load", Harm::loader},          {"numpy", "loads", Harm::loader},
  {"numpy", "fromfile", Harm::files},       {"numpy", "memmap", Harm::files},
  {"numpy", "loadtxt", Harm::files},        {"numpy", "genfromtxt", Harm::files},
  {"numpy", "save", Harm::files},           {"numpy", "savez", Harm::files},
  {"numpy", "savetxt", Harm::files},        {"numpy", "fromregex", Harm::files},
  {"numpy.lib.npyio", "", Harm::loader},    {"numpy.lib._npyio_impl", "", Harm::loader},
  {"numpy.core.memmap", "", Harm::files},   {"numpy.testing", "", Harm::code},
  {"numpy.f2py", "", Harm::process},        {"numpy.distutils", "", Harm::process},
  {"numpy.ctypeslib", "", Harm::native},
  {"torch", "load", Harm::loader},          {"torch.serialization", "", Harm::loader},
  {"torch.hub", "", Harm::loader},          {"torch.jit", "", Harm::loader},
  {"torch.package", "", Harm::loader},      {"torch.utils.cpp_extension", "", Harm::native},
  {"torch._inductor", "", Harm::code},      {"torch._dynamo", "", Harm::code},
  {"torch.distributed", "", Harm::network}, {"torch.ops", "", Harm::native},
  {"torch.classes", "", Harm::native},      {"torch.utils.data", "", Harm::files},
  {"pandas", "read_pickle", Harm::loader},  {"pandas.io", "", Harm::loader},
  {"joblib", "load", Harm::loader},         {"joblib.numpy_pickle", "load", Harm::loader},
  {"sklearn.datasets", "", Harm::network},  {"sklearn.externals", "", Harm::loader},
  // whole modules
  {"os", "", Harm::process},                {"posix", "", Harm::process},
  {"nt", "", Harm::process},                {"subprocess", "", Harm::process},
  {"_posixsubprocess", "", Harm::process},  {"pty", "", Harm::process},
  {"commands", "", Harm::process},          {"popen2", "", Harm::process},
  {"platform", "", Harm::process},          {"multiprocessing", "", Harm::process},
  {"_winapi", "", Harm::process},           {"asyncio", "", Harm::process},
  {"concurrent", "", Harm::process},        {"pip", "", Harm::process},
  {"setuptools", "", Harm::process},        {"distutils", "", Harm::process},
  {"ensurepip", "", Harm::process},         {"venv", "", Harm::process},
  {"webbrowser", "", Harm::process},        {"pydoc", "", Harm::process},
  {"code", "", Harm::code},                 {"codeop", "", Harm::code},
  {"pdb", "", Harm::code},                  {"bdb", "", Harm::code},
  {"timeit", "", Harm::code},               {"cProfile", "", Harm::code},
  {"profile", "", Harm::code},              {"trace", "", Harm::code},
  {"doctest", "", Harm::code},              {"idlelib", "", Harm::code},
  {"runpy", "", Harm::code},                {"types", "", Harm::code},
  {"marshal", "", Harm::code},              {"logging", "", Harm::code},
  {"sys", "", Harm::gadget},                {"gc", "", Harm::gadget},
  {"inspect", "", Harm::gadget},            {"functools", "", Harm::gadget},
  {"operator", "", Harm::gadget},           {"_operator", "", Harm::gadget},
  {"copyreg", "", Harm::gadget},
  {"importlib", "", Harm::import},          {"imp", "", Harm::import},
  {"pkgutil", "", Harm::import},            {"zipimport", "", Harm::import},
  {"site", "", Harm::import},               {"ctypes", "", Harm::native},
  {"_ctypes", "", Harm::native},            {"cffi", "", Harm::native},
  {"pickle", "", Harm::loader},             {"_pickle", "", Harm::loader},
  {"cPickle", "", Harm::loader},            {"shelve", "", Harm::loader},
  {"dill", "", Harm::loader},               {"cloudpickle", "", Harm::loader},
  {"yaml", "", Harm::loader},               {"jinja2", "", Harm::code},
  {"shutil", "", Harm::files},              {"tempfile", "", Harm::files},
  {"io", "", Harm::files},                  {"_io", "", Harm::files},
  {"codecs", "", Harm::files},              {"fileinput", "", Harm::files},
  {"tarfile", "", Harm::files},             {"zipfile", "", Harm::files},
  {"gzip", "", Harm::files},                {"bz2", "", Harm::files},
  {"lzma", "", Harm::files},                {"dbm", "", Harm::files},
  {"glob", "", Harm::files},                {"linecache", "", Harm::files},
  {"socket", "", Harm::network},            {"_socket", "", Harm::network},
  {"ssl", "", Harm::network},               {"_ssl", "", Harm::network},
  {"http", "", Harm::network},              {"httplib", "", Harm::network},
  {"urllib", "", Harm::network},            {"urllib2", "", Harm::network},
  {"urllib3", "", Harm::network},           {"requests", "", Harm::network},
  {"ftplib", "", Harm::network},            {"smtplib", "", Harm::network},
  {"telnetlib", "", Harm::network},         {"poplib", "", Harm::network},
  {"imaplib", "", Harm::network},           {"nntplib", "", Harm::network},
  {"xmlrpc", "", Harm::network},            {"socketserver", "", Harm::network},
};
// clang-format on

bool in_module(std::string_view module, std::string_view m) {
  return module == m ||
         (module.size() > m.size() && module.starts_with(m) && module[m.size()] == '.');
}

// Python 2's name of builtins, which a Python 2 loader imports as it is.
std::string_view builtins_alias(std::string_view module) {
  return module == "__builtin__" ? std::string_view("builtins") : module;
}

}  // namespace

std::span<const Trusted> trusted_names() noexcept {
  return kTrusted;
}

const Trusted* find_trusted(std::string_view module, std::string_view name) noexcept {
  auto before = [](const Trusted& a, const Trusted& b) {
    return a.module != b.module ? a.module < b.module : a.name < b.name;
  };
  // The table reads by group; looked up sorted (made once, thread-safely).
  static const std::vector<Trusted> sorted = [&] {
    std::vector<Trusted> v(std::begin(kTrusted), std::end(kTrusted));
    std::sort(v.begin(), v.end(), before);
    return v;
  }();
  Trusted key{module, name, Group::builtin};
  auto it = std::lower_bound(sorted.begin(), sorted.end(), key, before);
  if (it == sorted.end() || it->module != module || it->name != name) return nullptr;
  return &*it;
}

std::string_view harm(std::string_view module, std::string_view name) noexcept {
  module = builtins_alias(module);
  // The first part of a qualified name is the attribute the module is asked for.
  std::string_view first = name.substr(0, name.find('.'));
  for (const Danger& d : kDanger) {
    if (d.name.empty() ? in_module(module, d.module) : (module == d.module && first == d.name))
      return harm_text(d.harm);
  }
  // pandas' readers (read_csv, read_pickle ...) read files, some of them pickles.
  if (in_module(module, "pandas") && first.starts_with("read_")) return harm_text(Harm::loader);
  return {};
}

bool nested_loader(std::string_view module, std::string_view name) noexcept {
  struct Loader {
    std::string_view module, name;
  };
  static constexpr Loader kLoaders[] = {
      {"pickle", "loads"},       {"pickle", "_loads"},     {"pickle", "load"},
      {"pickle", "_load"},       {"pickle", "Unpickler"},  {"_pickle", "loads"},
      {"_pickle", "load"},       {"_pickle", "Unpickler"}, {"cPickle", "loads"},
      {"dill", "loads"},         {"cloudpickle", "loads"}, {"numpy", "loads"},
      {"numpy", "load"},         {"joblib", "load"},       {"torch", "load"},
      {"pandas", "read_pickle"}, {"io", "BytesIO"},        {"_io", "BytesIO"},
  };
  for (const Loader& l : kLoaders)
    if (l.module == module && l.name == name) return true;
  return false;
}

}  // namespace pickle::detail::scan
