// Reference batch-normalization kernels (Ioffe & Szegedy 2015) over contiguous (N, C, S) buffers,
// where S is the product of the spatial dims (H * W for 4-D input, 1 for 2-D input).
// Derivation of the backward pass: docs/derivations/batch_norm_backward.md.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// Shape of a batch-norm problem: x viewed as (n, c, s), s = H * W (or 1 for (N, C) input).
struct BatchNormGeometry {
  int64_t n = 0;
  int64_t c = 0;
  int64_t s = 1;
  int64_t count() const { return n * s; }  ///< values per channel, m in the derivation
};

/// Per-channel batch statistics: mean[c] and the biased variance var[c] = sum (x - mean)^2 / m
/// over the m = n * s values of channel c. x is (n, c, s); mean and var are (c).
/// NOTE: two passes, accumulated in double for float inputs too (PyTorch's CPU kernel also uses
/// a double accumulator), so the statistics of large float32 batches do not drift.
template <typename T>
void batch_norm_stats(double* mean, double* var, const T* x, const BatchNormGeometry& g);

/// y = (x - mean[c]) * inv_std[c] * weight[c] + bias[c]. x and y are (n, c, s); mean and
/// inv_std are (c); weight and bias are (c) or null (meaning 1 and 0).
template <typename T>
void batch_norm_apply(T* y, const T* x, const double* mean, const double* inv_std, const T* weight,
                      const T* bias, const BatchNormGeometry& g);

/// Backward of batch_norm_apply. Adds into dx (n, c, s), dw (c) and db (c); any of the three
/// may be null to skip it. dy and x are (n, c, s); mean, inv_std (c); weight (c) or null.
/// training = true: mean and inv_std are the batch statistics of x, so they depend on x and dx
/// gets the two extra terms (xhat = (x - mean) * inv_std, m = n * s):
///   dx = weight * inv_std * (dy - sum(dy) / m - xhat * sum(dy * xhat) / m)
/// training = false: they are constants (running statistics): dx = weight * inv_std * dy.
/// In both modes dw = sum(dy * xhat) and db = sum(dy) over (n, s).
template <typename T>
void batch_norm_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const double* mean,
                         const double* inv_std, const T* weight, const BatchNormGeometry& g,
                         bool training);

/// In-place running-statistics update after a training step:
///   running_mean = (1 - momentum) * running_mean + momentum * mean
///   running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)
/// running_mean and running_var are (c); mean and the biased var are (c); m = g.count() > 1.
/// NOTE: the running variance uses the unbiased estimate while normalization uses the biased
/// one, as PyTorch (and the BN paper's inference rule) does.
template <typename R>
void batch_norm_update_running(R* running_mean, R* running_var, const double* mean,
                               const double* var, double momentum, const BatchNormGeometry& g);

}  // namespace cnnlab::kernels
