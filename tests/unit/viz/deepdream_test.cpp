// Tests of viz::dream_step and viz::deepdream: one step on a linear model is the analytic
// gradient W^T (W x + b), normalized by its mean |g|, and raises the objective; octaves,
// jitter and clamping; bad input.
#include "cnnlab/viz/deepdream.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"
#include "unit/viz/tiny_models.hpp"

namespace cnnlab {
namespace {

TEST(VizDreamStep, FollowsTheNormalizedAnalyticGradientOfALinearLayer) {
  Rng rng(21);
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(std::make_shared<nn::Flatten>());
  net->push_back(
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 8, .out_features = 3}, rng));
  const Tensor x = Tensor::normal({1, 2, 2, 2}, 0, 1, rng);
  const std::vector<double> w = net->named_parameters()[0].second.to_vector();  // (3, 8)
  const std::vector<double> b = net->named_parameters()[1].second.to_vector();
  const std::vector<double> xv = x.to_vector();
  std::vector<double> a(3), g(8, 0.0);
  double objective = 0;
  for (int o = 0; o < 3; ++o) {
    a[o] = b[o];
    for (int i = 0; i < 8; ++i) a[o] += w[o * 8 + i] * xv[i];
    objective += 0.5 * a[o] * a[o];
  }
  double mean_abs = 0;
  for (int i = 0; i < 8; ++i) {
    for (int o = 0; o < 3; ++o) g[i] += w[o * 8 + i] * a[o];
    mean_abs += std::abs(g[i]) / 8;
  }
  std::vector<double> expected(8);
  for (int i = 0; i < 8; ++i) expected[i] = xv[i] + 0.1 * g[i] / mean_abs;

  const viz::DreamStep s = viz::dream_step(*net, "1", x, 0.1);
  EXPECT_NEAR(s.objective, objective, 1e-5 * (1 + objective));
  EXPECT_TENSOR_NEAR(s.gradient, Tensor::from_vector(g, x.shape()), 1e-5, 1e-6);
  EXPECT_TENSOR_NEAR(s.image, Tensor::from_vector(expected, x.shape()), 1e-5, 1e-6);
  EXPECT_GT(viz::dream_step(*net, "1", s.image, 0.1).objective, s.objective);
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(VizDreamStep, ClampsToTheRange) {
  auto net = testing::tiny_conv_net(2);
  Rng rng(2);
  const Tensor x = Tensor::uniform({1, 8, 8}, -0.5, 0.5, rng);
  const viz::DreamStep s = viz::dream_step(*net, "1", x, 10.0, {{-0.5}, {0.5}});
  for (double v : s.image.to_vector()) {
    EXPECT_GE(v, -0.5);
    EXPECT_LE(v, 0.5);
  }
  EXPECT_EQ(s.image.shape(), x.shape());
}

TEST(VizDeepDream, RaisesTheObjectiveOverOctaves) {
  auto net = testing::tiny_conv_net(3, 16);
  Rng rng(3);
  const Tensor x = Tensor::uniform({1, 16, 16}, -0.5, 0.5, rng);
  const viz::DeepDream r = viz::deepdream(*net, "1", x, {.steps = 5, .step_size = 0.05});
  ASSERT_EQ(r.octave_sizes.size(), 3u);
  EXPECT_EQ(r.octave_sizes[0], Shape({8, 8}));
  EXPECT_EQ(r.octave_sizes[1], Shape({11, 11}));
  EXPECT_EQ(r.octave_sizes[2], Shape({16, 16}));
  EXPECT_EQ(r.objective.size(), 15u);
  EXPECT_GT(r.final_objective, 1.5 * r.initial_objective);
  EXPECT_EQ(r.image.shape(), x.shape());
}

TEST(VizDeepDream, RejectsBadInput) {
  auto net = testing::tiny_conv_net(3, 16);
  const Tensor x = Tensor::zeros({1, 16, 16});
  EXPECT_THROW_WITH(viz::deepdream(*net, "conv", x), ValueError,
                    "unknown layer 'conv' (layers: 0, 1, 2, 3)");
  EXPECT_THROW_WITH(viz::deepdream(*net, "1", x, {.steps = 0}), ValueError,
                    "viz::deepdream: expected steps >= 1, got 0");
  EXPECT_THROW_WITH(viz::deepdream(*net, "3", x, {.steps = 1, .octaves = 2}), ShapeError,
                    "use fewer octaves");
  EXPECT_THROW_WITH(viz::dream_step(*net, "1", x, 0.0), ValueError,
                    "expected step_size > 0, got 0");
}

}  // namespace
}  // namespace cnnlab
