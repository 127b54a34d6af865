// nn::BatchNorm1d / BatchNorm2d: options checks, parameters and buffers with PyTorch's names and
// initial values, the train/eval dispatch onto ops::batch_norm, and repr in PyTorch's format.
#include "cnnlab/nn/batch_norm.hpp"

#include <cmath>

#include "cnnlab/ops/norm.hpp"
#include "detail/python_repr.hpp"

namespace cnnlab::nn {

using detail::python_float;
namespace {

const char* python_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

BatchNormBase::BatchNormBase(std::string type_name, const BatchNormOptions& options)
    : Module(std::move(type_name)), options_(options) {
  const auto& o = options_;
  CNNLAB_CHECK(o.num_features > 0, ValueError, this->type_name(),
               ": expected num_features > 0, got ", o.num_features);
  CNNLAB_CHECK(o.eps >= 0.0, ValueError, this->type_name(), ": expected eps >= 0, got ", o.eps);
  CNNLAB_CHECK(!o.momentum || (*o.momentum >= 0.0 && *o.momentum <= 1.0), ValueError,
               this->type_name(), ": expected momentum in [0, 1], got ",
               o.momentum ? *o.momentum : 0.0);
  if (o.affine) {
    weight_ = register_parameter("weight", Tensor::ones({o.num_features}));
    bias_ = register_parameter("bias", Tensor::zeros({o.num_features}));
  }
  if (o.track_running_stats) {
    running_mean_ = register_buffer("running_mean", Tensor::zeros({o.num_features}));
    running_var_ = register_buffer("running_var", Tensor::ones({o.num_features}));
    num_batches_tracked_ = register_buffer("num_batches_tracked", Tensor::zeros({}, Dtype::kInt64));
  }
}

Tensor BatchNormBase::forward(const Tensor& input) {
  check_input(input);
  CNNLAB_CHECK(input.size(1) == options_.num_features, ShapeError, type_name(), ": expected ",
               options_.num_features, " channels (num_features), got input of shape ",
               input.shape());
  // As torch.nn.modules.batchnorm._BatchNorm.forward: count the step, pick the momentum, and use
  // batch statistics in eval mode too when no running statistics are tracked.
  double momentum = options_.momentum.value_or(0.0);
  if (is_training() && options_.track_running_stats) {
    int64_t& count = num_batches_tracked_.data<int64_t>()[0];
    count += 1;
    if (!options_.momentum) momentum = 1.0 / static_cast<double>(count);  // cumulative average
  }
  const bool use_batch_stats = is_training() || !options_.track_running_stats;
  const bool pass_running = !is_training() || options_.track_running_stats;
  return ops::batch_norm(input, pass_running ? running_mean_ : Tensor(),
                         pass_running ? running_var_ : Tensor(), weight_, bias_,
                         {.training = use_batch_stats, .momentum = momentum, .eps = options_.eps});
}

std::string BatchNormBase::repr() const {
  const auto& o = options_;
  return detail::concat(type_name(), "(", o.num_features, ", eps=", python_float(o.eps),
                        ", momentum=", o.momentum ? python_float(*o.momentum) : "None",
                        ", affine=", python_bool(o.affine),
                        ", track_running_stats=", python_bool(o.track_running_stats), ")");
}

BatchNorm1d::BatchNorm1d(const BatchNormOptions& options) : BatchNormBase("BatchNorm1d", options) {}
BatchNorm1d::BatchNorm1d(const BatchNormOptions& options, Rng& /*rng*/) : BatchNorm1d(options) {}

void BatchNorm1d::check_input(const Tensor& input) const {
  CNNLAB_CHECK(input.dim() == 2 || input.dim() == 3, ShapeError,
               "BatchNorm1d: expected an input (N, C) or (N, C, L), got shape ", input.shape());
}

BatchNorm2d::BatchNorm2d(const BatchNormOptions& options) : BatchNormBase("BatchNorm2d", options) {}
BatchNorm2d::BatchNorm2d(const BatchNormOptions& options, Rng& /*rng*/) : BatchNorm2d(options) {}

void BatchNorm2d::check_input(const Tensor& input) const {
  CNNLAB_CHECK(input.dim() == 4, ShapeError,
               "BatchNorm2d: expected an input (N, C, H, W), got shape ", input.shape());
}

}  // namespace cnnlab::nn
