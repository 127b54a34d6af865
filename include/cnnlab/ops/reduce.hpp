// Reductions over given dims (negative dims count from the end), all differentiable.
#pragma once

#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// Sum over `dims` (all dims when empty). keepdim keeps them with size 1.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
/// Mean over `dims` (all dims when empty).
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
/// Variance over `dims` (all when empty); unbiased divides by n - 1 (PyTorch's default).
Tensor var(const Tensor& x, const std::vector<int64_t>& dims = {}, bool unbiased = true,
           bool keepdim = false);
/// p-norm over `dims` (all when empty): (sum |x|^p)^(1/p). NOTE: the gradient at a
/// zero vector is taken as 0, as in PyTorch.
Tensor norm(const Tensor& x, double p = 2.0, const std::vector<int64_t>& dims = {},
            bool keepdim = false);

/// Values and int64 indices of a reduction along one dim.
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};
/// Maximum along `dim`. NOTE: on ties the first index wins, and only it gets the gradient.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim = false);
/// Maximum / minimum of all elements (0-d).
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
/// Index of the maximum along dim (int64), e.g. predicted classes argmax(logits, 1).
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);

}  // namespace cnnlab::ops
