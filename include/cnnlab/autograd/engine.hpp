// The backward engine: runs the recorded graph in reverse topological order.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::autograd {

/// Propagates grad_output (shape of root) back through root's graph and adds the result into
/// the grad() of every leaf that requires grad. Tensor hooks run on each gradient before it is
/// used; backward overrides replace the rules of the named ops. Without retain_graph the graph's
/// saved state is freed afterwards, and a second backward through it throws StateError.
/// Throws StateError if root does not require grad.
void backward(const Tensor& root, const Tensor& grad_output, const BackwardOptions& options);

}  // namespace cnnlab::autograd
