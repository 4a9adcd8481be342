// The scanner (pickle/scan.hpp, docs/security.md "Scanning"): what it reports of each
// way a stream can name or reach a callable, fail-closed on broken input, inside
// containers, and the allow-list with the caller's additions. tests/pickletests/
// scan_corpus.py checks it against real libraries' files and published attacks.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pickle/pickle.hpp"
#include "pickle_literal.hpp"
#include "tools/scan/names.hpp"
#include "zip_layout.hpp"
#include "zlib_bytes.hpp"

namespace {

using pickle::AllowList;
using pickle::Finding;
using pickle::ScanOptions;
using pickle::ScanReport;
using pickle::Verdict;
using pickle_test::py_bytes;

ScanReport scan(const std::string& bytes, const ScanOptions& options = {}) {
  return pickle::scan_bytes(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                            options);
}

// The findings' callables, in order.
std::vector<std::string> callables(const ScanReport& r) {
  std::vector<std::string> out;
  for (const Finding& f : r.findings) out.push_back(f.callable);
  return out;
}

const Finding* find(const ScanReport& r, const std::string& callable) {
  for (const Finding& f : r.findings)
    if (f.callable == callable) return &f;
  return nullptr;
}

// posix.system('x') as protocol 2 writes it.
const std::string kSystem = py_bytes(R"(\x80\x02cposix\nsystem\nq\x00X\x01\x00\x00\x00x\x85R.)");

TEST(Scan, BuiltinDataIsSafe) {
  // {'a': [1, 2.5, None], 'b': (b'x', {1}), 'c': bytearray(b'y'), 'd': 3j} at protocol 4,
  // and its protocol 2 form (set, bytearray, complex and bytes through reductions).
  const char* bodies[] = {
      R"(\x80\x04\x95v\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01G@\x04\x00\x00\x00\x00\x00\x00Ne\x8c\x01b\x94C\x01x\x94\x8f\x94(K\x01\x90\x86\x94\x8c\x01c\x94\x8c\x08builtins\x94\x8c\tbytearray\x94\x93\x94C\x01y\x94\x85\x94R\x94\x8c\x01d\x94h\x08\x8c\x07complex\x94\x93\x94G\x00\x00\x00\x00\x00\x00\x00\x00G@\x08\x00\x00\x00\x00\x00\x00\x86\x94R\x94u.)",
      R"(\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00NeX\x01\x00\x00\x00bq\x03c_codecs\nencode\nq\x04X\x01\x00\x00\x00xq\x05X\x06\x00\x00\x00latin1q\x06\x86q\x07Rq\x08c__builtin__\nset\nq\t]q\nK\x01a\x85q\x0bRq\x0c\x86q\rX\x01\x00\x00\x00cq\x0ec__builtin__\nbytearray\nq\x0fh\x04X\x01\x00\x00\x00yq\x10h\x06\x86q\x11Rq\x12\x85q\x13Rq\x14X\x01\x00\x00\x00dq\x15c__builtin__\ncomplex\nq\x16G\x00\x00\x00\x00\x00\x00\x00\x00G@\x08\x00\x00\x00\x00\x00\x00\x86q\x17Rq\x18u.)"};
  for (const char* body : bodies) {
    ScanReport r = scan(py_bytes(body));
    EXPECT_EQ(r.verdict, Verdict::safe) << body;
    EXPECT_TRUE(r.findings.empty());
    EXPECT_EQ(r.pickles, 1u);
  }
}

TEST(Scan, DangerousGlobalsByEveryOpcode) {
  struct Case {
    const char* what;
    std::string body;
    const char* callable;
    const char* opcode;
  };
  const Case cases[] = {
      {"GLOBAL", kSystem, "posix.system", "GLOBAL"},
      {"STACK_GLOBAL", py_bytes(R"(\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x01x\x85R.)"),
       "os.system", "STACK_GLOBAL"},
      {"STACK_GLOBAL from Python 2 str with escapes",
       py_bytes(R"(\x80\x02S'po\\x73ix'\nU\x06system\x93U\x01x\x85R.)"), "posix.system",
       "STACK_GLOBAL"},
      {"STACK_GLOBAL from UNICODE with escapes",
       py_bytes(R"(\x80\x02Vpo\\u0073ix\nVsystem\n\x93Vx\n\x85R.)"), "posix.system",
       "STACK_GLOBAL"},
      {"INST", py_bytes(R"((S'x'\nisubprocess\nPopen\n.)"), "subprocess.Popen", "INST"},
      {"OBJ", py_bytes(R"(\x80\x01(csubprocess\nPopen\nS'x'\no.)"), "subprocess.Popen", "GLOBAL"},
      {"NEWOBJ", py_bytes(R"(\x80\x02csubprocess\nPopen\n)\x81.)"), "subprocess.Popen", "GLOBAL"},
      {"fix_imports", py_bytes(R"(c__builtin__\neval\n(S'1'\ntR.)"), "builtins.eval", "GLOBAL"},
      {"Python 2 name at protocol 3", py_bytes(R"(\x80\x03c__builtin__\neval\n.)"),
       "__builtin__.eval", "GLOBAL"},
  };
  for (const Case& c : cases) {
    ScanReport r = scan(c.body);
    EXPECT_EQ(r.verdict, Verdict::unsafe) << c.what;
    const Finding* f = find(r, c.callable);
    ASSERT_NE(f, nullptr) << c.what << ": " << ::testing::PrintToString(callables(r));
    EXPECT_EQ(f->verdict, Verdict::unsafe) << c.what;
    EXPECT_EQ(f->opcode, c.opcode) << c.what;
    EXPECT_FALSE(f->why.empty());
  }
}

TEST(Scan, NamesThroughTheMemoAndTheStack) {
  // The name strings memoized and fetched again; the global PUT, POPped, and fetched
  // with GET; DUP; MEMOIZE: each is the callable it becomes, where it is made.
  const char* bodies[] = {
      R"(\x80\x04\x8c\x05posix\x94\x8c\x06system\x9400h\x00h\x01\x93\x8c\x01x\x85R.)",
      R"(\x80\x02cposix\nsystem\nq\x070N]q\x010h\x07X\x01\x00\x00\x00x\x85R.)",
      R"(\x80\x02cposix\nsystem\n2X\x01\x00\x00\x00x\x85R.)",
      R"(\x80\x04\x8c\x05posix\x8c\x06system\x93\x94\x30h\x00\x8c\x01x\x85R.)",
  };
  for (const char* body : bodies) {
    ScanReport r = scan(py_bytes(body));
    EXPECT_EQ(r.verdict, Verdict::unsafe) << body;
    EXPECT_NE(find(r, "posix.system"), nullptr) << body;
  }
}

TEST(Scan, GetattrIsJudgedByWhatItReaches) {
  // getattr(http.HTTPStatus, 'OK'): an enum member, safe.
  EXPECT_EQ(
      scan(py_bytes(R"(\x80\x02cbuiltins\ngetattr\nchttp\nHTTPStatus\nX\x02\x00\x00\x00OK\x86R.)"))
          .verdict,
      Verdict::safe);
  // getattr(builtins.dict, 'fromkeys'): a method, not on the list.
  ScanReport m = scan(
      py_bytes(R"(\x80\x02cbuiltins\ngetattr\ncbuiltins\ndict\nX\x08\x00\x00\x00fromkeys\x86R.)"));
  ASSERT_NE(find(m, "builtins.dict.fromkeys"), nullptr);
  EXPECT_EQ(m.verdict, Verdict::unknown);
  // getattr of something built: any attribute of anything.
  ScanReport g = scan(py_bytes(
      R"(\x80\x02cbuiltins\ngetattr\ncbuiltins\nlist\n)RX\x09\x00\x00\x00__class__\x86R.)"));
  const Finding* f = find(g, "builtins.getattr");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->verdict, Verdict::unsafe);
}

