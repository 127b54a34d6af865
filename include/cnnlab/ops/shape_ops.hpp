// Ops that move elements without arithmetic: transpose, permute, cat, stack, split, narrow,
// index_select, gather, one_hot, dtype conversion. All differentiable except one_hot.
#pragma once

#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// Swaps two dims (a copy; cnnlab tensors are always contiguous).
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
/// Reorders dims: out.shape[i] = x.shape[dims[i]] (a copy).
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
/// Joins tensors along an existing dim; other dims must match (Inception's channel concat).
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
/// Joins tensors along a new dim.
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Splits into pieces of split_size along dim (the last piece may be smaller).
std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
/// Elements [start, start + length) along dim. Along dim 0 the result shares storage (a view).
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
/// Picks the entries of `index` (1-D int64) along dim: out.shape[dim] = index.numel().
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// out[i][j] = x[i][index[i][j]] for dim 1 (and likewise for any dim); index is int64 with the
/// rank of x. Used to pick the target-class entries: gather(log_probs, 1, labels.unsqueeze(1)).
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// (N) int64 labels in [0, num_classes) -> (N, num_classes) of 0/1.
Tensor one_hot(const Tensor& labels, int64_t num_classes, Dtype dtype = Dtype::kFloat32);
/// Differentiable float32 <-> float64 conversion.
Tensor to_dtype(const Tensor& x, Dtype dtype);

}  // namespace cnnlab::ops
