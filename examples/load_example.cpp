// The README's example: load a pickle CPython wrote, read values, print its repr, dump it.
// Run it from the repository root: build/dev/examples/load_example
#include <iostream>
#include <pickle/pickle.hpp>

int main() try {
  pickle::FileSource file("examples/record.pkl");           // or MemorySource, StreamSource
  pickle::Graph graph;                                      // owns every node that is loaded
  pickle::Value rec = pickle::Unpickler(file).load(graph);  // imports and runs nothing
  std::cout << rec["name"].as_str() << " #" << rec["id"].as_int() << "\n";
  for (pickle::Value tag : rec["tags"].items()) std::cout << tag.as_str() << "\n";
  std::cout << pickle::repr(rec) << "\n";  // what Python's repr() prints
  rec.dict().set(graph.str("id"), 1043);   // rec["id"] = 1043
  std::string bytes = pickle::dumps(rec);  // protocol 4: the bytes CPython's pickle.dumps writes
  pickle::Document doc = pickle::loads(bytes);  // a Graph of its own, and the root value
  std::cout << bytes.size() << " bytes, id " << doc.root()["id"].as_int() << "\n";
} catch (const std::exception& e) {  // pickle::UnpicklingError: offset(), opcode(), code()
  std::cerr << e.what() << "\n";     // "UnpicklingError at byte N (OPNAME): ..."
  return 1;
}
