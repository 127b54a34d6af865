// Reference softmax and log-softmax kernels along one dim of a contiguous tensor, viewed as
// (outer, n, inner) with the softmax dim in the middle. Forward subtracts the line's maximum
// (numerically stable); backward works from the saved output. No allocation, no autograd.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// A tensor viewed as (outer, n, inner): n is the size of the softmax dim, outer the product of
/// the dims before it, inner the product of the dims after it. Element (o, k, i) sits at
/// (o * n + k) * inner + i.
struct SoftmaxGeometry {
  int64_t outer = 1, n = 1, inner = 1;
};

/// y = exp(x - max) / sum exp(x - max) along n. x, y: (outer, n, inner).
template <typename T>
void softmax_forward(T* y, const T* x, const SoftmaxGeometry& g);
/// dx += y * (dy - sum_k dy_k y_k) along n. dx, dy, y: (outer, n, inner).
template <typename T>
void softmax_backward(T* dx, const T* dy, const T* y, const SoftmaxGeometry& g);

/// y = x - max - log sum exp(x - max) along n. x, y: (outer, n, inner).
template <typename T>
void log_softmax_forward(T* y, const T* x, const SoftmaxGeometry& g);
/// dx += dy - exp(y) * sum_k dy_k along n. dx, dy, y: (outer, n, inner).
template <typename T>
void log_softmax_backward(T* dx, const T* dy, const T* y, const SoftmaxGeometry& g);

}  // namespace cnnlab::kernels
