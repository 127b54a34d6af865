// Small seeded models for the tests of the image-optimizing viz methods (not a test file itself).
#pragma once

#include <memory>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::testing {

/// "0" Conv2d(1, 4, 3) -> "1" ReLU -> "2" Flatten -> "3" Linear(4 * (size-2)^2, classes), for
/// (N, 1, size, size) input, in eval mode.
inline std::shared_ptr<nn::Sequential> tiny_conv_net(uint64_t seed, int64_t size = 8,
                                                     int64_t classes = 10) {
  Rng rng(seed);
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in_channels = 1, .out_channels = 4, .kernel_size = 3}, rng));
  net->push_back(std::make_shared<nn::ReLU>());
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(std::make_shared<nn::Linear>(
      nn::LinearOptions{.in_features = 4 * (size - 2) * (size - 2), .out_features = classes}, rng));
  net->eval();
  return net;
}

}  // namespace cnnlab::testing
