// Activations and (log-)softmax, as torch.nn.functional. Every op takes a float32 or float64
// tensor of any shape (ValueError otherwise) and returns one of the same shape.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// max(x, 0). NOTE: the gradient at exactly 0 is 0, as in PyTorch. Op name "relu" (guided
/// backprop overrides it by that name).
Tensor relu(const Tensor& x);
/// x if x > 0 else negative_slope * x. The gradient at 0 is negative_slope. Op name
/// "leaky_relu".
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
/// 1 / (1 + exp(-x)); backward from the saved output: y (1 - y). Op name "sigmoid".
Tensor sigmoid(const Tensor& x);
/// tanh(x); backward from the saved output: 1 - y^2. Op name "tanh".
Tensor tanh(const Tensor& x);
/// exp(x - max) / sum exp(x - max) along dim (numerically stable); any rank, dim may be
/// negative. Backward from the saved output. Op name "softmax". Throws ShapeError when dim is out
/// of range.
Tensor softmax(const Tensor& x, int64_t dim);
/// x - max - log sum exp(x - max) along dim; backward from the saved output. Op name
/// "log_softmax".
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace cnnlab::ops
