// The fast backend's one way to split a loop over the OpenMP threads: parallel_for(n, grain, f)
// calls f(begin, end) on contiguous, disjoint chunks that cover [0, n). Small loops (n below
// grain per thread), nested calls and one-thread runs stay on the calling thread, so callers
// never pay a fork for a loop that is cheaper than the fork.
#pragma once

#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cnnlab::kernels::fast {

/// Elements below which a pointwise loop is not worth a thread (an OpenMP fork costs ~1-2 us).
inline constexpr int64_t kPointwiseGrain = 16384;

/// The threads a loop of n items with `grain` items per thread at least would use.
inline int parallel_threads(int64_t n, int64_t grain) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
  const int64_t by_size = std::max<int64_t>(1, n / std::max<int64_t>(grain, 1));
  return static_cast<int>(std::min<int64_t>(omp_get_max_threads(), by_size));
#else
  (void)n;
  (void)grain;
  return 1;
#endif
}

/// f(begin, end) over contiguous chunks of [0, n), one per thread (static schedule: the same
/// split every call, so per-thread results are deterministic).
template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  const int threads = parallel_threads(n, grain);
  if (threads <= 1) {
    f(int64_t{0}, n);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (begin < end) f(begin, end);
  }
#endif
}

}  // namespace cnnlab::kernels::fast
