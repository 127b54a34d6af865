// Tests of viz::class_visualization: every class of a seeded model reaches softmax >= 0.99
// within 200 steps, the trajectory and regularizers behave, bad input throws.
#include "cnnlab/viz/class_visualization.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/expect_throw_with.hpp"
#include "unit/viz/tiny_models.hpp"

namespace cnnlab {
namespace {

TEST(VizClassVisualization, EveryClassReachesHighProbabilityWithin200Steps) {
  // NOTE: an untrained model's logits move slowly, hence a larger step than the default (which
  // is tuned for LeNet-5 on Fashion-MNIST, docs/viz.md).
  auto net = testing::tiny_conv_net(11);
  for (int64_t c = 0; c < 10; ++c) {
    const viz::ClassVisualization r =
        viz::class_visualization(*net, {1, 8, 8}, c, {.lr = 3.0, .l2 = 1e-4});
    EXPECT_GE(r.final_probability, 0.99) << "class " << c;
    ASSERT_EQ(r.probability.size(), 201u);
    ASSERT_GE(r.steps_to_target, 0) << "class " << c;
    EXPECT_GE(r.probability[static_cast<size_t>(r.steps_to_target)], 0.99);
    if (r.steps_to_target > 0) {
      EXPECT_LT(r.probability[static_cast<size_t>(r.steps_to_target - 1)], 0.99);
    }
    EXPECT_GT(r.score.back(), r.score.front());
    EXPECT_EQ(r.image.shape(), Shape({1, 8, 8}));
  }
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(VizClassVisualization, RegularizersKeepTheImageFiniteAndInRange) {
  auto net = testing::tiny_conv_net(11);
  viz::ClassVisualizationOptions o{.steps = 30,
                                   .blur_every = 3,
                                   .blur_sigma = 0.5,
                                   .clip_norm_percentile = 10,
                                   .clip_contribution_percentile = 10,
                                   .jitter = 1,
                                   .init_std = 0.1,
                                   .range = {{-1.0}, {1.0}},
                                   .seed = 4};
  const viz::ClassVisualization r = viz::class_visualization(*net, {1, 8, 8}, 3, o);
  const std::vector<double> v = r.image.to_vector();
  int zeros = 0;
  for (double x : v) {
    EXPECT_TRUE(std::isfinite(x));
    EXPECT_LE(std::abs(x), 1.0);
    zeros += x == 0.0 ? 1 : 0;
  }
  EXPECT_GE(zeros, 6);  // at least the 10% smallest of 64 pixels after the last clip
  EXPECT_GT(r.probability.back(), r.probability.front());
  // Seeded: the same options give the same image.
  const viz::ClassVisualization again = viz::class_visualization(*net, {1, 8, 8}, 3, o);
  EXPECT_EQ(again.image.to_vector(), v);
}

TEST(VizClassVisualization, RejectsBadInput) {
  auto net = testing::tiny_conv_net(11);
  EXPECT_THROW_WITH(viz::class_visualization(*net, {1, 8, 8}, 10), ValueError,
                    "viz::class_visualization: expected a class index in [0, 10), got 10");
  EXPECT_THROW_WITH(viz::class_visualization(*net, {1, 8, 8}, 0, {.steps = 0}), ValueError,
                    "expected steps >= 1, got 0");
  EXPECT_THROW_WITH(viz::class_visualization(*net, {1, 8, 8}, 0, {.lr = -1}), ValueError,
                    "expected lr > 0, got -1");
  EXPECT_THROW_WITH(viz::class_visualization(*net, {8, 8}, 0), ShapeError,
                    "expected an input shape (C, H, W)");
  for (const Tensor& p : net->parameters()) EXPECT_TRUE(p.requires_grad());
}

}  // namespace
}  // namespace cnnlab
