// numpy arrays without numpy (docs/arrays.md): write a float64 array as numpy pickles
// it, load it back, and read it as a typed view.
#include <cstdio>
#include <span>
#include <vector>

#include <pickle/pickle.hpp>

int main() try {
  // A 2 x 3 float64 array, as numpy.arange(6.).reshape(2, 3) pickles it.
  std::vector<double> values = {0, 1, 2, 3, 4, 5};
  pickle::Graph graph;
  std::vector<int64_t> shape = {2, 3};
  pickle::Value array = pickle::numpy_array(graph, pickle::parse_dtype("<f8"), shape,
                                            std::as_bytes(std::span(values)), {.protocol = 2});
  std::string bytes = pickle::dumps(array, {.protocol = 2});  // numpy's own bytes
  std::printf("%zu bytes\n", bytes.size());

  pickle::Document doc = pickle::loads(bytes);
  std::optional<pickle::ArrayView> view = pickle::as_array(doc.root());
  if (!view) return 1;
  std::printf("%s\n", pickle::array_summary(*view).c_str());
  std::printf("strides %lld %lld, C order: %s\n", static_cast<long long>(view->strides[0]),
              static_cast<long long>(view->strides[1]), view->c_contiguous() ? "yes" : "no");
  for (double x : view->to_vector<double>()) std::printf("%g ", x);
  std::printf("\n");
  try {
    (void)view->to_vector<float>();  // checked: the dtype is float64
  } catch (const pickle::TypeError& e) {
    std::printf("TypeError: %s\n", e.what());
  }
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
