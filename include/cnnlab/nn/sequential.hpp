// nn::Sequential: a chain of modules named "0", "1", ... (PyTorch's naming, so parameters are
// "features.0.weight" inside a model that registers the Sequential as "features").
#pragma once

#include <initializer_list>
#include <memory>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

class Sequential final : public Module {
 public:
  Sequential() : Module("Sequential") {}
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);

  /// Appends a module under the next index and returns it.
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> module) {
    add_child(std::to_string(children().size()), module);
    return module;
  }

  /// Runs each module (through operator(), so hooks fire) on the previous one's output. At
  /// inference (nn::can_fuse: no grad mode, BatchNorm in eval, no hooks) adjacent Conv2d ->
  /// BatchNorm2d -> ReLU children (either of the last two optional) run as one fused convolution
  /// (nn/fusion.hpp). A ShapeError inside layer i is rethrown naming the layer and the shape it
  /// received.
  Tensor forward(const Tensor& input) override;
  size_t size() const { return children().size(); }
  /// The i-th module; throws ValueError when i >= size().
  Module& operator[](size_t i) const {
    CNNLAB_CHECK(i < children().size(), ValueError, "Sequential: index ", i,
                 " is out of range for ", children().size(), " modules");
    return *children()[i].second;
  }
};

}  // namespace cnnlab::nn
