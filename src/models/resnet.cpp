// ResNet and CIFAR ResNet; layouts and choices in include/cnnlab/models/resnet.hpp and
// docs/models.md. The PyTorch twins of these definitions are in tools/torch_reference_models.py.
#include "cnnlab/models/resnet.hpp"

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/fusion.hpp"
#include "cnnlab/nn/init.hpp"
#include "cnnlab/ops/math.hpp"

namespace cnnlab::models {

namespace {

/// A bias-free convolution initialized as torchvision's ResNet does: kaiming_normal_ with
/// mode="fan_out", nonlinearity="relu" (std = sqrt(2 / (C_out * KH * KW))).
std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                 int64_t padding, Rng& rng) {
  auto c = std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = in,
                                                          .out_channels = out,
                                                          .kernel_size = kernel,
                                                          .stride = stride,
                                                          .padding = padding,
                                                          .bias = false},
                                        rng);
  // NOTE: Conv2d has already drawn PyTorch's default weight; like torchvision (which also
  // overwrites the default) we redraw it here.
  c->weight().copy_(nn::init::kaiming_normal(c->weight().shape(), out * kernel * kernel, rng));
  return c;
}

/// BatchNorm2d with weight 1, bias 0 (BatchNorm2d's own defaults, as torchvision sets them).
std::shared_ptr<nn::BatchNorm2d> bn(int64_t channels) {
  return std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.num_features = channels});
}

/// torchvision's _make_layer: `blocks` blocks, the first with `stride` and a 1x1 conv + BN
/// downsample when the shape changes.
template <typename Block>
std::shared_ptr<nn::Sequential> make_layer(int64_t& inplanes, int64_t planes, int64_t blocks,
                                           int64_t stride, Rng& rng) {
  auto layer = std::make_shared<nn::Sequential>();
  std::shared_ptr<nn::Sequential> downsample;
  if (stride != 1 || inplanes != planes * Block::kExpansion) {
    downsample = std::make_shared<nn::Sequential>();
    downsample->push_back(conv(inplanes, planes * Block::kExpansion, 1, stride, 0, rng));
    downsample->push_back(bn(planes * Block::kExpansion));
  }
  layer->push_back(std::make_shared<Block>(inplanes, planes, stride, downsample, rng));
  inplanes = planes * Block::kExpansion;
  for (int64_t i = 1; i < blocks; ++i) {
    layer->push_back(std::make_shared<Block>(inplanes, planes, 1, nullptr, rng));
  }
  return layer;
}

// He et al.'s option A shortcut as one op, "cifar_shortcut": x[:, :, ::2, ::2] with pad zero
// channels on each side, i.e. y[n, pad + c, i, j] = x[n, c, 2i, 2j]; its gradient sends
// dy[n, pad + c, i, j] back to x[n, c, 2i, 2j] and zero elsewhere. Equal to
// cat({zeros, x[:, :, ::2, ::2], zeros}, 1), which tests/unit/models_resnet_vgg_test.cpp checks,
// in one pass instead of five ops and their temporaries.
Tensor option_a_shortcut(const Tensor& x, int64_t pad) {
  CNNLAB_CHECK(x.dim() == 4, ShapeError, "CifarBasicBlock: expected (N, C, H, W) input, got ",
               x.shape());
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = (h + 1) / 2, ow = (w + 1) / 2, oc = c + 2 * pad;
  // y (n, oc, oh, ow) <-> x (n, c, h, w): f(y offset, x offset) for every shortcut element
  auto for_each = [=](auto f) {
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        for (int64_t i = 0; i < oh; ++i) {
          for (int64_t j = 0; j < ow; ++j)
            f(((b * oc + pad + ch) * oh + i) * ow + j, ((b * c + ch) * h + 2 * i) * w + 2 * j);
        }
      }
    }
  };
  Tensor y = Tensor::zeros({n, oc, oh, ow}, x.dtype());
  dispatch_float(x.dtype(), "cifar_shortcut", [&](auto tag) {
    using T = decltype(tag);
    T* yp = y.data<T>();
    const T* xp = x.data<T>();
    for_each([&](int64_t yo, int64_t xo) { yp[yo] = xp[xo]; });
  });
  if (autograd::needs_grad({x})) {
    autograd::record("cifar_shortcut", {x}, y, [=, shape = x.shape()](const Tensor& dy) {
      Tensor dx = Tensor::zeros(shape, dy.dtype());
      dispatch_float(dy.dtype(), "cifar_shortcut", [&](auto tag) {
        using T = decltype(tag);
        T* dxp = dx.data<T>();
        const T* dyp = dy.data<T>();
        for_each([&](int64_t yo, int64_t xo) { dxp[xo] = dyp[yo]; });
      });
      return std::vector<Tensor>{dx};
    });
  }
  if (autograd::is_tracing()) autograd::trace_op("cifar_shortcut", {x}, y, {{"pad", pad}});
  return y;
}

}  // namespace

