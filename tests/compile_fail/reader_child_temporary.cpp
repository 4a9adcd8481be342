// A Reader made from a temporary Reader would point at it for its path after it is
// gone: item(), at(), arg(), ... are refused on a temporary ([NOTE dangling-views]).
// The control names the Reader first.
#include <optional>
#include <string>

#include "pickle/pickle.hpp"

struct Pair {
  int a;
};

template <>
struct pickle::codec<Pair> {
  static void load(const Reader& r, Pair& p) {
#ifdef PICKLE_CONTROL
    Reader outer = r.at("outer");
    Reader inner = outer.at("a");
#else
    Reader inner = r.at("outer").at("a");
#endif
    p.a = inner.as_integer<int>();
  }
};

int main() {
  Pair p = pickle::loads<Pair>(std::string("\x80\x04}\x94."));
  return p.a;
}
