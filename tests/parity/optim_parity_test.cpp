// Optimizer parity with PyTorch 1.13: three steps of SGD, Adam and AdamW (and the state they
// save), the learning rates of the schedules, and clip_grad_norm, against the fixtures written by
// tests/parity/gen/make_optim_fixtures.py. Float64 runs match to 1e-12 relative, float32 runs to
// 1e-6 relative (the float32 run starts from the same float32-representable inputs).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cnnlab/optim/adam.hpp"
#include "cnnlab/optim/clip_grad.hpp"
#include "cnnlab/optim/lr_scheduler.hpp"
#include "cnnlab/optim/sgd.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

constexpr int kSteps = 3;
constexpr size_t kParams = 3;

/// Tolerances of this file: |actual - expected| <= atol + rtol * |expected|.
parity::Tolerances optim_tolerances() {
  // NOTE: the atols only cover entries that are (near) zero, such as a state buffer element;
  // every parameter is of order 1 (the generator keeps them in [0.5, 2] in magnitude).
  return {.f64 = {1e-12, 1e-15}, .f32 = {1e-6, 1e-8}};
}

double option_or(const io::TensorFile& f, const std::string& name, double fallback) {
  auto it = f.tensors.find("options." + name);
  return it == f.tensors.end() ? fallback : it->second.item();
}

std::array<double, 2> betas_or(const io::TensorFile& f, std::array<double, 2> fallback) {
  auto it = f.tensors.find("options.betas");
  if (it == f.tensors.end()) return fallback;
  const std::vector<double> b = it->second.to_vector();
  return {b.at(0), b.at(1)};
}

/// Builds the optimizer of a fixture from its "options.*" tensors; an option that is absent
/// keeps cnnlab's default, which must then be PyTorch's.
using MakeOptimizer =
    std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>, const io::TensorFile&)>;

std::unique_ptr<optim::Optimizer> make_sgd(std::vector<Tensor> params, const io::TensorFile& f) {
  const optim::SgdOptions d;
  return std::make_unique<optim::Sgd>(
      std::move(params),
      optim::SgdOptions{.lr = option_or(f, "lr", d.lr),
                        .momentum = option_or(f, "momentum", d.momentum),
                        .dampening = option_or(f, "dampening", d.dampening),
                        .weight_decay = option_or(f, "weight_decay", d.weight_decay),
                        .nesterov = option_or(f, "nesterov", d.nesterov ? 1 : 0) != 0});
}

std::unique_ptr<optim::Optimizer> make_adam(std::vector<Tensor> params, const io::TensorFile& f) {
  const optim::AdamOptions d;
  return std::make_unique<optim::Adam>(
      std::move(params),
      optim::AdamOptions{.lr = option_or(f, "lr", d.lr),
                         .betas = betas_or(f, d.betas),
                         .eps = option_or(f, "eps", d.eps),
                         .weight_decay = option_or(f, "weight_decay", d.weight_decay),
                         .amsgrad = option_or(f, "amsgrad", d.amsgrad ? 1 : 0) != 0});
}

std::unique_ptr<optim::Optimizer> make_adamw(std::vector<Tensor> params, const io::TensorFile& f) {
  const optim::AdamWOptions d;
  return std::make_unique<optim::AdamW>(
      std::move(params),
      optim::AdamWOptions{.lr = option_or(f, "lr", d.lr),
                          .betas = betas_or(f, d.betas),
                          .eps = option_or(f, "eps", d.eps),
                          .weight_decay = option_or(f, "weight_decay", d.weight_decay),
                          .amsgrad = option_or(f, "amsgrad", d.amsgrad ? 1 : 0) != 0});
}

std::vector<Tensor> initial_params(const io::TensorFile& f, Dtype dtype) {
  std::vector<Tensor> params;
  for (size_t i = 0; i < kParams; ++i) {
    params.push_back(parity::converted(f.at("param." + std::to_string(i)), dtype));
    params.back().set_requires_grad(true);
  }
  return params;
}

