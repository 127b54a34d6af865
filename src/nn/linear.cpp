// nn::Linear: option checks, PyTorch's default initialisation, forward through ops::linear, and
// repr in torch.nn.Linear's print format.
#include "cnnlab/nn/linear.hpp"

#include "cnnlab/core/check.hpp"
#include "cnnlab/nn/init.hpp"
#include "cnnlab/ops/linear.hpp"

namespace cnnlab::nn {

Linear::Linear(const LinearOptions& options, Rng& rng) : Module("Linear"), options_(options) {
  const LinearOptions& o = options_;
  CNNLAB_CHECK(o.in_features > 0 && o.out_features > 0, ValueError,
               "Linear: expected in_features > 0 and out_features > 0, got in_features=",
               o.in_features, ", out_features=", o.out_features);
  weight_ = register_parameter(
      "weight", init::kaiming_uniform_default({o.out_features, o.in_features}, o.in_features, rng));
  if (o.bias) {
    bias_ = register_parameter("bias",
                               init::bias_uniform_default({o.out_features}, o.in_features, rng));
  }
}

Tensor Linear::forward(const Tensor& input) { return ops::linear(input, weight_, bias_); }

std::string Linear::repr() const {
  return detail::concat("Linear(in_features=", options_.in_features,
                        ", out_features=", options_.out_features,
                        ", bias=", options_.bias ? "True" : "False", ")");
}

}  // namespace cnnlab::nn
