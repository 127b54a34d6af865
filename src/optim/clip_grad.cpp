// clip_grad_norm (torch.nn.utils.clip_grad_norm_ in PyTorch 1.13).
#include "cnnlab/optim/clip_grad.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cnnlab/autograd/grad_mode.hpp"

namespace cnnlab::optim {

namespace {

/// The p-norm of one gradient (accumulated in double), or its largest |value| for p = inf.
double grad_norm(const Tensor& grad, double p) {
  return dispatch_float(grad.dtype(), "clip_grad_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* g = grad.data<T>();
    const int64_t n = grad.numel();
    double acc = 0;
    for (int64_t j = 0; j < n; ++j) {
      const double a = std::abs(static_cast<double>(g[j]));
      if (std::isinf(p)) {
        acc = std::isnan(a) || std::isnan(acc) ? std::numeric_limits<double>::quiet_NaN()
                                               : std::max(acc, a);
      } else {
        acc += p == 2 ? a * a : (p == 1 ? a : std::pow(a, p));
      }
    }
    if (std::isinf(p) || p == 1) return acc;
    return p == 2 ? std::sqrt(acc) : std::pow(acc, 1 / p);
  });
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm, double norm_type) {
  CNNLAB_CHECK(max_norm >= 0, ValueError, "clip_grad_norm: expected max_norm >= 0, got ", max_norm);
  CNNLAB_CHECK(norm_type >= 1, ValueError,
               "clip_grad_norm: expected norm_type >= 1 (or infinity), got ", norm_type);
  std::vector<Tensor> grads;
  for (const Tensor& p : parameters) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  // NOTE: as PyTorch, the norm of the per-tensor norms (the same value up to rounding as the
  // norm of all elements at once).
  std::vector<double> norms;
  norms.reserve(grads.size());
  for (const Tensor& g : grads) norms.push_back(grad_norm(g, norm_type));
  const Tensor all =
      Tensor::from_vector(norms, {static_cast<int64_t>(norms.size())}, Dtype::kFloat64);
  const double total_norm = grad_norm(all, norm_type);
  const double clip_coef = max_norm / (total_norm + 1e-6);
  if (clip_coef >= 1) return total_norm;  // false for NaN: NaN propagates into the gradients
  NoGradGuard no_grad;
  for (const Tensor& g : grads) {
    dispatch_float(g.dtype(), "clip_grad_norm", [&](auto tag) {
      using T = decltype(tag);
      T* data = g.data<T>();
      const auto coef = static_cast<T>(clip_coef);
      for (int64_t j = 0; j < g.numel(); ++j) data[j] *= coef;
    });
  }
  return total_norm;
}

}  // namespace cnnlab::optim
