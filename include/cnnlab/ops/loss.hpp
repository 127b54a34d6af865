// Losses (torch.nn.functional names and defaults) and the two image losses of the visualization
// suite: the Gram matrix (style) and total variation (smoothness).
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

enum class Reduction { kNone, kMean, kSum, kBatchMean };

struct CrossEntropyOptions {
  Tensor weight = {};  ///< (C) class weights, or undefined
  Reduction reduction = Reduction::kMean;
  double label_smoothing = 0.0;  ///< in [0, 1]
  int64_t ignore_index = -100;
};

/// logits (N, C), target (N) int64 in [0, C) or ignore_index -> scalar (or (N) with kNone).
/// Same as nll_loss(log_softmax(logits, 1), target) when label_smoothing = 0; with smoothing the
/// target distribution is (1 - ls) one_hot + ls / C, weighted as PyTorch 1.13 does: per sample
/// (1 - ls) * (-w[t] lp[t]) + ls / C * (-sum_k w[k] lp[k]), and kMean divides the sum by the
/// summed w[t] of the non-ignored samples (NaN when all are ignored, as PyTorch).
/// A fused op with a hand-written backward (node "cross_entropy"; derivation in
/// docs/derivations/softmax_cross_entropy.md); differentiable in logits only.
/// Throws ShapeError for shapes other than (N, C) / (N) / weight (C), ValueError for a non-int64
/// target, a target value outside [0, C) that is not ignore_index, label_smoothing outside
/// [0, 1], a weight of another dtype, or kBatchMean.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options = {});

/// log_probs (N, C), target (N) int64 -> -log_probs[n, target[n]] * weight[target[n]], the mean
/// divides by the sum of the weights of the non-ignored targets. options.label_smoothing must be
/// 0. Node "nll_loss", differentiable in log_probs. Throws as cross_entropy.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                const CrossEntropyOptions& options = {});

/// (input - target)^2, reduced (kMean or kSum or kNone). Differentiable in both (composed of
/// differentiable ops). Throws ShapeError unless the shapes are equal (no broadcasting).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean);

/// input holds log-probabilities; target probabilities (or log-probabilities when log_target).
/// Pointwise target * (log target - input), or exp(target) * (target - input) with log_target;
/// kBatchMean divides the sum by N (the mathematically correct KL; PyTorch's default kMean
/// divides by every element). Composed of differentiable ops, so differentiable in both input
/// and target; the values and both gradients are PyTorch 1.13's wherever PyTorch's are finite:
/// d/d input = -target (or -exp(target)), d/d target = log(target) + 1 - input (or
/// exp(target) * (target + 1 - input)), times the upstream gradient and the reduction's scale.
/// NOTE: where target = 0 (log_target false) the pointwise term is 0 (xlogy) and the gradient
/// with respect to that target is -input (the target * log(target) term contributes 0), while
/// PyTorch 1.13 gives NaN there. A negative target gives NaN, as in PyTorch.
/// Throws ShapeError unless the shapes are equal, ValueError unless both are float of one dtype.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::kMean,
              bool log_target = false);

/// features (N, C, H, W) -> (N, C, C): G[n] = F F^T / (C * H * W) with F = features[n] viewed
/// as (C, H*W) (Gatys et al. 2015, normalized as in PyTorch's neural-style tutorial). Composed
/// of reshape, transpose and matmul, so differentiable. Throws ShapeError unless 4-D.
Tensor gram_matrix(const Tensor& features);

/// x (N, C, H, W) -> scalar: sum over n, c and the (H-1) x (W-1) grid of
/// ((x[i, j+1] - x[i, j])^2 + (x[i+1, j] - x[i, j])^2)^(beta / 2) (Mahendran & Vedaldi 2015).
/// Composed of narrow, sub, pow and sum. NOTE: for beta < 2 the gradient is infinite where both
/// differences vanish. Throws ShapeError unless 4-D with H, W >= 2; ValueError for beta <= 0.
Tensor total_variation(const Tensor& x, double beta = 2.0);

}  // namespace cnnlab::ops
