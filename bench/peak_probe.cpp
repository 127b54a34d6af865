// The FMA peak probe of issue 4 part (e): the sustained fp32 fused-multiply-add throughput of
// this CPU, the yardstick for the conv layer's GFLOP/s. Every thread runs independent FMA chains
// held in vector registers (AVX-512 or AVX2, chosen at compile time by -march=native) with no
// memory traffic; the best of several trials is the peak. Prints one RESULT line per thread count.
//   peak_probe [--threads N] [--seconds S]     (default: N = 1 and 2, S = 0.2 per trial)
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

#if defined(__AVX512F__)
constexpr const char* kIsa = "avx512";
constexpr int kLanes = 16;
using Vec = __m512;
inline Vec vset(float v) { return _mm512_set1_ps(v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
// NOTE: stored and added by hand: GCC 12's _mm512_reduce_add_ps trips -Wmaybe-uninitialized.
inline float vsum(Vec v) {
  alignas(64) float f[16];
  _mm512_store_ps(f, v);
  float s = 0;
  for (float x : f) s += x;
  return s;
}
// NOTE: 32 zmm registers; 16 accumulators cover FMA latency x throughput (4 cycles x 2 pipes on
// current cores) with room to spare, and leave registers for the two operands.
constexpr int kChains = 16;
#elif defined(__AVX2__) && defined(__FMA__)
constexpr const char* kIsa = "avx2";
constexpr int kLanes = 8;
using Vec = __m256;
inline Vec vset(float v) { return _mm256_set1_ps(v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float vsum(Vec v) {
  alignas(32) float f[8];
  _mm256_store_ps(f, v);
  float s = 0;
  for (float x : f) s += x;
  return s;
}
// NOTE: 16 ymm registers: 12 accumulators + 2 operands, no spills.
constexpr int kChains = 12;
#else
// NOTE: no AVX2/FMA at compile time: scalar fmaf chains, so that the build never fails; the figure
// is then not the vector peak, and the RESULT line says isa=scalar.
constexpr const char* kIsa = "scalar";
constexpr int kLanes = 1;
using Vec = float;
inline Vec vset(float v) { return v; }
inline Vec vfma(Vec a, Vec b, Vec c) { return std::fma(a, b, c); }
inline float vsum(Vec v) { return v; }
constexpr int kChains = 8;
#endif

constexpr int64_t kInner = 1000;  // FMA rounds per chain between clock reads

// Runs `rounds` x kInner rounds of kChains independent FMAs; returns a value that depends on every
// accumulator so that the compiler cannot drop the work.
__attribute__((noinline)) float fma_block(int64_t rounds, float seed) {
  Vec acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = vset(seed + 0.001f * static_cast<float>(c));
  // a * x + b with |a| < 1 converges, so nothing overflows however long it runs.
  const Vec a = vset(0.999999f);
  const Vec b = vset(1e-7f);
  for (int64_t r = 0; r < rounds; ++r) {
    for (int64_t i = 0; i < kInner; ++i) {
#pragma GCC unroll 16
      for (int c = 0; c < kChains; ++c) acc[c] = vfma(acc[c], a, b);
    }
  }
  float s = 0;
  for (int c = 0; c < kChains; ++c) s += vsum(acc[c]);
  return s;
}

// One trial: every thread runs the same number of rounds; GFLOP/s of all threads together, timed
// from a barrier before to a barrier after.
double trial(int threads, int64_t rounds, float* sink) {
  double seconds = 0;
  float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  {
#pragma omp barrier
    Clock::time_point t0;
#pragma omp master
    t0 = Clock::now();
    total += fma_block(rounds, 1.0f + static_cast<float>(omp_get_thread_num()));
#pragma omp barrier
#pragma omp master
    seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  *sink += total;
  const double flops =
      2.0 * kLanes * kChains * static_cast<double>(kInner) * static_cast<double>(rounds) * threads;
  return flops / seconds * 1e-9;
}

void probe(int threads, double target_seconds) {
  float sink = 0;
  // Calibrate the rounds so that one trial lasts about target_seconds (and warm the cores up).
  int64_t rounds = 100;
  for (;;) {
    const auto t0 = Clock::now();
    trial(threads, rounds, &sink);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (s >= target_seconds / 4) {
      rounds = std::max<int64_t>(1, static_cast<int64_t>(rounds * target_seconds / s));
      break;
    }
    rounds *= 4;
  }
  std::vector<double> g;
  for (int t = 0; t < 7; ++t) g.push_back(trial(threads, rounds, &sink));
  std::sort(g.begin(), g.end());
  std::printf(
      "RESULT kind=peak isa=%s threads=%d gflops=%.2f median_trial_gflops=%.2f chains=%d "
      "sink=%.3g\n",
      kIsa, threads, g.back(), g[g.size() / 2], kChains, static_cast<double>(sink));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  double seconds = 0.2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--threads") == 0) {
      threads = {std::atoi(argv[i + 1])};
    } else if (std::strcmp(argv[i], "--seconds") == 0) {
      seconds = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: peak_probe [--threads N] [--seconds S]\n");
      return 2;
    }
  }
  for (int t : threads) {
    if (t < 1) {
      std::fprintf(stderr, "peak_probe: expected --threads >= 1, got %d\n", t);
      return 2;
    }
    probe(t, seconds);
  }
  return 0;
}
