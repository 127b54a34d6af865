// Fast gemm on OpenBLAS (cblas_sgemm / cblas_dgemm), with the reference gemm's contract
// (kernels/gemm.hpp), and the one place that fixes how BLAS and OpenMP share the cores.
// NOTE: OpenBLAS runs single-threaded (openblas_set_num_threads(1), once); all parallelism is
// OpenMP's, so BLAS threads never compete with OpenMP threads for the two cores.
#pragma once

#include <cstdint>

#include "kernels/gemm.hpp"

namespace cnnlab::kernels::fast {

/// Sets OpenBLAS to one thread, once per process (thread-safe; later calls do nothing). Every
/// fast kernel calls it before its first BLAS call.
void init_blas_threads();

/// c = alpha * op(a) * op(b) + beta * c, exactly as kernels::gemm (same geometry, beta == 0 means
/// c is not read) but through cblas_?gemm. Outside an OpenMP parallel region, large products are
/// split into row blocks of C across the OpenMP threads (each block one single-threaded BLAS call).
template <typename T>
void gemm(T* c, const T* a, const T* b, T alpha, T beta, const GemmGeometry& g);

/// The raw row-major BLAS call on one thread: c = alpha * op(a) * op(b) + beta * c.
/// m, n, k and the leading dimensions as in cblas_?gemm (CblasRowMajor).
void blas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc);
void blas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
               const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
               int64_t ldc);

}  // namespace cnnlab::kernels::fast
