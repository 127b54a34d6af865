// Scoped backward overrides: replace the backward rule of every node with a given op name while
// a guard is alive. This is how guided backprop and deconvnet change ReLU's backward without
// forking the ReLU layer:
//
//   autograd::BackwardOverride guard("relu",
//       [](const Tensor& dy, const autograd::Node& node) {
//         Tensor dx = node.apply(dy)[0];      // the ordinary rule: dy * (x > 0)
//         return std::vector<Tensor>{ops::relu(dx)};  // guided: also drop negative gradients
//       });
//   score.backward();
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cnnlab/autograd/node.hpp"

namespace cnnlab::autograd {

/// Replacement backward: gets the output gradient and the node (whose apply() runs the op's
/// ordinary rule) and returns one gradient per input, as a BackwardFn does.
using OverrideFn = std::function<std::vector<Tensor>(const Tensor& grad_output, const Node& node)>;

/// While alive, backward passes on this thread use `fn` for every node named `op_name`.
/// Nests: an inner guard for the same name shadows the outer one until it is destroyed.
class BackwardOverride {
 public:
  BackwardOverride(std::string op_name, OverrideFn fn);
  ~BackwardOverride();
  BackwardOverride(const BackwardOverride&) = delete;
  BackwardOverride& operator=(const BackwardOverride&) = delete;

 private:
  std::string op_name_;
  OverrideFn previous_;
};

/// The override active for op_name on this thread, or an empty function.
const OverrideFn& find_override(const std::string& op_name);

}  // namespace cnnlab::autograd
