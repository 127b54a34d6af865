// GoogLeNet (Inception v1) with optional auxiliary classifiers and the small-input variant;
// layout in include/cnnlab/models/googlenet.hpp. The PyTorch twin is torchvision's GoogLeNet
// (tools/torch_reference_models.py swaps the stem for the small variant).
#include "cnnlab/models/googlenet.hpp"

#include <cmath>
#include <vector>

#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/fusion.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/pool.hpp"
#include "cnnlab/ops/shape_ops.hpp"

namespace cnnlab::models {

namespace {

/// torchvision's trunc_normal_(w, mean 0, std 0.01, a -2, b 2) in place.
/// NOTE: exact, by redrawing every value outside [-2, 2]; at 200 standard deviations that never
/// happens in practice, so this is normal(0, 0.01).
void trunc_normal_(const Tensor& weight, Rng& rng) {
  constexpr double kStd = 0.01, kBound = 2.0;
  Tensor w = Tensor::normal(weight.shape(), 0.0, kStd, rng);
  float* p = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    while (std::abs(p[i]) > kBound) p[i] = static_cast<float>(rng.normal(0.0, kStd));
  }
  weight.copy_(w);
}

std::shared_ptr<BasicConv2d> basic(int64_t in, int64_t out, int64_t kernel, Rng& rng,
                                   int64_t stride = 1, int64_t padding = 0) {
  return std::make_shared<BasicConv2d>(
      in, out, nn::Conv2dOptions{.kernel_size = kernel, .stride = stride, .padding = padding}, rng);
}

std::shared_ptr<nn::MaxPool2d> max_pool(int64_t kernel, int64_t stride, int64_t padding = 0) {
  return std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions{
      .kernel_size = kernel, .stride = stride, .padding = padding, .ceil_mode = true});
}

std::shared_ptr<nn::Linear> linear(int64_t in, int64_t out, Rng& rng) {
  auto l =
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = in, .out_features = out}, rng);
  trunc_normal_(l->weight(), rng);  // the bias keeps PyTorch's default, as in torchvision
  return l;
}

}  // namespace

// ---- BasicConv2d -----------------------------------------------------------------------------

BasicConv2d::BasicConv2d(int64_t in_channels, int64_t out_channels, nn::Conv2dOptions c, Rng& rng)
    : Module("BasicConv2d") {
  c.in_channels = in_channels;
  c.out_channels = out_channels;
  c.bias = false;
  conv = register_module("conv", std::make_shared<nn::Conv2d>(c, rng));
  trunc_normal_(conv->weight(), rng);
  bn = register_module("bn", std::make_shared<nn::BatchNorm2d>(
                                 nn::BatchNormOptions{.num_features = out_channels, .eps = 0.001}));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
}

Tensor BasicConv2d::forward(const Tensor& input) {
  return nn::conv_bn_relu(*conv, bn.get(), relu.get(), input);
}

// ---- Inception -------------------------------------------------------------------------------

Inception::Inception(int64_t in_channels, int64_t ch1x1, int64_t ch3x3red, int64_t ch3x3,
                     int64_t ch5x5red, int64_t ch5x5, int64_t pool_proj, Rng& rng)
    : Module("Inception") {
  branch1 = register_module("branch1", basic(in_channels, ch1x1, 1, rng));
  branch2 = register_module("branch2", std::make_shared<nn::Sequential>());
  branch2->push_back(basic(in_channels, ch3x3red, 1, rng));
  branch2->push_back(basic(ch3x3red, ch3x3, 3, rng, 1, 1));
  branch3 = register_module("branch3", std::make_shared<nn::Sequential>());
  branch3->push_back(basic(in_channels, ch5x5red, 1, rng));
  branch3->push_back(basic(ch5x5red, ch5x5, 3, rng, 1, 1));  // 3x3: torchvision's, see header
  branch4 = register_module("branch4", std::make_shared<nn::Sequential>());
  branch4->push_back(max_pool(3, 1, 1));
  branch4->push_back(basic(in_channels, pool_proj, 1, rng));
}

Tensor Inception::forward(const Tensor& input) {
  return ops::cat({(*branch1)(input), (*branch2)(input), (*branch3)(input), (*branch4)(input)}, 1);
}

// ---- InceptionAux ----------------------------------------------------------------------------

