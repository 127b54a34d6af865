// Pooling layers: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d, thin modules over the ops in
// cnnlab/ops/pool.hpp with torch.nn's option names, defaults and print format.
#pragma once

#include <string>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/shape.hpp"

namespace cnnlab::nn {

/// Configuration of MaxPool2d (torch.nn.MaxPool2d).
struct MaxPool2dOptions {
  Size2 kernel_size = 0;   ///< required, > 0
  Size2 stride = 0;        ///< 0 means kernel_size (PyTorch's stride=None)
  Size2 padding = 0;       ///< implicit -inf padding on both sides, at most kernel_size / 2
  Size2 dilation = 1;      ///< > 0
  bool ceil_mode = false;  ///< round the output size up (the last window starts inside the input)
};

/// Max over each window: input (N, C, H, W) -> output (N, C, OH, OW),
/// OH = floor_or_ceil((H + 2*padding - dilation*(kernel_size-1) - 1) / stride) + 1, likewise OW.
/// No parameters. Throws ValueError from the constructor for bad options, and ShapeError from
/// forward for a non-4-D input or an input too small for one window.
class MaxPool2d final : public Module {
 public:
  explicit MaxPool2d(const MaxPool2dOptions& options);

  Tensor forward(const Tensor& input) override;
  /// "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
  std::string repr() const override;

  const MaxPool2dOptions& options() const { return options_; }

 private:
  MaxPool2dOptions options_;
};

/// Configuration of AvgPool2d (torch.nn.AvgPool2d).
struct AvgPool2dOptions {
  Size2 kernel_size = 0;          ///< required, > 0
  Size2 stride = 0;               ///< 0 means kernel_size (PyTorch's stride=None)
  Size2 padding = 0;              ///< implicit zero padding on both sides, at most kernel_size / 2
  bool ceil_mode = false;         ///< round the output size up
  bool count_include_pad = true;  ///< divide by the window size including the padding
};

/// Mean over each window: input (N, C, H, W) -> output (N, C, OH, OW), OH as in MaxPool2d with
/// dilation 1. The divisor follows PyTorch (see ops::avg_pool2d). No parameters.
/// Throws ValueError from the constructor for bad options, ShapeError from forward.
class AvgPool2d final : public Module {
 public:
  explicit AvgPool2d(const AvgPool2dOptions& options);

  Tensor forward(const Tensor& input) override;
  /// "AvgPool2d(kernel_size=2, stride=2, padding=0)"
  std::string repr() const override;

  const AvgPool2dOptions& options() const { return options_; }

 private:
  AvgPool2dOptions options_;
};

/// Configuration of AdaptiveAvgPool2d (torch.nn.AdaptiveAvgPool2d).
struct AdaptiveAvgPool2dOptions {
  Size2 output_size = 0;  ///< (OH, OW); required, > 0
};

/// Mean over adaptive windows: input (N, C, H, W) -> output (N, C, OH, OW), where output row i
/// averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)) (and likewise columns), so the
/// windows may overlap when OH does not divide H. No parameters.
/// Throws ValueError from the constructor for a non-positive output_size, ShapeError from forward.
class AdaptiveAvgPool2d final : public Module {
 public:
  explicit AdaptiveAvgPool2d(const AdaptiveAvgPool2dOptions& options);

  Tensor forward(const Tensor& input) override;
  /// "AdaptiveAvgPool2d(output_size=(6, 7))", or "output_size=1" when square
  std::string repr() const override;

  const AdaptiveAvgPool2dOptions& options() const { return options_; }

 private:
  AdaptiveAvgPool2dOptions options_;
};

}  // namespace cnnlab::nn
