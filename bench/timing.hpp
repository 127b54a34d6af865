// Timing helpers shared by the cnnlab benchmark programs (lenet_cnnlab, models_cnnlab): a
// steady clock, seconds since a time point, and the median of a sample.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace cnnlab::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// The median of v (the mean of the two middle values for an even count); v must not be empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace cnnlab::bench
