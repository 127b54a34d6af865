// Sgd: update formulas on numbers worked out by hand (torch.optim.SGD's rules).
#include "cnnlab/optim/sgd.hpp"

#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

Tensor param(double v) { return Tensor::full({1}, v, Dtype::kFloat64).set_requires_grad(true); }
void set_grad(Tensor& p, double g) { p.set_grad(Tensor::full({1}, g, Dtype::kFloat64)); }

TEST(Sgd, PlainStepIsLrTimesGradient) {
  Tensor p = param(1.0);
  optim::Sgd opt({p}, {.lr = 0.1});
  set_grad(p, 2.0);
  opt.step();
  EXPECT_DOUBLE_EQ(p.item(), 0.8);
}

TEST(Sgd, MomentumDampeningAndWeightDecayMatchHandComputedSteps) {
  Tensor p = param(1.0);
  optim::Sgd opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.01});
  set_grad(p, 2.0);
  opt.step();  // d = 2 + 0.01 = 2.01; buf = 2.01; p = 1 - 0.201 = 0.799
  EXPECT_DOUBLE_EQ(p.item(), 0.799);
  set_grad(p, 1.0);
  opt.step();  // d = 1 + 0.00799; buf = 0.9*2.01 + 0.5*d = 2.312995; p = 0.799 - 0.2312995
  EXPECT_NEAR(p.item(), 0.799 - 0.1 * (0.9 * 2.01 + 0.5 * 1.00799), 1e-15);
}

TEST(Sgd, NesterovLooksAhead) {
  Tensor p = param(0.0);
  optim::Sgd opt({p}, {.lr = 1.0, .momentum = 0.5, .nesterov = true});
  set_grad(p, 1.0);
  opt.step();  // buf = 1; d = 1 + 0.5 * 1 = 1.5
  EXPECT_DOUBLE_EQ(p.item(), -1.5);
  set_grad(p, 1.0);
  opt.step();  // buf = 0.5 + 1 = 1.5; d = 1 + 0.75 = 1.75
  EXPECT_DOUBLE_EQ(p.item(), -3.25);
}

TEST(Sgd, SkipsParametersWithoutGradientAndValidatesOptions) {
  Tensor p = param(1.0);
  optim::Sgd opt({p}, {.lr = 0.1});
  opt.step();
  EXPECT_EQ(p.item(), 1.0);
  EXPECT_THROW_WITH(optim::Sgd({}, {}), ValueError, "optimizer: got an empty parameter list");
  EXPECT_THROW_WITH(optim::Sgd({Tensor::ones({1})}, {}), ValueError, "does not require grad");
  EXPECT_THROW_WITH(optim::Sgd({p}, {.lr = -1}), ValueError, "Sgd: expected lr >= 0, got -1");
  EXPECT_THROW_WITH(optim::Sgd({p}, {.nesterov = true}), ValueError,
                    "Sgd: Nesterov momentum requires momentum > 0 and dampening = 0");
}

}  // namespace
}  // namespace cnnlab