/// Sets step k's learning rate and gradients (none where the fixture has none), steps, and
/// compares every parameter with PyTorch's.
void step_and_compare(optim::Optimizer& opt, const io::TensorFile& f, int k, Dtype dtype,
                      const parity::Tolerance& tol) {
  const std::string step = "step" + std::to_string(k) + ".";
  opt.set_lr(f.at(step + "lr").item());
  std::vector<Tensor> params = opt.parameters();
  for (size_t i = 0; i < kParams; ++i) {
    auto it = f.tensors.find(step + "grad." + std::to_string(i));
    if (it == f.tensors.end()) {
      params[i].zero_grad();
    } else {
      params[i].set_grad(parity::converted(it->second, dtype));
    }
  }
  opt.step();
  for (size_t i = 0; i < kParams; ++i) {
    EXPECT_EQ(params[i].dtype(), dtype);
    parity::expect_matches(params[i], f, step + "param." + std::to_string(i), tol);
  }
}

/// Compares the optimizer's "state.*" entries with PyTorch's state after the last step: the same
/// keys, the same step counts, the same buffers.
void compare_state(const optim::Optimizer& opt, const io::TensorFile& f,
                   const parity::Tolerance& tol) {
  const optim::StateDict ours = opt.state_dict();
  for (const auto& [key, expected] : f.tensors) {
    if (key.rfind("state.", 0) != 0) continue;
    auto it = ours.find(key);
    ASSERT_NE(it, ours.end()) << "state dict lacks '" << key << "'";
    if (key.size() > 5 && key.substr(key.size() - 5) == ".step") {
      EXPECT_EQ(it->second.dtype(), Dtype::kInt64) << key;
      EXPECT_EQ(it->second.item(), expected.item()) << key;
    } else {
      parity::expect_matches(it->second, f, key, tol);
    }
  }
  for (const auto& [key, tensor] : ours) {
    if (key.rfind("state.", 0) == 0) {
      EXPECT_TRUE(f.tensors.count(key)) << "PyTorch has no state '" << key << "'";
    }
  }
}

void check_optimizer(const std::string& fixture, const MakeOptimizer& make) {
  const io::TensorFile f = parity::load_fixture(fixture);
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const parity::Tolerance tol = optim_tolerances().at(dtype);
    std::unique_ptr<optim::Optimizer> opt = make(initial_params(f, dtype), f);
    for (int k = 1; k <= kSteps; ++k) step_and_compare(*opt, f, k, dtype, tol);
    compare_state(*opt, f, tol);
  }
}

/// Steps once, saves the state dict, loads it into a fresh optimizer built with other options
/// (its hyper-parameters must come from the state dict) over copies of the parameters, and
/// continues: the remaining steps still match PyTorch's uninterrupted run.
void check_resume(const std::string& fixture, const MakeOptimizer& make) {
  const io::TensorFile f = parity::load_fixture(fixture);
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype) + ", resumed after step 1");
    const parity::Tolerance tol = optim_tolerances().at(dtype);
    std::unique_ptr<optim::Optimizer> first = make(initial_params(f, dtype), f);
    step_and_compare(*first, f, 1, dtype, tol);
    const optim::StateDict saved = first->state_dict();
    std::vector<Tensor> copies;
    for (const Tensor& p : first->parameters()) {
      copies.push_back(p.clone());
      copies.back().set_requires_grad(true);
    }
    const io::TensorFile other_options = {};  // every option at cnnlab's default
    std::unique_ptr<optim::Optimizer> resumed = make(std::move(copies), other_options);
    resumed->load_state_dict(saved);
    for (int k = 2; k <= kSteps; ++k) step_and_compare(*resumed, f, k, dtype, tol);
    compare_state(*resumed, f, tol);
  }
}

TEST(SgdParity, PlainMatchesTorch) { check_optimizer("optim_sgd", make_sgd); }

TEST(SgdParity, MomentumDampeningWeightDecayMatchTorch) {
  check_optimizer("optim_sgd_momentum", make_sgd);
  check_resume("optim_sgd_momentum", make_sgd);
}

TEST(SgdParity, NesterovMatchesTorch) {
  check_optimizer("optim_sgd_nesterov", make_sgd);
  check_resume("optim_sgd_nesterov", make_sgd);
}

TEST(AdamParity, DefaultsMatchTorch) {
  check_optimizer("optim_adam", make_adam);
  check_resume("optim_adam", make_adam);
}

TEST(AdamParity, WeightDecayBetasEpsMatchTorch) {
  check_optimizer("optim_adam_weight_decay", make_adam);
  check_resume("optim_adam_weight_decay", make_adam);
}

