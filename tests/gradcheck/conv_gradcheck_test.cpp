// Gradient checks of ops::conv2d with respect to input, weight and bias against central
// differences, over strides, padding, groups (depthwise too), dilation and non-square geometry.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/conv.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using V = std::vector<Tensor>;

// gradcheck of conv2d at a random float64 point; bias_size 0 means no bias.
testing::GradcheckResult check_conv(const Shape& x_shape, const Shape& w_shape, int64_t bias_size,
                                    const ops::Conv2dParams& p, uint64_t seed) {
  Rng rng(seed);
  V inputs{Tensor::uniform(x_shape, -1.0, 1.0, rng, Dtype::kFloat64),
           Tensor::uniform(w_shape, -1.0, 1.0, rng, Dtype::kFloat64)};
  if (bias_size > 0)
    inputs.push_back(Tensor::uniform({bias_size}, -1.0, 1.0, rng, Dtype::kFloat64));
  return testing::gradcheck(
      [p](const V& in) { return ops::conv2d(in[0], in[1], in.size() > 2 ? in[2] : Tensor(), p); },
      inputs);
}

TEST(Conv2dGrad, MatchesCentralDifferences) {
  const auto r = check_conv({2, 3, 5, 6}, {4, 3, 3, 3}, 4, {}, 11);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, StrideTwoWithPaddingOnOddSizes) {
  const auto r = check_conv({2, 2, 7, 5}, {3, 2, 3, 3}, 3, {.stride = 2, .padding = 1}, 12);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, StrideLargerThanKernelSkipsInputs) {
  // Stride 3 over a 2x2 kernel: a third of the rows and columns are never read, so their
  // gradient must come out as exact zeros (not NaN from unwritten memory).
  const auto r = check_conv({1, 2, 8, 7}, {2, 2, 2, 2}, 2, {.stride = 3}, 13);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, Groups) {
  const auto r = check_conv({2, 4, 5, 5}, {6, 2, 3, 3}, 6, {.padding = 1, .groups = 2}, 14);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, Depthwise) {
  const auto r =
      check_conv({2, 3, 6, 5}, {3, 1, 3, 3}, 3, {.stride = 2, .padding = 1, .groups = 3}, 15);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, DepthwiseWithChannelMultiplier) {
  const auto r = check_conv({1, 2, 5, 5}, {4, 1, 3, 3}, 4, {.padding = 1, .groups = 2}, 16);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, Dilation) {
  const auto r = check_conv({2, 2, 7, 6}, {3, 2, 3, 2}, 3, {.padding = 2, .dilation = 2}, 17);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, OneByThreeKernelWithRowPadding) {
  const auto r = check_conv({2, 3, 4, 5}, {2, 3, 1, 3}, 2, {.padding = {0, 1}}, 18);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, NonSquareStridePaddingAndDilation) {
  const auto r = check_conv({1, 2, 7, 8}, {3, 2, 2, 3}, 3,
                            {.stride = {2, 1}, .padding = {1, 0}, .dilation = {1, 2}}, 19);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, BatchOneWithoutBias) {
  const auto r = check_conv({1, 3, 5, 5}, {2, 3, 3, 3}, 0, {.stride = 2, .padding = 1}, 20);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, GroupsWithoutBiasAndOneByOneKernel) {
  const auto r = check_conv({2, 6, 3, 4}, {3, 2, 1, 1}, 0, {.groups = 3}, 21);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Conv2dGrad, OnlyWeightRequiresGrad) {
  Rng rng(22);
  const Tensor x = Tensor::uniform({2, 2, 4, 4}, -1.0, 1.0, rng, Dtype::kFloat64);
  const Tensor w = Tensor::uniform({3, 2, 3, 3}, -1.0, 1.0, rng, Dtype::kFloat64);
  const auto r =
      testing::gradcheck([](const V& in) { return ops::conv2d(in[0], in[1], {}, {.padding = 1}); },
                         {x, w}, {.check_inputs = {1}});
  EXPECT_TRUE(r.ok) << r.report;
}

}  // namespace
}  // namespace cnnlab
