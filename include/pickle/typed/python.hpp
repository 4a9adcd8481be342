// Python's own types that real payloads carry, as small C++ types with codecs:
// bytes, bytearray, ints of any size, decimal.Decimal, uuid.UUID, and the datetime
// module's datetime, date and timedelta as std::chrono types. Each is written as
// CPython writes it (its class's __reduce__), so the bytes are CPython's.
#pragma once
#pragma GCC visibility push(default)  // the public API: see [NOTE visibility]

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "pickle/typed/reader.hpp"
#include "pickle/typed/writer.hpp"

namespace pickle {

/// Python `bytes`.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
  friend auto operator<=>(const Bytes&, const Bytes&) = default;
};
/// Python `bytearray`.
struct ByteArray {
  std::string data;
  friend bool operator==(const ByteArray&, const ByteArray&) = default;
};

/// A Python int of any size.
class BigInt {
 public:
  BigInt() = default;
  explicit BigInt(int64_t i);
  /// From decimal text ("-123", no underscores); UsageError when it is not one.
  static BigInt from_decimal(std::string_view text);
  /// From two's complement bytes, little-endian (any length).
  static BigInt from_le_twos(std::string_view bytes);
  std::string to_decimal() const;
  /// Minimal two's complement bytes, little-endian (empty for 0), as LONG1 holds them.
  const std::string& le_twos() const noexcept { return bytes_; }
  friend bool operator==(const BigInt&, const BigInt&) = default;

 private:
  std::string bytes_;
};

