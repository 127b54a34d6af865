// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay, exactly as
// torch.optim.SGD updates:
//   g = grad + weight_decay * p
//   buf = g                                  (first step)
//   buf = momentum * buf + (1 - dampening) * g  (later steps)
//   g = nesterov ? g + momentum * buf : buf   (when momentum != 0)
//   p -= lr * g
#pragma once

#include "cnnlab/optim/optimizer.hpp"

namespace cnnlab::optim {

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  ///< requires momentum > 0 and dampening == 0
};

class Sgd final : public Optimizer {
 public:
  /// Throws ValueError on lr, momentum or weight_decay < 0, or Nesterov without momentum > 0
  /// and dampening = 0.
  Sgd(std::vector<Tensor> parameters, const SgdOptions& options);
  void step() override;
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }
  const SgdOptions& options() const { return options_; }
  /// Momentum buffer of parameter i (undefined before its first step, or without momentum).
  const Tensor& momentum_buffer(size_t i) const { return buffers_[i]; }

  /// Keys: "param_groups.0.{params, lr, momentum, dampening, weight_decay, nesterov}" and
  /// "state.<i>.momentum_buffer" for every parameter that has one.
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 private:
  SgdOptions options_;
  std::vector<Tensor> buffers_;
};

}  // namespace cnnlab::optim
