// Reference pointwise activation kernels (see activation.hpp).
#include "kernels/activation.hpp"

#include <cmath>

namespace cnnlab::kernels {

template <typename T>
void relu_forward(T* y, const T* x, int64_t n) {
  // NOTE: written as a comparison (not std::max) so that a NaN input stays NaN, as in PyTorch
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < T(0) ? T(0) : x[i];
}

template <typename T>
void relu_backward(T* dx, const T* dy, const T* y, int64_t n) {
  // NOTE: a select, not a branch, so that the loop vectorizes
  for (int64_t i = 0; i < n; ++i) dx[i] += y[i] > T(0) ? dy[i] : T(0);
}

template <typename T>
void leaky_relu_forward(T* y, const T* x, int64_t n, T slope) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
}

template <typename T>
void leaky_relu_backward(T* dx, const T* dy, const T* x, int64_t n, T slope) {
  for (int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : slope * dy[i];
}

template <typename T>
void sigmoid_forward(T* y, const T* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    // exp of a non-positive number only: no overflow for large |x|
    if (x[i] >= T(0)) {
      y[i] = T(1) / (T(1) + std::exp(-x[i]));
    } else {
      const T e = std::exp(x[i]);
      y[i] = e / (T(1) + e);
    }
  }
}

template <typename T>
void sigmoid_backward(T* dx, const T* dy, const T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * y[i] * (T(1) - y[i]);
}

template <typename T>
void tanh_forward(T* y, const T* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

template <typename T>
void tanh_backward(T* dx, const T* dy, const T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * (T(1) - y[i] * y[i]);
}

// explicit instantiations: float for training, double for gradcheck and parity
template void relu_forward<float>(float*, const float*, int64_t);
template void relu_forward<double>(double*, const double*, int64_t);
template void relu_backward<float>(float*, const float*, const float*, int64_t);
template void relu_backward<double>(double*, const double*, const double*, int64_t);
template void leaky_relu_forward<float>(float*, const float*, int64_t, float);
template void leaky_relu_forward<double>(double*, const double*, int64_t, double);
template void leaky_relu_backward<float>(float*, const float*, const float*, int64_t, float);
template void leaky_relu_backward<double>(double*, const double*, const double*, int64_t, double);
template void sigmoid_forward<float>(float*, const float*, int64_t);
template void sigmoid_forward<double>(double*, const double*, int64_t);
template void sigmoid_backward<float>(float*, const float*, const float*, int64_t);
template void sigmoid_backward<double>(double*, const double*, const double*, int64_t);
template void tanh_forward<float>(float*, const float*, int64_t);
template void tanh_forward<double>(double*, const double*, int64_t);
template void tanh_backward<float>(float*, const float*, const float*, int64_t);
template void tanh_backward<double>(double*, const double*, const double*, int64_t);

}  // namespace cnnlab::kernels