TEST(AdamParity, AmsgradMatchesTorch) {
  check_optimizer("optim_adam_amsgrad", make_adam);
  check_resume("optim_adam_amsgrad", make_adam);
}

TEST(AdamWParity, DecoupledWeightDecayMatchesTorch) {
  check_optimizer("optim_adamw", make_adamw);
  check_resume("optim_adamw", make_adamw);
}

TEST(AdamWParity, DefaultWeightDecayWithAmsgradMatchesTorch) {
  check_optimizer("optim_adamw_amsgrad", make_adamw);
  check_resume("optim_adamw_amsgrad", make_adamw);
}

// ---- schedules ------------------------------------------------------------------------------

struct ScheduleCase {
  std::string tensor;  ///< learning rates in the fixture, one per step (or per epoch)
  std::string spec;    ///< the same schedule for parse_schedule
  int64_t steps_per_epoch;
};

TEST(LrScheduleParity, MatchesTorchSchedulers) {
  const io::TensorFile f = parity::load_fixture("optim_lr_schedules");
  const double base_lr = f.at("base_lr").item();
  const std::vector<ScheduleCase> cases = {
      {"step", "step:3:0.5", 1},
      {"multistep", "multistep:2,5,6", 1},
      {"cosine", "cosine:10:1e-3", 1},
      {"cosine_past_t_max", "cosine:4", 1},
      {"warmup_steps_step", "warmup:6:0.25+step:2:0.5", 4},
      {"warmup_epochs_cosine", "warmup:3epochs:0.1+cosine:10", 1},
  };
  for (const ScheduleCase& c : cases) {
    SCOPED_TRACE(c.tensor + " as '" + c.spec + "'");
    const std::unique_ptr<optim::LrSchedule> schedule = optim::parse_schedule(c.spec, base_lr);
    // The canonical spec reads back to the same schedule.
    const std::unique_ptr<optim::LrSchedule> again =
        optim::parse_schedule(schedule->spec(), base_lr);
    const std::vector<double> expected = f.at(c.tensor).to_vector();
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto index = static_cast<int64_t>(i);
      const int64_t epoch = index / c.steps_per_epoch, step = index % c.steps_per_epoch;
      const double lr = schedule->lr_at(epoch, step, c.steps_per_epoch);
      // NOTE: PyTorch's schedulers update the rate recursively and cnnlab uses closed forms, so
      // they differ by rounding; at a cosine's minimum PyTorch leaves about 1e-18 instead of 0.
      EXPECT_NEAR(lr, expected[i], 1e-12 * std::abs(expected[i]) + 1e-15 * base_lr)
          << "epoch " << epoch << ", step " << step;
      EXPECT_EQ(again->lr_at(epoch, step, c.steps_per_epoch), lr) << schedule->spec();
    }
  }
}

// ---- gradient clipping ----------------------------------------------------------------------

TEST(ClipGradNormParity, MatchesTorch) {
  const io::TensorFile f = parity::load_fixture("optim_clip_grad_norm");
  for (const std::string c : {"l2_clipped", "l2_unclipped", "inf", "l1", "p3"}) {
    for (Dtype dtype : parity::run_dtypes()) {
      SCOPED_TRACE(parity::describe(f, dtype) + ", case " + c);
      const parity::Tolerance tol = optim_tolerances().at(dtype);
      std::vector<Tensor> params;
      for (size_t i = 0; i < kParams; ++i) {
        const Tensor grad = parity::converted(f.at("grad." + std::to_string(i)), dtype);
        params.push_back(Tensor::zeros(grad.shape(), dtype).set_requires_grad(true));
        params.back().set_grad(grad);
      }
      const double total = optim::clip_grad_norm(params, f.at(c + ".max_norm").item(),
                                                 f.at(c + ".norm_type").item());
      parity::expect_matches(Tensor::scalar(total, Dtype::kFloat64), f, c + ".total_norm", tol);
      for (size_t i = 0; i < kParams; ++i) {
        EXPECT_EQ(params[i].grad().dtype(), dtype);
        parity::expect_matches(params[i].grad(), f, c + ".grad." + std::to_string(i), tol);
      }
    }
  }
}

}  // namespace
}  // namespace cnnlab
