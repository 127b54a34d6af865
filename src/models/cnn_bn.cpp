// cnn_bn, the small CNN with BatchNorm; the layer table is in include/cnnlab/models/cnn_bn.hpp.
#include "cnnlab/models/cnn_bn.hpp"

#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/pooling.hpp"

namespace cnnlab::models {

namespace {
constexpr int64_t kWidths[] = {32, 64, 128};
constexpr int64_t kHidden = 256;
constexpr int64_t kMinInputSize = 8;  // three 2x2 pools
}  // namespace

CnnBn::CnnBn(const CnnBnOptions& o, Rng& rng) : Module("CnnBn") {
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "cnn_bn: expected positive in_channels and num_classes, got ", o.in_channels,
               " and ", o.num_classes);
  CNNLAB_CHECK(o.input_size.h >= kMinInputSize && o.input_size.w >= kMinInputSize, ValueError,
               "cnn_bn: expected input at least 8x8, got ", o.input_size.h, "x", o.input_size.w);
  using namespace nn;
  features = register_module("features", std::make_shared<Sequential>());
  int64_t channels = o.in_channels, h = o.input_size.h, w = o.input_size.w;
  for (int64_t width : kWidths) {
    features->push_back(std::make_shared<Conv2d>(Conv2dOptions{.in_channels = channels,
                                                               .out_channels = width,
                                                               .kernel_size = 3,
                                                               .padding = 1,
                                                               .bias = false},
                                                 rng));
    features->push_back(std::make_shared<BatchNorm2d>(BatchNormOptions{.num_features = width}));
    features->push_back(std::make_shared<ReLU>());
    features->push_back(std::make_shared<MaxPool2d>(MaxPool2dOptions{.kernel_size = 2}));
    channels = width;
    h /= 2;
    w /= 2;
  }
  classifier = register_module(
      "classifier",
      std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
          std::make_shared<Linear>(
              LinearOptions{.in_features = channels * h * w, .out_features = kHidden}, rng),
          std::make_shared<ReLU>(),
          std::make_shared<Linear>(
              LinearOptions{.in_features = kHidden, .out_features = o.num_classes}, rng)}));
}

Tensor CnnBn::forward(const Tensor& input) { return (*classifier)((*features)(input).flatten(1)); }

}  // namespace cnnlab::models