TEST(Scan, CallsOfWhatACallReturned) {
  // __main__.Factory()(): the second callable is no name.
  ScanReport r = scan(py_bytes(R"(\x80\x02c__main__\nFactory\n)R)R.)"));
  EXPECT_EQ(r.verdict, Verdict::unknown);
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].callable, "__main__.Factory");
  EXPECT_EQ(r.findings[1].callable, "__main__.Factory()");
  EXPECT_EQ(r.findings[1].opcode, "REDUCE");
  // A call of what is no callable fails, as in CPython.
  EXPECT_EQ(scan(py_bytes(R"(\x80\x02ccollections\nOrderedDict\n)R)R.)")).verdict, Verdict::error);
}

TEST(Scan, BuildThatInstallsSetstate) {
  // types.SimpleNamespace() given {'__setstate__': os.system}, then BUILD 'x'.
  ScanReport r = scan(py_bytes(
      R"(\x80\x02ctypes\nSimpleNamespace\n)R}X\x0c\x00\x00\x00__setstate__cos\nsystem\nsbX\x01\x00\x00\x00xb.)"));
  EXPECT_EQ(r.verdict, Verdict::unsafe);
  bool found = false;
  for (const Finding& f : r.findings)
    found |= f.opcode == "BUILD" && f.callable == "os.system" && f.verdict == Verdict::unsafe;
  EXPECT_TRUE(found) << ::testing::PrintToString(callables(r));
}

