// Scanning pickles before anyone loads them (docs/security.md, "Scanning"): a pickle
// of plain data is safe, one that calls os.system is not, and an instance of your own
// class is unknown until you allow it.
#include <cstdio>
#include <string>

#include <pickle/pickle.hpp>

namespace {

void report(const char* what, const std::string& bytes, const pickle::ScanOptions& options) {
  pickle::ScanReport r = pickle::scan_bytes(
      std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), options);
  std::printf("%s: %s\n", what, std::string(pickle::verdict_name(r.verdict)).c_str());
  for (const pickle::Finding& f : r.findings)
    std::printf("  byte %llu (%s): %s %s: %s\n", static_cast<unsigned long long>(f.offset),
                f.opcode.c_str(), std::string(pickle::verdict_name(f.verdict)).c_str(),
                f.callable.c_str(), f.why.c_str());
}

}  // namespace

int main() try {
  pickle::Graph g;
  pickle::ScanOptions defaults;

  // {'xs': [1, 2], 'when': datetime.date(2026, 12, 7)} as CPython writes it.
  pickle::Value date =
      g.object(g.global("datetime", "date"), g.tuple({g.bytes(std::string("\x07\xea\x0c\x07", 4))}),
               pickle::BuildKind::reduce);
  pickle::Value data = g.dict({{g.str("xs"), g.list({1, 2})}, {g.str("when"), date}});
  report("data", pickle::dumps(data), defaults);

  // What `pickle.dumps` of an object whose __reduce__ returns (os.system, ('id',))
  // writes. Scanning never runs it.
  pickle::Value call =
      g.object(g.global("posix", "system"), g.tuple({g.str("id")}), pickle::BuildKind::reduce);
  report("payload", pickle::dumps(call, {.protocol = 2}), defaults);

  // An instance of a class of yours: unknown, until you trust it.
  pickle::Value mine =
      g.object(g.global("myapp.config", "Config"), g.tuple({}), pickle::BuildKind::newobj);
  std::string config = pickle::dumps(mine);
  report("config", config, defaults);
  pickle::ScanOptions trusting;
  trusting.allow.allow("myapp.config.Config");
  report("config, allowed", config, trusting);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
