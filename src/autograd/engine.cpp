// The backward engine: topological order by depth-first search, gradient accumulation per node,
// hooks, overrides, and freeing of the graph.
#include "cnnlab/autograd/engine.hpp"

#include <unordered_map>
#include <unordered_set>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/hooks.hpp"
#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/profiler.hpp"

namespace cnnlab::autograd {
namespace {

// acc += g, elementwise; both have the same shape and dtype (the engine checked).
void add_into(Tensor& acc, const Tensor& g) {
  dispatch_float(acc.dtype(), "backward", [&](auto tag) {
    using T = decltype(tag);
    T* a = acc.data<T>();
    const T* b = g.data<T>();
    for (int64_t i = 0, n = acc.numel(); i < n; ++i) a[i] += b[i];
  });
}

// Sums gradients arriving at one node or leaf. The first one is kept as given (no copy); a
// second one creates a fresh sum, so no tensor owned by a backward closure is ever modified.
void accumulate(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) {
    slot = g;
  } else {
    Tensor sum = slot.clone();
    add_into(sum, g);
    slot = sum;
  }
}

Tensor run_hooks(const std::vector<TensorHook>& hooks, Tensor grad, const std::string& where) {
  for (const TensorHook& hook : hooks) {
    Tensor replaced = hook(grad);
    if (!replaced.defined()) continue;
    CNNLAB_CHECK(replaced.shape() == grad.shape() && replaced.dtype() == grad.dtype(), ShapeError,
                 "backward hook on ", where, ": expected a gradient of shape ", grad.shape(), " (",
                 grad.dtype(), "), got ", replaced.shape(), " (", replaced.dtype(), ")");
    grad = replaced;
  }
  return grad;
}

// Post-order DFS (iterative, so deep graphs cannot overflow the stack).
std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> order;
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next_edge] = stack.back();
    if (next_edge < node->next().size()) {
      Node* child = node->next()[next_edge++].fn.get();
      if (child != nullptr && seen.insert(child).second) stack.emplace_back(child, 0);
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};  // root first, every node before its inputs
}

}  // namespace

void backward(const Tensor& root, const Tensor& grad_output, const BackwardOptions& options) {
  CNNLAB_CHECK(root.requires_grad(), StateError,
               "backward: the tensor does not require grad and has no grad_fn (was it computed "
               "under NoGradGuard, or from inputs that do not require grad?)");
  CNNLAB_CHECK(grad_output.shape() == root.shape(), ShapeError,
               "backward: expected grad_output of shape ", root.shape(), ", got ",
               grad_output.shape());
  CNNLAB_CHECK(grad_output.dtype() == root.dtype(), ValueError,
               "backward: expected grad_output of dtype ", root.dtype(), ", got ",
               grad_output.dtype());
  NoGradGuard no_grad;

  auto add_to_leaf = [](TensorImpl& leaf, Tensor g) {
    g = run_hooks(leaf.hooks, g, "a leaf tensor");
    if (!leaf.grad) {
      leaf.grad = g.clone().impl_ptr();
    } else {
      Tensor acc(leaf.grad);
      add_into(acc, g);
    }
  };

  if (root.is_leaf()) {
    add_to_leaf(*root.impl_ptr(), grad_output);
    return;
  }

  // NOTE: looked up once; when profiling is off the per-node cost is one null check.
  Profiler* profiler = detail::profiling_maybe_on() ? detail::current_profiler() : nullptr;
  const std::vector<Node*> order = topological_order(root.grad_fn().get());
  std::unordered_map<Node*, Tensor> grads{{root.grad_fn().get(), grad_output}};
  for (Node* node : order) {
    auto it = grads.find(node);
    if (it == grads.end()) continue;  // no gradient reached this node
    const int64_t start_ns = profiler != nullptr ? detail::now_ns() : 0;
    CNNLAB_CHECK(!node->released(), StateError, "backward: the graph through '", node->name(),
                 "' was already freed by an earlier backward; pass "
                 "BackwardOptions{.retain_graph = true} to the first backward to run it twice");
    const Tensor dy = run_hooks(node->output_hooks(), it->second, "the output of " + node->name());
    grads.erase(it);

    const OverrideFn& override_fn = find_override(node->name());
    const std::vector<Tensor> dx = override_fn ? override_fn(dy, *node) : node->apply(dy);
    CNNLAB_CHECK(dx.size() == node->next().size(), StateError, "backward of '", node->name(),
                 "': expected ", node->next().size(), " input gradients, got ", dx.size());
    for (size_t i = 0; i < dx.size(); ++i) {
      const Edge& edge = node->next()[i];
      if (!edge.needs_grad() || !dx[i].defined()) continue;
      CNNLAB_CHECK(dx[i].shape() == edge.shape && dx[i].dtype() == edge.dtype, ShapeError,
                   "backward of '", node->name(), "': gradient of input ", i, " has shape ",
                   dx[i].shape(), " (", dx[i].dtype(), "), expected ", edge.shape, " (", edge.dtype,
                   ")");
      if (edge.fn) {
        accumulate(grads[edge.fn.get()], dx[i]);
      } else {
        add_to_leaf(*edge.leaf, dx[i]);
      }
    }
    if (profiler != nullptr)
      profiler->add_backward(node->profile_scope(), detail::now_ns() - start_ns);
  }
  if (!options.retain_graph) {
    for (Node* node : order) node->release();
  }
}

}  // namespace cnnlab::autograd