InceptionAux::InceptionAux(int64_t in_channels, int64_t num_classes, double p, Rng& rng)
    : Module("InceptionAux") {
  conv = register_module("conv", basic(in_channels, 128, 1, rng));
  fc1 = register_module("fc1", linear(2048, 1024, rng));
  fc2 = register_module("fc2", linear(1024, num_classes, rng));
  dropout =
      register_module("dropout", std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = p}, rng));
}

Tensor InceptionAux::forward(const Tensor& input) {
  // NOTE: torchvision pools with F.adaptive_avg_pool2d and applies F.relu, not modules; the same
  // here, so the module tree (and the summary) is torchvision's.
  Tensor x = (*conv)(ops::adaptive_avg_pool2d(input, 4)).flatten(1);
  x = ops::relu((*fc1)(x));
  return (*fc2)((*dropout)(x));
}

// ---- GoogLeNet -------------------------------------------------------------------------------

GoogLeNet::GoogLeNet(const GoogLeNetOptions& o, Rng& rng) : Module("GoogLeNet"), options_(o) {
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "GoogLeNet: expected positive in_channels and num_classes, got ", o.in_channels,
               " and ", o.num_classes);
  CNNLAB_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0 && o.dropout_aux >= 0.0 && o.dropout_aux <= 1.0,
               ValueError, "GoogLeNet: expected dropout and dropout_aux in [0, 1], got ", o.dropout,
               " and ", o.dropout_aux);
  if (o.small_input) {
    conv1 = register_module("conv1", basic(o.in_channels, 64, 3, rng, 1, 1));
    maxpool1 = register_module("maxpool1", std::make_shared<nn::Identity>());
  } else {
    conv1 = register_module("conv1", basic(o.in_channels, 64, 7, rng, 2, 3));
    maxpool1 = register_module("maxpool1", max_pool(3, 2));
  }
  conv2 = register_module("conv2", basic(64, 64, 1, rng));
  conv3 = register_module("conv3", basic(64, 192, 3, rng, 1, 1));
  maxpool2 = register_module("maxpool2", max_pool(3, 2));
  auto inception = [&](const char* name, int64_t in, int64_t a, int64_t b, int64_t c, int64_t d,
                       int64_t e, int64_t f) {
    return register_module(name, std::make_shared<Inception>(in, a, b, c, d, e, f, rng));
  };
  inception3a = inception("inception3a", 192, 64, 96, 128, 16, 32, 32);
  inception3b = inception("inception3b", 256, 128, 128, 192, 32, 96, 64);
  maxpool3 = register_module("maxpool3", max_pool(3, 2));
  inception4a = inception("inception4a", 480, 192, 96, 208, 16, 48, 64);
  inception4b = inception("inception4b", 512, 160, 112, 224, 24, 64, 64);
  inception4c = inception("inception4c", 512, 128, 128, 256, 24, 64, 64);
  inception4d = inception("inception4d", 512, 112, 144, 288, 32, 64, 64);
  inception4e = inception("inception4e", 528, 256, 160, 320, 32, 128, 128);
  maxpool4 = register_module("maxpool4", max_pool(2, 2));
  inception5a = inception("inception5a", 832, 256, 160, 320, 32, 128, 128);
  inception5b = inception("inception5b", 832, 384, 192, 384, 48, 128, 128);
  if (o.aux_logits) {
    aux1 = register_module("aux1",
                           std::make_shared<InceptionAux>(512, o.num_classes, o.dropout_aux, rng));
    aux2 = register_module("aux2",
                           std::make_shared<InceptionAux>(528, o.num_classes, o.dropout_aux, rng));
  }
  avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(
                                           nn::AdaptiveAvgPool2dOptions{.output_size = 1}));
  dropout = register_module("dropout",
                            std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = o.dropout}, rng));
  fc = register_module("fc", linear(1024, o.num_classes, rng));
}

Tensor GoogLeNet::forward(const Tensor& input) {
  aux_logits_ = {};
  const bool aux = aux1 != nullptr && is_training();
  Tensor x = (*maxpool2)((*conv3)((*conv2)((*maxpool1)((*conv1)(input)))));
  x = (*maxpool3)((*inception3b)((*inception3a)(x)));
  x = (*inception4a)(x);
  if (aux) aux_logits_[0] = (*aux1)(x);
  x = (*inception4d)((*inception4c)((*inception4b)(x)));
  if (aux) aux_logits_[1] = (*aux2)(x);
  x = (*maxpool4)((*inception4e)(x));
  x = (*inception5b)((*inception5a)(x));
  return (*fc)((*dropout)((*avgpool)(x).flatten(1)));
}

}  // namespace cnnlab::models
