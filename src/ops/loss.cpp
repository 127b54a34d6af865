// Losses: the hand-differentiated cross_entropy (fused log-softmax + NLL, op "cross_entropy") and
// nll_loss (op "nll_loss") through src/kernels/loss.*, and mse_loss, kl_div, gram_matrix and
// total_variation composed of differentiable ops. Cross-entropy derivation:
// docs/derivations/softmax_cross_entropy.md.
#include "cnnlab/ops/loss.hpp"

#include <vector>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/ops/linear.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "kernels/loss.hpp"

namespace cnnlab::ops {
namespace {

const char* reduction_name(Reduction r) {
  switch (r) {
    case Reduction::kNone:
      return "kNone";
    case Reduction::kMean:
      return "kMean";
    case Reduction::kSum:
      return "kSum";
    case Reduction::kBatchMean:
      return "kBatchMean";
  }
  return "?";
}

void check_no_batchmean(Reduction r, const char* op) {
  CNNLAB_CHECK(r != Reduction::kBatchMean, ValueError, op,
               ": expected reduction kNone, kMean or kSum (kBatchMean is only for kl_div), got ",
               reduction_name(r));
}

// Reduces a pointwise loss by kNone / kMean / kSum / kBatchMean (divides the sum by size(0)).
Tensor reduce_loss(const Tensor& pointwise, Reduction r) {
  switch (r) {
    case Reduction::kNone:
      return pointwise;
    case Reduction::kMean:
      return mean(pointwise);
    case Reduction::kSum:
      return sum(pointwise);
    case Reduction::kBatchMean:
      return sum(pointwise) / static_cast<double>(pointwise.size(0));
  }
  return pointwise;
}

// Checks a classification loss's arguments: input (N, C) floats, target (N) int64 in [0, C) or
// ignore_index, weight (C) of the input's dtype or undefined, reduction not kBatchMean.
kernels::CrossEntropyGeometry check_class_loss(const char* op, const char* input_name,
                                               const Tensor& input, const Tensor& target,
                                               const CrossEntropyOptions& o) {
  CNNLAB_CHECK(input.dim() == 2, ShapeError, op, ": expected ", input_name,
               " of shape (N, C), got shape ", input.shape());
  CNNLAB_CHECK(is_floating(input.dtype()), ValueError, op, ": expected float32 or float64 ",
               input_name, ", got ", input.dtype());
  const int64_t n = input.size(0), c = input.size(1);
  CNNLAB_CHECK(c > 0, ShapeError, op, ": expected at least one class, got ", input_name,
               " of shape ", input.shape());
  CNNLAB_CHECK(target.dtype() == Dtype::kInt64, ValueError, op,
               ": expected an int64 target (class indices), got ", target.dtype());
  CNNLAB_CHECK(target.dim() == 1 && target.size(0) == n, ShapeError, op,
               ": expected a target of shape [", n, "] for ", input_name, " ", input.shape(),
               ", got ", target.shape());
  if (o.weight.defined()) {
    CNNLAB_CHECK(o.weight.dim() == 1 && o.weight.size(0) == c, ShapeError, op,
                 ": expected a class weight of shape [", c, "] for ", input_name, " ",
                 input.shape(), ", got ", o.weight.shape());
    CNNLAB_CHECK(o.weight.dtype() == input.dtype(), ValueError, op,
                 ": expected a class weight of the input's dtype ", input.dtype(), ", got ",
                 o.weight.dtype());
  }
  const int64_t* t = target.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    CNNLAB_CHECK(t[i] == o.ignore_index || (t[i] >= 0 && t[i] < c), ValueError, op,
                 ": expected target values in [0, ", c, ") or ignore_index (", o.ignore_index,
                 "), got ", t[i], " at position ", i);
  }
  check_no_batchmean(o.reduction, op);
  kernels::CrossEntropyGeometry g;
  g.n = n;
  g.c = c;
  g.label_smoothing = o.label_smoothing;
  g.ignore_index = o.ignore_index;
  return g;
}

// Reduces the per-sample losses of cross_entropy / nll_loss (kMean divides by `total`, the
// summed class weight of the non-ignored targets) without recording.
Tensor reduce_per_sample(const Tensor& loss, Reduction r, double total) {
  if (r == Reduction::kNone) return loss;
  const Tensor s = sum(loss);
  return r == Reduction::kSum ? s : s / total;
}

// The gradient of each per-sample loss from the gradient of the reduced loss.
Tensor per_sample_grad(const Tensor& dy, Reduction r, int64_t n, double total) {
  if (r == Reduction::kNone) return dy;
  const double scale = r == Reduction::kMean ? 1.0 / total : 1.0;
  return Tensor::full({n}, dy.item() * scale, dy.dtype());
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     const CrossEntropyOptions& options) {
  CNNLAB_CHECK(options.label_smoothing >= 0.0 && options.label_smoothing <= 1.0, ValueError,
               "cross_entropy: expected label_smoothing in [0, 1], got ", options.label_smoothing);
  const kernels::CrossEntropyGeometry g =
      check_class_loss("cross_entropy", "logits", logits, target, options);
  const Tensor weight = options.weight.defined() ? options.weight.detach() : Tensor();

  Tensor loss = Tensor::empty({g.n}, logits.dtype());
  Tensor log_probs = Tensor::empty({g.n, g.c}, logits.dtype());
  double total = 0.0;
  dispatch_float(logits.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const T* w = weight.defined() ? weight.data<T>() : nullptr;
    kernels::cross_entropy_forward<T>(loss.data<T>(), log_probs.data<T>(), logits.data<T>(),
                                      target.data<int64_t>(), w, g);
    total = kernels::class_weight_total<T>(target.data<int64_t>(), w, g);
  });
  // NOTE: kMean over a batch whose targets are all ignore_index divides 0 by 0 and gives NaN,
  // as PyTorch does.
  Tensor y = reduce_per_sample(loss, options.reduction, total);

