// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), exactly as torch.optim.Adam and
// torch.optim.AdamW (1.13, single-tensor path) update each parameter p with gradient g at its
// step t = 1, 2, ...:
//   Adam:  g = g + weight_decay * p                     (L2 penalty added to the gradient)
//   AdamW: p = p * (1 - lr * weight_decay)              (decoupled weight decay)
//   m = beta1 * m + (1 - beta1) * g                     (exp_avg, starts at 0)
//   v = beta2 * v + (1 - beta2) * g * g                 (exp_avg_sq, starts at 0)
//   amsgrad: v_max = max(v_max, v), and v_max replaces v below
//   step_size = lr / (1 - beta1^t)
//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
//   p = p - step_size * m / denom
#pragma once

#include <array>

#include "cnnlab/optim/optimizer.hpp"

namespace cnnlab::optim {

/// torch.optim.Adam's arguments and defaults.
struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;  ///< L2 penalty, added to the gradient
  bool amsgrad = false;
};

/// torch.optim.AdamW's arguments and defaults (note weight_decay = 0.01).
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;  ///< decoupled: p *= 1 - lr * weight_decay before the update
  bool amsgrad = false;
};

/// The shared implementation of Adam and AdamW; use one of those two.
class AdamBase : public Optimizer {
 public:
  void step() override;
  double lr() const override { return options_.lr; }
  void set_lr(double lr) override { options_.lr = lr; }

  /// exp_avg (m), exp_avg_sq (v) and max_exp_avg_sq (v_max, amsgrad only) of parameter i;
  /// undefined before its first step.
  const Tensor& exp_avg(size_t i) const { return state_[i].exp_avg; }
  const Tensor& exp_avg_sq(size_t i) const { return state_[i].exp_avg_sq; }
  const Tensor& max_exp_avg_sq(size_t i) const { return state_[i].max_exp_avg_sq; }
  /// How many steps parameter i has taken (those without a gradient do not count).
  int64_t step_count(size_t i) const { return state_[i].step; }

  /// Keys: "param_groups.0.{params, lr, betas ([2]), eps, weight_decay, amsgrad}" and, for
  /// each parameter stepped at least once, "state.<i>.{step, exp_avg, exp_avg_sq}" plus
  /// "state.<i>.max_exp_avg_sq" with amsgrad.
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;

 protected:
  /// Both optimizers' options in one shape; `name` is "Adam" or "AdamW" (for messages).
  struct Options {
    double lr, beta1, beta2, eps, weight_decay;
    bool amsgrad;
  };
  /// Throws ValueError on lr < 0, betas outside [0, 1), eps <= 0 or weight_decay < 0.
  AdamBase(std::vector<Tensor> parameters, const Options& options, bool decoupled,
           const char* name);
  Options options_;

 private:
  struct ParamState {
    int64_t step = 0;
    Tensor exp_avg, exp_avg_sq, max_exp_avg_sq;
  };
  bool decoupled_;
  const char* name_;
  std::vector<ParamState> state_;
};

/// torch.optim.Adam: weight decay as an L2 term added to the gradient.
class Adam final : public AdamBase {
 public:
  /// Throws ValueError on lr < 0, betas outside [0, 1), eps <= 0 or weight_decay < 0.
  Adam(std::vector<Tensor> parameters, const AdamOptions& options = {});
  AdamOptions options() const {
    return {options_.lr,
            {options_.beta1, options_.beta2},
            options_.eps,
            options_.weight_decay,
            options_.amsgrad};
  }
};

/// torch.optim.AdamW: decoupled weight decay (p *= 1 - lr * weight_decay each step).
class AdamW final : public AdamBase {
 public:
  /// Throws ValueError on lr < 0, betas outside [0, 1), eps <= 0 or weight_decay < 0.
  AdamW(std::vector<Tensor> parameters, const AdamWOptions& options = {});
  AdamWOptions options() const {
    return {options_.lr,
            {options_.beta1, options_.beta2},
            options_.eps,
            options_.weight_decay,
            options_.amsgrad};
  }
};

}  // namespace cnnlab::optim
