// The fast backend's one way to split a loop over the OpenMP threads: parallel_for(n, grain, f)
// calls f(begin, end) on contiguous, disjoint chunks that cover [0, n). Small loops (n below
// grain per thread), nested calls and one-thread runs stay on the calling thread, so callers
// never pay a fork for a loop that is cheaper than the fork.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <mutex>

#include "cnnlab/core/backend.hpp"

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

/// Carries the first exception thrown inside an OpenMP region out of it: an exception that
/// leaves a region calls std::terminate. Wrap each thread's work in run(), call rethrow() after
/// the region.
class RegionErrors {
 public:
  template <typename F>
  void run(F&& f) noexcept {
    try {
      f();
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
};

/// f(begin, end) over contiguous chunks of [0, n), one per thread (static schedule: the same
/// split every call, so per-thread results are deterministic). An exception thrown by f is
/// rethrown on the calling thread after every chunk has finished.
template <typename F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  const int threads = parallel_threads(n, grain);
  if (threads <= 1) {
    f(int64_t{0}, n);
    return;
  }
#ifdef _OPENMP
  RegionErrors errors;
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t begin = n * t / nt, end = n * (t + 1) / nt;
    if (begin < end) errors.run([&] { f(begin, end); });
  }
  errors.rethrow();
#endif
}

/// parallel_for on the fast backend; on the reference backend one call f(0, n) on the calling
/// thread, so that CNNLAB_BACKEND=reference stays single-threaded. For loops whose chunks are
/// independent (elementwise work, whole images or planes), where the split changes no result.
template <typename F>
void parallel_for_backend(int64_t n, int64_t grain, F&& f) {
  if (backend() == Backend::kFast) {
    parallel_for(n, grain, f);
  } else if (n > 0) {
    f(int64_t{0}, n);
  }
}

}  // namespace cnnlab::kernels::fast
