// nn::LocalResponseNorm: options check, forward through ops::local_response_norm, and repr in
// torch.nn.LocalResponseNorm's print format.
#include "cnnlab/nn/local_response_norm.hpp"

#include <cmath>

#include "cnnlab/ops/lrn.hpp"
#include "detail/python_repr.hpp"

namespace cnnlab::nn {

using detail::python_float;

LocalResponseNorm::LocalResponseNorm(const LocalResponseNormOptions& options)
    : Module("LocalResponseNorm"), options_(options) {
  CNNLAB_CHECK(options_.size > 0, ValueError, "LocalResponseNorm: expected size > 0, got ",
               options_.size);
}

LocalResponseNorm::LocalResponseNorm(const LocalResponseNormOptions& options, Rng& /*rng*/)
    : LocalResponseNorm(options) {}

Tensor LocalResponseNorm::forward(const Tensor& input) {
  return ops::local_response_norm(
      input,
      {.size = options_.size, .alpha = options_.alpha, .beta = options_.beta, .k = options_.k});
}

std::string LocalResponseNorm::repr() const {
  return detail::concat(
      "LocalResponseNorm(", options_.size, ", alpha=", python_float(options_.alpha),
      ", beta=", python_float(options_.beta), ", k=", python_float(options_.k), ")");
}

}  // namespace cnnlab::nn
