// AlexNet (Krizhevsky et al. 2012) in torchvision's layout and parameter names ("alexnet"), the
// paper's variant with local response normalization ("alexnet_lrn"), and a small-input variant
// of both for images below 64x64. Widths, indices and choices: docs/models.md ("AlexNet").
//   features:   0 Conv2d(11x11, stride 4, pad 2) 1 ReLU 2 MaxPool2d(3, 2) 3 Conv2d(5x5, pad 2) ...
//   avgpool:    AdaptiveAvgPool2d(6)  (small input: AdaptiveAvgPool2d(2))
//   classifier: 0 Dropout 1 Linear(256*6*6, 4096) 2 ReLU 3 Dropout 4 Linear(4096, 4096) 5 ReLU
//               6 Linear(4096, num_classes)      (small input: 1024 -> 1024 -> 1024 -> classes)
#pragma once

#include <cstdint>
#include <memory>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

struct AlexNetOptions {
  int64_t in_channels = 3;
  int64_t num_classes = 1000;
  double dropout = 0.5;
  /// The paper's form ("alexnet_lrn"): widths 96-256-384-384-256 instead of torchvision's
  /// 64-192-384-256-256, and LocalResponseNorm(5, alpha 1e-4, beta 0.75, k 2) after the first
  /// two ReLUs. The LRN layers shift the later feature indices: the convs are features.0, 4, 8,
  /// 10, 12 (torchvision: 0, 3, 6, 8, 10); avgpool and classifier are torchvision's.
  bool lrn = false;
  /// Small-input variant for images below 64x64 (1x28x28, 3x32x32): conv 0 is 3x3 with stride 1
  /// and padding 1, the max pools are MaxPool2d(3, stride 2, padding 1) (28 -> 14 -> 7 -> 4,
  /// 32 -> 16 -> 8 -> 4), avgpool is AdaptiveAvgPool2d(2), and the classifier is 1024 -> 1024
  /// -> 1024 -> num_classes at the same indices. Names stay; only shapes change.
  bool small_input = false;
};

/// torchvision's AlexNet (or the paper's, with lrn). Initialization as torchvision, which keeps
/// PyTorch's defaults: Conv2d and Linear weights and biases uniform in +-1/sqrt(fan_in).
/// The constructor throws ValueError for non-positive sizes or a dropout outside [0, 1].
class AlexNet final : public nn::Module {
 public:
  AlexNet(const AlexNetOptions& options, Rng& rng);
  /// (N, in_channels, H, W) -> logits (N, num_classes). The full variant needs H, W >= 63 (stride-4
  /// conv and three 3x3/2 pools); the small one any H, W >= 1 (28x28 and 32x32 are the design).
  Tensor forward(const Tensor& input) override;
  const AlexNetOptions& options() const { return options_; }

  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<nn::Sequential> classifier;

 private:
  AlexNetOptions options_;
};

}  // namespace cnnlab::models
