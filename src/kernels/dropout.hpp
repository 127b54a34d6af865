// Reference dropout kernels: draw an inverted-dropout mask from an explicit Rng, apply it, and
// apply it to a gradient. Header-only (three short loops); no allocation, no autograd.
#pragma once

#include <cstdint>

#include "cnnlab/core/rng.hpp"

namespace cnnlab::kernels {

/// Fills mask (n) in row-major order, one rng.uniform() draw per element: 0 with probability p
/// (rng.bernoulli(p)), else 1/(1-p). Requires 0 <= p <= 1; with p == 1 every entry is 0.
template <typename T>
void dropout_mask(T* mask, int64_t n, double p, Rng& rng) {
  const T keep_scale = p < 1.0 ? static_cast<T>(1.0 / (1.0 - p)) : T(0);
  for (int64_t i = 0; i < n; ++i) mask[i] = rng.bernoulli(p) ? T(0) : keep_scale;
}

/// y[i] = x[i] * mask[i]. x, mask, y: (n).
template <typename T>
void dropout_forward(T* y, const T* x, const T* mask, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * mask[i];
}

/// dx[i] += dy[i] * mask[i]. dx, dy, mask: (n).
template <typename T>
void dropout_backward(T* dx, const T* dy, const T* mask, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * mask[i];
}

}  // namespace cnnlab::kernels
