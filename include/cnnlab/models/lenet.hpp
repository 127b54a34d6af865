// LeNet-5 (LeCun et al. 1998) on 1x28x28 input, in the ReLU / max-pool form that courses teach
// (the default), or in the paper's tanh / average-pool form (LeNet5Options::classic):
//   features:   0 Conv2d(1, 6, 5, padding=2) -> 1 ReLU -> 2 MaxPool2d(2)
//               3 Conv2d(6, 16, 5)            -> 4 ReLU -> 5 MaxPool2d(2)     (N, 16, 5, 5)
//   flatten                                                                  (N, 400)
//   classifier: 0 Linear(400, 120) -> 1 ReLU -> 2 Linear(120, 84) -> 3 ReLU -> 4 Linear(84, 10)
// The classic form swaps ReLU for Tanh and MaxPool2d for AvgPool2d at the same indices. It keeps
// the paper's layer sizes but, as every modern reimplementation does, connects C3 to all six S2
// maps (the paper's partial connection table) and ends in a linear layer instead of the paper's
// Euclidean RBF units.
// Parameter names are PyTorch's for the same nn.Module layout ("features.0.weight", ...).
#pragma once

#include <memory>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

struct LeNet5Options {
  int64_t in_channels = 1;
  int64_t num_classes = 10;
  bool classic = false;  ///< tanh + average pooling (LeCun 1998) instead of ReLU + max pooling
};

class LeNet5 final : public nn::Module {
 public:
  LeNet5(const LeNet5Options& options, Rng& rng);
  /// (N, in_channels, 28, 28) -> logits (N, num_classes).
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::Sequential> classifier;
};

std::shared_ptr<LeNet5> make_lenet5(const LeNet5Options& options, Rng& rng);

}  // namespace cnnlab::models
