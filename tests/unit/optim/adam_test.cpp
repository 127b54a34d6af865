// Adam and AdamW: update formulas on numbers worked out by hand (torch.optim.Adam / AdamW's
// rules), per-parameter step counts, dtypes and option checks.
#include "cnnlab/optim/adam.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

Tensor param(double v, Dtype dtype = Dtype::kFloat64) {
  return Tensor::full({1}, v, dtype).set_requires_grad(true);
}
void set_grad(Tensor& p, double g) { p.set_grad(Tensor::full({1}, g, p.dtype())); }

TEST(Adam, DefaultsArePyTorchs) {
  Tensor p = param(1.0);
  const optim::AdamOptions a = optim::Adam({p}).options();
  EXPECT_EQ(a.lr, 1e-3);
  EXPECT_EQ(a.betas[0], 0.9);
  EXPECT_EQ(a.betas[1], 0.999);
  EXPECT_EQ(a.eps, 1e-8);
  EXPECT_EQ(a.weight_decay, 0.0);
  EXPECT_FALSE(a.amsgrad);
  EXPECT_EQ(optim::AdamW({p}).options().weight_decay, 0.01);
}

TEST(Adam, FirstStepMovesByLrTimesSignOfGradient) {
  Tensor p = param(1.0);
  optim::Adam opt({p}, {.lr = 0.1});
  set_grad(p, 2.0);
  opt.step();
  // m = 0.1 * 2 = 0.2, v = 0.001 * 4; bias-corrected: m_hat = 2, sqrt(v_hat) = 2.
  EXPECT_NEAR(p.item(), 1.0 - 0.1 * 2.0 / (2.0 + 1e-8), 1e-15);
  EXPECT_NEAR(opt.exp_avg(0).item(), 0.2, 1e-16);
  EXPECT_NEAR(opt.exp_avg_sq(0).item(), 0.004, 1e-17);  // 1 - 0.999 rounds up
  EXPECT_EQ(opt.step_count(0), 1);
  EXPECT_FALSE(opt.max_exp_avg_sq(0).defined());
}

TEST(Adam, SecondStepMatchesHandComputedBiasCorrection) {
  Tensor p = param(1.0);
  optim::Adam opt({p}, {.lr = 0.1, .betas = {0.5, 0.75}, .eps = 1e-3});
  set_grad(p, 2.0);
  opt.step();  // m = 1, v = 1; step_size = 0.1 / 0.5; denom = 1 / sqrt(0.25) + 1e-3 = 2.001
  const double p1 = 1.0 - 0.2 * 1.0 / 2.001;
  EXPECT_NEAR(p.item(), p1, 1e-15);
  set_grad(p, -1.0);
  opt.step();  // m = 0.5 - 0.5 = 0; v = 0.75 + 0.25 = 1: no move
  EXPECT_NEAR(p.item(), p1, 1e-15);
  set_grad(p, 4.0);
  opt.step();  // m = 2, v = 0.75 + 4 = 4.75; step_size = 0.1 / (1 - 0.125)
  const double denom = std::sqrt(4.75) / std::sqrt(1 - 0.421875) + 1e-3;
  EXPECT_NEAR(p.item(), p1 - 0.1 / 0.875 * 2.0 / denom, 1e-15);
  EXPECT_EQ(opt.step_count(0), 3);
}

TEST(Adam, WeightDecayIsAddedToTheGradient) {
  Tensor p = param(2.0);
  optim::Adam opt({p}, {.lr = 0.1, .betas = {0.5, 0.75}, .eps = 1e-3, .weight_decay = 0.5});
  set_grad(p, 1.0);
  opt.step();  // g = 1 + 0.5 * 2 = 2: m = 1, v = 1, as above
  EXPECT_NEAR(p.item(), 2.0 - 0.2 / 2.001, 1e-15);
  EXPECT_NEAR(opt.exp_avg(0).item(), 1.0, 1e-16);
}

TEST(AdamW, WeightDecayIsDecoupled) {
  Tensor p = param(2.0);
  optim::AdamW opt({p}, {.lr = 0.1, .betas = {0.5, 0.75}, .eps = 1e-3, .weight_decay = 0.5});
  set_grad(p, 2.0);
  opt.step();  // p = 2 * (1 - 0.05) = 1.9, then the plain Adam step: m = 1, v = 1
  EXPECT_NEAR(p.item(), 1.9 - 0.2 / 2.001, 1e-15);
  EXPECT_NEAR(opt.exp_avg(0).item(), 1.0, 1e-16);
}

