// Tests of include/cnnlab/viz/optimize_image.hpp: blur against a naive 2-D reference, roll,
// jitter draws, the two clipping regularizers, gradient normalization, pixel ranges,
// InspectionGuard (viz/layers.hpp) and forward_to.
#include "cnnlab/viz/optimize_image.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cnnlab/viz/layers.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"
#include "unit/viz/tiny_models.hpp"

namespace cnnlab {
namespace {

TEST(VizGaussianBlur, MatchesNaiveReflectedConvolution) {
  Rng rng(7);
  const Tensor x = Tensor::uniform({2, 1, 5, 6}, -1, 1, rng, Dtype::kFloat64);
  const double sigma = 0.8;
  const int64_t r = 4;  // ceil(4 * 0.8)
  auto reflect = [](int64_t i, int64_t n) {
    while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - 1 - i;
    return i;
  };
  std::vector<double> k;
  double total = 0;
  for (int64_t d = -r; d <= r; ++d) total += std::exp(-0.5 * d * d / (sigma * sigma));
  for (int64_t d = -r; d <= r; ++d) k.push_back(std::exp(-0.5 * d * d / (sigma * sigma)) / total);
  std::vector<double> expected;
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t i = 0; i < 5; ++i) {
      for (int64_t j = 0; j < 6; ++j) {
        double acc = 0;
        for (int64_t a = -r; a <= r; ++a) {
          for (int64_t b = -r; b <= r; ++b) {
            acc += k[a + r] * k[b + r] * x.at({n, 0, reflect(i + a, 5), reflect(j + b, 6)});
          }
        }
        expected.push_back(acc);
      }
    }
  }
  EXPECT_TENSOR_NEAR(viz::gaussian_blur(x, sigma),
                     Tensor::from_vector(expected, x.shape(), Dtype::kFloat64), 1e-12, 1e-12);
}

TEST(VizGaussianBlur, KeepsConstantsAndZeroSigmaCopies) {
  const Tensor c = Tensor::full({3, 4, 4}, 0.25);
  EXPECT_TENSOR_NEAR(viz::gaussian_blur(c, 1.5), c, 1e-6, 1e-6);
  Rng rng(1);
  const Tensor x = Tensor::normal({1, 4, 4}, 0, 1, rng);
  const Tensor y = viz::gaussian_blur(x, 0.0);
  EXPECT_TENSOR_EQ(y, x);
  EXPECT_FALSE(y.is_same(x));
}

TEST(VizGaussianBlur, RejectsBadInput) {
  EXPECT_THROW_WITH(viz::gaussian_blur(Tensor::zeros({4, 4}), 1.0), ShapeError,
                    "viz::gaussian_blur: expected an image (C, H, W)");
  EXPECT_THROW_WITH(viz::gaussian_blur(Tensor::zeros({1, 4, 4}), -1.0), ValueError,
                    "expected sigma >= 0, got -1");
}

TEST(VizRoll, ShiftsCircularlyAsTorchRoll) {
  const Tensor x = Tensor::arange(0, 6).reshape({1, 2, 3});  // [[0 1 2] [3 4 5]]
  // torch.roll(x, (1, 1), dims=(-2, -1)) = [[5 3 4] [2 0 1]]
  EXPECT_TENSOR_EQ(viz::roll(x, 1, 1), Tensor::from_vector({5, 3, 4, 2, 0, 1}, {1, 2, 3}));
  EXPECT_TENSOR_EQ(viz::roll(x, 0, -1), Tensor::from_vector({1, 2, 0, 4, 5, 3}, {1, 2, 3}));
  EXPECT_TENSOR_EQ(viz::roll(viz::roll(x, 5, -7), -5, 7), x);
}

TEST(VizRandomShift, StaysInRangeAndIsSeeded) {
  Rng a(3), b(3);
  bool moved = false;
  for (int i = 0; i < 50; ++i) {
    const viz::Shift s = viz::random_shift(a, 2);
    const viz::Shift t = viz::random_shift(b, 2);
    EXPECT_EQ(s.dy, t.dy);
    EXPECT_EQ(s.dx, t.dx);
    EXPECT_LE(std::abs(s.dy), 2);
    EXPECT_LE(std::abs(s.dx), 2);
    moved = moved || s.dy != 0 || s.dx != 0;
  }
  EXPECT_TRUE(moved);
  EXPECT_THROW_WITH(viz::random_shift(a, -1), ValueError, "expected max_shift >= 0, got -1");
}