  if (autograd::needs_grad({logits})) {
    autograd::record("cross_entropy", {logits}, y,
                     [log_probs, target = target.clone(), weight, g, reduction = options.reduction,
                      total](const Tensor& dy) {
                       const Tensor dloss = per_sample_grad(dy, reduction, g.n, total);
                       Tensor dx = Tensor::zeros({g.n, g.c}, dy.dtype());
                       dispatch_float(dy.dtype(), "cross_entropy", [&](auto tag) {
                         using T = decltype(tag);
                         kernels::cross_entropy_backward<T>(
                             dx.data<T>(), dloss.data<T>(), log_probs.data<T>(),
                             target.data<int64_t>(), weight.defined() ? weight.data<T>() : nullptr,
                             g);
                       });
                       return std::vector<Tensor>{dx};
                     });
  }
  return y;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const CrossEntropyOptions& options) {
  CNNLAB_CHECK(options.label_smoothing == 0.0, ValueError,
               "nll_loss: expected label_smoothing = 0 (use cross_entropy for smoothing), got ",
               options.label_smoothing);
  const kernels::CrossEntropyGeometry g =
      check_class_loss("nll_loss", "log_probs", log_probs, target, options);
  const Tensor weight = options.weight.defined() ? options.weight.detach() : Tensor();

  Tensor loss = Tensor::empty({g.n}, log_probs.dtype());
  double total = 0.0;
  dispatch_float(log_probs.dtype(), "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    const T* w = weight.defined() ? weight.data<T>() : nullptr;
    kernels::nll_loss_forward<T>(loss.data<T>(), log_probs.data<T>(), target.data<int64_t>(), w, g);
    total = kernels::class_weight_total<T>(target.data<int64_t>(), w, g);
  });
  Tensor y = reduce_per_sample(loss, options.reduction, total);

  if (autograd::needs_grad({log_probs})) {
    autograd::record("nll_loss", {log_probs}, y,
                     [target = target.clone(), weight, g, reduction = options.reduction,
                      total](const Tensor& dy) {
                       const Tensor dloss = per_sample_grad(dy, reduction, g.n, total);
                       Tensor dx = Tensor::zeros({g.n, g.c}, dy.dtype());
                       dispatch_float(dy.dtype(), "nll_loss", [&](auto tag) {
                         using T = decltype(tag);
                         kernels::nll_loss_backward<T>(
                             dx.data<T>(), dloss.data<T>(), target.data<int64_t>(),
                             weight.defined() ? weight.data<T>() : nullptr, g);
                       });
                       return std::vector<Tensor>{dx};
                     });
  }
  return y;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  CNNLAB_CHECK(input.shape() == target.shape(), ShapeError,
               "mse_loss: expected input and target of one shape, got ", input.shape(), " and ",
               target.shape());
  CNNLAB_CHECK(input.dtype() == target.dtype() && is_floating(input.dtype()), ValueError,
               "mse_loss: expected float input and target of one dtype, got ", input.dtype(),
               " and ", target.dtype());
  check_no_batchmean(reduction, "mse_loss");
  const Tensor d = input - target;
  return reduce_loss(d * d, reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  CNNLAB_CHECK(input.shape() == target.shape(), ShapeError,
               "kl_div: expected input and target of one shape, got ", input.shape(), " and ",
               target.shape());
  CNNLAB_CHECK(input.dtype() == target.dtype() && is_floating(input.dtype()), ValueError,
               "kl_div: expected float input and target of one dtype, got ", input.dtype(), " and ",
               target.dtype());
  CNNLAB_CHECK(reduction != Reduction::kBatchMean || input.dim() >= 1, ShapeError,
               "kl_div: expected an input with a batch dim for kBatchMean, got shape ",
               input.shape());
  Tensor pointwise;
  if (log_target) {
    pointwise = exp(target) * (target - input);
  } else {
    // xlogy(target, target) - target * input, as PyTorch 1.13: xlogy(t, t) is 0 where t = 0 and
    // t * log(t) elsewhere (NaN for a negative or NaN target, as in PyTorch).
    // NOTE: log() sees 1 where t = 0, so neither the value nor the gradient becomes NaN there; the
    // t log t term then contributes 0 to the target's gradient, which is -input * dy (PyTorch
    // 1.13 gives NaN; the true one-sided derivative is -inf). Elsewhere the target's gradient is
    // (log t + 1 - input) * dy, PyTorch's value.
    const Tensor zero = eq(target, Tensor::scalar(0.0, target.dtype()));
    const Tensor safe = where(zero, Tensor::scalar(1.0, target.dtype()), target);
    pointwise = target * log(safe) - target * input;
  }
  return reduce_loss(pointwise, reduction);
}

