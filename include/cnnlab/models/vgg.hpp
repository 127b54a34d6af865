// VGG-11/13/16/19 (Simonyan & Zisserman 2015), with and without BatchNorm, in torchvision's layout
// and parameter names, plus a small-input variant for images below 64x64. Choices: docs/models.md.
//   features:   Conv2d(3x3, pad 1) [BatchNorm2d] ReLU ... MaxPool2d(2) ...  ("features.0.weight")
//   avgpool:    AdaptiveAvgPool2d(7)  (small input: AdaptiveAvgPool2d(1))
//   classifier: 0 Linear(512*7*7, 4096) 1 ReLU 2 Dropout 3 Linear(4096, 4096) 4 ReLU 5 Dropout
//               6 Linear(4096, num_classes)     (small input: 512 -> 512 -> 512 -> num_classes)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

/// A max-pooling entry in a VGG configuration (torchvision's "M").
inline constexpr int64_t kVggMaxPool = -1;

struct VggOptions {
  /// Conv widths and kVggMaxPool entries in order (torchvision's cfgs "A", "B", "D", "E").
  std::vector<int64_t> config;
  bool batch_norm = false;
  int64_t in_channels = 3;
  int64_t num_classes = 1000;
  double dropout = 0.5;
  /// Small-input variant: every max pool that would take a feature map below 1x1 becomes an
  /// nn::Identity (so the indices of later layers stay torchvision's), the average pool is
  /// AdaptiveAvgPool2d(1), and the classifier is 512 -> 512 -> 512 -> num_classes with the same
  /// indices 0/3/6. With input 32x32 no pool is dropped; with 28x28 the last one is.
  bool small_input = false;
  /// (H, W) of the input; small_input uses it to decide which pools to drop.
  Size2 input_size = 224;
};

/// The options of torchvision's vgg11/13/16/19 (`depth`), with or without BatchNorm; throws
/// ValueError for any other depth.
VggOptions vgg_options(int64_t depth, bool batch_norm);

/// torchvision's VGG. Initialization as torchvision: conv weights kaiming_normal_ (fan_out, ReLU
/// gain) and bias 0, BatchNorm weight 1 and bias 0, Linear weights normal(0, 0.01) and bias 0.
/// The constructor throws ValueError for an empty or invalid config, non-positive sizes, or a
/// dropout outside [0, 1].
class Vgg final : public nn::Module {
 public:
  Vgg(const VggOptions& options, Rng& rng);
  /// (N, in_channels, H, W) -> logits (N, num_classes). The full variant needs H, W >= 32 (five
  /// 2x2 pools); the small one takes the input_size it was built for (or any size its pools
  /// fit).
  Tensor forward(const Tensor& input) override;
  const VggOptions& options() const { return options_; }

  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<nn::Sequential> classifier;

 private:
  VggOptions options_;
};

}  // namespace cnnlab::models