ResNetOptions resnet_options(int64_t depth) {
  using enum ResNetBlockKind;
  switch (depth) {
    case 18:
      return {.block = kBasic, .layers = {2, 2, 2, 2}};
    case 34:
      return {.block = kBasic, .layers = {3, 4, 6, 3}};
    case 50:
      return {.block = kBottleneck, .layers = {3, 4, 6, 3}};
    case 101:
      return {.block = kBottleneck, .layers = {3, 4, 23, 3}};
    case 152:
      return {.block = kBottleneck, .layers = {3, 8, 36, 3}};
    default:
      break;
  }
  throw ValueError(
      detail::concat("resnet_options: expected depth 18, 34, 50, 101 or 152, got ", depth));
}

// ---- BasicBlock / Bottleneck ---------------------------------------------------------------

BasicBlock::BasicBlock(int64_t inplanes, int64_t planes, int64_t stride,
                       std::shared_ptr<nn::Sequential> ds, Rng& rng)
    : Module("BasicBlock") {
  conv1 = register_module("conv1", conv(inplanes, planes, 3, stride, 1, rng));
  bn1 = register_module("bn1", bn(planes));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
  conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1, rng));
  bn2 = register_module("bn2", bn(planes));
  if (ds) downsample = register_module("downsample", std::move(ds));
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor out = nn::conv_bn_relu(*conv1, bn1.get(), relu.get(), x);
  out = nn::conv_bn_relu(*conv2, bn2.get(), nullptr, out);
  const Tensor identity = downsample ? (*downsample)(x) : x;
  return (*relu)(ops::add(out, identity));
}

Bottleneck::Bottleneck(int64_t inplanes, int64_t planes, int64_t stride,
                       std::shared_ptr<nn::Sequential> ds, Rng& rng)
    : Module("Bottleneck") {
  conv1 = register_module("conv1", conv(inplanes, planes, 1, 1, 0, rng));
  bn1 = register_module("bn1", bn(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3, stride, 1, rng));
  bn2 = register_module("bn2", bn(planes));
  conv3 = register_module("conv3", conv(planes, planes * kExpansion, 1, 1, 0, rng));
  bn3 = register_module("bn3", bn(planes * kExpansion));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
  if (ds) downsample = register_module("downsample", std::move(ds));
}

Tensor Bottleneck::forward(const Tensor& x) {
  Tensor out = nn::conv_bn_relu(*conv1, bn1.get(), relu.get(), x);
  out = nn::conv_bn_relu(*conv2, bn2.get(), relu.get(), out);
  out = nn::conv_bn_relu(*conv3, bn3.get(), nullptr, out);
  const Tensor identity = downsample ? (*downsample)(x) : x;
  return (*relu)(ops::add(out, identity));
}

// ---- ResNet ----------------------------------------------------------------------------------

ResNet::ResNet(const ResNetOptions& o, Rng& rng) : Module("ResNet"), options_(o) {
  CNNLAB_CHECK(o.layers.size() == 4, ValueError, "ResNet: expected 4 layer sizes, got ",
               o.layers.size());
  for (int64_t n : o.layers) {
    CNNLAB_CHECK(n > 0, ValueError, "ResNet: expected positive block counts, got ", n);
  }
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "ResNet: expected positive in_channels and num_classes, got ", o.in_channels,
               " and ", o.num_classes);
  if (o.small_input) {
    conv1 = register_module("conv1", conv(o.in_channels, 64, 3, 1, 1, rng));
  } else {
    conv1 = register_module("conv1", conv(o.in_channels, 64, 7, 2, 3, rng));
  }
  bn1 = register_module("bn1", bn(64));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
  if (o.small_input) {
    maxpool = register_module(
        "maxpool", std::static_pointer_cast<nn::Module>(std::make_shared<nn::Identity>()));
  } else {
    maxpool = register_module(
        "maxpool", std::static_pointer_cast<nn::Module>(std::make_shared<nn::MaxPool2d>(
                       nn::MaxPool2dOptions{.kernel_size = 3, .stride = 2, .padding = 1})));
  }
  int64_t inplanes = 64;
  const bool basic = o.block == ResNetBlockKind::kBasic;
  const int64_t planes[4] = {64, 128, 256, 512};
  std::shared_ptr<nn::Sequential> layers[4];
  for (int i = 0; i < 4; ++i) {
    const int64_t stride = i == 0 ? 1 : 2;
    layers[i] = basic ? make_layer<BasicBlock>(inplanes, planes[i], o.layers[i], stride, rng)
                      : make_layer<Bottleneck>(inplanes, planes[i], o.layers[i], stride, rng);
  }
  layer1 = register_module("layer1", layers[0]);
  layer2 = register_module("layer2", layers[1]);
  layer3 = register_module("layer3", layers[2]);
  layer4 = register_module("layer4", layers[3]);
  avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(
                                           nn::AdaptiveAvgPool2dOptions{.output_size = 1}));
  fc = register_module(
      "fc", std::make_shared<nn::Linear>(
                nn::LinearOptions{.in_features = inplanes, .out_features = o.num_classes}, rng));
}

