// clip_grad_norm: the joint norm on hand-computed gradients, when it clips and when it does not,
// the infinity norm, non-finite norms and bad arguments.
#include "cnnlab/optim/clip_grad.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor param_with_grad(const std::vector<double>& grad, Dtype dtype = Dtype::kFloat64) {
  const auto n = static_cast<int64_t>(grad.size());
  Tensor p = Tensor::zeros({n}, dtype).set_requires_grad(true);
  p.set_grad(Tensor::from_vector(grad, {n}, dtype));
  return p;
}

TEST(ClipGradNorm, ScalesAllGradientsTogetherWhenTheNormIsTooLarge) {
  // Gradients (3) and (4, 0): joint norm 5.
  Tensor a = param_with_grad({3}), b = param_with_grad({4, 0});
  const double total = optim::clip_grad_norm({a, b}, 1.0);
  EXPECT_DOUBLE_EQ(total, 5.0);
  const double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_TENSOR_NEAR(a.grad(), Tensor::from_vector({3 * coef}, {1}, Dtype::kFloat64), 1e-15, 0);
  EXPECT_TENSOR_NEAR(b.grad(), Tensor::from_vector({4 * coef, 0}, {2}, Dtype::kFloat64), 1e-15, 0);
}

TEST(ClipGradNorm, LeavesGradientsWithinTheLimitUnchanged) {
  Tensor a = param_with_grad({3}), b = param_with_grad({4, 0}, Dtype::kFloat32);
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm({a, b}, 5.0), 5.0);  // coef 5 / (5 + 1e-6) < 1
  EXPECT_LT(a.grad().item(), 3.0);
  Tensor c = param_with_grad({3}), d = param_with_grad({4, 0});
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm({c, d}, 5.00001), 5.0);
  EXPECT_EQ(c.grad().item(), 3.0);
  EXPECT_EQ(d.grad().at({0}), 4.0);
}

TEST(ClipGradNorm, OtherNormsAndParametersWithoutGradient) {
  Tensor a = param_with_grad({3, -6}), b = param_with_grad({4});
  Tensor no_grad = Tensor::zeros({2}, Dtype::kFloat64).set_requires_grad(true);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm({a, no_grad, b}, 100.0, inf), 6.0);
  EXPECT_DOUBLE_EQ(optim::clip_grad_norm({a, b}, 100.0, 1.0), 13.0);
  EXPECT_NEAR(optim::clip_grad_norm({a, b}, 100.0, 3.0), std::cbrt(27.0 + 216.0 + 64.0), 1e-13);
  EXPECT_EQ(optim::clip_grad_norm({no_grad}, 1.0), 0.0);
  EXPECT_FALSE(no_grad.grad().defined());
}

TEST(ClipGradNorm, NonFiniteNormsPropagateAsInPyTorch) {
  Tensor a = param_with_grad({std::nan(""), 1.0});
  EXPECT_TRUE(std::isnan(optim::clip_grad_norm({a}, 1.0)));
  EXPECT_TRUE(std::isnan(a.grad().at({1})));
  Tensor b = param_with_grad({std::numeric_limits<double>::infinity(), 2.0});
  EXPECT_TRUE(std::isinf(optim::clip_grad_norm({b}, 1.0)));
  EXPECT_EQ(b.grad().at({1}), 0.0);
}

TEST(ClipGradNorm, RejectsBadArguments) {
  Tensor a = param_with_grad({1});
  EXPECT_THROW_WITH(optim::clip_grad_norm({a}, -1.0), ValueError,
                    "clip_grad_norm: expected max_norm >= 0, got -1");
  EXPECT_THROW_WITH(optim::clip_grad_norm({a}, std::nan("")), ValueError,
                    "clip_grad_norm: expected max_norm >= 0, got nan");
  EXPECT_THROW_WITH(optim::clip_grad_norm({a}, 1.0, 0.5), ValueError,
                    "clip_grad_norm: expected norm_type >= 1 (or infinity), got 0.5");
}

}  // namespace
}  // namespace cnnlab
