// Activation modules: forward through the ops in src/ops/activation.cpp; repr in PyTorch's format
// (floats printed as Python's repr() prints them).
#include "cnnlab/nn/activations.hpp"

#include <cmath>

#include "cnnlab/core/check.hpp"
#include "cnnlab/ops/activation.hpp"
#include "detail/python_repr.hpp"

namespace cnnlab::nn {

using detail::python_float;

Tensor ReLU::forward(const Tensor& input) { return ops::relu(input); }

LeakyReLU::LeakyReLU(double negative_slope) : Module("LeakyReLU"), negative_slope_(negative_slope) {
  CNNLAB_CHECK(std::isfinite(negative_slope), ValueError,
               "LeakyReLU: expected a finite negative_slope, got ", negative_slope);
}

Tensor LeakyReLU::forward(const Tensor& input) { return ops::leaky_relu(input, negative_slope_); }

std::string LeakyReLU::repr() const {
  return "LeakyReLU(negative_slope=" + python_float(negative_slope_) + ")";
}

Tensor Sigmoid::forward(const Tensor& input) { return ops::sigmoid(input); }

Tensor Tanh::forward(const Tensor& input) { return ops::tanh(input); }

Softmax::Softmax(int64_t dim) : Module("Softmax"), dim_(dim) {}

Tensor Softmax::forward(const Tensor& input) { return ops::softmax(input, dim_); }

std::string Softmax::repr() const { return detail::concat("Softmax(dim=", dim_, ")"); }

LogSoftmax::LogSoftmax(int64_t dim) : Module("LogSoftmax"), dim_(dim) {}

Tensor LogSoftmax::forward(const Tensor& input) { return ops::log_softmax(input, dim_); }

std::string LogSoftmax::repr() const { return detail::concat("LogSoftmax(dim=", dim_, ")"); }

}  // namespace cnnlab::nn
