// AlexNet, torchvision's and the paper's (LRN), with the small-input variant; layout in
// include/cnnlab/models/alexnet.hpp. The PyTorch twins are in tools/torch_reference_models.py.
#include "cnnlab/models/alexnet.hpp"

#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/dropout.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/local_response_norm.hpp"

namespace cnnlab::models {

AlexNet::AlexNet(const AlexNetOptions& o, Rng& rng) : Module("AlexNet"), options_(o) {
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "AlexNet: expected positive in_channels and num_classes, got ", o.in_channels,
               " and ", o.num_classes);
  CNNLAB_CHECK(o.dropout >= 0.0 && o.dropout <= 1.0, ValueError,
               "AlexNet: expected dropout in [0, 1], got ", o.dropout);
  // NOTE: the paper's single-GPU widths are 96-256-384-384-256 (its two GPUs held half of each);
  // torchvision's are those of Krizhevsky 2014 ("One weird trick"), 64-192-384-256-256.
  const int64_t widths[5] = {o.lrn ? 96 : 64, o.lrn ? 256 : 192, 384, o.lrn ? 384 : 256, 256};
  const int64_t k1 = o.small_input ? 3 : 11;
  const int64_t s1 = o.small_input ? 1 : 4;
  const int64_t p1 = o.small_input ? 1 : 2;

  features = register_module("features", std::make_shared<nn::Sequential>());
  auto conv = [&](int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
    features->push_back(std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = in,
                                                                       .out_channels = out,
                                                                       .kernel_size = k,
                                                                       .stride = stride,
                                                                       .padding = pad},
                                                     rng));
    features->push_back(std::make_shared<nn::ReLU>());
  };
  auto lrn = [&] {
    if (o.lrn) {
      features->push_back(std::make_shared<nn::LocalResponseNorm>(
          nn::LocalResponseNormOptions{.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0}));
    }
  };
  // NOTE: the small variant pads its pools by 1, so that 28x28 and 32x32 both end at 4x4.
  auto pool = [&] {
    features->push_back(std::make_shared<nn::MaxPool2d>(
        nn::MaxPool2dOptions{.kernel_size = 3, .stride = 2, .padding = o.small_input ? 1 : 0}));
  };
  conv(o.in_channels, widths[0], k1, s1, p1);
  lrn();
  pool();
  conv(widths[0], widths[1], 5, 1, 2);
  lrn();
  pool();
  conv(widths[1], widths[2], 3, 1, 1);
  conv(widths[2], widths[3], 3, 1, 1);
  conv(widths[3], widths[4], 3, 1, 1);
  pool();

  const int64_t pooled = o.small_input ? 2 : 6;
  const int64_t hidden = o.small_input ? 1024 : 4096;
  avgpool = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(
                                           nn::AdaptiveAvgPool2dOptions{.output_size = pooled}));
  auto linear = [&](int64_t in, int64_t out) {
    return std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = in, .out_features = out},
                                        rng);
  };
  classifier = register_module("classifier", std::make_shared<nn::Sequential>());
  classifier->push_back(std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = o.dropout}, rng));
  classifier->push_back(linear(widths[4] * pooled * pooled, hidden));
  classifier->push_back(std::make_shared<nn::ReLU>());
  classifier->push_back(std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = o.dropout}, rng));
  classifier->push_back(linear(hidden, hidden));
  classifier->push_back(std::make_shared<nn::ReLU>());
  classifier->push_back(linear(hidden, o.num_classes));
}

Tensor AlexNet::forward(const Tensor& input) {
  return (*classifier)((*avgpool)((*features)(input)).flatten(1));
}

}  // namespace cnnlab::models
