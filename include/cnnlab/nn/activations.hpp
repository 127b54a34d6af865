// Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, Softmax and LogSoftmax, thin modules over
// cnnlab/ops/activation.hpp with torch.nn's names and print format. None has parameters.
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

/// max(x, 0) elementwise; any shape. Records op "relu" (guided backprop overrides it by name).
class ReLU final : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& input) override;  // repr: "ReLU()"
};

/// x if x > 0 else negative_slope * x, elementwise; any shape.
class LeakyReLU final : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01);
  Tensor forward(const Tensor& input) override;
  /// "LeakyReLU(negative_slope=0.01)"
  std::string repr() const override;
  double negative_slope() const { return negative_slope_; }

 private:
  double negative_slope_;
};

/// 1 / (1 + exp(-x)) elementwise; any shape.
class Sigmoid final : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& input) override;  // repr: "Sigmoid()"
};

/// tanh(x) elementwise; any shape.
class Tanh final : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& input) override;  // repr: "Tanh()"
};

/// exp(x) / sum exp(x) along `dim` (negative counts from the end); output has the input's shape.
/// forward throws ShapeError when dim is out of range for the input.
class Softmax final : public Module {
 public:
  explicit Softmax(int64_t dim);
  Tensor forward(const Tensor& input) override;
  /// "Softmax(dim=1)"
  std::string repr() const override;
  int64_t dim() const { return dim_; }

 private:
  int64_t dim_;
};

/// x - log sum exp(x) along `dim`; output has the input's shape.
/// forward throws ShapeError when dim is out of range for the input.
class LogSoftmax final : public Module {
 public:
  explicit LogSoftmax(int64_t dim);
  Tensor forward(const Tensor& input) override;
  /// "LogSoftmax(dim=1)"
  std::string repr() const override;
  int64_t dim() const { return dim_; }

 private:
  int64_t dim_;
};

}  // namespace cnnlab::nn