/// decimal.Decimal, as its text (what str() of it gives: "1.10", "-Infinity", "NaN").
struct Decimal {
  std::string text;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

/// uuid.UUID, as its 16 bytes in big-endian order (UUID.bytes).
struct Uuid {
  std::array<uint8_t, 16> bytes{};
  /// "12345678-1234-5678-1234-567812345678"
  std::string str() const;
  /// From that form (hyphens optional, either case); UsageError otherwise.
  static Uuid parse(std::string_view text);
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

template <>
struct codec<Bytes> {
  static void dump(pickle::Writer& w, const Bytes& b) { w.bytes(b.data); }
  static void load(const pickle::Reader& r, Bytes& b) { b.data.assign(r.as_bytes()); }
};
template <>
struct codec<ByteArray> {
  static void dump(pickle::Writer& w, const ByteArray& b) { w.bytearray(b.data); }
  static void load(const pickle::Reader& r, ByteArray& b) { b.data.assign(r.as_bytearray()); }
};
template <>
struct codec<BigInt> {
  static void dump(pickle::Writer& w, const BigInt& i);
  static void load(const pickle::Reader& r, BigInt& i);
};
template <>
struct codec<Decimal> {
  static void dump(pickle::Writer& w, const Decimal& d);
  static void load(const pickle::Reader& r, Decimal& d);
};
template <>
struct codec<Uuid> {
  static void dump(pickle::Writer& w, const Uuid& u);
  static void load(const pickle::Reader& r, Uuid& u);
};

namespace detail {
// datetime's pieces, for the chrono codecs (src/typed/python.cpp).
struct CivilTime {
  int year;
  unsigned month, day, hour, minute, second, microsecond;
};
void dump_datetime(pickle::Writer& w, const CivilTime& t);
CivilTime load_datetime(const pickle::Reader& r);
void dump_date(pickle::Writer& w, int year, unsigned month, unsigned day);
void load_date(const pickle::Reader& r, int& year, unsigned& month, unsigned& day);
/// A count of microseconds as timedelta(days, seconds, microseconds).
void dump_timedelta(pickle::Writer& w, int64_t microseconds);
int64_t load_timedelta(const pickle::Reader& r);
/// d in microseconds, rounded half to even as timedelta rounds; PicklingError when
/// it is beyond what int64 microseconds hold.
template <class Rep, class Period>
int64_t to_microseconds(std::chrono::duration<Rep, Period> d) {
  using namespace std::chrono;
  if constexpr (std::ratio_less_equal_v<microseconds::period, Period> && std::is_integral_v<Rep>) {
    // Coarser than a microsecond: exact, when it fits.
    using wide = duration<long double, std::micro>;
    long double us = duration_cast<wide>(d).count();
    if (us > 9.2e18L || us < -9.2e18L) throw PicklingError("duration too large for a timedelta");
    return duration_cast<microseconds>(d).count();
  } else {
    long double us = duration_cast<duration<long double, std::micro>>(d).count();
    if (!(us < 9.2e18L && us > -9.2e18L)) throw PicklingError("duration too large for a timedelta");
    long double fl = static_cast<long double>(static_cast<int64_t>(us));
    if (fl > us) fl -= 1;
    long double frac = us - fl;
    auto n = static_cast<int64_t>(fl);
    if (frac > 0.5L || (frac == 0.5L && (n & 1))) ++n;
    return n;
  }
}
/// microseconds into D, exactly, else TypedError (overflow).
template <class D>
D from_microseconds(const pickle::Reader& r, int64_t us) {
  using namespace std::chrono;
  auto exact = duration_cast<D>(microseconds(us));
  if (duration_cast<duration<long double, std::micro>>(exact).count() !=
      static_cast<long double>(us))
    r.fail(ErrorCode::overflow, "timedelta of " + std::to_string(us) +
                                    " microseconds does not fit this duration type exactly");
  return exact;
}
}  // namespace detail

/// std::chrono::duration as datetime.timedelta (rounded to microseconds, half to even,
/// as timedelta rounds; loading must fit the duration type exactly).
template <class Rep, class Period>
struct codec<std::chrono::duration<Rep, Period>> {
  using D = std::chrono::duration<Rep, Period>;
  static void dump(pickle::Writer& w, const D& d) {
    detail::dump_timedelta(w, detail::to_microseconds(d));
  }
  static void load(const pickle::Reader& r, D& d) {
    d = detail::from_microseconds<D>(r, detail::load_timedelta(r));
  }
};

/// std::chrono::sys_time as a naive datetime.datetime (UTC by convention; years
/// 1–9999; rounded to microseconds as for durations).
template <class D>
struct codec<std::chrono::sys_time<D>> {
  using T = std::chrono::sys_time<D>;
  static void dump(pickle::Writer& w, const T& t) {
    using namespace std::chrono;
    int64_t us = detail::to_microseconds(t.time_since_epoch());
    auto day = floor<days>(sys_time<microseconds>(microseconds(us)));
    year_month_day ymd(day);
    int64_t in_day = us - duration_cast<microseconds>(day.time_since_epoch()).count();
    detail::CivilTime c{static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()),
                        static_cast<unsigned>(in_day / 3600000000),
                        static_cast<unsigned>(in_day / 60000000 % 60),
                        static_cast<unsigned>(in_day / 1000000 % 60),
                        static_cast<unsigned>(in_day % 1000000)};
    detail::dump_datetime(w, c);
  }
  static void load(const pickle::Reader& r, T& t) {
    using namespace std::chrono;
    detail::CivilTime c = detail::load_datetime(r);
    sys_days day{year(c.year) / month(c.month) / std::chrono::day(c.day)};
    int64_t us = duration_cast<microseconds>(day.time_since_epoch()).count() +
                 ((int64_t(c.hour) * 60 + c.minute) * 60 + c.second) * 1000000 + c.microsecond;
    t = T(detail::from_microseconds<D>(r, us));
  }
};

/// std::chrono::year_month_day as datetime.date (years 1–9999).
template <>
struct codec<std::chrono::year_month_day> {
  static void dump(pickle::Writer& w, const std::chrono::year_month_day& d) {
    if (!d.ok()) throw PicklingError("not a valid date");
    detail::dump_date(w, static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                      static_cast<unsigned>(d.day()));
  }
  static void load(const pickle::Reader& r, std::chrono::year_month_day& d) {
    int y;
    unsigned m, day;
    detail::load_date(r, y, m, day);
    d = std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(day);
  }
};

}  // namespace pickle
#pragma GCC visibility pop
