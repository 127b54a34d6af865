// autograd::Node: one recorded op in the define-by-run graph, and record(), the one way ops add
// nodes to it.
//
// Contract (every op in src/ops/ follows it):
//   requires: the op computed `output` from `inputs` while grad mode was on (needs_grad()).
//   ensures:  record() sets output.grad_fn() to a node named `name` (a stable op name such as
//             "relu", "conv2d": backward overrides and error messages use it) with one edge per
//             input.
//   The backward closure receives the gradient of the output (output's shape and dtype) and
//   returns one gradient per input, each with that input's shape, or an undefined Tensor for an
//   input that gets no gradient. It captures only what backward needs (max_pool2d keeps its
//   argmax table, not its input). The engine adds the returned gradients into the inputs'
//   gradients; closures never accumulate themselves. Closures run with grad mode off.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::autograd {

/// Computes the gradients of an op's inputs from the gradient of its output.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

/// Where a node sends the gradient of one of its inputs: to the input's own producer node, or
/// (for a leaf that requires grad) into the leaf's grad(); `fn` and `leaf` are both null for an
/// input that needs no gradient.
struct Edge {
  std::shared_ptr<Node> fn;
  std::shared_ptr<TensorImpl> leaf;
  Shape shape;  ///< shape of the input; the engine checks each gradient against it
  Dtype dtype = Dtype::kFloat32;
  bool needs_grad() const { return fn != nullptr || leaf != nullptr; }
};

class Node {
 public:
  Node(std::string name, std::vector<Edge> next, BackwardFn backward)
      : name_(std::move(name)), next_(std::move(next)), backward_(std::move(backward)) {}

  const std::string& name() const { return name_; }
  const std::vector<Edge>& next() const { return next_; }
  /// True once a backward pass without retain_graph has freed the saved state.
  bool released() const { return !backward_; }
  /// Runs the op's own backward closure (the engine applies overrides around it).
  std::vector<Tensor> apply(const Tensor& grad_output) const { return backward_(grad_output); }
  /// Frees the closure and everything it saved.
  void release() { backward_ = nullptr; }

  /// Hooks registered on the node's output tensor (Tensor::register_hook on a non-leaf).
  std::vector<TensorHook>& output_hooks() { return output_hooks_; }

  /// The profiler scope (module) the node was recorded in, or -1 when no Profiler was enabled;
  /// the engine credits the node's backward time to it (cnnlab/autograd/profiler.hpp).
  int32_t profile_scope() const { return profile_scope_; }
  void set_profile_scope(int32_t scope) { profile_scope_ = scope; }

 private:
  std::string name_;
  std::vector<Edge> next_;
  BackwardFn backward_;
  std::vector<TensorHook> output_hooks_;
  int32_t profile_scope_ = -1;
};

/// True when grad mode is on and at least one input requires grad: only then do ops record.
bool needs_grad(const std::vector<Tensor>& inputs);

/// Records `output = name(inputs)` in the graph: sets output's grad_fn and requires_grad.
/// Call only when needs_grad(inputs). Undefined inputs (an absent bias) get an empty edge.
void record(const std::string& name, const std::vector<Tensor>& inputs, Tensor& output,
            BackwardFn backward);

}  // namespace cnnlab::autograd
