// Dropout with inverted scaling (torch.nn.functional.dropout).
#pragma once

#include "cnnlab/core/rng.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// input (any shape) -> output of the same shape.
/// Training: zeroes each element with probability p (one rng.uniform() draw per element,
/// row-major: dropped when it is < p) and scales the rest by 1/(1-p), so eval needs no
/// rescaling. The scaled mask is saved; backward is dy * mask. Op name "dropout".
/// Eval (training false), p == 0 or an empty input: returns `input` itself and draws nothing.
/// Throws ValueError unless 0 <= p <= 1 (p == 1 zeroes everything, as in PyTorch).
Tensor dropout(const Tensor& input, double p, bool training, Rng& rng);

}  // namespace cnnlab::ops
