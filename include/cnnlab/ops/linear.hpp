// Matrix products: matmul (batched) and linear (torch.nn.functional.linear), both on the
// reference gemm of src/kernels/gemm.cpp.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// (n, k) @ (k, m) -> (n, m); (B, n, k) @ (B, k, m) -> (B, n, m); a batched operand times a
/// 2-D one broadcasts the 2-D one over the batch. Batch dims may be several, and must be equal.
/// Differentiable in both operands. Throws ShapeError (rank below 2, inner dims that differ,
/// unequal batch dims) or ValueError (mixed or non-float dtypes).
Tensor matmul(const Tensor& a, const Tensor& b);

/// input (N, in), weight (out, in), bias (out) or undefined -> (N, out): y = x W^T + b.
/// Also accepts input (*, in) with any leading dims (none included: (in) -> (out)).
/// Differentiable in input, weight and bias. Throws ShapeError (weight not 2-D, feature count
/// mismatch, bias shape) or ValueError (mixed or non-float dtypes).
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});

}  // namespace cnnlab::ops