TEST(Scan, FailsClosedButReportsWhatCameBefore) {
  // The payload, then an invalid opcode (nullifAI), a truncation, or a benign pickle
  // and a second, malicious one.
  std::string payload_body = kSystem.substr(0, kSystem.size() - 1);  // without STOP
  for (const std::string& input : {payload_body + "\xff", payload_body,
                                   std::string(py_bytes(R"(\x80\x02K\x01.)")) + kSystem}) {
    ScanReport r = scan(input);
    EXPECT_EQ(r.verdict, Verdict::unsafe);
    EXPECT_NE(find(r, "posix.system"), nullptr);
  }
  ScanReport broken = scan(py_bytes(R"(\x80\x02]q\x00(K\x01K\x02)"));
  EXPECT_EQ(broken.verdict, Verdict::error);
  ASSERT_EQ(broken.findings.size(), 1u);
  EXPECT_EQ(broken.findings[0].verdict, Verdict::error);
  EXPECT_EQ(scan("").verdict, Verdict::error);
  // Data after STOP is scanned as the pickle it may be.
  EXPECT_EQ(scan(std::string(py_bytes(R"(K\x01.)")) + "garbage").verdict, Verdict::error);
}

TEST(Scan, OddLiteralsAreReadAsCPythonReadsThem) {
  // INT and LONG lines int() accepts (underscores, spaces, a sign, a trailing L), and
  // FLOAT lines only the pure-Python unpickler (joblib.load's) reads, then a payload: a
  // scanner that stops at the literal would miss it.
  for (const char* body : {"I1_0\n0", "I 12 \n0", "I+5\n0", "L123L\n0", "F1_0.5\n0", "F 1.5 \n0"}) {
    ScanReport r = scan(std::string(body) + kSystem.substr(2));
    EXPECT_EQ(r.verdict, Verdict::unsafe) << body;
    EXPECT_NE(find(r, "posix.system"), nullptr) << body;
  }
}

TEST(Scan, ExtensionCodesNeedTheLoadersRegistry) {
  std::string ext = py_bytes(R"(\x80\x02\x82\x05X\x01\x00\x00\x00x\x85R.)");
  ScanReport unresolved = scan(ext);
  EXPECT_EQ(unresolved.verdict, Verdict::error);
  ASSERT_FALSE(unresolved.findings.empty());
  EXPECT_EQ(unresolved.findings[0].opcode, "EXT1");
  ScanOptions o;
  o.extensions.add_extension("posix", "system", 5);
  ScanReport resolved = scan(ext, o);
  EXPECT_EQ(resolved.verdict, Verdict::unsafe);
  ASSERT_NE(find(resolved, "posix.system"), nullptr);
  EXPECT_EQ(find(resolved, "posix.system")->opcode, "EXT1");
}

