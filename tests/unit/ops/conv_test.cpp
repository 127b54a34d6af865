// ops::conv2d: hand-computed values (checked against torch.nn.functional.conv2d), groups as
// separate convolutions, output shapes, recording, and every argument check with its message.
#include "cnnlab/ops/conv.hpp"

#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor t64(const std::vector<double>& v, const Shape& s) {
  return Tensor::from_vector(v, s, Dtype::kFloat64);
}

TEST(Conv2dOp, MatchesHandComputedStrideAndPadding) {
  // x = 1..9 in a 3x3 plane, w = [[1, 2], [3, 4]], b = 0.5, stride 2, padding 1. The four
  // windows tile the padded 4x4 plane; e.g. the bottom-right one reads 5*1 + 6*2 + 8*3 + 9*4 = 77.
  Tensor x = t64({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}).set_requires_grad(true);
  Tensor w = t64({1, 2, 3, 4}, {1, 1, 2, 2}).set_requires_grad(true);
  Tensor b = t64({0.5}, {1}).set_requires_grad(true);
  const Tensor y = ops::conv2d(x, w, b, {.stride = 2, .padding = 1});
  EXPECT_TENSOR_EQ(y, t64({4.5, 18.5, 36.5, 77.5}, {1, 1, 2, 2}));

  // With dy = 1 every input pixel is read by exactly one tap, so dx is w laid out per window.
  y.sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), t64({4, 3, 4, 2, 1, 2, 4, 3, 4}, {1, 1, 3, 3}));
  EXPECT_TENSOR_EQ(w.grad(), t64({5, 10, 10, 20}, {1, 1, 2, 2}));
  EXPECT_TENSOR_EQ(b.grad(), t64({4}, {1}));
}

TEST(Conv2dOp, MatchesHandComputedDilation) {
  // 2x2 kernel with dilation 2 over 1..16 in 4x4: taps at offsets 0 and 2. Top-left output:
  // 1*1 + 3*(-1) + 9*2 + 11*0.5 = 21.5.
  const Tensor x = Tensor::arange(1, 17, 1, Dtype::kFloat64).reshape({1, 1, 4, 4});
  const Tensor w = t64({1, -1, 2, 0.5}, {1, 1, 2, 2});
  EXPECT_TENSOR_EQ(ops::conv2d(x, w, {}, {.dilation = 2}), t64({21.5, 24, 31.5, 34}, {1, 1, 2, 2}));
}

TEST(Conv2dOp, GroupsEqualSeparateConvolutions) {
  Rng rng(101);
  const Tensor x = Tensor::uniform({2, 4, 5, 5}, -1, 1, rng, Dtype::kFloat64);
  const Tensor w = Tensor::uniform({6, 2, 3, 3}, -1, 1, rng, Dtype::kFloat64);
  const Tensor b = Tensor::uniform({6}, -1, 1, rng, Dtype::kFloat64);
  const ops::Conv2dParams p{.stride = 2, .padding = 1, .groups = 2};
  const Tensor grouped = ops::conv2d(x, w, b, p);
  const ops::Conv2dParams single{.stride = 2, .padding = 1};
  const Tensor first = ops::conv2d(ops::narrow(x, 1, 0, 2), ops::narrow(w, 0, 0, 3),
                                   ops::narrow(b, 0, 0, 3), single);
  const Tensor second = ops::conv2d(ops::narrow(x, 1, 2, 2), ops::narrow(w, 0, 3, 3),
                                    ops::narrow(b, 0, 3, 3), single);
  EXPECT_TENSOR_NEAR(grouped, ops::cat({first, second}, 1), 0.0, 1e-15);
}

TEST(Conv2dOp, Float32MatchesFloat64) {
  Rng rng(102);
  const Tensor x = Tensor::uniform({2, 3, 6, 7}, -1, 1, rng, Dtype::kFloat64);
  const Tensor w = Tensor::uniform({4, 3, 3, 2}, -1, 1, rng, Dtype::kFloat64);
  const Tensor b = Tensor::uniform({4}, -1, 1, rng, Dtype::kFloat64);
  const ops::Conv2dParams p{.stride = {1, 2}, .padding = {1, 0}};
  const Tensor y32 =
      ops::conv2d(x.to(Dtype::kFloat32), w.to(Dtype::kFloat32), b.to(Dtype::kFloat32), p);
  EXPECT_EQ(y32.dtype(), Dtype::kFloat32);
  EXPECT_TENSOR_NEAR(y32.to(Dtype::kFloat64), ops::conv2d(x, w, b, p), 1e-5, 1e-5);
}

