// Residual networks (He et al. 2016): the ImageNet ResNet-18/34/50/101/152 in torchvision's layout
// and parameter names, with a small-input variant, and the CIFAR ResNet-20/32/44/56/110 of the
// paper's section 4.2 with option A (parameter-free) shortcuts. Table and choices: docs/models.md.
//   ResNet:      conv1 bn1 relu maxpool layer1..layer4 avgpool fc   ("layer1.0.conv1.weight", ...)
//   CifarResNet: conv1 bn1 relu layer1..layer3 avgpool fc          (16/32/64 channels, 6n+2 layers)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

// ---- ImageNet ResNets (torchvision.models.resnet) -----------------------------------------------

enum class ResNetBlockKind { kBasic, kBottleneck };

struct ResNetOptions {
  ResNetBlockKind block = ResNetBlockKind::kBasic;
  std::vector<int64_t> layers = {2, 2, 2, 2};  ///< blocks in layer1..layer4
  int64_t in_channels = 3;
  int64_t num_classes = 1000;
  /// Small-input stem for images below 64x64 (1x28x28, 3x32x32): conv1 is 3x3 stride 1 padding 1
  /// and maxpool is an Identity, so layer1 sees the full resolution. The parameter names stay
  /// torchvision's; only conv1.weight's shape changes (64, C, 3, 3).
  bool small_input = false;
};

/// The options of torchvision's resnet18/34/50/101/152 for `depth`; throws ValueError for any
/// other depth.
ResNetOptions resnet_options(int64_t depth);

/// Two 3x3 convolutions (torchvision's BasicBlock, expansion 1):
/// (N, inplanes, H, W) -> (N, planes, H/stride, W/stride), out = relu(bn2(conv2(relu(bn1(conv1
/// x)))) + shortcut), the shortcut being `downsample` (1x1 conv + BN) when given, else x.
class BasicBlock final : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  BasicBlock(int64_t inplanes, int64_t planes, int64_t stride,
             std::shared_ptr<nn::Sequential> downsample, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::Conv2d> conv2;
  std::shared_ptr<nn::BatchNorm2d> bn2;
  std::shared_ptr<nn::Sequential> downsample;  ///< null for the identity shortcut
};

/// 1x1 -> 3x3 (stride here, as torchvision's "ResNet v1.5") -> 1x1 with 4x expansion
/// (torchvision's Bottleneck): (N, inplanes, H, W) -> (N, 4 * planes, H/stride, W/stride).
class Bottleneck final : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t inplanes, int64_t planes, int64_t stride,
             std::shared_ptr<nn::Sequential> downsample, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::Conv2d> conv2;
  std::shared_ptr<nn::BatchNorm2d> bn2;
  std::shared_ptr<nn::Conv2d> conv3;
  std::shared_ptr<nn::BatchNorm2d> bn3;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::Sequential> downsample;  ///< null for the identity shortcut
};

/// torchvision's ResNet. Initialization as torchvision: conv weights kaiming_normal_ (fan_out,
/// ReLU gain), BatchNorm weight 1 and bias 0, fc PyTorch's Linear default.
/// The constructor throws ValueError for non-positive sizes or a `layers` of length != 4.
class ResNet final : public nn::Module {
 public:
  ResNet(const ResNetOptions& options, Rng& rng);
  /// (N, in_channels, H, W) -> logits (N, num_classes); H, W >= 1 with small_input, and large
  /// enough for the stride-2 stem and max pooling otherwise (>= 32 works; 224 is the design).
  Tensor forward(const Tensor& input) override;
  const ResNetOptions& options() const { return options_; }

  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::Module> maxpool;  ///< MaxPool2d(3, 2, 1), or Identity with small_input
  std::shared_ptr<nn::Sequential> layer1, layer2, layer3, layer4;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<nn::Linear> fc;

 private:
  ResNetOptions options_;
};

// ---- CIFAR ResNets (He et al. 2016, section 4.2) ------------------------------------------------

struct CifarResNetOptions {
  int64_t depth = 20;  ///< 6n + 2: 20, 32, 44, 56, 110, ...
  int64_t in_channels = 3;
  int64_t num_classes = 10;
};

/// Two 3x3 convolutions with an option A shortcut: when the block halves the resolution and
/// doubles the channels, the shortcut is x[:, :, ::2, ::2] padded with zero channels, half
/// before and half after (the common PyTorch CIFAR ResNet's F.pad), so it has no parameters.
class CifarBasicBlock final : public nn::Module {
 public:
  /// Throws ValueError unless stride is 1 or 2, and planes == in_planes (stride 1) or
  /// planes - in_planes is even and positive (stride 2).
  CifarBasicBlock(int64_t in_planes, int64_t planes, int64_t stride, Rng& rng);
  /// (N, in_planes, H, W) -> (N, planes, ceil(H/stride), ceil(W/stride)).
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::Conv2d> conv2;
  std::shared_ptr<nn::BatchNorm2d> bn2;

 private:
  int64_t stride_;
  int64_t pad_channels_;  ///< zero channels added on each side of the shortcut
};

/// conv1 3x3 (in_channels -> 16) bn1 relu, layer1 (16 ch), layer2 (32 ch, stride 2), layer3
/// (64 ch, stride 2), each of n = (depth - 2) / 6 CifarBasicBlocks, then global average pooling
/// and fc (64 -> num_classes). resnet20 has 0.27M parameters (269,722 at 10 classes).
/// Initialization as torchvision's ResNet (kaiming_normal_ fan_out, BN 1/0, Linear default).
/// Throws ValueError when depth is not 6n + 2 with n >= 1 or sizes are not positive.
class CifarResNet final : public nn::Module {
 public:
  CifarResNet(const CifarResNetOptions& options, Rng& rng);
  /// (N, in_channels, H, W) -> logits (N, num_classes); any H, W >= 1 (32x32 is the design).
  Tensor forward(const Tensor& input) override;
  const CifarResNetOptions& options() const { return options_; }

  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm2d> bn1;
  std::shared_ptr<nn::ReLU> relu;
  std::shared_ptr<nn::Sequential> layer1, layer2, layer3;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<nn::Linear> fc;

 private:
  CifarResNetOptions options_;
};

}  // namespace cnnlab::models
