// Optimizer: the base of SGD, Adam and the rest. Holds the parameters it updates.
//
// Contract: step() reads each parameter's grad() (parameters without a gradient are skipped, as
// in PyTorch) and updates the parameter in place, outside the graph. zero_grad() drops the
// gradients (PyTorch's set_to_none=True), so the next backward starts from nothing.
#pragma once

#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::optim {

class Optimizer {
 public:
  /// Throws ValueError if `parameters` is empty or holds a tensor that does not require grad.
  explicit Optimizer(std::vector<Tensor> parameters);
  virtual ~Optimizer() = default;

  virtual void step() = 0;
  void zero_grad();
  const std::vector<Tensor>& parameters() const { return parameters_; }
  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;

 protected:
  std::vector<Tensor> parameters_;
};

}  // namespace cnnlab::optim