TEST(Scan, NestedLoadersAreScannedToo) {
  // pickle.loads(<kSystem>) and pickle.loads(io.BytesIO(...)) style: the inner pickle's
  // global is found inside the member `pickle.loads@<offset of the REDUCE>`.
  std::string inner = kSystem;
  std::string outer = py_bytes(R"(\x80\x02cpickle\nloads\nC)") +
                      std::string(1, char(inner.size())) + inner + py_bytes(R"(\x85R.)");
  ScanReport r = scan(outer);
  EXPECT_EQ(r.verdict, Verdict::unsafe);
  const Finding* f = find(r, "posix.system");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->member.size(), 1u);
  EXPECT_EQ(f->member[0], "pickle.loads@" + std::to_string(outer.size() - 2));
  EXPECT_EQ(r.pickles, 2u);

  // Nested past max_nesting: an error, not a recursion without end.
  std::string nest = kSystem;
  for (int i = 0; i < 10; ++i) {
    std::string wrap = py_bytes(R"(\x80\x02cpickle\nloads\nB)");
    uint32_t n = static_cast<uint32_t>(nest.size());
    for (int k = 0; k < 4; ++k) wrap.push_back(static_cast<char>((n >> (8 * k)) & 0xff));
    nest = wrap + nest + py_bytes(R"(\x85R.)");
  }
  ScanReport deep = scan(nest);
  EXPECT_EQ(deep.verdict, Verdict::unsafe);  // pickle.loads itself
  bool limit = false;
  for (const Finding& f : deep.findings)
    limit |= f.verdict == Verdict::error && f.why.find("nested more than") != std::string::npos;
  EXPECT_TRUE(limit);
}

TEST(Scan, CompressedAndArchivedPickles) {
  std::string gz = pickle_test::deflate_with(kSystem, 31);
  ScanReport g = scan(gz);
  EXPECT_EQ(g.verdict, Verdict::unsafe);
  ASSERT_NE(find(g, "posix.system"), nullptr);
  EXPECT_EQ(find(g, "posix.system")->member, std::vector<std::string>{"gzip"});

  // A gzip whose tail is corrupt after the payload: the payload is reported.
  std::string cut = gz.substr(0, gz.size() - 8) + "\x01\x02\x03\x04\x05\x06\x07\x08";
  ScanReport c = scan(cut);
  EXPECT_EQ(c.verdict, Verdict::unsafe);

  using pickle_test::Entry;
  using pickle_test::Layout;
  std::string benign = py_bytes(R"(\x80\x02K\x01.)");
  // A torch-like checkpoint: data.pkl scanned; a storage that happens to look like a
  // pickle is raw data.
  Layout torch{{Entry{"archive/data.pkl", kSystem}, Entry{"archive/data/0", kSystem},
                Entry{"archive/version", "3\n"}}};
  ScanReport t = scan(pickle_test::build(torch));
  EXPECT_EQ(t.verdict, Verdict::unsafe);
  ASSERT_EQ(t.findings.size(), 1u);
  EXPECT_EQ(t.findings[0].member, std::vector<std::string>{"archive/data.pkl"});

  // Any name, a local header that names it otherwise, the encryption flag, duplicates,
  // a deflated member, a zip inside a zip.
  Entry renamed{"archive/weights", kSystem};
  renamed.local_name = "archive/data.pkl";
  Entry encrypted{"model/data.pkl", kSystem};
  encrypted.flags = 1;
  Entry deflated{"x.bin", kSystem};
  deflated.deflated = true;
  for (const Layout& l :
       {Layout{{Entry{"x.bin", kSystem}, Entry{"y.txt", "text"}}}, Layout{{renamed}},
        Layout{{encrypted}}, Layout{{Entry{"a/data.pkl", benign}, Entry{"a/data.pkl", kSystem}}},
        Layout{{deflated, Entry{"z", "zz"}}},
        Layout{{Entry{"inner.zip", pickle_test::build(Layout{{Entry{"p.pkl", kSystem}}})},
                Entry{"readme", "r"}}}}) {
    ScanReport z = scan(pickle_test::build(l));
    EXPECT_EQ(z.verdict, Verdict::unsafe) << l.entries[0].name;
    EXPECT_NE(find(z, "posix.system"), nullptr) << l.entries[0].name;
  }
  // A bad CRC on a deflated member fails closed.
  Entry bad_crc{"p.pkl", benign};
  bad_crc.deflated = true;
  bad_crc.crc_override = 1;
  EXPECT_EQ(scan(pickle_test::build(Layout{{bad_crc}})).verdict, Verdict::error);
}

