// The opcode table (include/pickle/opcodes.def) checked against CPython's
// pickletools.opcodes, read at test time from a Python found on this machine.
//
// Python is looked for in this order: $PICKLE_TEST_PYTHON, `python3.13` on PATH,
// `$(pyenv root)/versions/3.13*/bin/python3`, then `python3` on PATH when it is 3.8 or
// newer (every 3.8+ knows all 68 opcodes). A candidate that does not run (a pyenv shim
// for a version that is not selected, say) is skipped. No Python at all fails the test.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "pickle/opcodes.hpp"

namespace {

using pickle::ArgKind;
using pickle::Op;
using pickle::op_info;
using pickle::OpInfo;

// ---------------------------------------------------------------------------
// Running Python

struct RunResult {
  int status = -1;
  std::string out;
};

std::string shell_quote(std::string_view s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  q += "'";
  return q;
}

RunResult run(const std::string& command) {
  RunResult r;
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  r.status = ::pclose(p);
  return r;
}

// A temporary file that holds a Python script; removed on destruction.
class ScriptFile {
 public:
  explicit ScriptFile(std::string_view text) {
    auto dir = std::filesystem::temp_directory_path();
    for (int i = 0;; ++i) {
      path_ = dir / ("pickle_opcodes_test_" + std::to_string(::getpid()) + "_" + std::to_string(i) +
                     ".py");
      if (!std::filesystem::exists(path_)) break;
    }
    std::ofstream f(path_);
    f << text;
  }
  ~ScriptFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Runs `python script` and returns its output when it exits 0.
std::optional<std::string> run_python(const std::string& python, const ScriptFile& script) {
  RunResult r = run("PYTHONHASHSEED=0 " + shell_quote(python) + " " + shell_quote(script.path()) +
                    " 2>/dev/null");
  if (r.status != 0) return std::nullopt;
  return r.out;
}

std::vector<std::string> python_candidates() {
  std::vector<std::string> c;
  if (const char* env = std::getenv("PICKLE_TEST_PYTHON"); env && *env) c.emplace_back(env);
  c.emplace_back("python3.13");
  RunResult root = run("pyenv root 2>/dev/null");
  if (root.status == 0) {
    std::string r = root.out;
    while (!r.empty() && (r.back() == '\n' || r.back() == '\r')) r.pop_back();
    std::error_code ec;
    std::filesystem::path versions = std::filesystem::path(r) / "versions";
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(versions, ec)) {
      std::string name = e.path().filename().string();
      if (name.rfind("3.13", 0) == 0) found.push_back((e.path() / "bin" / "python3").string());
    }
    std::sort(found.rbegin(), found.rend());  // newest first
    c.insert(c.end(), found.begin(), found.end());
  }
  c.emplace_back("python3");
  return c;
}

// The script prints one line per opcode, tab-separated:
//   name, byte value, argument name (or "none"), protocol, stack before, stack after
// (stack entries are pickletools' names joined by spaces), preceded by a header line.
constexpr std::string_view kScript = R"py(import sys
if sys.version_info < (3, 8):
    sys.exit(3)
import pickletools
print("PICKLETOOLS", len(pickletools.opcodes), "%d.%d" % sys.version_info[:2])
for op in pickletools.opcodes:
    arg = op.arg.name if op.arg is not None else "none"
    before = " ".join(s.name for s in op.stack_before)
    after = " ".join(s.name for s in op.stack_after)
    print("\t".join([op.name, str(ord(op.code)), arg, str(op.proto), before, after]))
)py";

struct PyOp {
  std::string name, arg, before, after;
  int code = -1, proto = -1;
};

struct PyTable {
  std::string python;
  std::string version;
  std::vector<PyOp> ops;
};

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t i = s.find(sep, start);
    parts.emplace_back(s.substr(start, i == std::string_view::npos ? s.npos : i - start));
    if (i == std::string_view::npos) break;
    start = i + 1;
  }
  return parts;
}

