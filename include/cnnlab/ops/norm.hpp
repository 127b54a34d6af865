// Batch normalization (torch.nn.functional.batch_norm). Derivation: docs/derivations/batch_norm_backward.md.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

struct BatchNormParams {
  bool training = true;
  double momentum = 0.1;  ///< running = (1 - momentum) * running + momentum * batch statistic
  double eps = 1e-5;
};

/// input (N, C, H, W) or (N, C); running_mean/var (C) or undefined; weight/bias (C) or undefined.
/// Training: normalizes with the batch mean and biased batch variance over (N, H, W), and if
/// running statistics are given updates them in place with the *unbiased* variance
/// (NOTE: PyTorch's convention). Eval: normalizes with the running statistics.
/// y = (x - mean) / sqrt(var + eps) * weight + bias. Differentiable in input, weight, bias.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, const BatchNormParams& params = {});

}  // namespace cnnlab::ops
