// Activations and (log-)softmax, as torch.nn.functional.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// max(x, 0). NOTE: the gradient at exactly 0 is 0, as in PyTorch. Op name "relu" (guided
/// backprop overrides it by that name).
Tensor relu(const Tensor& x);
/// x if x > 0 else negative_slope * x.
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// exp(x - max) / sum exp(x - max) along dim (numerically stable).
Tensor softmax(const Tensor& x, int64_t dim);
/// x - max - log sum exp(x - max) along dim.
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace cnnlab::ops
