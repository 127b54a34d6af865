// Flatten module: forward through Tensor::flatten (a differentiable view).
#include "cnnlab/nn/flatten.hpp"

#include "cnnlab/core/check.hpp"

namespace cnnlab::nn {

Flatten::Flatten(int64_t start_dim, int64_t end_dim)
    : Module("Flatten"), start_dim_(start_dim), end_dim_(end_dim) {}

Tensor Flatten::forward(const Tensor& input) { return input.flatten(start_dim_, end_dim_); }

std::string Flatten::repr() const {
  return detail::concat("Flatten(start_dim=", start_dim_, ", end_dim=", end_dim_, ")");
}

}  // namespace cnnlab::nn
