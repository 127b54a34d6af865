// Dropout with inverted scaling (torch.nn.functional.dropout).
#pragma once

#include "cnnlab/core/rng.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// Training: zeroes each element with probability p (mask drawn from rng, row-major) and scales
/// the rest by 1/(1-p), so eval needs no rescaling. Eval (training false): returns the input.
/// Throws ValueError unless 0 <= p <= 1 (p == 1 zeroes everything, as in PyTorch).
Tensor dropout(const Tensor& input, double p, bool training, Rng& rng);

}  // namespace cnnlab::ops
