// The MLP and softmax regression; layout in include/cnnlab/models/mlp.hpp.
#include "cnnlab/models/mlp.hpp"

#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/linear.hpp"

namespace cnnlab::models {

Mlp::Mlp(const MlpOptions& o, Rng& rng) : Module(o.hidden.empty() ? "SoftmaxRegression" : "MLP") {
  CNNLAB_CHECK(o.in_features > 0 && o.num_classes > 0, ValueError,
               "MLP: expected positive in_features and num_classes, got ", o.in_features, " and ",
               o.num_classes);
  layers = register_module("layers", std::make_shared<nn::Sequential>());
  int64_t width = o.in_features;
  for (int64_t h : o.hidden) {
    CNNLAB_CHECK(h > 0, ValueError, "MLP: expected positive hidden widths, got ", h);
    layers->push_back(std::make_shared<nn::Linear>(
        nn::LinearOptions{.in_features = width, .out_features = h}, rng));
    layers->push_back(std::make_shared<nn::ReLU>());
    width = h;
  }
  layers->push_back(std::make_shared<nn::Linear>(
      nn::LinearOptions{.in_features = width, .out_features = o.num_classes}, rng));
}

Tensor Mlp::forward(const Tensor& input) { return (*layers)(input.flatten(1)); }

}  // namespace cnnlab::models
