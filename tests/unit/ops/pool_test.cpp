// Unit tests of the pooling ops: hand-computed examples, output sizes against PyTorch's formula
// (ceil_mode included), the avg-pool divisor rules, and every argument check's message.
#include "cnnlab/ops/pool.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "kernels/pool2d.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor arange4d(int64_t h, int64_t w) {
  return Tensor::arange(0.0, static_cast<double>(h * w), 1.0, Dtype::kFloat64)
      .reshape({1, 1, h, w});
}

TEST(MaxPool2dForward, HandComputed4x4) {
  // 0  1  2  3
  // 4  5  6  7
  // 8  9 10 11
  // 12 13 14 15   -> 2x2 windows pick the bottom-right corner of each
  Tensor x = arange4d(4, 4).set_requires_grad(true);
  const Tensor y = ops::max_pool2d(x, {.kernel = 2});
  EXPECT_TENSOR_EQ(y, Tensor::from_vector({5, 7, 13, 15}, {1, 1, 2, 2}, Dtype::kFloat64));
  y.sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), Tensor::from_vector({0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1},
                                                 {1, 1, 4, 4}, Dtype::kFloat64));
}

TEST(MaxPool2dForward, OverlappingAndPaddedWindowsMatchPyTorch) {
  const Tensor x = Tensor::from_vector({1, 5, 2, 7, 3, 4, 0, 8, 6}, {1, 1, 3, 3}, Dtype::kFloat64);
  // values from torch.nn.functional.max_pool2d
  EXPECT_TENSOR_EQ(ops::max_pool2d(x, {.kernel = 2, .stride = 1}),
                   Tensor::from_vector({7, 5, 8, 8}, {1, 1, 2, 2}, Dtype::kFloat64));
  EXPECT_TENSOR_EQ(ops::max_pool2d(x, {.kernel = 2, .stride = 2, .padding = 1}),
                   Tensor::from_vector({1, 5, 7, 8}, {1, 1, 2, 2}, Dtype::kFloat64));
}

TEST(MaxPool2dForward, OverlappingWindowsSendGradientToEachWin) {
  // 8 wins two overlapping windows, so it receives both gradients
  Tensor x = Tensor::from_vector({1, 5, 2, 7, 3, 4, 0, 8, 6}, {1, 1, 3, 3}, Dtype::kFloat64)
                 .set_requires_grad(true);
  ops::max_pool2d(x, {.kernel = 2, .stride = 1}).sum().backward();
  EXPECT_TENSOR_EQ(x.grad(),
                   Tensor::from_vector({0, 1, 0, 1, 0, 0, 0, 2, 0}, {1, 1, 3, 3}, Dtype::kFloat64));
}

TEST(MaxPool2dForward, FirstMaximumWinsTies) {
  Tensor x = Tensor::full({1, 1, 2, 2}, 3.0, Dtype::kFloat64).set_requires_grad(true);
  ops::max_pool2d(x, {.kernel = 2}).sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), Tensor::from_vector({1, 0, 0, 0}, {1, 1, 2, 2}, Dtype::kFloat64));
}

TEST(MaxPool2dForward, PropagatesNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = Tensor::from_vector({1, nan, 2, 3}, {1, 1, 2, 2}, Dtype::kFloat64);
  EXPECT_TRUE(std::isnan(ops::max_pool2d(x, {.kernel = 2}).item()));
}

TEST(MaxPool2dForward, WindowWhollyInPaddingGivesMinusInfAndNoGradient) {
  // kernel 2 with dilation 3 and padding 1 on H = 2 reads rows -1 and 2: both padding.
  // NOTE: PyTorch 1.13 also returns -inf here (its backward then writes out of bounds).
  Tensor x = Tensor::ones({1, 1, 2, 3}, Dtype::kFloat64).set_requires_grad(true);
  const Tensor y =
      ops::max_pool2d(x, {.kernel = {2, 1}, .stride = 1, .padding = {1, 0}, .dilation = 3});
  ASSERT_EQ(y.shape(), Shape({1, 1, 1, 3}));
  for (double v : y.to_vector()) EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
  y.sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), Tensor::zeros({1, 1, 2, 3}, Dtype::kFloat64));
}

