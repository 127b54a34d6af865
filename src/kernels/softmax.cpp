// Reference softmax / log-softmax kernels (see softmax.hpp). Each (outer, inner) pair is one line
// of n elements at stride inner.
// NOTE: the sums along a line accumulate in double for float inputs too, so long lines (1000
// classes) do not lose precision; the results are rounded to T once.
#include "kernels/softmax.hpp"

#include <cmath>

namespace cnnlab::kernels {
namespace {

// Maximum of one line (stride `inner`); -inf for an empty line. A NaN propagates.
template <typename T>
double line_max(const T* line, const SoftmaxGeometry& g) {
  double m = -INFINITY;
  for (int64_t k = 0; k < g.n; ++k) {
    const double v = static_cast<double>(line[k * g.inner]);
    if (v > m || std::isnan(v)) m = v;
  }
  return m;
}

// sum_k exp(line[k] - m), the shifted normalizer shared by softmax and log-softmax.
template <typename T>
double line_exp_sum(const T* line, double m, const SoftmaxGeometry& g) {
  double total = 0.0;
  for (int64_t k = 0; k < g.n; ++k) total += std::exp(static_cast<double>(line[k * g.inner]) - m);
  return total;
}

}  // namespace

template <typename T>
void softmax_forward(T* y, const T* x, const SoftmaxGeometry& g) {
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t start = o * g.n * g.inner + i;  // seek to line (o, :, i)
      const T* xl = x + start;
      T* yl = y + start;
      const double m = line_max(xl, g);
      const double total = line_exp_sum(xl, m, g);
      for (int64_t k = 0; k < g.n; ++k) {
        yl[k * g.inner] =
            static_cast<T>(std::exp(static_cast<double>(xl[k * g.inner]) - m) / total);
      }
    }
  }
}

template <typename T>
void softmax_backward(T* dx, const T* dy, const T* y, const SoftmaxGeometry& g) {
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t start = o * g.n * g.inner + i;  // seek to line (o, :, i)
      double dot = 0.0;                             // sum_k dy_k y_k
      for (int64_t k = 0; k < g.n; ++k) {
        dot += static_cast<double>(dy[start + k * g.inner]) *
               static_cast<double>(y[start + k * g.inner]);
      }
      for (int64_t k = 0; k < g.n; ++k) {
        const int64_t at = start + k * g.inner;
        dx[at] += static_cast<T>(static_cast<double>(y[at]) * (static_cast<double>(dy[at]) - dot));
      }
    }
  }
}

template <typename T>
void log_softmax_forward(T* y, const T* x, const SoftmaxGeometry& g) {
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t start = o * g.n * g.inner + i;  // seek to line (o, :, i)
      const T* xl = x + start;
      T* yl = y + start;
      const double m = line_max(xl, g);
      const double total = line_exp_sum(xl, m, g);
      const double log_total = std::log(total);
      for (int64_t k = 0; k < g.n; ++k) {
        yl[k * g.inner] = static_cast<T>(static_cast<double>(xl[k * g.inner]) - m - log_total);
      }
    }
  }
}

template <typename T>
void log_softmax_backward(T* dx, const T* dy, const T* y, const SoftmaxGeometry& g) {
  for (int64_t o = 0; o < g.outer; ++o) {
    for (int64_t i = 0; i < g.inner; ++i) {
      const int64_t start = o * g.n * g.inner + i;  // seek to line (o, :, i)
      double total = 0.0;                           // sum_k dy_k
      for (int64_t k = 0; k < g.n; ++k) total += static_cast<double>(dy[start + k * g.inner]);
      for (int64_t k = 0; k < g.n; ++k) {
        const int64_t at = start + k * g.inner;
        dx[at] += static_cast<T>(static_cast<double>(dy[at]) -
                                 std::exp(static_cast<double>(y[at])) * total);
      }
    }
  }
}

// explicit instantiations: float for training, double for gradcheck and parity
template void softmax_forward<float>(float*, const float*, const SoftmaxGeometry&);
template void softmax_forward<double>(double*, const double*, const SoftmaxGeometry&);
template void softmax_backward<float>(float*, const float*, const float*, const SoftmaxGeometry&);
template void softmax_backward<double>(double*, const double*, const double*,
                                       const SoftmaxGeometry&);
template void log_softmax_forward<float>(float*, const float*, const SoftmaxGeometry&);
template void log_softmax_forward<double>(double*, const double*, const SoftmaxGeometry&);
template void log_softmax_backward<float>(float*, const float*, const float*,
                                          const SoftmaxGeometry&);
template void log_softmax_backward<double>(double*, const double*, const double*,
                                           const SoftmaxGeometry&);

}  // namespace cnnlab::kernels
