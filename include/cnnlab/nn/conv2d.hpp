// nn::Conv2d: the 2-D convolution layer (torch.nn.Conv2d) with PyTorch's default initialisation.
// The computation is ops::conv2d (cnnlab/ops/conv.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/ops/conv.hpp"

namespace cnnlab::nn {

/// Configuration of Conv2d. Field names and defaults follow torch.nn.Conv2d, so parity fixtures
/// and model definitions translate one to one. Each Size2 takes one int (square) or {h, w}.
struct Conv2dOptions {
  int64_t in_channels = 0;   ///< C_in; required, > 0
  int64_t out_channels = 0;  ///< C_out; required, > 0
  Size2 kernel_size = 0;     ///< (KH, KW); required, > 0
  Size2 stride = 1;          ///< > 0
  Size2 padding = 0;         ///< >= 0; zeros on each side
  Size2 dilation = 1;        ///< > 0
  int64_t groups = 1;        ///< must divide both channel counts
  bool bias = true;
};

/// 2-D cross-correlation over a batch.
///
/// input (N, C_in, H, W) -> output (N, C_out, OH, OW),
/// OH = (H + 2*padding.h - dilation.h*(KH-1) - 1) / stride.h + 1, and likewise OW.
/// Parameters: "weight" (C_out, C_in/groups, KH, KW) and, when options.bias, "bias" (C_out), both
/// float32, drawn as PyTorch does: uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)] with
/// fan_in = (C_in/groups) * KH * KW (kaiming_uniform_ with a = sqrt(5), and the bias rule).
/// The constructor throws ValueError on non-positive sizes, strides or dilations, negative
/// padding, or groups not dividing the channel counts; forward throws as ops::conv2d.
class Conv2d final : public Module {
 public:
  /// rng draws the initial weight, then the bias.
  Conv2d(const Conv2dOptions& options, Rng& rng);

  Tensor forward(const Tensor& input) override;
  /// PyTorch's format: "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))";
  /// padding, dilation, groups and bias appear only when they differ from the defaults.
  std::string repr() const override;

  const Conv2dOptions& options() const { return options_; }
  /// The options as ops::conv2d's hyper-parameters.
  ops::Conv2dParams params() const;
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  ///< undefined when !options().bias

 private:
  Conv2dOptions options_;
  Tensor weight_;
  Tensor bias_;
};

}  // namespace cnnlab::nn