TEST(MaxPool2dForward, Float32MatchesFloat64) {
  Rng rng(3);
  const Tensor x = Tensor::uniform({2, 3, 9, 7}, -1.0, 1.0, rng, Dtype::kFloat64);
  const ops::Pool2dParams p{.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true};
  EXPECT_TENSOR_NEAR(ops::max_pool2d(x.to(Dtype::kFloat32), p).to(Dtype::kFloat64),
                     ops::max_pool2d(x, p), 0.0, 1e-7);
  EXPECT_TENSOR_NEAR(ops::avg_pool2d(x.to(Dtype::kFloat32), p).to(Dtype::kFloat64),
                     ops::avg_pool2d(x, p), 0.0, 1e-6);
}

TEST(Pool2dShape, OutputSizesFollowPyTorchFormula) {
  // (H, k, s, p, d) -> (ceil_mode size, floor size), from torch.nn.functional.max_pool2d.
  // (5, 2, 2, 1): ceil gives 4 by the formula, but the 4th window would start in the right
  // padding, so PyTorch drops it.
  struct Case {
    int64_t h, k, s, p, d, ceil_out, floor_out;
  };
  const std::vector<Case> cases = {{5, 2, 2, 1, 1, 3, 3},  {7, 2, 2, 0, 1, 4, 3},
                                   {6, 3, 3, 1, 1, 3, 2},  {8, 3, 2, 1, 2, 4, 3},
                                   {10, 3, 3, 0, 1, 4, 3}, {9, 2, 4, 1, 1, 3, 3}};
  for (const Case& c : cases) {
    EXPECT_EQ(kernels::pool_output_size(c.h, c.k, c.s, c.p, c.d, true), c.ceil_out) << c.h;
    EXPECT_EQ(kernels::pool_output_size(c.h, c.k, c.s, c.p, c.d, false), c.floor_out) << c.h;
    const Tensor x = Tensor::zeros({1, 1, c.h, c.h + 1});
    const ops::Pool2dParams p{
        .kernel = c.k, .stride = c.s, .padding = c.p, .dilation = c.d, .ceil_mode = true};
    const Tensor y = ops::max_pool2d(x, p);
    EXPECT_EQ(y.size(2), c.ceil_out);
    EXPECT_EQ(y.size(3), kernels::pool_output_size(c.h + 1, c.k, c.s, c.p, c.d, true));
  }
}

TEST(Pool2dShape, StrideZeroMeansKernelSize) {
  const Tensor x = Tensor::zeros({2, 3, 8, 9});
  EXPECT_EQ(ops::max_pool2d(x, {.kernel = {2, 3}}).shape(), Shape({2, 3, 4, 3}));
  EXPECT_EQ(ops::avg_pool2d(x, {.kernel = {2, 3}, .stride = 0}).shape(), Shape({2, 3, 4, 3}));
}

