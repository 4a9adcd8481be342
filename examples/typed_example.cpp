// The typed binding: C++ types in and out of pickles with no Graph walked by hand
// (docs/typed.md). CI builds it and checks its output (typed_example.expected).
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pickle/pickle.hpp>

namespace app {

// A dict in Python: {'id': ..., 'name': ..., 'score': ..., 'tags': [...], 'balance': ...}
struct Record {
  int64_t id;
  std::string name;
  double score;
  std::vector<std::string> tags;
  std::optional<double> balance;  // None, or a missing key, is empty
};
PICKLE_DICT(Record, id, name, score, tags, balance);

// An instance of the Python class geometry.Point, whose __dict__ holds x and y.
struct Point {
  double x, y;
};
PICKLE_OBJECT(Point, "geometry", "Point", x, y);

// A class Python pickles through __reduce__: Fraction.__reduce__ returns
// (Fraction, (numerator, denominator)) in CPython 3.12 and later.
struct Fraction {
  int64_t num, den;
};

}  // namespace app

template <>
struct pickle::codec<app::Fraction> {
  static void dump(Writer& w, const app::Fraction& f) {
    w.reduce("fractions", "Fraction", f.num, f.den);  // fractions.Fraction(num, den)
  }
  static void load(const Reader& r, app::Fraction& f) {
    r.object_of("fractions", "Fraction");
    f.num = r.arg(0).as_integer<int64_t>();
    f.den = r.arg(1).as_integer<int64_t>();
  }
};

int main() try {
  std::vector<app::Record> records{{1042, "Ada", 97.25, {"admin", "math"}, std::nullopt},
                                   {1043, "Grace", 88.5, {}, -12.5}};
  std::string bytes = pickle::dumps(records);  // what CPython's pickle.dumps writes
  pickle::Document doc = pickle::loads(bytes);
  std::cout << pickle::repr(doc.root()) << "\n";
  auto back = pickle::loads<std::vector<app::Record>>(bytes);
  std::cout << back[1].name << " " << back[1].balance.value_or(0) << "\n";

  std::map<std::string, std::vector<double>> series{{"a", {1, 2.5}}, {"b", {}}};
  std::cout << bytes.size() << " bytes, then " << pickle::dumps(series, {.protocol = 2}).size()
            << " bytes at protocol 2\n";

  std::string shapes = pickle::dumps(std::pair(app::Point{1, 2}, app::Fraction{3, 4}));
  pickle::Document d2 = pickle::loads(shapes);
  std::cout << pickle::repr(d2.root()) << "\n";

  // A wrong kind is an error that says where.
  auto wrong =
      pickle::loads<std::map<std::string, std::vector<std::string>>>(pickle::dumps(series));
  std::cout << wrong.size() << "\n";
} catch (const pickle::PickleError& e) {
  std::cout << e.what() << "\n";
  return 0;
}
