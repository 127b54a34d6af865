// GoogLeNet (Szegedy et al. 2015, Inception v1) in torchvision's layout and parameter names, with
// optional auxiliary classifiers ("googlenet_aux") and a small-input variant for images below
// 64x64. Table and choices: docs/models.md ("GoogLeNet").
//   conv1 maxpool1 conv2 conv3 maxpool2 inception3a 3b maxpool3 inception4a [aux1] 4b 4c 4d [aux2]
//   4e maxpool4 inception5a 5b avgpool dropout fc      ("inception4a.branch2.1.conv.weight", ...)
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/dropout.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

/// torchvision's BasicConv2d: Conv2d without bias -> BatchNorm2d(eps 0.001) -> ReLU.
/// (N, in, H, W) -> (N, out, OH, OW) as the convolution. Parameters "conv.weight", "bn.*".
/// NOTE: torchvision calls F.relu; here the ReLU is a parameter-free child "relu", so that the
/// chain runs through nn::conv_bn_relu (fused at inference) and hooks can see it. The state_dict
/// is the same.
class BasicConv2d final : public nn::Module {
 public:
  /// `conv` gives kernel_size, stride and padding; its channel fields and bias are overwritten.
  BasicConv2d(int64_t in_channels, int64_t out_channels, nn::Conv2dOptions conv, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Conv2d> conv;
  std::shared_ptr<nn::BatchNorm2d> bn;
  std::shared_ptr<nn::ReLU> relu;
};

/// torchvision's Inception block: four branches concatenated along channels,
///   branch1: 1x1 (ch1x1);  branch2: 1x1 (ch3x3red) -> 3x3 (ch3x3);
///   branch3: 1x1 (ch5x5red) -> 3x3 (ch5x5)  (NOTE: 3x3, not the paper's 5x5: torchvision's
///            known bug, pytorch/vision#906, kept for weight compatibility);
///   branch4: MaxPool2d(3, stride 1, padding 1, ceil_mode) -> 1x1 (pool_proj).
/// (N, in_channels, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
class Inception final : public nn::Module {
 public:
  Inception(int64_t in_channels, int64_t ch1x1, int64_t ch3x3red, int64_t ch3x3, int64_t ch5x5red,
            int64_t ch5x5, int64_t pool_proj, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<BasicConv2d> branch1;
  std::shared_ptr<nn::Sequential> branch2, branch3, branch4;
};

/// torchvision's InceptionAux: adaptive_avg_pool2d to 4x4, conv (BasicConv2d 1x1 -> 128),
/// flatten, relu(fc1 2048 -> 1024), dropout (0.7), fc2 (1024 -> num_classes).
/// (N, in_channels, H, W) -> (N, num_classes).
class InceptionAux final : public nn::Module {
 public:
  InceptionAux(int64_t in_channels, int64_t num_classes, double dropout, Rng& rng);
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<BasicConv2d> conv;
  std::shared_ptr<nn::Linear> fc1;
  std::shared_ptr<nn::Linear> fc2;
  std::shared_ptr<nn::Dropout> dropout;
};

struct GoogLeNetOptions {
  int64_t in_channels = 3;
  int64_t num_classes = 1000;
  /// torchvision's aux_logits: build aux1 (after inception4a) and aux2 (after inception4d).
  bool aux_logits = false;
  double dropout = 0.2;
  double dropout_aux = 0.7;
  /// Small-input variant for images below 64x64 (1x28x28, 3x32x32): conv1 is a 3x3 BasicConv2d
  /// with stride 1 and padding 1, and maxpool1 is an Identity, so the network downsamples by 8
  /// instead of 32 (32 -> 16 -> 8 -> 4; 28 -> 14 -> 7 -> 4). Names stay; only conv1.conv.weight's
  /// shape changes, (64, C, 3, 3).
  bool small_input = false;
};

/// torchvision's GoogLeNet with transform_input = False. Initialization as torchvision: Conv2d
/// and Linear weights truncated normal (std 0.01, cut at +-2), BatchNorm weight 1 and bias 0,
/// Linear biases PyTorch's default. The constructor throws ValueError for non-positive sizes or
/// dropouts outside [0, 1].
class GoogLeNet final : public nn::Module {
 public:
  GoogLeNet(const GoogLeNetOptions& options, Rng& rng);
  /// (N, in_channels, H, W) -> the main logits (N, num_classes). With aux_logits in training
  /// mode it also computes aux1's and aux2's logits (see aux_logits()); in eval mode, as
  /// torchvision, it skips the auxiliary heads. The full variant needs H, W >= 15 (torchvision's
  /// min_size); the small one any H, W >= 1.
  Tensor forward(const Tensor& input) override;
  const GoogLeNetOptions& options() const { return options_; }

  /// {aux1, aux2} logits (N, num_classes) of the last forward in training mode, part of the
  /// autograd graph; both undefined after a forward in eval mode or without aux_logits. The
  /// training recipe of torchvision (and the paper) is loss(main) + 0.3 * (loss(aux1) +
  /// loss(aux2)). NOTE: holding them keeps that forward's graph alive until the next forward or
  /// clear_aux_logits().
  const std::array<Tensor, 2>& aux_logits() const { return aux_logits_; }
  void clear_aux_logits() { aux_logits_ = {}; }

  std::shared_ptr<BasicConv2d> conv1;
  std::shared_ptr<nn::Module> maxpool1;  ///< MaxPool2d(3, 2, ceil_mode), Identity when small
  std::shared_ptr<BasicConv2d> conv2, conv3;
  std::shared_ptr<nn::MaxPool2d> maxpool2;
  std::shared_ptr<Inception> inception3a, inception3b;
  std::shared_ptr<nn::MaxPool2d> maxpool3;
  std::shared_ptr<Inception> inception4a, inception4b, inception4c, inception4d, inception4e;
  std::shared_ptr<nn::MaxPool2d> maxpool4;
  std::shared_ptr<Inception> inception5a, inception5b;
  std::shared_ptr<InceptionAux> aux1, aux2;  ///< null without aux_logits
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool;
  std::shared_ptr<nn::Dropout> dropout;
  std::shared_ptr<nn::Linear> fc;

 private:
  GoogLeNetOptions options_;
  std::array<Tensor, 2> aux_logits_;
};

}  // namespace cnnlab::models
