// A character is not a number: Value('a') must not compile (it would be the int 97).
// PICKLE_CHAR_T names the character type; the control casts it to an int type.
#include "pickle/value.hpp"

int main() {
  PICKLE_CHAR_T c = PICKLE_CHAR_T(97);
#ifdef PICKLE_CONTROL
  pickle::Value v = static_cast<int>(c);
#else
  pickle::Value v = c;
#endif
  return v.is_int() ? 0 : 1;
}
