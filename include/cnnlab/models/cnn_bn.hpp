// cnn_bn: a small CNN with BatchNorm for quick experiments (neural collapse, issue 7):
//   features:   0 Conv2d(C, 32, 3, padding=1, bias=False) -> 1 BatchNorm2d(32) -> 2 ReLU
//               -> 3 MaxPool2d(2), then 4-7 the same with 64 and 8-11 with 128 channels
//   flatten                                                  (N, 128 * (H/2/2/2) * (W/2/2/2))
//   classifier: 0 Linear(flat, 256) -> 1 ReLU -> 2 Linear(256, num_classes)
// Each pool floors (28 -> 14 -> 7 -> 3: flat 1152; 32x32: 2048). Parameter names are PyTorch's
// for the same layout; the twin is CnnBn in tools/torch_reference_models.py.
#pragma once

#include <memory>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/tensor/shape.hpp"

namespace cnnlab::models {

struct CnnBnOptions {
  int64_t in_channels = 1;
  int64_t num_classes = 10;
  Size2 input_size = 28;  ///< (H, W) of the input; sets the first Linear's in_features
};

class CnnBn final : public nn::Module {
 public:
  /// PyTorch's default initialization (conv and linear: kaiming_uniform(a=sqrt(5)) weights,
  /// uniform biases; BatchNorm weight 1, bias 0), drawn from rng. Throws ValueError on
  /// non-positive in_channels or num_classes, or an input_size below 8x8 (three 2x2 pools).
  CnnBn(const CnnBnOptions& options, Rng& rng);
  /// (N, in_channels, H, W) -> logits (N, num_classes), for the input_size it was built with
  /// (another size throws ShapeError in the first Linear).
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::Sequential> classifier;
};

}  // namespace cnnlab::models
