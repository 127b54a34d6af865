// Fully connected baselines: a multi-layer perceptron with given hidden widths, and softmax
// (multinomial logistic) regression, the MLP with no hidden layer.
//   MLP(784 -> 256 -> 128 -> 10): flatten, then
//   layers: 0 Linear(784, 256) -> 1 ReLU -> 2 Linear(256, 128) -> 3 ReLU -> 4 Linear(128, 10)
// Parameter names are PyTorch's for the same layout ("layers.0.weight", ..., "layers.4.bias").
#pragma once

#include <memory>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::models {

struct MlpOptions {
  int64_t in_features = 784;                 ///< C * H * W of the input images
  std::vector<int64_t> hidden = {256, 128};  ///< hidden widths; empty = softmax regression
  int64_t num_classes = 10;
};

class Mlp final : public nn::Module {
 public:
  /// Throws ValueError on a non-positive width.
  Mlp(const MlpOptions& options, Rng& rng);
  /// (N, C, H, W) or (N, in_features) -> logits (N, num_classes).
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<nn::Sequential> layers;
};

}  // namespace cnnlab::models
