// nn::Conv2d: parameter names and shapes, PyTorch's default initialisation range, repr in
// PyTorch's format, forward through ops::conv2d, and the option checks of the constructor.
#include "cnnlab/nn/conv2d.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/conv.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

TEST(Conv2dModule, RegistersWeightAndBias) {
  Rng rng(301);
  nn::Conv2d conv({.in_channels = 4, .out_channels = 6, .kernel_size = {3, 2}, .groups = 2}, rng);
  const auto params = conv.named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "weight");
  EXPECT_EQ(params[0].second.shape(), Shape({6, 2, 3, 2}));
  EXPECT_EQ(params[1].first, "bias");
  EXPECT_EQ(params[1].second.shape(), Shape({6}));
  EXPECT_TRUE(conv.weight().requires_grad());
  EXPECT_TRUE(conv.bias().requires_grad());
  EXPECT_EQ(conv.weight().dtype(), Dtype::kFloat32);
  EXPECT_EQ(conv.num_parameters(), 6 * 2 * 3 * 2 + 6);
}

TEST(Conv2dModule, WithoutBiasHasOnlyWeight) {
  Rng rng(302);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 2, .kernel_size = 3, .bias = false}, rng);
  ASSERT_EQ(conv.named_parameters().size(), 1u);
  EXPECT_EQ(conv.named_parameters()[0].first, "weight");
  EXPECT_FALSE(conv.bias().defined());
}

TEST(Conv2dModule, DefaultInitIsUniformInOneOverSqrtFanIn) {
  Rng rng(303);
  // fan_in = (8 / 2) * 3 * 3 = 36, so both parameters lie in [-1/6, 1/6].
  nn::Conv2d conv({.in_channels = 8, .out_channels = 32, .kernel_size = 3, .groups = 2}, rng);
  const double bound = 1.0 / 6.0;
  const std::vector<double> w = conv.weight().to_vector();
  const auto [wmin, wmax] = std::minmax_element(w.begin(), w.end());
  EXPECT_GE(*wmin, -bound);
  EXPECT_LE(*wmax, bound);
  // 32 * 4 * 9 = 1152 draws fill the range: the extremes come within 2% of the bound.
  EXPECT_LT(*wmin, -0.98 * bound);
  EXPECT_GT(*wmax, 0.98 * bound);
  for (const double v : conv.bias().to_vector()) {
    EXPECT_GE(v, -bound);
    EXPECT_LE(v, bound);
  }
}

TEST(Conv2dModule, SameSeedSameWeights) {
  Rng a(304), b(304);
  nn::Conv2d ca({.in_channels = 2, .out_channels = 3, .kernel_size = 3}, a);
  nn::Conv2d cb({.in_channels = 2, .out_channels = 3, .kernel_size = 3}, b);
  EXPECT_TENSOR_EQ(ca.weight(), cb.weight());
  EXPECT_TENSOR_EQ(ca.bias(), cb.bias());
}

