// Batch normalization (torch.nn.functional.batch_norm). Derivation:
// docs/derivations/batch_norm_backward.md.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

struct BatchNormParams {
  bool training = true;
  double momentum = 0.1;  ///< running = (1 - momentum) * running + momentum * batch statistic
  double eps = 1e-5;
};

/// input (N, C), (N, C, L) or (N, C, H, W) (any rank >= 2; the statistics are taken over every
/// dim but C); running_mean/var (C) or undefined (both or neither; any float dtype);
/// weight/bias (C) of the input's dtype, or undefined (meaning 1 and 0). Returns input's shape.
/// Training: normalizes with the batch mean and biased batch variance over (N, H, W), and if
/// running statistics are given updates them in place with the *unbiased* variance
/// (NOTE: PyTorch's convention). Eval: normalizes with the running statistics.
/// y = (x - mean) / sqrt(var + eps) * weight + bias. Differentiable in input, weight, bias (op
/// name "batch_norm"; the running statistics get no gradient).
/// Throws ShapeError for rank < 2, vectors that are not [C], or a training batch with a single
/// value per channel; ValueError for eval without running statistics, eps < 0, momentum
/// outside [0, 1], or mismatched dtypes.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, const BatchNormParams& params = {});

}  // namespace cnnlab::ops
