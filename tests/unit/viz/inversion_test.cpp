// Tests of viz::invert_features: the loss falls by >= 10x, the relative error is the square
// root of the feature term, the result is seeded, and bad input throws.
#include "cnnlab/viz/inversion.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/expect_throw_with.hpp"
#include "unit/viz/tiny_models.hpp"

namespace cnnlab {
namespace {

TEST(VizInvertFeatures, LossFallsTenfold) {
  auto net = testing::tiny_conv_net(8);
  Rng rng(8);
  const Tensor x = Tensor::uniform({1, 8, 8}, -1, 1, rng);
  for (const char* layer : {"1", "3"}) {
    const viz::Inversion r = viz::invert_features(*net, layer, x, {.steps = 200, .lr = 0.05});
    ASSERT_EQ(r.loss.size(), 200u);
    EXPECT_LE(r.final_loss * 10, r.initial_loss) << layer;
    EXPECT_LT(r.relative_error, 0.3) << layer;
    EXPECT_LE(r.relative_error * r.relative_error, r.final_loss + 1e-12);
    EXPECT_EQ(r.image.shape(), x.shape());
  }
  for (const Tensor& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(VizInvertFeatures, IsSeededAndClamps) {
  auto net = testing::tiny_conv_net(8);
  const Tensor x = Tensor::full({1, 8, 8}, 0.3);
  const viz::InversionOptions o{.steps = 20, .range = {{-0.5}, {0.5}}, .seed = 6};
  const viz::Inversion a = viz::invert_features(*net, "1", x, o);
  const viz::Inversion b = viz::invert_features(*net, "1", x, o);
  EXPECT_EQ(a.image.to_vector(), b.image.to_vector());
  for (double v : a.image.to_vector()) EXPECT_LE(std::abs(v), 0.5);
}

TEST(VizInvertFeatures, RejectsBadInput) {
  auto net = testing::tiny_conv_net(8);
  const Tensor x = Tensor::ones({1, 8, 8});
  EXPECT_THROW_WITH(viz::invert_features(*net, "fc", x), ValueError,
                    "viz::invert_features: unknown layer 'fc' (layers: 0, 1, 2, 3)");
  EXPECT_THROW_WITH(viz::invert_features(*net, "1", x, {.steps = -3}), ValueError,
                    "expected steps >= 1, got -3");
  EXPECT_THROW_WITH(viz::invert_features(*net, "1", Tensor::ones({8, 8})), ShapeError,
                    "expected an image (C, H, W)");
}

}  // namespace
}  // namespace cnnlab
