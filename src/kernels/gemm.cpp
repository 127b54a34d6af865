// Reference gemm: one dot product per element of C, over row-major buffers addressed through the
// row strides of GemmGeometry; plus the bias loops of a fully connected layer.
// NOTE: each dot product (and each bias-gradient sum) accumulates in double, for float buffers
// too, and is rounded to T once, so the reference is also the precise one whatever K is.
#include "kernels/gemm.hpp"

namespace cnnlab::kernels {

template <typename T>
void gemm(T* c, const T* a, const T* b, T alpha, T beta, const GemmGeometry& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < g.k; ++p) {
        const T a_ip = g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p];  // op(A)[i, p]
        const T b_pj = g.trans_b ? b[j * g.ldb + p] : b[p * g.ldb + j];  // op(B)[p, j]
        acc += static_cast<double>(a_ip) * static_cast<double>(b_pj);
      }
      T& c_ij = c[i * g.ldc + j];
      const double scaled = static_cast<double>(alpha) * acc;
      c_ij = beta == T(0)
                 ? static_cast<T>(scaled)  // beta 0: c is not read
                 : static_cast<T>(scaled + static_cast<double>(beta) * static_cast<double>(c_ij));
    }
  }
}

template <typename T>
void linear_bias_forward(T* y, const T* bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) y[r * cols + j] += bias[j];
  }
}

template <typename T>
void linear_bias_backward(T* db, const T* dy, int64_t rows, int64_t cols) {
  for (int64_t j = 0; j < cols; ++j) {
    double acc = 0.0;
    for (int64_t r = 0; r < rows; ++r) acc += static_cast<double>(dy[r * cols + j]);
    db[j] = static_cast<T>(static_cast<double>(db[j]) + acc);
  }
}

template void gemm<float>(float*, const float*, const float*, float, float, const GemmGeometry&);
template void gemm<double>(double*, const double*, const double*, double, double,
                           const GemmGeometry&);
template void linear_bias_forward<float>(float*, const float*, int64_t, int64_t);
template void linear_bias_forward<double>(double*, const double*, int64_t, int64_t);
template void linear_bias_backward<float>(float*, const float*, int64_t, int64_t);
template void linear_bias_backward<double>(double*, const double*, int64_t, int64_t);

}  // namespace cnnlab::kernels
