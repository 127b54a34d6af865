// nn::Sequential: runs children in order (fusing Conv2d -> BatchNorm2d -> ReLU at inference,
// nn/fusion.hpp); names the failing layer in shape errors.
#include "cnnlab/nn/sequential.hpp"

#include "cnnlab/nn/fusion.hpp"

namespace cnnlab::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) : Sequential() {
  for (const auto& m : modules) push_back(m);
}

namespace {

template <typename M>
M* child_as(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children,
            size_t i) {
  return i < children.size() ? dynamic_cast<M*>(children[i].second.get()) : nullptr;
}

}  // namespace

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  const auto& layers = children();
  for (size_t i = 0; i < layers.size(); ++i) {
    Module& layer = *layers[i].second;
    try {
      // Conv2d [-> BatchNorm2d] [-> ReLU] runs as one convolution where inference allows it.
      if (auto* conv = dynamic_cast<Conv2d*>(&layer)) {
        auto* bn = child_as<BatchNorm2d>(layers, i + 1);
        auto* relu = child_as<ReLU>(layers, bn != nullptr ? i + 2 : i + 1);
        if (can_fuse(*conv, bn, relu)) {
          x = fused_conv_bn_relu(*conv, bn, relu, x);
          i += (bn != nullptr ? 1 : 0) + (relu != nullptr ? 1 : 0);
          continue;
        }
      }
      x = layer(x);
    } catch (const ShapeError& e) {
      throw ShapeError(detail::concat("Sequential: layer ", i, " (", layer.repr(),
                                      ") got input of shape ", x.shape(), ": ", e.what()));
    }
  }
  return x;
}

}  // namespace cnnlab::nn
