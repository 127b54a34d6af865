// Rng: the explicit, seedable random number generator that every random operation takes.
// There is no global generator: code that draws random numbers receives an Rng& from its caller.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace cnnlab {

/// A seeded 64-bit Mersenne Twister with the draws that initialisers and dropout need.
/// Same seed, same sequence, on every platform (the distributions are written here, not taken
/// from <random>, whose distributions differ between standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : engine_(seed) {}

  uint64_t next_u64() { return engine_(); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal by the Box-Muller transform (one value per call; the pair's twin is cached).
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  /// Uniform integer in [0, n), without modulo bias. Requires n > 0.
  uint64_t below(uint64_t n);
  /// Bernoulli(p): true with probability p.
  bool bernoulli(double p) { return uniform() < p; }

  /// The full generator state as text, for checkpoints; restore() takes it back.
  std::string state() const;
  void restore(const std::string& state);

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace cnnlab