TEST(Conv2dOp, OutputShapes) {
  const Tensor x = Tensor::zeros({8, 1, 28, 28});
  EXPECT_EQ(ops::conv2d(x, Tensor::zeros({6, 1, 5, 5}), {}, {.padding = 2}).shape(),
            Shape({8, 6, 28, 28}));
  EXPECT_EQ(ops::conv2d(x, Tensor::zeros({6, 1, 5, 5})).shape(), Shape({8, 6, 24, 24}));
  // (28 + 2 - 2*(3-1) - 1) / 3 + 1 = 9 rows; (28 + 0 - 1*(1-1) - 1) / 2 + 1 = 14 columns
  EXPECT_EQ(ops::conv2d(x, Tensor::zeros({2, 1, 3, 1}), {},
                        {.stride = {3, 2}, .padding = {1, 0}, .dilation = {2, 1}})
                .shape(),
            Shape({8, 2, 9, 14}));
  // Kernel exactly as large as the padded input: one output pixel.
  EXPECT_EQ(
      ops::conv2d(Tensor::zeros({1, 2, 3, 3}), Tensor::zeros({1, 2, 5, 5}), {}, {.padding = 1})
          .shape(),
      Shape({1, 1, 1, 1}));
}

TEST(Conv2dOp, RecordsOnlyWhenGradIsNeeded) {
  const Tensor x = Tensor::ones({1, 1, 3, 3});
  Tensor w = Tensor::ones({1, 1, 2, 2});
  EXPECT_EQ(ops::conv2d(x, w).grad_fn(), nullptr);
  w.set_requires_grad(true);
  const Tensor y = ops::conv2d(x, w);
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "conv2d");
  NoGradGuard no_grad;
  EXPECT_EQ(ops::conv2d(x, w).grad_fn(), nullptr);
}

TEST(Conv2dOp, BackwardAccumulates) {
  Rng rng(103);
  Tensor x = Tensor::uniform({1, 2, 4, 4}, -1, 1, rng, Dtype::kFloat64).set_requires_grad(true);
  Tensor w = Tensor::uniform({2, 2, 3, 3}, -1, 1, rng, Dtype::kFloat64).set_requires_grad(true);
  ops::conv2d(x, w, {}, {.padding = 1}).sum().backward();
  const Tensor dx = x.grad().clone(), dw = w.grad().clone();
  ops::conv2d(x, w, {}, {.padding = 1}).sum().backward();
  EXPECT_TENSOR_NEAR(x.grad(), dx * 2.0, 0.0, 1e-15);
  EXPECT_TENSOR_NEAR(w.grad(), dw * 2.0, 0.0, 1e-15);
}

// ---- argument checks ----------------------------------------------------------------------------

TEST(Conv2dShape, RejectsChannelMismatch) {
  EXPECT_THROW_WITH(ops::conv2d(Tensor::zeros({8, 1, 28, 28}), Tensor::zeros({16, 3, 5, 5})),
                    ShapeError,
                    "conv2d: input has 1 channel but weight expects 3 (input [8, 1, 28, 28], "
                    "weight [16, 3, 5, 5])");
}

TEST(Conv2dShape, RejectsGroupedChannelMismatch) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 4, 5, 5}), Tensor::zeros({6, 3, 3, 3}), {}, {.groups = 2}),
      ShapeError,
      "conv2d: input has 4 channels but weight expects 6 = groups 2 x 3 (input "
      "[1, 4, 5, 5], weight [6, 3, 3, 3])");
}

TEST(Conv2dShape, RejectsNon4dInput) {
  EXPECT_THROW_WITH(ops::conv2d(Tensor::zeros({1, 28, 28}), Tensor::zeros({6, 1, 5, 5})),
                    ShapeError,
                    "conv2d: expected a 4-D input (N, C_in, H, W), got shape [1, 28, 28]");
}

TEST(Conv2dShape, RejectsNon4dWeight) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 1, 28, 28}), Tensor::zeros({6, 5, 5})), ShapeError,
      "conv2d: expected a 4-D weight (C_out, C_in/groups, KH, KW), got shape [6, 5, 5]");
}

TEST(Conv2dShape, RejectsGroupsNotDividingInputChannels) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 6, 5, 5}), Tensor::zeros({8, 2, 3, 3}), {}, {.groups = 4}),
      ShapeError,
      "conv2d: expected groups=4 to divide the input's 6 channels, got input "
      "[1, 6, 5, 5]");
}