TEST(VizClipSmallNorm, ZeroesThePixelsBelowThePercentile) {
  // two channels, 2x2 pixels; pixel norms: 5, 1, 0.1, 10
  const Tensor x = Tensor::from_vector({3, 1, 0.1, 6, 4, 0, 0, 8}, {2, 2, 2});
  const Tensor y = viz::clip_small_norm(x, 50);
  EXPECT_TENSOR_EQ(y, Tensor::from_vector({3, 0, 0, 6, 4, 0, 0, 8}, {2, 2, 2}));
  EXPECT_TENSOR_EQ(viz::clip_small_norm(x, 0), x);
  EXPECT_THROW_WITH(viz::clip_small_norm(x, 101), ValueError,
                    "expected a percentile in [0, 100], got 101");
}

TEST(VizClipSmallContribution, UsesTheChannelSumOfImageTimesGradient) {
  const Tensor x = Tensor::from_vector({1, 1, 1, 1}, {1, 2, 2});
  const Tensor g = Tensor::from_vector({0.5, -3, 0.1, 2}, {1, 2, 2});  // |contribution|
  const Tensor y = viz::clip_small_contribution(x, g, 50);
  EXPECT_TENSOR_EQ(y, Tensor::from_vector({0, 1, 0, 1}, {1, 2, 2}));
  EXPECT_THROW_WITH(viz::clip_small_contribution(x, Tensor::zeros({1, 2, 3}), 10), ShapeError,
                    "expected a gradient of shape");
}

TEST(VizNormalizeGradient, GivesUnitMeanAbsoluteValue) {
  const Tensor g = Tensor::from_vector({2, -4, 0, 2}, {4});
  EXPECT_TENSOR_NEAR(viz::normalize_gradient(g), Tensor::from_vector({1, -2, 0, 1}, {4}), 1e-6,
                     1e-6);
}

TEST(VizValidRange, MapsZeroAndOneThroughTheNormalization) {
  const viz::PixelRange r = viz::valid_range({.mean = {0.5}, .std = {0.25}}, 1);
  EXPECT_DOUBLE_EQ(r.lower[0], -2.0);
  EXPECT_DOUBLE_EQ(r.upper[0], 2.0);
  EXPECT_EQ(viz::valid_range({}, 3).upper, std::vector<double>({1, 1, 1}));
  const Tensor x = Tensor::from_vector({-5, 0, 5, 1}, {1, 1, 2, 2});
  EXPECT_TENSOR_EQ(viz::clamp_to_range(x, r), Tensor::from_vector({-2, 0, 2, 1}, {1, 1, 2, 2}));
  EXPECT_THROW_WITH(viz::clamp_to_range(Tensor::zeros({3, 2, 2}), r), ShapeError,
                    "expected a range of 3 channels, got 1");
  EXPECT_THROW_WITH(viz::valid_range({.mean = {0.5}, .std = {0.25}}, 3), ShapeError,
                    "expected a normalization of 3 channels, got 1");
}

TEST(VizInspectionGuard, StopsWeightGradientsAndRestoresTheFlagsAndModes) {
  auto net = testing::tiny_conv_net(5);
  net->train();
  Tensor x = Tensor::ones({1, 1, 8, 8});
  x.set_requires_grad(true);
  {
    viz::InspectionGuard inspecting(*net);
    EXPECT_FALSE(net->is_training());
    for (const auto& [name, module] : net->named_modules()) EXPECT_FALSE(module->is_training());
    for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.requires_grad());
    (*net)(x).sum().backward();
  }
  EXPECT_TRUE(x.grad().defined());
  for (const auto& [name, module] : net->named_modules()) EXPECT_TRUE(module->is_training());
  for (const Tensor& p : net->parameters()) {
    EXPECT_TRUE(p.requires_grad());
    EXPECT_FALSE(p.grad().defined());
  }
}

TEST(VizForwardTo, StopsAtTheLayerSoLaterLayersMayRejectTheSize) {
  auto net = testing::tiny_conv_net(5);
  const Tensor small = Tensor::ones({1, 1, 6, 6});  // the Linear wants 8x8 input
  EXPECT_THROW((*net)(small), ShapeError);
  const Tensor a = viz::forward_to(*net, "1", small, "test");
  EXPECT_EQ(a.shape(), Shape({1, 4, 4, 4}));
  EXPECT_TRUE(net->has_forward_hooks() == false && (*net)[1].has_forward_hooks() == false);
  EXPECT_THROW_WITH(viz::forward_to(*net, "9", small, "test"), ValueError,
                    "test: unknown layer '9' (layers: 0, 1, 2, 3)");
}

}  // namespace
}  // namespace cnnlab