std::optional<PyTable> load_pickletools(std::string* tried) {
  ScriptFile script(kScript);
  for (const std::string& py : python_candidates()) {
    if (tried) *tried += " " + py;
    std::optional<std::string> out = run_python(py, script);
    if (!out || out->rfind("PICKLETOOLS ", 0) != 0) continue;
    PyTable t;
    t.python = py;
    std::istringstream lines(*out);
    std::string line;
    std::getline(lines, line);
    std::vector<std::string> head = split(line, ' ');
    if (head.size() == 3) t.version = head[2];
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      std::vector<std::string> f = split(line, '\t');
      if (f.size() != 6) return std::nullopt;
      PyOp op;
      op.name = f[0];
      op.code = std::stoi(f[1]);
      op.arg = f[2];
      op.proto = std::stoi(f[3]);
      op.before = f[4];
      op.after = f[5];
      t.ops.push_back(op);
    }
    return t;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// The table against CPython

TEST(OpcodeTable, MatchesCPythonPickletools) {
  std::string tried;
  std::optional<PyTable> py = load_pickletools(&tried);
  if (!py) {
    FAIL() << "no Python 3.8+ found to read pickletools.opcodes (tried:" << tried
           << "); set PICKLE_TEST_PYTHON to a python3 executable";
  }
  SCOPED_TRACE("pickletools of " + py->python + " (Python " + py->version + ")");
  ASSERT_EQ(py->ops.size(), 68u) << "pickletools.opcodes should list 68 opcodes";

  std::set<int> seen;
  for (const PyOp& p : py->ops) {
    SCOPED_TRACE(p.name);
    ASSERT_GE(p.code, 0);
    ASSERT_LT(p.code, 256);
    EXPECT_TRUE(seen.insert(p.code).second) << "duplicate byte in pickletools";
    const OpInfo& info = op_info(static_cast<uint8_t>(p.code));
    ASSERT_TRUE(info.valid()) << "byte " << p.code << " is missing from our table";
    EXPECT_EQ(info.name, p.name);
    EXPECT_EQ(pickle::arg_kind_name(info.arg), p.arg);
    EXPECT_EQ(info.proto, p.proto);
    EXPECT_EQ(info.stack_before, p.before);
    EXPECT_EQ(info.stack_after, p.after);
  }
  // Nothing in our table that pickletools does not know.
  for (int b = 0; b < 256; ++b) {
    if (op_info(static_cast<uint8_t>(b)).valid()) {
      EXPECT_TRUE(seen.count(b)) << "byte " << b << " (" << op_info(static_cast<uint8_t>(b)).name
                                 << ") is in our table but not in pickletools";
    }
  }
}

// ---------------------------------------------------------------------------
// The table on its own

TEST(OpcodeTable, Has68OpcodesWithUniqueNames) {
  EXPECT_EQ(pickle::opcode_count(), 68);
  std::set<std::string_view> names;
  int valid = 0;
  for (int b = 0; b < 256; ++b) {
    const OpInfo& info = op_info(static_cast<uint8_t>(b));
    if (!info.valid()) {
      EXPECT_TRUE(info.name.empty()) << b;
      EXPECT_EQ(info.proto, -1) << b;
      continue;
    }
    ++valid;
    EXPECT_FALSE(info.name.empty()) << b;
    EXPECT_FALSE(info.doc.empty()) << info.name;
    EXPECT_GE(info.proto, 0) << info.name;
    EXPECT_LE(info.proto, pickle::HIGHEST_PROTOCOL) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate name " << info.name;
  }
  EXPECT_EQ(valid, 68);
}

TEST(OpcodeTable, EnumAndLookupAgree) {
  EXPECT_EQ(static_cast<uint8_t>(Op::stop), '.');
  EXPECT_EQ(static_cast<uint8_t>(Op::proto), 0x80);
  EXPECT_EQ(static_cast<uint8_t>(Op::frame), 0x95);
  EXPECT_EQ(static_cast<uint8_t>(Op::readonly_buffer), 0x98);
  EXPECT_EQ(op_info(Op::int_).name, "INT");
  EXPECT_EQ(op_info(Op::long_).name, "LONG");
  EXPECT_EQ(op_info(Op::float_).name, "FLOAT");
  EXPECT_EQ(op_info(Op::unicode_).name, "UNICODE");
  EXPECT_EQ(op_info(Op::binunicode8).arg, ArgKind::unicodestring8);
  EXPECT_EQ(op_info(Op::global).arg, ArgKind::stringnl_noescape_pair);
  EXPECT_EQ(op_info(Op::persid).arg, ArgKind::stringnl_noescape);
  EXPECT_EQ(op_info(Op::ext4).arg, ArgKind::int4);
  EXPECT_EQ(op_info(Op::long_binput).arg, ArgKind::uint4);
  EXPECT_EQ(&op_info(Op::memoize), &op_info(static_cast<uint8_t>(0x94)));
  // Bytes that are not opcodes.
  for (int b : {0x00, 0x0a, int('A'), int('Z'), 0x7f, 0x99, 0xff})
    EXPECT_FALSE(op_info(static_cast<uint8_t>(b)).valid()) << b;
  static_assert(op_info(Op::newobj_ex).proto == 4);
  static_assert(op_info(Op::bytearray8).proto == 5);
}

TEST(OpcodeTable, ArgKindNamesAreDistinct) {
  std::set<std::string_view> names;
  for (int k = 0; k <= static_cast<int>(ArgKind::long4); ++k) {
    std::string_view n = pickle::arg_kind_name(static_cast<ArgKind>(k));
    EXPECT_NE(n, "?") << k;
    EXPECT_TRUE(names.insert(n).second) << n;
  }
  EXPECT_EQ(pickle::arg_kind_name(ArgKind::none), "none");
  EXPECT_EQ(pickle::arg_kind_name(ArgKind::decimalnl_short), "decimalnl_short");
  EXPECT_EQ(pickle::arg_kind_name(ArgKind::bytearray8), "bytearray8");
}

}  // namespace
