// Reference gemm: one dot product per element of C, over row-major buffers addressed through the
// row strides of GemmGeometry; plus the bias loops of a fully connected layer.
#include "kernels/gemm.hpp"

namespace cnnlab::kernels {

template <typename T>
void gemm(T* c, const T* a, const T* b, T alpha, T beta, const GemmGeometry& g) {
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      T acc = 0;
      for (int64_t p = 0; p < g.k; ++p) {
        const T a_ip = g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p];  // op(A)[i, p]
        const T b_pj = g.trans_b ? b[j * g.ldb + p] : b[p * g.ldb + j];  // op(B)[p, j]
        acc += a_ip * b_pj;
      }
      T& c_ij = c[i * g.ldc + j];
      c_ij = beta == T(0) ? alpha * acc : alpha * acc + beta * c_ij;  // beta 0: c is not read
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
    T acc = 0;
    for (int64_t r = 0; r < rows; ++r) acc += dy[r * cols + j];
    db[j] += acc;
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