TEST(Adam, AmsgradNormalizesByTheLargestSecondMoment) {
  Tensor p = param(0.0);
  optim::Adam opt({p}, {.lr = 0.1, .betas = {0.5, 0.5}, .eps = 1e-3, .amsgrad = true});
  set_grad(p, 2.0);
  opt.step();  // m = 1, v = 2, v_max = 2; denom = sqrt(2) / sqrt(0.5) + eps = 2.001
  const double p1 = -0.2 * 1.0 / 2.001;
  EXPECT_NEAR(p.item(), p1, 1e-15);
  set_grad(p, 0.0);
  opt.step();  // m = 0.5, v = 1, but v_max stays 2; step_size = 0.1 / 0.75
  EXPECT_NEAR(opt.max_exp_avg_sq(0).item(), 2.0, 1e-15);
  EXPECT_NEAR(opt.exp_avg_sq(0).item(), 1.0, 1e-15);
  const double denom = std::sqrt(2.0) / std::sqrt(0.75) + 1e-3;
  EXPECT_NEAR(p.item(), p1 - 0.1 / 0.75 * 0.5 / denom, 1e-15);
}

TEST(Adam, SkipsParametersWithoutGradientAndCountsStepsPerParameter) {
  Tensor a = param(1.0), b = param(1.0);
  optim::Adam opt({a, b}, {.lr = 0.1});
  set_grad(a, 1.0);
  opt.step();
  EXPECT_EQ(b.item(), 1.0);
  EXPECT_FALSE(opt.exp_avg(1).defined());
  set_grad(b, 1.0);
  opt.step();
  EXPECT_EQ(opt.step_count(0), 2);
  EXPECT_EQ(opt.step_count(1), 1);
  // b's first step has b's bias correction for t = 1: a move of lr * g / (|g| + eps).
  EXPECT_NEAR(b.item(), 1.0 - 0.1 / (1.0 + 1e-8), 1e-15);
}

TEST(Adam, UpdatesFloat32InPlace) {
  Tensor p = param(1.0, Dtype::kFloat32);
  const void* storage = p.raw_data();
  optim::AdamW opt({p}, {.lr = 0.1});
  set_grad(p, -3.0);
  opt.step();
  EXPECT_EQ(p.dtype(), Dtype::kFloat32);
  EXPECT_EQ(p.raw_data(), storage);
  EXPECT_NEAR(p.item(), 1.0 * (1 - 0.1 * 0.01) + 0.1 * 3.0 / (3.0 + 1e-8), 1e-6);
  EXPECT_EQ(opt.exp_avg(0).dtype(), Dtype::kFloat32);
}

TEST(Adam, StepRecordsNoGraph) {
  Tensor p = param(1.0);
  optim::Adam opt({p});
  set_grad(p, 1.0);
  opt.step();
  EXPECT_TRUE(p.is_leaf());
  EXPECT_TRUE(p.requires_grad());
}

TEST(AdamOptions, RejectsBadValuesWithMessages) {
  Tensor p = param(1.0);
  EXPECT_THROW_WITH(optim::Adam({p}, {.lr = -1}), ValueError, "Adam: expected lr >= 0, got -1");
  EXPECT_THROW_WITH(optim::Adam({p}, {.betas = {1.0, 0.999}}), ValueError,
                    "Adam: expected betas[0] in [0, 1), got 1");
  EXPECT_THROW_WITH(optim::Adam({p}, {.betas = {-0.1, 0.999}}), ValueError,
                    "Adam: expected betas[0] in [0, 1), got -0.1");
  EXPECT_THROW_WITH(optim::Adam({p}, {.betas = {0.9, 1.5}}), ValueError,
                    "Adam: expected betas[1] in [0, 1), got 1.5");
  EXPECT_THROW_WITH(optim::Adam({p}, {.eps = 0}), ValueError, "Adam: expected eps > 0, got 0");
  EXPECT_THROW_WITH(optim::Adam({p}, {.eps = -1e-8}), ValueError,
                    "Adam: expected eps > 0, got -1e-08");
  EXPECT_THROW_WITH(optim::Adam({p}, {.weight_decay = -0.1}), ValueError,
                    "Adam: expected weight_decay >= 0, got -0.1");
  EXPECT_THROW_WITH(optim::AdamW({p}, {.lr = -0.5}), ValueError,
                    "AdamW: expected lr >= 0, got -0.5");
  EXPECT_THROW_WITH(optim::AdamW({p}, {.betas = {0.9, 1.0}}), ValueError,
                    "AdamW: expected betas[1] in [0, 1), got 1");
  EXPECT_THROW_WITH(optim::AdamW({}, {}), ValueError, "optimizer: got an empty parameter list");
}

}  // namespace
}  // namespace cnnlab