TEST(AvgPool2dForward, CeilModeDivisorMatchesPyTorch) {
  // 6x6 arange, kernel 3, stride 2, padding 1, ceil_mode: the last row/column of windows runs past
  // the right padding; PyTorch divides by the part inside input + padding.
  const Tensor x = arange4d(6, 6);
  const ops::Pool2dParams with_pad{.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true};
  const Tensor y = ops::avg_pool2d(x, with_pad);
  const Tensor expected =
      Tensor::from_vector({14.0 / 9, 30.0 / 9, 42.0 / 9, 16.0 / 6, 75.0 / 9, 14.0, 16.0, 51.0 / 6,
                           147.0 / 9, 26.0, 28.0, 87.0 / 6, 61.0 / 6, 16.0, 17.0, 35.0 / 4},
                          {1, 1, 4, 4}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(y, expected, 1e-12, 1e-12);

  ops::Pool2dParams no_pad = with_pad;
  no_pad.count_include_pad = false;
  const Tensor expected_no_pad =
      Tensor::from_vector({3.5, 5, 7, 8, 12.5, 14, 16, 17, 24.5, 26, 28, 29, 30.5, 32, 34, 35},
                          {1, 1, 4, 4}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(ops::avg_pool2d(x, no_pad), expected_no_pad, 1e-12, 1e-12);
}

TEST(AvgPool2dForward, OnesShowTheDivisor) {
  // with count_include_pad a corner window of ones sees 4 of 9 cells: 4/9 (torch: 0.4444)
  const Tensor x = Tensor::ones({1, 1, 5, 5}, Dtype::kFloat64);
  const Tensor y = ops::avg_pool2d(x, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_TENSOR_NEAR(y,
                     Tensor::from_vector({4.0 / 9, 6.0 / 9, 4.0 / 9, 6.0 / 9, 1, 6.0 / 9, 4.0 / 9,
                                          6.0 / 9, 4.0 / 9},
                                         {1, 1, 3, 3}, Dtype::kFloat64),
                     1e-12, 1e-12);
  // kernel 2, stride 2, padding 1: the windows past the input are clipped to input + padding,
  // so the last ones divide by 2 or 1, not 4 (torch: 0.25, 0.5, 1)
  const Tensor y2 = ops::avg_pool2d(x, {.kernel = 2, .stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_TENSOR_NEAR(
      y2,
      Tensor::from_vector({0.25, 0.5, 0.5, 0.5, 1, 1, 0.5, 1, 1}, {1, 1, 3, 3}, Dtype::kFloat64),
      1e-12, 1e-12);
}

TEST(AdaptiveAvgPool2dForward, WindowsThatDoNotDivide) {
  // 1x5 -> 1x3: windows [0, 2), [1, 4), [3, 5)
  const Tensor x = arange4d(1, 5);
  EXPECT_TENSOR_NEAR(ops::adaptive_avg_pool2d(x, {1, 3}),
                     Tensor::from_vector({0.5, 2.0, 3.5}, {1, 1, 1, 3}, Dtype::kFloat64), 1e-12, 0);
  // 7x5 -> 3x2 (torch: [[6, 8], [16, 18], [26, 28]])
  EXPECT_TENSOR_NEAR(ops::adaptive_avg_pool2d(arange4d(7, 5), {3, 2}),
                     Tensor::from_vector({6, 8, 16, 18, 26, 28}, {1, 1, 3, 2}, Dtype::kFloat64),
                     1e-12, 0);
}

TEST(AdaptiveAvgPool2dForward, OutputOneIsTheGlobalMean) {
  Rng rng(5);
  const Tensor x = Tensor::uniform({2, 3, 4, 5}, -1.0, 1.0, rng, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(ops::adaptive_avg_pool2d(x, 1), x.mean({2, 3}, true), 1e-12, 1e-12);
}

TEST(PoolAutograd, RecordsOpNamesOnlyWhenNeeded) {
  Tensor x = Tensor::zeros({1, 1, 4, 4}, Dtype::kFloat64);
  EXPECT_EQ(ops::max_pool2d(x, {.kernel = 2}).grad_fn(), nullptr);
  x.set_requires_grad(true);
  EXPECT_EQ(ops::max_pool2d(x, {.kernel = 2}).grad_fn()->name(), "max_pool2d");
  EXPECT_EQ(ops::avg_pool2d(x, {.kernel = 2}).grad_fn()->name(), "avg_pool2d");
  EXPECT_EQ(ops::adaptive_avg_pool2d(x, 2).grad_fn()->name(), "adaptive_avg_pool2d");
}

TEST(MaxPool2dShape, RejectsNon4dInput) {
  EXPECT_THROW_WITH(ops::max_pool2d(Tensor::zeros({3, 7, 6}), {.kernel = 2}), ShapeError,
                    "max_pool2d: expected a 4-D input (N, C, H, W), got shape [3, 7, 6]");
  EXPECT_THROW_WITH(ops::avg_pool2d(Tensor::zeros({7, 6}), {.kernel = 2}), ShapeError,
                    "avg_pool2d: expected a 4-D input (N, C, H, W), got shape [7, 6]");
  EXPECT_THROW_WITH(ops::adaptive_avg_pool2d(Tensor::zeros({1, 2, 3, 4, 5}), 2), ShapeError,
                    "adaptive_avg_pool2d: expected a 4-D input (N, C, H, W), got shape "
                    "[1, 2, 3, 4, 5]");
}

TEST(MaxPool2dShape, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({1, 1, 6, 6});
  EXPECT_THROW_WITH(ops::max_pool2d(x, {.kernel = 0}), ValueError,
                    "max_pool2d: expected kernel_size > 0, got 0");
  EXPECT_THROW_WITH(ops::max_pool2d(x, {.kernel = {2, -1}}), ValueError,
                    "max_pool2d: expected kernel_size > 0, got (2, -1)");
  EXPECT_THROW_WITH(ops::max_pool2d(x, {.kernel = 2, .stride = -1}), ValueError,
                    "max_pool2d: expected stride >= 0 (0 means kernel_size), got -1");
  EXPECT_THROW_WITH(ops::max_pool2d(x, {.kernel = 2, .padding = -1}), ValueError,
                    "max_pool2d: expected padding >= 0, got -1");
  EXPECT_THROW_WITH(ops::max_pool2d(x, {.kernel = 3, .padding = 2}), ValueError,
                    "max_pool2d: expected padding at most half the kernel size, got padding=2 "
                    "with kernel_size=3");
  EXPECT_THROW_WITH(ops::max_pool2d(x, {.kernel = 2, .dilation = 0}), ValueError,
                    "max_pool2d: expected dilation > 0, got 0");
}

TEST(MaxPool2dShape, RejectsInputSmallerThanWindow) {
  EXPECT_THROW_WITH(ops::max_pool2d(Tensor::zeros({1, 1, 2, 5}), {.kernel = 3}), ShapeError,
                    "max_pool2d: expected an output of at least 1x1, got 0x1 (input [1, 1, 2, 5]");
  EXPECT_THROW_WITH(ops::max_pool2d(Tensor::zeros({1, 1, 5, 5}), {.kernel = 3, .dilation = 3}),
                    ShapeError, "got 0x0");
}

TEST(AvgPool2dShape, RejectsDilationAndBadPadding) {
  const Tensor x = Tensor::zeros({1, 1, 6, 6});
  EXPECT_THROW_WITH(ops::avg_pool2d(x, {.kernel = 2, .dilation = 2}), ValueError,
                    "avg_pool2d: expected dilation 1 (average pooling has no dilation), got 2");
  EXPECT_THROW_WITH(ops::avg_pool2d(x, {.kernel = {4, 2}, .padding = {2, 2}}), ValueError,
                    "avg_pool2d: expected padding at most half the kernel size, got padding=2 "
                    "with kernel_size=(4, 2)");
}

TEST(AdaptiveAvgPool2dShape, RejectsBadOutputSizeAndEmptyInput) {
  EXPECT_THROW_WITH(ops::adaptive_avg_pool2d(Tensor::zeros({1, 1, 4, 4}), {0, 2}), ValueError,
                    "adaptive_avg_pool2d: expected output_size > 0, got (0, 2)");
  EXPECT_THROW_WITH(ops::adaptive_avg_pool2d(Tensor::zeros({1, 1, 0, 4}), 2), ShapeError,
                    "adaptive_avg_pool2d: expected non-empty H and W, got shape [1, 1, 0, 4]");
}

TEST(Pool2dShape, RejectsIntegerInput) {
  const Tensor labels = Tensor::from_int64(std::vector<int64_t>(16, 1), {1, 1, 4, 4});
  EXPECT_THROW_WITH(ops::max_pool2d(labels, {.kernel = 2}), ValueError,
                    "max_pool2d: expected a float32 or float64 tensor, got int64");
}

}  // namespace
}  // namespace cnnlab