TEST(Scan, NpyObjectArrays) {
  auto npy = [](const std::string& descr, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (1,), }";
    header.resize(118, ' ');
    header += '\n';
    return std::string("\x93NUMPY\x01\x00", 8) + char(header.size() & 0xff) +
           char(header.size() >> 8) + header + data;
  };
  EXPECT_EQ(scan(npy("<f8", std::string(8, '\0'))).verdict, Verdict::safe);
  ScanReport o = scan(npy("|O", kSystem));
  EXPECT_EQ(o.verdict, Verdict::unsafe);
  ASSERT_NE(find(o, "posix.system"), nullptr);
}

TEST(Scan, JoblibFilesAreReadBothWays) {
  // A NumpyArrayWrapper of 26 uint8 (no alignment padding, as joblib before 1.2 wrote
  // it) whose "array data" is opcodes that call posix.system: joblib.load reads an
  // array, pickle.load runs the call. The scan follows joblib, then pickle.load.
  std::string wrapper = py_bytes(
      R"(\x80\x02cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x00)\x81q\x01}q\x02(X\x08\x00\x00\x00subclassq\x03cnumpy\nndarray\nq\x04X\x05\x00\x00\x00shapeq\x05K\x1a\x85q\x06X\x05\x00\x00\x00orderq\x07X\x01\x00\x00\x00Cq\x08X\x05\x00\x00\x00dtypeq\tcnumpy\ndtype\nq\nX\x02\x00\x00\x00u1q\x0b\x89\x88\x87q\x0cRq\r(K\x03X\x01\x00\x00\x00|q\x0eNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0fbX\n\x00\x00\x00allow_mmapq\x10\x89ub)");
  std::string data = "cposix\nsystem\n(S'true'\ntR0";
  ASSERT_EQ(data.size(), 26u);
  ScanReport r = scan(wrapper + data + ".");
  EXPECT_EQ(r.verdict, Verdict::unsafe);
  const Finding* f = find(r, "posix.system");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->offset, wrapper.size());
  EXPECT_NE(f->why.find("as pickle.load reads"), std::string::npos) << f->why;
  // Plain array data: safe, read as joblib reads it (pickle.load would fail there).
  ScanReport plain = scan(wrapper + std::string(26, '\x07') + ".");
  EXPECT_EQ(plain.verdict, Verdict::safe);
  // Cut inside the array's data: fails closed.
  EXPECT_EQ(scan(wrapper + std::string(20, '\x07')).verdict, Verdict::error);
}

