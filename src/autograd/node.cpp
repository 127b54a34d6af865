// record(): how ops add a node to the graph.
#include "cnnlab/autograd/node.hpp"

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/profiler.hpp"

namespace cnnlab::autograd {

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

void record(const std::string& name, const std::vector<Tensor>& inputs, Tensor& output,
            BackwardFn backward) {
  std::vector<Edge> next;
  next.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.defined()) {
      e.shape = t.shape();
      e.dtype = t.dtype();
      if (t.requires_grad()) {
        if (t.grad_fn()) {
          e.fn = t.grad_fn();
        } else {
          e.leaf = t.impl_ptr();
        }
      }
    }
    next.push_back(std::move(e));
  }
  TensorImpl& out = *output.impl_ptr();
  out.grad_fn = std::make_shared<Node>(name, std::move(next), std::move(backward));
  if (detail::profiling_maybe_on()) [[unlikely]] {
    out.grad_fn->set_profile_scope(detail::current_scope());
  }
  out.requires_grad = true;
}

}  // namespace cnnlab::autograd
