// Fast gemm: cblas_sgemm / cblas_dgemm on single-threaded OpenBLAS, with the rows of C split
// across OpenMP threads when the product is large enough to pay for the fork.
#include "kernels/fast/gemm_blas.hpp"

#include <cblas.h>

#include <algorithm>
#include <mutex>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cnnlab::kernels::fast {
namespace {

// Below this many multiply-adds one thread is faster than forking (measured order of magnitude:
// an OpenMP fork/join costs a few microseconds, i.e. ~1e5 FMAs on one core).
constexpr int64_t kParallelMinFlops = int64_t{1} << 18;

CBLAS_TRANSPOSE trans(bool t) { return t ? CblasTrans : CblasNoTrans; }

int max_threads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace

void init_blas_threads() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void blas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc) {
  cblas_sgemm(CblasRowMajor, trans(trans_a), trans(trans_b), static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda),
              b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

void blas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
               const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
               int64_t ldc) {
  cblas_dgemm(CblasRowMajor, trans(trans_a), trans(trans_b), static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda),
              b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

template <typename T>
void gemm(T* c, const T* a, const T* b, T alpha, T beta, const GemmGeometry& g) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) {  // BLAS would scale c by beta; do it here so beta == 0 never reads c
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        T& c_ij = c[i * g.ldc + j];
        c_ij = beta == T(0) ? T(0) : beta * c_ij;
      }
    }
    return;
  }
  init_blas_threads();
  // NOTE: BLAS requires lda >= the stored row length even when a dimension is 1; the packed
  // geometries always satisfy this, so the strides are passed through unchanged.
  const int threads = g.m * g.n * g.k >= kParallelMinFlops ? max_threads() : 1;
  const int64_t blocks = std::min<int64_t>(threads, g.m);
  if (blocks <= 1) {
    blas_gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, alpha, a, g.lda, b, g.ldb, beta, c, g.ldc);
    return;
  }
  // Row block [r0, r1) of C needs rows [r0, r1) of op(A): row r0 of A, or column r0 when trans_a.
#pragma omp parallel for num_threads(static_cast <int>(blocks)) schedule(static)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t r0 = g.m * blk / blocks, r1 = g.m * (blk + 1) / blocks;
    const T* a_blk = g.trans_a ? a + r0 : a + r0 * g.lda;
    blas_gemm(g.trans_a, g.trans_b, r1 - r0, g.n, g.k, alpha, a_blk, g.lda, b, g.ldb, beta,
              c + r0 * g.ldc, g.ldc);
  }
}

template void gemm<float>(float*, const float*, const float*, float, float, const GemmGeometry&);
template void gemm<double>(double*, const double*, const double*, double, double,
                           const GemmGeometry&);

}  // namespace cnnlab::kernels::fast
