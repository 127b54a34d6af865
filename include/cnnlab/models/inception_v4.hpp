// Inception-v4 (Szegedy, Ioffe, Vanhoucke & Alemi 2016) in timm's layout and parameter names
// (timm.models.inception_v4, the same in timm 0.9.x and 1.0.x), with a small-input variant for
// images below 64x64. Table, spatial sizes and choices: docs/models.md ("Inception-v4").
//   InceptionV4: features.0..21 (3 stem ConvNormActs, Mixed3a, Mixed4a, Mixed5a, 4 InceptionA,
//                ReductionA, 7 InceptionB, ReductionB, 3 InceptionC), global_pool, last_linear
#pragma once

#include <cstdint>
#include <memory>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

struct InceptionV4Options {
  int64_t in_channels = 3;
  int64_t num_classes = 1000;
  /// Small-input variant for images below 64x64 (1x28x28, 3x32x32): features.0 has stride 1, and
  /// every 3x3 convolution and max pool that timm runs unpadded gets padding 1. Only strides and
  /// paddings change, so the state_dict (names and shapes) is the full model's.
  bool small_input = false;
};

/// The blocks of Inception-v4, named as timm's classes (also their type_name()).
namespace inception_v4 {

/// timm's ConvNormAct: conv (no bias) -> bn (BatchNorm2d, eps 1e-3) -> relu, run through
/// nn::conv_bn_relu so that inference fusion applies. (N, in, H, W) -> (N, out, OH, OW) with
/// Conv2d's output size. NOTE: timm's ReLU lives inside its BatchNormAct2d ("bn.act"); here it is
/// the sibling "relu". It has no parameters, so the state_dicts agree.
class ConvNormAct final : public nn::Module {
 public:
  ConvNormAct(int64_t in, int64_t out, Size2 kernel, Size2 stride, Size2 padding, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::ReLU> relu;
};

/// cat(maxpool(x), conv(x)): (N, 64, H, W) -> (N, 160, H', W'), both branches 3x3 stride 2 with
/// padding `pad` (0 in timm, 1 in the small variant).
class Mixed3a final : public nn::Module {
 public:
  Mixed3a(int64_t pad, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::MaxPool2d> maxpool;
  std::shared_ptr<ConvNormAct> conv;
};

/// Two branches ending in a 3x3 conv with padding `pad`: (N, 160, H, W) -> (N, 192, H - 2 + 2pad,
/// W - 2 + 2pad).
class Mixed4a final : public nn::Module {
 public:
  Mixed4a(int64_t pad, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Sequential> branch0, branch1;
};

/// cat(conv(x), maxpool(x)): (N, 192, H, W) -> (N, 384, H', W'), 3x3 stride 2, padding `pad`.
class Mixed5a final : public nn::Module {
 public:
  Mixed5a(int64_t pad, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<ConvNormAct> conv;
  std::shared_ptr<nn::MaxPool2d> maxpool;
};

/// (N, 384, H, W) -> (N, 384, H, W): 1x1 | 1x1-3x3 | 1x1-3x3-3x3 | avgpool-1x1, 96 channels each.
class InceptionA final : public nn::Module {
 public:
  explicit InceptionA(Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<ConvNormAct> branch0;
  std::shared_ptr<nn::Sequential> branch1, branch2, branch3;
};

/// (N, 384, H, W) -> (N, 1024, H', W'): 3x3 stride 2 (384) | 1x1-3x3-3x3 stride 2 (256) |
/// max pool 3x3 stride 2 (384), the stride-2 layers with padding `pad`.
class ReductionA final : public nn::Module {
 public:
  ReductionA(int64_t pad, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<ConvNormAct> branch0;
  std::shared_ptr<nn::Sequential> branch1;
  std::shared_ptr<nn::MaxPool2d> branch2;
};

/// (N, 1024, H, W) -> (N, 1024, H, W): 1x1 (384) | 1x1-1x7-7x1 (256) | 1x1-7x1-1x7-7x1-1x7 (256) |
/// avgpool-1x1 (128).
class InceptionB final : public nn::Module {
 public:
  explicit InceptionB(Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<ConvNormAct> branch0;
  std::shared_ptr<nn::Sequential> branch1, branch2, branch3;
};

/// (N, 1024, H, W) -> (N, 1536, H', W'): 1x1-3x3 stride 2 (192) | 1x1-1x7-7x1-3x3 stride 2 (320)
/// | max pool 3x3 stride 2 (1024), the stride-2 layers with padding `pad`.
class ReductionB final : public nn::Module {
 public:
  ReductionB(int64_t pad, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Sequential> branch0, branch1;
  std::shared_ptr<nn::MaxPool2d> branch2;
};

/// (N, 1536, H, W) -> (N, 1536, H, W): 1x1 (256) | 1x1 then 1x3 and 3x1 (2 x 256) |
/// 1x1-3x1-1x3 then 1x3 and 3x1 (2 x 256) | avgpool-1x1 (256).
class InceptionC final : public nn::Module {
 public:
  explicit InceptionC(Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<ConvNormAct> branch0;
  std::shared_ptr<ConvNormAct> branch1_0, branch1_1a, branch1_1b;
  std::shared_ptr<ConvNormAct> branch2_0, branch2_1, branch2_2, branch2_3a, branch2_3b;
  std::shared_ptr<nn::Sequential> branch3;
};

}  // namespace inception_v4

/// timm's InceptionV4 (drop_rate 0, average pooling): 42,679,816 parameters at 3 input channels
/// and 1000 classes. Initialization as timm, which sets none: PyTorch's defaults (Conv2d and
/// Linear kaiming_uniform_ with a = sqrt(5), BatchNorm weight 1 and bias 0).
/// The constructor throws ValueError for non-positive in_channels or num_classes.
class InceptionV4 final : public nn::Module {
 public:
  InceptionV4(const InceptionV4Options& options, Rng& rng);
  /// (N, in_channels, H, W) -> logits (N, num_classes). The full model needs H, W >= 75 (299 is
  /// the design; smaller inputs throw ShapeError in a convolution or pool); the small-input
  /// variant takes any H, W >= 1 (28 and 32 are the design).
  Tensor forward(const Tensor& input) override;
  const InceptionV4Options& options() const { return options_; }

  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::AdaptiveAvgPool2d> global_pool;
  std::shared_ptr<nn::Linear> last_linear;

 private:
  InceptionV4Options options_;
};

}  // namespace cnnlab::models
