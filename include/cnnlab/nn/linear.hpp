// nn::Linear: the fully connected layer (torch.nn.Linear) with PyTorch's default initialisation.
// The computation is ops::linear (cnnlab/ops/linear.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

/// Configuration of Linear, with torch.nn.Linear's field names and defaults.
struct LinearOptions {
  int64_t in_features = 0;   ///< required, > 0
  int64_t out_features = 0;  ///< required, > 0
  bool bias = true;
};

/// y = x W^T + b.
///
/// input (*, in_features) -> output (*, out_features), any leading dims.
/// Parameters: "weight" (out_features, in_features) and, when options.bias, "bias"
/// (out_features), both float32 and uniform in [-1/sqrt(in_features), 1/sqrt(in_features)] as
/// PyTorch draws them (kaiming_uniform_ with a = sqrt(5), and the bias rule).
/// The constructor throws ValueError on non-positive feature counts; forward throws as
/// ops::linear.
class Linear final : public Module {
 public:
  /// rng draws the initial weight, then the bias.
  Linear(const LinearOptions& options, Rng& rng);

  Tensor forward(const Tensor& input) override;
  /// PyTorch's format: "Linear(in_features=400, out_features=120, bias=True)".
  std::string repr() const override;

  const LinearOptions& options() const { return options_; }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  ///< undefined when !options().bias

 private:
  LinearOptions options_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace cnnlab::nn
