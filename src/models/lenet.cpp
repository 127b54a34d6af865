// LeNet-5, ReLU / max-pool form; the layer table is in include/cnnlab/models/lenet.hpp.
#include "cnnlab/models/lenet.hpp"

#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/pooling.hpp"

namespace cnnlab::models {

namespace {
std::shared_ptr<nn::Module> activation(bool classic) {
  if (classic) return std::make_shared<nn::Tanh>();
  return std::make_shared<nn::ReLU>();
}
std::shared_ptr<nn::Module> pool(bool classic) {
  if (classic) return std::make_shared<nn::AvgPool2d>(nn::AvgPool2dOptions{.kernel_size = 2});
  return std::make_shared<nn::MaxPool2d>(nn::MaxPool2dOptions{.kernel_size = 2});
}
}  // namespace

LeNet5::LeNet5(const LeNet5Options& o, Rng& rng) : Module("LeNet5") {
  using namespace nn;
  features = register_module(
      "features",
      std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
          std::make_shared<Conv2d>(
              Conv2dOptions{
                  .in_channels = o.in_channels, .out_channels = 6, .kernel_size = 5, .padding = 2},
              rng),
          activation(o.classic), pool(o.classic),
          std::make_shared<Conv2d>(
              Conv2dOptions{.in_channels = 6, .out_channels = 16, .kernel_size = 5}, rng),
          activation(o.classic), pool(o.classic)}));
  classifier = register_module(
      "classifier",
      std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
          std::make_shared<Linear>(LinearOptions{.in_features = 16 * 5 * 5, .out_features = 120},
                                   rng),
          activation(o.classic),
          std::make_shared<Linear>(LinearOptions{.in_features = 120, .out_features = 84}, rng),
          activation(o.classic),
          std::make_shared<Linear>(LinearOptions{.in_features = 84, .out_features = o.num_classes},
                                   rng)}));
}

Tensor LeNet5::forward(const Tensor& input) { return (*classifier)((*features)(input).flatten(1)); }

std::shared_ptr<LeNet5> make_lenet5(const LeNet5Options& options, Rng& rng) {
  return std::make_shared<LeNet5>(options, rng);
}

}  // namespace cnnlab::models