TEST(Conv2dShape, RejectsGroupsNotDividingOutputChannels) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 4, 5, 5}), Tensor::zeros({5, 2, 3, 3}), {}, {.groups = 2}),
      ShapeError,
      "conv2d: expected groups=2 to divide the weight's 5 output channels, got "
      "weight [5, 2, 3, 3]");
}

TEST(Conv2dShape, RejectsBadBiasShape) {
  const Tensor x = Tensor::zeros({1, 1, 5, 5}), w = Tensor::zeros({6, 1, 3, 3});
  EXPECT_THROW_WITH(ops::conv2d(x, w, Tensor::zeros({5})), ShapeError,
                    "conv2d: expected a bias of shape [6] (one per output channel), got [5]");
  EXPECT_THROW_WITH(ops::conv2d(x, w, Tensor::zeros({1, 6})), ShapeError,
                    "conv2d: expected a bias of shape [6]");
}

TEST(Conv2dShape, RejectsOutputSmallerThanOnePixel) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 1, 4, 9}), Tensor::zeros({1, 1, 3, 3}), {}, {.dilation = 2}),
      ShapeError,
      "conv2d: expected the padded input (4 x 9) to be at least as large as the "
      "dilated kernel (5 x 5), got input [1, 1, 4, 9], weight [1, 1, 3, 3], "
      "padding 0, dilation 2");
}

TEST(Conv2dShape, RejectsEmptyWeight) {
  EXPECT_THROW_WITH(ops::conv2d(Tensor::zeros({1, 1, 4, 4}), Tensor::zeros({1, 1, 0, 3})),
                    ShapeError,
                    "conv2d: expected a weight with positive sizes, got shape [1, 1, 0, 3]");
}

TEST(Conv2dArgs, RejectsNonPositiveStride) {
  const Tensor x = Tensor::zeros({1, 1, 5, 5}), w = Tensor::zeros({1, 1, 3, 3});
  EXPECT_THROW_WITH(ops::conv2d(x, w, {}, {.stride = 0}), ValueError,
                    "conv2d: expected stride > 0, got 0");
  EXPECT_THROW_WITH(ops::conv2d(x, w, {}, {.stride = {1, -2}}), ValueError,
                    "conv2d: expected stride > 0, got (1, -2)");
}

TEST(Conv2dArgs, RejectsNonPositiveDilation) {
  EXPECT_THROW_WITH(ops::conv2d(Tensor::zeros({1, 1, 5, 5}), Tensor::zeros({1, 1, 3, 3}), {},
                                {.dilation = {0, 1}}),
                    ValueError, "conv2d: expected dilation > 0, got (0, 1)");
}

TEST(Conv2dArgs, RejectsNegativePadding) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 1, 5, 5}), Tensor::zeros({1, 1, 3, 3}), {}, {.padding = -1}),
      ValueError, "conv2d: expected padding >= 0, got -1");
}

TEST(Conv2dArgs, RejectsNonPositiveGroups) {
  EXPECT_THROW_WITH(
      ops::conv2d(Tensor::zeros({1, 1, 5, 5}), Tensor::zeros({1, 1, 3, 3}), {}, {.groups = 0}),
      ValueError, "conv2d: expected groups > 0, got 0");
}

TEST(Conv2dArgs, RejectsMixedAndIntegerDtypes) {
  const Tensor x = Tensor::zeros({1, 1, 5, 5});
  EXPECT_THROW_WITH(ops::conv2d(x, Tensor::zeros({1, 1, 3, 3}, Dtype::kFloat64)), ValueError,
                    "conv2d: expected a weight of the input's dtype float32, got float64");
  EXPECT_THROW_WITH(
      ops::conv2d(x, Tensor::zeros({1, 1, 3, 3}), Tensor::zeros({1}, Dtype::kFloat64)), ValueError,
      "conv2d: expected a bias of the input's dtype float32, got float64");
  EXPECT_THROW_WITH(ops::conv2d(Tensor::zeros({1, 1, 5, 5}, Dtype::kInt64),
                                Tensor::zeros({1, 1, 3, 3}, Dtype::kInt64)),
                    ValueError, "conv2d: expected a float32 or float64 input, got int64");
}

TEST(Conv2dArgs, RejectsUndefinedWeight) {
  EXPECT_THROW_WITH(ops::conv2d(Tensor::zeros({1, 1, 5, 5}), Tensor()), ValueError,
                    "conv2d: expected a defined input and weight, got an undefined weight");
}

}  // namespace
}  // namespace cnnlab
