// Loss modules: option checks at construction, then calls into the functional losses of
// cnnlab/ops/loss.hpp.
#include "cnnlab/nn/loss.hpp"

namespace cnnlab::nn {
namespace {

void check_reduction(Reduction r, const char* type) {
  CNNLAB_CHECK(r != Reduction::kBatchMean, ValueError, type,
               ": expected reduction kNone, kMean or kSum, got kBatchMean (only KLDivLoss has it)");
}

void check_weight(const Tensor& weight, const char* type) {
  if (!weight.defined()) return;
  CNNLAB_CHECK(weight.dim() == 1 && weight.numel() > 0, ValueError, type,
               ": expected a 1-D class weight (C), got shape ", weight.shape());
  CNNLAB_CHECK(is_floating(weight.dtype()), ValueError, type,
               ": expected a float32 or float64 class weight, got ", weight.dtype());
}

}  // namespace

CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyLossOptions& options) : options_(options) {
  check_reduction(options_.reduction, "CrossEntropyLoss");
  check_weight(options_.weight, "CrossEntropyLoss");
  CNNLAB_CHECK(options_.label_smoothing >= 0.0 && options_.label_smoothing <= 1.0, ValueError,
               "CrossEntropyLoss: expected label_smoothing in [0, 1], got ",
               options_.label_smoothing);
}

Tensor CrossEntropyLoss::operator()(const Tensor& input, const Tensor& target) const {
  return ops::cross_entropy(input, target,
                            {.weight = options_.weight,
                             .reduction = options_.reduction,
                             .label_smoothing = options_.label_smoothing,
                             .ignore_index = options_.ignore_index});
}

NLLLoss::NLLLoss(const NLLLossOptions& options) : options_(options) {
  check_reduction(options_.reduction, "NLLLoss");
  check_weight(options_.weight, "NLLLoss");
}

Tensor NLLLoss::operator()(const Tensor& input, const Tensor& target) const {
  return ops::nll_loss(input, target,
                       {.weight = options_.weight,
                        .reduction = options_.reduction,
                        .ignore_index = options_.ignore_index});
}

MSELoss::MSELoss(const MSELossOptions& options) : options_(options) {
  check_reduction(options_.reduction, "MSELoss");
}

Tensor MSELoss::operator()(const Tensor& input, const Tensor& target) const {
  return ops::mse_loss(input, target, options_.reduction);
}

Tensor KLDivLoss::operator()(const Tensor& input, const Tensor& target) const {
  return ops::kl_div(input, target, options_.reduction, options_.log_target);
}

}  // namespace cnnlab::nn
