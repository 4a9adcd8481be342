// JSON both ways (docs/json.md): a pickle as lossless JSON and back to the same bytes,
// and as plain JSON for people and tools.
#include <cstdio>
#include <string>

#include <pickle/pickle.hpp>

int main() try {
  // examples/record.pkl, written by CPython 3.13.
  pickle::FileSource file("examples/record.pkl");
  pickle::Graph graph;
  pickle::Value rec = pickle::Unpickler(file).load(graph);

  std::string lossless = pickle::to_json(rec);
  pickle::Graph back;
  pickle::Value again = pickle::from_json(lossless, back);
  bool same = pickle::dumps(again) == pickle::dumps(rec);
  std::printf("lossless: %zu bytes of JSON; dumps again to the same bytes: %s\n", lossless.size(),
              same ? "yes" : "no");

  pickle::JsonOptions plain;
  plain.plain = true;
  plain.indent = 2;
  std::printf("%s\n", pickle::to_json(rec["settings"], plain).c_str());

  // A list that holds itself, and a str shared twice: identity survives the trip.
  pickle::Value shared = graph.str("shared");
  pickle::Value l = graph.list({shared, shared});
  l.list().items.push_back(l);
  std::printf("%s\n", pickle::to_json(l).c_str());
  pickle::Value r = pickle::from_json(pickle::to_json(l), back);
  std::printf("r[2] is r: %s, r[0] is r[1]: %s\n", r[2].is(r) ? "yes" : "no",
              r[0].is(r[1]) ? "yes" : "no");
} catch (const pickle::PickleError& e) {  // JsonError: offset() in the JSON text
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
