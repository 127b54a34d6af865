// VGG with and without BatchNorm; layout in include/cnnlab/models/vgg.hpp. The PyTorch twin of the
// small-input variant is in tools/torch_reference_models.py.
#include "cnnlab/models/vgg.hpp"

#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/dropout.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/init.hpp"
#include "cnnlab/nn/linear.hpp"

namespace cnnlab::models {

namespace {

/// Linear with torchvision's VGG initialization: weight normal(0, 0.01), bias 0.
std::shared_ptr<nn::Linear> linear(int64_t in, int64_t out, Rng& rng) {
  auto l =
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = in, .out_features = out}, rng);
  l->weight().copy_(Tensor::normal(l->weight().shape(), 0.0, 0.01, rng));
  l->bias().fill_(0.0);
  return l;
}

}  // namespace

VggOptions vgg_options(int64_t depth, bool batch_norm) {
  constexpr int64_t M = kVggMaxPool;
  VggOptions o;
  o.batch_norm = batch_norm;
  switch (depth) {
    case 11:
      o.config = {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
      break;
    case 13:
      o.config = {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
      break;
    case 16:
      o.config = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
      break;
    case 19:
      o.config = {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
                  512, 512, 512, 512, M,   512, 512, 512, 512, M};
      break;
    default:
      throw ValueError(detail::concat("vgg_options: expected depth 11, 13, 16 or 19, got ", depth));
  }
  return o;
}

Vgg::Vgg(const VggOptions& o, Rng& rng) : Module("VGG"), options_(o) {
  CNNLAB_CHECK(!o.config.empty(), ValueError, "VGG: expected a non-empty config, got none");
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "VGG: expected positive in_channels and num_classes, got ", o.in_channels, " and ",
               o.num_classes);
  CNNLAB_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0, ValueError,
               "VGG: expected dropout in [0, 1], got ", o.dropout);
  CNNLAB_CHECK(o.input_size.h > 0 && o.input_size.w > 0, ValueError,
               "VGG: expected a positive input_size, got ", o.input_size.h, "x", o.input_size.w);
  features = register_module("features", std::make_shared<nn::Sequential>());
  int64_t channels = o.in_channels;
  int64_t h = o.input_size.h, w = o.input_size.w;
  for (int64_t v : o.config) {
    if (v == kVggMaxPool) {
      // NOTE: in the small variant a pool that would leave less than 1x1 becomes an Identity
      // placeholder, so every later layer keeps torchvision's index in `features`.
      if (o.small_input && (h < 2 || w < 2)) {
        features->push_back(std::make_shared<nn::Identity>());
      } else {
        features->push_back(
            std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions{.kernel_size = 2, .stride = 2}));
        h /= 2;
        w /= 2;
      }
      continue;
    }
    CNNLAB_CHECK(v > 0, ValueError, "VGG: expected positive conv widths or kVggMaxPool, got ", v);
    auto c = std::make_shared<nn::Conv2d>(
        nn::Conv2dOptions{
            .in_channels = channels, .out_channels = v, .kernel_size = 3, .padding = 1},
        rng);
    c->weight().copy_(nn::init::kaiming_normal(c->weight().shape(), v * 9, rng));
    c->bias().fill_(0.0);
    features->push_back(c);
    if (o.batch_norm) {
      features->push_back(
          std::make_shared<nn::BatchNorm2d>(nn::BatchNormOptions{.num_features = v}));
    }
    features->push_back(std::make_shared<nn::ReLU>());
    channels = v;
  }
  const int64_t pooled = o.small_input ? 1 : 7;
  const int64_t hidden = o.small_input ? 512 : 4096;
  avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(
                                           nn::AdaptiveAvgPool2dOptions{.output_size = pooled}));
  classifier = register_module("classifier", std::make_shared<nn::Sequential>());
  classifier->push_back(linear(channels * pooled * pooled, hidden, rng));
  classifier->push_back(std::make_shared<nn::ReLU>());
  classifier->push_back(std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = o.dropout}, rng));
  classifier->push_back(linear(hidden, hidden, rng));
  classifier->push_back(std::make_shared<nn::ReLU>());
  classifier->push_back(std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = o.dropout}, rng));
  classifier->push_back(linear(hidden, o.num_classes, rng));
}

Tensor Vgg::forward(const Tensor& input) {
  return (*classifier)((*avgpool)((*features)(input)).flatten(1));
}

}  // namespace cnnlab::models