Tensor gram_matrix(const Tensor& features) {
  CNNLAB_CHECK(features.dim() == 4, ShapeError,
               "gram_matrix: expected features (N, C, H, W), got shape ", features.shape());
  const int64_t n = features.size(0), c = features.size(1);
  const int64_t hw = features.size(2) * features.size(3);
  CNNLAB_CHECK(c * hw > 0, ShapeError, "gram_matrix: expected non-empty feature maps, got shape ",
               features.shape());
  const Tensor f = features.reshape({n, c, hw});                      // F: (N, C, HW)
  return matmul(f, f.transpose(1, 2)) / static_cast<double>(c * hw);  // F F^T / (C H W)
}

Tensor total_variation(const Tensor& x, double beta) {
  CNNLAB_CHECK(x.dim() == 4, ShapeError, "total_variation: expected x (N, C, H, W), got shape ",
               x.shape());
  const int64_t h = x.size(2), w = x.size(3);
  CNNLAB_CHECK(h >= 2 && w >= 2, ShapeError,
               "total_variation: expected H >= 2 and W >= 2, got shape ", x.shape());
  CNNLAB_CHECK(beta > 0.0, ValueError, "total_variation: expected beta > 0, got ", beta);
  // Differences on the (H-1) x (W-1) grid of top-left corners: (N, C, H-1, W-1) each.
  const Tensor top = narrow(x, 2, 0, h - 1);
  const Tensor left = narrow(top, 3, 0, w - 1);
  const Tensor d_right = narrow(top, 3, 1, w - 1) - left;                    // x[i, j+1] - x[i, j]
  const Tensor d_down = narrow(narrow(x, 2, 1, h - 1), 3, 0, w - 1) - left;  // x[i+1, j] - x[i, j]
  const Tensor sq = d_right * d_right + d_down * d_down;
  // NOTE: for beta < 2 the gradient (beta/2) sq^(beta/2 - 1) is infinite where both differences
  // are 0 (a flat patch); callers keep inputs away from that or use beta = 2.
  return beta == 2.0 ? sum(sq) : sum(pow(sq, beta / 2.0));
}

}  // namespace cnnlab::ops