Tensor ResNet::forward(const Tensor& input) {
  Tensor x = (*maxpool)(nn::conv_bn_relu(*conv1, bn1.get(), relu.get(), input));
  x = (*layer4)((*layer3)((*layer2)((*layer1)(x))));
  return (*fc)((*avgpool)(x).flatten(1));
}

// ---- CIFAR ResNet ----------------------------------------------------------------------------

CifarBasicBlock::CifarBasicBlock(int64_t in_planes, int64_t planes, int64_t stride, Rng& rng)
    : Module("CifarBasicBlock"), stride_(stride), pad_channels_((planes - in_planes) / 2) {
  CNNLAB_CHECK(stride == 1 || stride == 2, ValueError,
               "CifarBasicBlock: expected stride 1 or 2, got ", stride);
  CNNLAB_CHECK(
      stride == 1 ? planes == in_planes : (planes > in_planes && (planes - in_planes) % 2 == 0),
      ValueError,
      "CifarBasicBlock: expected planes == in_planes at stride 1, or more planes by an "
      "even number at stride 2, got ",
      in_planes, " -> ", planes, " at stride ", stride);
  conv1 = register_module("conv1", conv(in_planes, planes, 3, stride, 1, rng));
  bn1 = register_module("bn1", bn(planes));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
  conv2 = register_module("conv2", conv(planes, planes, 3, 1, 1, rng));
  bn2 = register_module("bn2", bn(planes));
}

Tensor CifarBasicBlock::forward(const Tensor& x) {
  Tensor out = nn::conv_bn_relu(*conv1, bn1.get(), relu.get(), x);
  out = nn::conv_bn_relu(*conv2, bn2.get(), nullptr, out);
  const Tensor shortcut = stride_ == 2 ? option_a_shortcut(x, pad_channels_) : x;
  return (*relu)(ops::add(out, shortcut));
}

CifarResNet::CifarResNet(const CifarResNetOptions& o, Rng& rng)
    : Module("CifarResNet"), options_(o) {
  CNNLAB_CHECK(o.depth >= 8 && (o.depth - 2) % 6 == 0, ValueError,
               "CifarResNet: expected depth 6n + 2 with n >= 1 (20, 32, 44, 56, 110), got ",
               o.depth);
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "CifarResNet: expected positive in_channels and num_classes, got ", o.in_channels,
               " and ", o.num_classes);
  const int64_t n = (o.depth - 2) / 6;
  conv1 = register_module("conv1", conv(o.in_channels, 16, 3, 1, 1, rng));
  bn1 = register_module("bn1", bn(16));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
  int64_t in_planes = 16;
  auto stage = [&](int64_t planes, int64_t stride) {
    auto layer = std::make_shared<nn::Sequential>();
    for (int64_t i = 0; i < n; ++i) {
      layer->push_back(
          std::make_shared<CifarBasicBlock>(in_planes, planes, i == 0 ? stride : 1, rng));
      in_planes = planes;
    }
    return layer;
  };
  layer1 = register_module("layer1", stage(16, 1));
  layer2 = register_module("layer2", stage(32, 2));
  layer3 = register_module("layer3", stage(64, 2));
  avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(
                                           nn::AdaptiveAvgPool2dOptions{.output_size = 1}));
  fc = register_module(
      "fc", std::make_shared<nn::Linear>(
                nn::LinearOptions{.in_features = 64, .out_features = o.num_classes}, rng));
}

Tensor CifarResNet::forward(const Tensor& input) {
  Tensor x = nn::conv_bn_relu(*conv1, bn1.get(), relu.get(), input);
  x = (*layer3)((*layer2)((*layer1)(x)));
  return (*fc)((*avgpool)(x).flatten(1));
}

}  // namespace cnnlab::models
