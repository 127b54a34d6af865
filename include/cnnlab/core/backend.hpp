// Backend selection: which kernels the ops run, the reference kernels of src/kernels/ (the plain,
// readable specification) or the fast ones of src/kernels/fast/ (oneDNN, OpenBLAS, OpenMP loops;
// docs/fast_backend.md).
// One process-wide setting, default kFast; the environment variable CNNLAB_BACKEND=reference|fast,
// read once on first use, overrides the default.
#pragma once

#include <string_view>

namespace cnnlab {

/// The kernel families an op can run.
enum class Backend {
  kReference,  ///< src/kernels/*.cpp: direct loops, double accumulation; the specification
  kFast,       ///< src/kernels/fast/*.cpp: oneDNN conv, BLAS gemm, OpenMP-parallel loops
};

/// The backend that ops use now. On the first call it reads CNNLAB_BACKEND ("reference" or
/// "fast"; unset or empty means kFast). Throws ValueError for any other value of CNNLAB_BACKEND.
/// Thread-safe (an atomic read).
Backend backend();

/// Selects the backend for the whole process (every thread). Thread-safe; ops already running
/// keep the kernels they started with.
void set_backend(Backend b);

/// "reference" or "fast".
const char* backend_name(Backend b);

/// Parses "reference" or "fast". Throws ValueError: "parse_backend: expected 'reference' or
/// 'fast', got '<text>'".
Backend parse_backend(std::string_view text);

/// Sets the number of worker threads of the fast kernels (OpenMP); n = 0 keeps OpenMP's default
/// (OMP_NUM_THREADS, else one per core). Throws ValueError for n < 0.
void set_num_threads(int n);
/// The number of worker threads the fast kernels use.
int num_threads();

/// Selects a backend for its lifetime and restores the previous one on destruction.
/// NOTE: the setting is process-wide, not per thread: a guard in one thread changes what every
/// thread runs. Meant for tests and benchmarks, which select backends from one thread.
class BackendGuard {
 public:
  explicit BackendGuard(Backend b) : previous_(backend()) { set_backend(b); }
  ~BackendGuard() { set_backend(previous_); }
  BackendGuard(const BackendGuard&) = delete;
  BackendGuard& operator=(const BackendGuard&) = delete;

 private:
  Backend previous_;
};

}  // namespace cnnlab
