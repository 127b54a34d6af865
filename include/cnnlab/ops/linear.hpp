// Matrix products: matmul (batched) and linear (torch.nn.functional.linear).
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// (n, k) @ (k, m) -> (n, m); (B, n, k) @ (B, k, m) -> (B, n, m); a batched operand times a
/// 2-D one broadcasts the 2-D one over the batch. Batch dims may be several, and must be equal.
Tensor matmul(const Tensor& a, const Tensor& b);

/// input (N, in), weight (out, in), bias (out) or undefined -> (N, out): y = x W^T + b.
/// Also accepts input (*, in) with any leading dims.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});

}  // namespace cnnlab::ops
