// Local response normalization across channels (torch.nn.functional.local_response_norm; AlexNet).
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

struct LrnParams {
  int64_t size = 5;     ///< channels in the window (AlexNet: 5)
  double alpha = 1e-4;  ///< AlexNet: 1e-4
  double beta = 0.75;   ///< AlexNet: 0.75
  double k = 1.0;       ///< AlexNet: 2
};

/// (N, C, H, W) -> same (any rank >= 3 works: the dims after C are positions).
/// y = x / (k + alpha/size * sum_{c' in window(c)} x[c']^2)^beta, the window
/// spanning channels [c - size/2, c + (size-1)/2] clipped to [0, C).
/// NOTE: alpha is divided by size, PyTorch's convention (the AlexNet paper's alpha is not).
/// Differentiable (op name "local_response_norm"). Throws ShapeError for rank < 3 and
/// ValueError for size < 1.
Tensor local_response_norm(const Tensor& input, const LrnParams& params = {});

}  // namespace cnnlab::ops
