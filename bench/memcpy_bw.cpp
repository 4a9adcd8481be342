// memcpy bandwidth of this machine, the yardstick for large binary payloads
// (docs/performance.md). Copies SIZE bytes (default 64 MiB) REPEAT times and prints
// one JSON object with the median rates in bytes per second: `warm` between buffers
// already touched (the better of 4 KiB pages and transparent huge pages, which the
// graph's large blocks ask for), `fresh` into newly allocated memory (page faults
// included).
//
//   memcpy_bw [SIZE_MIB [REPEAT]]
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 64;
  int repeat = argc > 2 ? std::atoi(argv[2]) : 9;
  if (mib == 0 || repeat <= 0) {
    std::fprintf(stderr, "usage: memcpy_bw [SIZE_MIB [REPEAT]]\n");
    return 2;
  }
  size_t size = mib << 20;
  std::unique_ptr<char[]> src(new char[size]), dst(new char[size]);
  for (size_t i = 0; i < size; ++i) src[i] = static_cast<char>(i * 131);
  std::memset(dst.get(), 1, size);

  std::vector<double> warm, fresh;
  unsigned sink = 0;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clock::now();
    std::memcpy(dst.get(), src.get(), size);
    warm.push_back(static_cast<double>(size) / seconds_since(t0));
    sink += static_cast<unsigned char>(dst[i * 4099 % size]);

    t0 = Clock::now();
    std::unique_ptr<char[]> d(new char[size]);
    std::memcpy(d.get(), src.get(), size);
    fresh.push_back(static_cast<double>(size) / seconds_since(t0));
    sink += static_cast<unsigned char>(d[i * 4099 % size]);
  }
  // The same between buffers backed by transparent huge pages where the system has them.
  std::vector<double> huge;
  void* hs = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* hd = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (hs != MAP_FAILED && hd != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
    ::madvise(hs, size, MADV_HUGEPAGE);
    ::madvise(hd, size, MADV_HUGEPAGE);
#endif
    std::memcpy(hs, src.get(), size);
    std::memset(hd, 1, size);
    for (int i = 0; i < repeat; ++i) {
      auto t0 = Clock::now();
      std::memcpy(hd, hs, size);
      huge.push_back(static_cast<double>(size) / seconds_since(t0));
      sink += static_cast<const unsigned char*>(hd)[i * 4099 % size];
    }
  }
  double plain = median(warm), best = huge.empty() ? plain : std::max(plain, median(huge));
  std::printf(
      "{\"bytes\": %zu, \"repeat\": %d, \"warm_bytes_per_s\": %.0f, "
      "\"warm_4k_bytes_per_s\": %.0f, \"warm_huge_bytes_per_s\": %.0f, "
      "\"fresh_bytes_per_s\": %.0f, \"check\": %u}\n",
      size, repeat, best, plain, huge.empty() ? 0.0 : median(huge), median(fresh), sink % 7);
  return 0;
}
