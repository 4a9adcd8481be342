// Codecs of Python's own types: big ints, decimal.Decimal, uuid.UUID, and the
// datetime module's datetime, date and timedelta, each written as its class's
// __reduce__ has CPython write it.
#include "pickle/typed/python.hpp"

#include <algorithm>
#include <cctype>

#include "model/bigint.hpp"
#include "pickle/typed/std.hpp"

namespace pickle {

// ---- BigInt -----------------------------------------------------------------------

BigInt::BigInt(int64_t i) {
  std::vector<uint8_t> b = detail::int64_to_twos(i);
  bytes_.assign(b.begin(), b.end());
}

BigInt BigInt::from_decimal(std::string_view text) {
  bool negative = !text.empty() && (text[0] == '-' || text[0] == '+') && text[0] == '-';
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw UsageError("BigInt::from_decimal: not a decimal integer");
  std::vector<uint8_t> b = detail::decimal_to_twos(digits, negative);
  BigInt r;
  r.bytes_.assign(b.begin(), b.end());
  return r;
}

BigInt BigInt::from_le_twos(std::string_view bytes) {
  auto m = detail::minimal_twos(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  BigInt r;
  r.bytes_.assign(m.begin(), m.end());
  return r;
}

std::string BigInt::to_decimal() const {
  return detail::twos_to_decimal(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size()));
}

void codec<BigInt>::dump(Writer& w, const BigInt& i) {
  const std::string& b = i.le_twos();
  w.integer(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
}

void codec<BigInt>::load(const Reader& r, BigInt& i) {
  i = BigInt::from_le_twos(r.as_int_bytes());
}

// ---- Decimal ----------------------------------------------------------------------
// decimal.Decimal.__reduce__: (Decimal, (str(self),)).

void codec<Decimal>::dump(Writer& w, const Decimal& d) {
  w.reduce("decimal", "Decimal", std::string_view(d.text));
}

void codec<Decimal>::load(const Reader& r, Decimal& d) {
  r.object_of("decimal", "Decimal");
  if (r.arg_count() != 1)
    r.fail(ErrorCode::type_error,
           "expected decimal.Decimal(text), found " + std::to_string(r.arg_count()) + " arguments");
  d.text.assign(r.arg(0).as_str());
}

// ---- UUID -------------------------------------------------------------------------
// uuid.UUID has __slots__ and a __getstate__ of {'int': self.int} (and 'is_safe' when
// known), so CPython writes it as object.__reduce_ex__ writes a plain instance.

std::string Uuid::str() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += hex[bytes[i] >> 4];
    s += hex[bytes[i] & 15];
  }
  return s;
}

Uuid Uuid::parse(std::string_view text) {
  Uuid u;
  size_t n = 0;
  for (char c : text) {
    if (c == '-') continue;
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
            : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                        : -1;
    if (v < 0 || n >= 32) throw UsageError("Uuid::parse: not a UUID");
    u.bytes[n / 2] = static_cast<uint8_t>(u.bytes[n / 2] | (n % 2 ? v : v << 4));
    ++n;
  }
  if (n != 32) throw UsageError("Uuid::parse: not a UUID");
  return u;
}

void codec<Uuid>::dump(Writer& w, const Uuid& u) {
  uint8_t le[17] = {};  // UUID.int: the 16 bytes big-endian, as a non-negative int
  for (size_t i = 0; i < 16; ++i) le[i] = u.bytes[15 - i];
  w.begin_instance("uuid", "UUID");
  if (w.protocol() >= 2) w.tuple();
  w.end_instance();
  Writer::Items d = w.begin_dict(1);
  w.next(d);
  w.name("int");
  w.next(d);
  w.integer(std::span<const uint8_t>(le, 17));
  w.end(d);
  w.build();
}

void codec<Uuid>::load(const Reader& r, Uuid& u) {
  r.object_of("uuid", "UUID");
  std::optional<Reader> i = r.attribute("int");
  if (!i) r.fail(ErrorCode::key_error, "missing attribute 'int'");
  std::string le = i->as_int_bytes();
  if ((!le.empty() && (static_cast<uint8_t>(le.back()) & 0x80)) || le.size() > 17 ||
      (le.size() == 17 && le[16] != '\0'))
    i->fail(ErrorCode::overflow, "expected a UUID's int (128 bits, not negative), found " +
                                     BigInt::from_le_twos(le).to_decimal());
  le.resize(16, '\0');
  for (size_t k = 0; k < 16; ++k) u.bytes[k] = static_cast<uint8_t>(le[15 - k]);
}

// ---- datetime ---------------------------------------------------------------------
// datetime.datetime and datetime.date reduce to (cls, (state_bytes,)) (a second item,
// the tzinfo, for aware datetimes); timedelta to (timedelta, (days, seconds, us)).

