// Gradient checks of ops::local_response_norm against central differences (float64, default
// tolerances): AlexNet's constants, a window clipped by few channels, even window sizes, and a
// large alpha where the normalization term dominates.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/lrn.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using testing::gradcheck;
using V = std::vector<Tensor>;

testing::GradcheckResult check_lrn(const Tensor& x, const ops::LrnParams& p) {
  return gradcheck([p](const V& v) { return ops::local_response_norm(v[0], p); }, {x});
}

TEST(LocalResponseNormGrad, AlexNetConstants) {
  Rng rng(21);
  const Tensor x = Tensor::uniform({2, 7, 3, 3}, -4.0, 4.0, rng, Dtype::kFloat64);
  const auto r = check_lrn(x, {.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LocalResponseNormGrad, WindowClippedBySmallChannelCount) {
  Rng rng(22);  // C = 3 < size = 5: every window is clipped on at least one side
  const Tensor x = Tensor::uniform({2, 3, 2, 3}, -2.0, 2.0, rng, Dtype::kFloat64);
  const auto r = check_lrn(x, {.size = 5, .alpha = 0.5, .beta = 0.75, .k = 2.0});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LocalResponseNormGrad, LargeAlphaDominates) {
  Rng rng(23);  // alpha / size * sum x^2 is several times k, so the cross-channel terms matter
  const Tensor x = Tensor::uniform({1, 6, 3, 2}, -2.0, 2.0, rng, Dtype::kFloat64);
  const auto r = check_lrn(x, {.size = 3, .alpha = 3.0, .beta = 0.75, .k = 1.0});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LocalResponseNormGrad, EvenSizeAsymmetricWindow) {
  Rng rng(24);  // size 4: window [c - 2, c + 1]
  const Tensor x = Tensor::uniform({2, 5, 2, 2}, -2.0, 2.0, rng, Dtype::kFloat64);
  const auto r = check_lrn(x, {.size = 4, .alpha = 2.0, .beta = 1.5, .k = 0.5});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LocalResponseNormGrad, ThreeDimInputAndSizeOne) {
  Rng rng(25);
  const Tensor x = Tensor::uniform({2, 4, 5}, -2.0, 2.0, rng, Dtype::kFloat64);
  auto r = check_lrn(x, {.size = 2, .alpha = 1.0, .beta = 0.75, .k = 1.0});
  EXPECT_TRUE(r.ok) << r.report;
  r = check_lrn(x, {.size = 1, .alpha = 1.0, .beta = 0.75, .k = 1.0});
  EXPECT_TRUE(r.ok) << r.report;
}

}  // namespace
}  // namespace cnnlab
