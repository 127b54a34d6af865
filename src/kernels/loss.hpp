// Reference kernels of the hand-differentiated losses: fused log-softmax + cross-entropy with
// class weights, label smoothing and ignore_index (PyTorch 1.13's formula), and nll_loss.
// Derivation: docs/derivations/softmax_cross_entropy.md.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// logits / log_probs (n, c), target (n); the other fields as in ops::CrossEntropyOptions.
struct CrossEntropyGeometry {
  int64_t n = 0;
  int64_t c = 0;
  double label_smoothing = 0.0;  ///< ls, in [0, 1]
  int64_t ignore_index = -100;
};

/// Per sample i with t = target[i] != ignore_index, lp = log_softmax(logits[i]),
/// w_t = weight[t] and w_k = weight[k] (all 1 when weight is null):
///   loss[i] = (1 - ls) * (-w_t * lp[t]) + ls / c * (-sum_k w_k * lp[k]);
/// loss[i] = 0 for ignored samples. Writes log_probs (n, c) (every row, ignored ones too) for
/// the backward pass and loss (n). target values are trusted to be in [0, c) or ignore_index.
template <typename T>
void cross_entropy_forward(T* loss, T* log_probs, const T* logits, const int64_t* target,
                           const T* weight, const CrossEntropyGeometry& g);

/// Adds into dx (n, c), with p = exp(log_probs[i]) and S_w = sum_k w_k:
///   dx[i, k] += dloss[i] * ((1 - ls) * w_t * (p[k] - [k == t]) + ls / c * (S_w * p[k] - w_k))
/// for every non-ignored i. dloss (n) is the gradient of each per-sample loss (the reduction's
/// factor already applied); log_probs (n, c) as written by cross_entropy_forward.
template <typename T>
void cross_entropy_backward(T* dx, const T* dloss, const T* log_probs, const int64_t* target,
                            const T* weight, const CrossEntropyGeometry& g);

/// loss[i] = -weight[t] * log_probs[i, t] for t = target[i] != ignore_index, else 0.
/// log_probs (n, c), target (n), weight (c) or null, loss (n). Ignores g.label_smoothing.
template <typename T>
void nll_loss_forward(T* loss, const T* log_probs, const int64_t* target, const T* weight,
                      const CrossEntropyGeometry& g);

/// Adds into dx (n, c): dx[i, t] += -weight[t] * dloss[i] for every non-ignored i.
template <typename T>
void nll_loss_backward(T* dx, const T* dloss, const int64_t* target, const T* weight,
                       const CrossEntropyGeometry& g);

/// The divisor of the kMean reduction: sum of weight[target[i]] over the non-ignored samples
/// (their count when weight is null). target (n), weight (c) or null.
template <typename T>
double class_weight_total(const int64_t* target, const T* weight, const CrossEntropyGeometry& g);

}  // namespace cnnlab::kernels