TEST(Conv2dModule, ReprMatchesPyTorch) {
  Rng rng(305);
  EXPECT_EQ(
      nn::Conv2d({.in_channels = 1, .out_channels = 6, .kernel_size = 5, .padding = 2}, rng).repr(),
      "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
  EXPECT_EQ(nn::Conv2d({.in_channels = 3, .out_channels = 64, .kernel_size = 3}, rng).repr(),
            "Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1))");
  EXPECT_EQ(nn::Conv2d({.in_channels = 4,
                        .out_channels = 6,
                        .kernel_size = {1, 3},
                        .stride = {2, 1},
                        .padding = {0, 1},
                        .dilation = 2,
                        .groups = 2,
                        .bias = false},
                       rng)
                .repr(),
            "Conv2d(4, 6, kernel_size=(1, 3), stride=(2, 1), padding=(0, 1), dilation=(2, 2), "
            "groups=2, bias=False)");
}

TEST(Conv2dModule, ForwardIsConv2dWithTheOptions) {
  Rng rng(306);
  nn::Conv2d conv({.in_channels = 2,
                   .out_channels = 4,
                   .kernel_size = 3,
                   .stride = 2,
                   .padding = 1,
                   .dilation = {1, 2},
                   .groups = 2},
                  rng);
  const Tensor x = Tensor::uniform({2, 2, 7, 8}, -1, 1, rng);
  const Tensor y = conv(x);
  EXPECT_EQ(y.shape(), Shape({2, 4, 4, 3}));
  EXPECT_TENSOR_EQ(y, ops::conv2d(x, conv.weight(), conv.bias(),
                                  {.stride = 2, .padding = 1, .dilation = {1, 2}, .groups = 2}));
}

TEST(Conv2dModule, TrainAndEvalGiveTheSameOutput) {
  Rng rng(307);
  nn::Conv2d conv({.in_channels = 1, .out_channels = 2, .kernel_size = 3}, rng);
  const Tensor x = Tensor::uniform({1, 1, 5, 5}, -1, 1, rng);
  const Tensor train_out = conv(x);
  conv.eval();
  EXPECT_TENSOR_EQ(conv(x), train_out);
}

TEST(Conv2dModule, BackwardReachesParameters) {
  Rng rng(308);
  nn::Conv2d conv({.in_channels = 2, .out_channels = 3, .kernel_size = 2}, rng);
  conv(Tensor::uniform({2, 2, 4, 4}, -1, 1, rng)).sum().backward();
  ASSERT_TRUE(conv.weight().grad().defined());
  EXPECT_EQ(conv.weight().grad().shape(), conv.weight().shape());
  // d(sum y)/db counts the output pixels: N * OH * OW = 2 * 3 * 3.
  EXPECT_TENSOR_NEAR(conv.bias().grad(), Tensor::full({3}, 18.0), 0.0, 1e-5);
}

TEST(Conv2dModule, ForwardReportsChannelMismatch) {
  Rng rng(309);
  nn::Conv2d conv({.in_channels = 3, .out_channels = 16, .kernel_size = 5}, rng);
  EXPECT_THROW_WITH(conv(Tensor::zeros({8, 1, 28, 28})), ShapeError,
                    "conv2d: input has 1 channel but weight expects 3 (input [8, 1, 28, 28], "
                    "weight [16, 3, 5, 5])");
}

TEST(Conv2dOptionsCheck, RejectsBadOptions) {
  Rng rng(310);
  EXPECT_THROW_WITH(nn::Conv2d({.in_channels = 0, .out_channels = 6, .kernel_size = 5}, rng),
                    ValueError,
                    "Conv2d: expected in_channels > 0 and out_channels > 0, got "
                    "in_channels=0, out_channels=6");
  EXPECT_THROW_WITH(nn::Conv2d({.in_channels = 1, .out_channels = 6}, rng), ValueError,
                    "Conv2d: expected kernel_size > 0, got (0, 0)");
  EXPECT_THROW_WITH(
      nn::Conv2d({.in_channels = 1, .out_channels = 6, .kernel_size = 3, .stride = {1, 0}}, rng),
      ValueError, "Conv2d: expected stride > 0, got (1, 0)");
  EXPECT_THROW_WITH(
      nn::Conv2d({.in_channels = 1, .out_channels = 6, .kernel_size = 3, .padding = -1}, rng),
      ValueError, "Conv2d: expected padding >= 0, got (-1, -1)");
  EXPECT_THROW_WITH(
      nn::Conv2d({.in_channels = 1, .out_channels = 6, .kernel_size = 3, .dilation = 0}, rng),
      ValueError, "Conv2d: expected dilation > 0, got (0, 0)");
  EXPECT_THROW_WITH(
      nn::Conv2d({.in_channels = 1, .out_channels = 6, .kernel_size = 3, .groups = 0}, rng),
      ValueError, "Conv2d: expected groups > 0, got 0");
  EXPECT_THROW_WITH(
      nn::Conv2d({.in_channels = 4, .out_channels = 6, .kernel_size = 3, .groups = 4}, rng),
      ValueError, "Conv2d: expected groups=4 to divide in_channels=4 and out_channels=6");
}

}  // namespace
}  // namespace cnnlab