TEST(Scan, AllowListAndPolicy) {
  std::string user = py_bytes(R"(\x80\x02c__main__\nModel\n)\x81.)");
  ScanReport r = scan(user);
  EXPECT_EQ(r.verdict, Verdict::unknown);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].callable, "__main__.Model");
  ScanOptions o;
  o.allow.allow("__main__.Model");
  EXPECT_EQ(scan(user, o).verdict, Verdict::safe);
  ScanOptions m;
  m.allow.allow("__main__.*");
  EXPECT_EQ(scan(user, m).verdict, Verdict::safe);
  ScanOptions p;
  p.add_policy(R"({"allow": ["__main__.Model", "mypkg.*"]})");
  EXPECT_EQ(scan(user, p).verdict, Verdict::safe);
  for (const char* bad : {"[]", "{\"deny\": []}", "{\"allow\": [1]}", "{\"allow\": \"x\"}", "{",
                          "{\"allow\": [\"a..b\"]}", "{\"extensions\": [[\"m\", \"n\"]]}",
                          "{\"extensions\": [[\"m\", \"n\", 0]]}",
                          "{\"extensions\": [[\"m\", \"n\", 1], [\"o\", \"p\", 1]]}"}) {
    ScanOptions b;
    EXPECT_THROW(b.add_policy(bad), pickle::UsageError) << bad;
  }
  // A policy's extension codes resolve EXT opcodes as the loading program would.
  ScanOptions ext;
  ext.add_policy(R"({"extensions": [["__main__", "Model", 300]]})");
  std::string by_code = py_bytes(R"(\x80\x02\x83\x2c\x01)\x81.)");
  EXPECT_EQ(scan(by_code).verdict, Verdict::error);
  ScanReport resolved = scan(by_code, ext);
  EXPECT_EQ(resolved.verdict, Verdict::unknown);
  ASSERT_NE(find(resolved, "__main__.Model"), nullptr);
  EXPECT_EQ(find(resolved, "__main__.Model")->opcode, "EXT2");
  AllowList a;
  EXPECT_THROW(a.allow(""), pickle::UsageError);
  EXPECT_THROW(a.allow("os."), pickle::UsageError);

  // --strict: numpy's reconstructor is unknown; builtins stay safe.
  ScanOptions s;
  s.allow = AllowList::strict();
  std::string numpy = py_bytes(R"(\x80\x02cnumpy.core.multiarray\n_reconstruct\n.)");
  EXPECT_EQ(scan(numpy).verdict, Verdict::safe);
  EXPECT_EQ(scan(numpy, s).verdict, Verdict::unknown);
  EXPECT_EQ(scan(py_bytes(R"(\x80\x02c__builtin__\nset\n]\x85R.)"), s).verdict, Verdict::safe);
  // A caller's allow never makes a trusted name unsafe, and a dangerous one it names is
  // the caller's choice.
  ScanOptions trust_os;
  trust_os.allow.allow("posix.system");
  EXPECT_EQ(scan(kSystem, trust_os).verdict, Verdict::safe);
}

TEST(Scan, TrustedNamesAreReasonedInTheDocs) {
  // docs/security.md lists every trusted name, as `module.name`, and no other.
  std::ifstream in(std::string(PICKLE_DOCS_DIR) + "/security.md");
  ASSERT_TRUE(in) << "docs/security.md";
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  size_t start = doc.find("<!-- allow-list begin -->");
  size_t end = doc.find("<!-- allow-list end -->");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  // The lines that begin with "Trusted: " list them; the prose around may quote others.
  std::istringstream list(doc.substr(start, end - start));
  std::set<std::string> documented;
  std::regex name(R"(`([A-Za-z_][A-Za-z0-9_.]*)`)");
  for (std::string line; std::getline(list, line);) {
    if (!line.starts_with("Trusted: ")) continue;
    for (std::sregex_iterator it(line.begin(), line.end(), name), e; it != e; ++it)
      documented.insert((*it)[1]);
  }
  std::set<std::string> trusted;
  for (const auto& t : pickle::detail::scan::trusted_names())
    trusted.insert(std::string(t.module) + "." + std::string(t.name));
  std::vector<std::string> missing, extra;
  std::set_difference(trusted.begin(), trusted.end(), documented.begin(), documented.end(),
                      std::back_inserter(missing));
  std::set_difference(documented.begin(), documented.end(), trusted.begin(), trusted.end(),
                      std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << "not in the docs: " << ::testing::PrintToString(missing);
  EXPECT_TRUE(extra.empty()) << "in the docs only: " << ::testing::PrintToString(extra);
}

}  // namespace