namespace detail {

namespace {

// The state bytes of a datetime or date: bytes, or (from Python 2, loaded with
// encoding='latin1') a str of code points below 256.
std::string state_bytes(const Reader& r) {
  if (r.kind() == Kind::Bytes) return std::string(r.as_bytes());
  if (r.kind() == Kind::Str) {
    std::string out;
    std::string_view t = r.as_str();
    for (size_t i = 0; i < t.size(); ++i) {
      auto c = static_cast<uint8_t>(t[i]);
      if (c < 0x80) {
        out += static_cast<char>(c);
      } else if ((c & 0xFE) == 0xC2 && i + 1 < t.size()) {
        out += static_cast<char>(((c & 0x1F) << 6) | (static_cast<uint8_t>(t[++i]) & 0x3F));
      } else {
        r.fail("bytes");
      }
    }
    return out;
  }
  r.fail("bytes");
}

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
unsigned days_in(int y, unsigned m) {
  static constexpr unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[m - 1];
}
bool valid_date(int y, unsigned m, unsigned d) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

}  // namespace

void dump_datetime(Writer& w, const CivilTime& t) {
  if (!valid_date(t.year, t.month, t.day))
    throw PicklingError("a datetime's year must be from 1 to 9999, found " +
                        std::to_string(t.year));
  char b[10] = {static_cast<char>(t.year >> 8),
                static_cast<char>(t.year & 0xff),
                static_cast<char>(t.month),
                static_cast<char>(t.day),
                static_cast<char>(t.hour),
                static_cast<char>(t.minute),
                static_cast<char>(t.second),
                static_cast<char>(t.microsecond >> 16),
                static_cast<char>(t.microsecond >> 8),
                static_cast<char>(t.microsecond)};
  w.reduce("datetime", "datetime", Bytes{std::string(b, 10)});
}

CivilTime load_datetime(const Reader& r) {
  r.object_of("datetime", "datetime");
  size_t n = r.arg_count();
  if (n == 2 && r.arg(1).kind() != Kind::None)
    r.fail(ErrorCode::type_error,
           "expected a naive datetime, found one with a tzinfo (" + r.arg(1).found() + ")");
  if (n != 1 && n != 2)
    r.fail(ErrorCode::type_error,
           "expected datetime.datetime(state), found " + std::to_string(n) + " arguments");
  Reader a = r.arg(0);
  std::string b = state_bytes(a);
  if (b.size() != 10) a.fail(ErrorCode::type_error, "expected the 10 bytes of a datetime's state");
  auto u = [&](size_t i) { return static_cast<unsigned>(static_cast<uint8_t>(b[i])); };
  CivilTime t{static_cast<int>(u(0) << 8 | u(1)), u(2) & 0x7F, u(3), u(4), u(5), u(6),
              u(7) << 16 | u(8) << 8 | u(9)};
  if (!valid_date(t.year, t.month, t.day) || t.hour > 23 || t.minute > 59 || t.second > 59 ||
      t.microsecond > 999999)
    a.fail(ErrorCode::type_error, "expected the state of a valid datetime");
  return t;
}

void dump_date(Writer& w, int year, unsigned month, unsigned day) {
  if (!valid_date(year, month, day))
    throw PicklingError("a date's year must be from 1 to 9999, found " + std::to_string(year));
  char b[4] = {static_cast<char>(year >> 8), static_cast<char>(year & 0xff),
               static_cast<char>(month), static_cast<char>(day)};
  w.reduce("datetime", "date", Bytes{std::string(b, 4)});
}

void load_date(const Reader& r, int& year, unsigned& month, unsigned& day) {
  r.object_of("datetime", "date");
  if (r.arg_count() != 1)
    r.fail(ErrorCode::type_error,
           "expected datetime.date(state), found " + std::to_string(r.arg_count()) + " arguments");
  Reader a = r.arg(0);
  std::string b = state_bytes(a);
  if (b.size() != 4) a.fail(ErrorCode::type_error, "expected the 4 bytes of a date's state");
  auto u = [&](size_t i) { return static_cast<unsigned>(static_cast<uint8_t>(b[i])); };
  year = static_cast<int>(u(0) << 8 | u(1));
  month = u(2);
  day = u(3);
  if (!valid_date(year, month, day))
    a.fail(ErrorCode::type_error, "expected the state of a valid date");
}

void dump_timedelta(Writer& w, int64_t us) {
  constexpr int64_t kDay = 86400000000;
  int64_t days = us / kDay, rest = us % kDay;
  if (rest < 0) {
    rest += kDay;
    --days;
  }
  w.reduce("datetime", "timedelta", days, rest / 1000000, rest % 1000000);
}

int64_t load_timedelta(const Reader& r) {
  r.object_of("datetime", "timedelta");
  if (r.arg_count() != 3)
    r.fail(ErrorCode::type_error,
           "expected datetime.timedelta(days, seconds, microseconds), found " +
               std::to_string(r.arg_count()) + " arguments");
  int64_t days = r.arg(0).as_integer<int64_t>();
  int64_t seconds = r.arg(1).as_integer<int64_t>();
  int64_t micro = r.arg(2).as_integer<int64_t>();
  if (days < -999999999 || days > 999999999 || seconds < 0 || seconds >= 86400 || micro < 0 ||
      micro >= 1000000)
    r.fail(ErrorCode::type_error, "expected a normalized timedelta");
  if (days < -106751991 || days > 106751990)  // int64 microseconds hold about ±292,000 years
    r.fail(ErrorCode::overflow,
           "a timedelta of " + std::to_string(days) + " days does not fit int64 microseconds");
  return (days * 86400 + seconds) * 1000000 + micro;
}

}  // namespace detail

}  // namespace pickle
