// Learning-rate schedules with torch.optim.lr_scheduler's names and values, written as closed
// forms: each is a pure function of the epoch (and, for a warm-up counted in steps, of the step
// within the epoch), so a resumed run needs only its epoch to get the same learning rates.
// The training loop calls optimizer.set_lr(schedule.lr_at(epoch, step, steps_per_epoch)) before
// each step. Epochs and steps count from 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnnlab/core/error.hpp"

namespace cnnlab::optim {

/// A learning rate as a function of the training position.
class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  /// The learning rate for step `step_in_epoch` of epoch `epoch`, with `steps_per_epoch` steps
  /// in an epoch. Epoch schedules ignore the step. Throws ValueError on a negative epoch or step,
  /// or steps_per_epoch < 1.
  double lr_at(int64_t epoch, int64_t step_in_epoch = 0, int64_t steps_per_epoch = 1) const;
  /// The learning rate at epoch 0, step 0 of the schedule it modulates.
  virtual double base_lr() const = 0;
  /// The schedule as a spec that parse_schedule reads back ("cosine:100:1e-05").
  virtual std::string spec() const = 0;

 protected:
  /// lr_at after the argument checks.
  virtual double compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const = 0;
};

/// The same learning rate throughout. Spec "constant". (Not torch's ConstantLR, which scales the
/// rate by a factor for a number of epochs.)
class ConstantSchedule final : public LrSchedule {
 public:
  /// Throws ValueError on base_lr < 0 or not finite.
  explicit ConstantSchedule(double base_lr);
  double base_lr() const override { return base_lr_; }
  std::string spec() const override { return "constant"; }

 protected:
  double compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const override;

 private:
  double base_lr_;
};

/// torch.optim.lr_scheduler.StepLR: base_lr * gamma^floor(epoch / step_size).
/// Spec "step:<step_size>[:<gamma>]".
class StepLR final : public LrSchedule {
 public:
  /// Throws ValueError on base_lr < 0, step_size < 1, or gamma <= 0 or not finite.
  StepLR(double base_lr, int64_t step_size, double gamma = 0.1);
  double base_lr() const override { return base_lr_; }
  std::string spec() const override;

 protected:
  double compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const override;

 private:
  double base_lr_;
  int64_t step_size_;
  double gamma_;
};

/// torch.optim.lr_scheduler.MultiStepLR: base_lr * gamma^(number of milestones <= epoch).
/// Spec "multistep:<m1>,<m2>,...[:<gamma>]".
class MultiStepLR final : public LrSchedule {
 public:
  /// Throws ValueError on base_lr < 0, no milestones, milestones that are negative or not
  /// strictly increasing, or gamma <= 0 or not finite.
  MultiStepLR(double base_lr, std::vector<int64_t> milestones, double gamma = 0.1);
  double base_lr() const override { return base_lr_; }
  std::string spec() const override;

 protected:
  double compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const override;

 private:
  double base_lr_;
  std::vector<int64_t> milestones_;
  double gamma_;
};

/// torch.optim.lr_scheduler.CosineAnnealingLR in its closed form:
///   eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.
/// NOTE: past T_max it rises again (period 2 * T_max), as PyTorch's scheduler does.
/// Spec "cosine:<T_max>[:<eta_min>]".
class CosineAnnealingLR final : public LrSchedule {
 public:
  /// Throws ValueError on base_lr < 0, T_max < 1, or eta_min < 0 or not finite.
  CosineAnnealingLR(double base_lr, int64_t t_max, double eta_min = 0.0);
  double base_lr() const override { return base_lr_; }
  std::string spec() const override;

 protected:
  double compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const override;

 private:
  double base_lr_;
  int64_t t_max_;
  double eta_min_;
};

/// Whether a warm-up length counts optimizer steps or epochs.
enum class WarmupUnit { kSteps, kEpochs };

/// Linear warm-up multiplying another schedule: the factor rises linearly from start_factor at
/// position 0 to 1 at position `length` and stays 1 after (torch's LinearLR with end_factor 1
/// and total_iters = length). The position is the global step epoch * steps_per_epoch +
/// step_in_epoch (kSteps) or the epoch (kEpochs).
/// NOTE: the factor multiplies the other schedule, which counts epochs from the start of
/// training (PyTorch's ChainedScheduler of LinearLR and that schedule, stepped per step and
/// per epoch respectively), rather than starting it after the warm-up (SequentialLR): the
/// units of the two may differ, and the main schedule stays aligned with --epochs.
/// Spec "warmup:<length>[steps|epochs][:<start_factor>]+<other spec>"; the default unit is
/// steps and the default start_factor is PyTorch's 1/3.
class LinearWarmup final : public LrSchedule {
 public:
  /// Throws ValueError on a null `after`, length < 1, or start_factor outside (0, 1].
  LinearWarmup(std::unique_ptr<LrSchedule> after, int64_t length,
               WarmupUnit unit = WarmupUnit::kSteps, double start_factor = 1.0 / 3.0);
  double base_lr() const override { return after_->base_lr(); }
  std::string spec() const override;

 protected:
  double compute(int64_t epoch, int64_t step_in_epoch, int64_t steps_per_epoch) const override;

 private:
  std::unique_ptr<LrSchedule> after_;
  int64_t length_;
  WarmupUnit unit_;
  double start_factor_;
};

/// Parses a schedule spec for the command line, with base_lr as the starting learning rate:
///   "constant" (or "")                   ConstantSchedule
///   "step:30" / "step:30:0.1"            StepLR(step_size 30, gamma 0.1 by default)
///   "multistep:30,60,90" / "...:0.1"     MultiStepLR(milestones, gamma 0.1 by default)
///   "cosine:100" / "cosine:100:1e-5"     CosineAnnealingLR(T_max 100, eta_min 0 by default)
///   "warmup:500+<spec>"                  LinearWarmup over 500 steps, then <spec>; also
///                                        "warmup:500steps", "warmup:5epochs",
///                                        "warmup:500:0.01" (start_factor); alone, "warmup:500"
///                                        warms up to a constant rate.
/// Throws ValueError naming the spec and the part that is wrong.
std::unique_ptr<LrSchedule> parse_schedule(const std::string& spec, double base_lr);

}  // namespace cnnlab::optim
