// A type without a codec cannot be dumped or loaded: the diagnostic says how to give it
// one. The control binds it with PICKLE_DICT.
#include <string>

#include "pickle/pickle.hpp"

struct Unbound {
  int id;
};
#ifdef PICKLE_CONTROL
PICKLE_DICT(Unbound, id);
#endif

int main() {
#ifdef PICKLE_LOAD
  Unbound u = pickle::loads<Unbound>(std::string("\x80\x04}\x94."));
  return u.id;
#else
  return pickle::dumps(Unbound{1}).empty() ? 1 : 0;
#endif
}
