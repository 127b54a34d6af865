// Reference matrix product C = alpha * op(A) * op(B) + beta * C over row-major buffers, and the two
// bias loops of a fully connected layer. Used by ops::matmul and ops::linear; the specification
// that a blocked or BLAS-backed gemm is tested against. Each sum accumulates in double and is
// rounded once.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// Sizes and layout of one product. op(A) is (M, K), op(B) is (K, N), C is (M, N).
/// A is stored (M, K), or (K, M) when trans_a; B is stored (K, N), or (N, K) when trans_b.
/// lda, ldb, ldc are the row strides (elements between consecutive stored rows).
struct GemmGeometry {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false;
  bool trans_b = false;
  int64_t lda = 0, ldb = 0, ldc = 0;
};

/// A geometry for densely packed operands: every row stride equals the stored row length.
inline GemmGeometry packed_gemm(int64_t m, int64_t n, int64_t k, bool trans_a = false,
                                bool trans_b = false) {
  return {.m = m,
          .n = n,
          .k = k,
          .trans_a = trans_a,
          .trans_b = trans_b,
          .lda = trans_a ? m : k,
          .ldb = trans_b ? k : n,
          .ldc = n};
}

/// c = alpha * op(a) * op(b) + beta * c. c (M, N), a and b as GemmGeometry describes.
/// NOTE: with beta == 0, c is only written, never read (BLAS convention), so c may be fresh,
/// NaN-poisoned memory; beta == 1 accumulates into c.
template <typename T>
void gemm(T* c, const T* a, const T* b, T alpha, T beta, const GemmGeometry& g);

/// y[r, j] += bias[j]: adds a bias row to each of `rows` rows. y (rows, cols), bias (cols).
template <typename T>
void linear_bias_forward(T* y, const T* bias, int64_t rows, int64_t cols);

/// db[j] += sum_r dy[r, j]: the gradient of linear_bias_forward. db (cols), dy (rows, cols).
template <typename T>
void linear_bias_backward(T* db, const T* dy, int64_t rows, int64_t cols);

}  // namespace cnnlab::kernels
