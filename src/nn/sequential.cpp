// nn::Sequential: runs children in order; names the failing layer in shape errors.
#include "cnnlab/nn/sequential.hpp"

namespace cnnlab::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) : Sequential() {
  for (const auto& m : modules) push_back(m);
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (size_t i = 0; i < children().size(); ++i) {
    Module& layer = *children()[i].second;
    try {
      x = layer(x);
    } catch (const ShapeError& e) {
      throw ShapeError(detail::concat("Sequential: layer ", i, " (", layer.repr(),
                                      ") got input of shape ", x.shape(), ": ", e.what()));
    }
  }
  return x;
}

}  // namespace cnnlab::nn
