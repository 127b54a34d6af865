// Reference kernels of the pointwise activations (ReLU, leaky ReLU, sigmoid, tanh) over n
// contiguous elements: forward writes y, backward adds into dx. No allocation, no autograd.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// y[i] = max(x[i], 0). x, y: (n).
template <typename T>
void relu_forward(T* y, const T* x, int64_t n);
/// dx[i] += y[i] > 0 ? dy[i] : 0, from the saved output y. dx, dy, y: (n).
/// NOTE: the subgradient at 0 is 0, as in PyTorch (y > 0 exactly when x > 0).
template <typename T>
void relu_backward(T* dx, const T* dy, const T* y, int64_t n);

/// y[i] = x[i] > 0 ? x[i] : slope * x[i]. x, y: (n).
template <typename T>
void leaky_relu_forward(T* y, const T* x, int64_t n, T slope);
/// dx[i] += dy[i] * (x[i] > 0 ? 1 : slope), from the saved input x. dx, dy, x: (n).
/// NOTE: at exactly 0 the slope side is taken, as in PyTorch.
template <typename T>
void leaky_relu_backward(T* dx, const T* dy, const T* x, int64_t n, T slope);

/// y[i] = 1 / (1 + exp(-x[i])), evaluated without overflow for large |x|. x, y: (n).
template <typename T>
void sigmoid_forward(T* y, const T* x, int64_t n);
/// dx[i] += dy[i] * y[i] * (1 - y[i]), from the saved output y. dx, dy, y: (n).
template <typename T>
void sigmoid_backward(T* dx, const T* dy, const T* y, int64_t n);

/// y[i] = tanh(x[i]). x, y: (n).
template <typename T>
void tanh_forward(T* y, const T* x, int64_t n);
/// dx[i] += dy[i] * (1 - y[i]^2), from the saved output y. dx, dy, y: (n).
template <typename T>
void tanh_backward(T* dx, const T* dy, const T* y, int64_t n);

}  // namespace cnnlab::kernels
