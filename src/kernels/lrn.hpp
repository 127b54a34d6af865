// Reference kernels of local response normalization across channels (Krizhevsky et al. 2012,
// PyTorch's convention: alpha is divided by size). Buffers are contiguous (N, C, S) with S the
// product of the spatial dims. Derivation of the backward pass: docs/derivations/lrn_backward.md.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// Shape and constants of an LRN problem. The window of channel c is
/// [c - size / 2, c + (size - 1) / 2] (integer division) clipped to [0, C).
struct LrnGeometry {
  int64_t n = 0;
  int64_t c = 0;
  int64_t s = 1;  ///< H * W
  int64_t size = 5;
  double alpha = 1e-4;
  double beta = 0.75;
  double k = 1.0;
};

/// scale[n, c, i] = k + alpha / size * sum_{c' in window(c)} x[n, c', i]^2
/// y[n, c, i]     = x[n, c, i] * scale[n, c, i]^(-beta)
/// x, y and scale are (n, c, s); scale is saved for the backward pass.
template <typename T>
void lrn_forward(T* y, T* scale, const T* x, const LrnGeometry& g);

/// Adds into dx (n, c, s):
///   dx[j] += dy[j] * scale[j]^(-beta)
///            - 2 * beta * alpha / size * x[j] * sum_{c : j in window(c)} dy[c] * x[c] *
///            scale[c]^(-beta-1)
/// where j and c index channels at one (n, i). dy, x and scale are (n, c, s).
template <typename T>
void lrn_backward(T* dx, const T* dy, const T* x, const T* scale, const LrnGeometry& g);

}  // namespace cnnlab::kernels
