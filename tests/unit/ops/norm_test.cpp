// Unit tests of ops::batch_norm: hand-computed outputs and running statistics (unbiased variance),
// eval mode on running statistics, float32 against float64, and the error messages.
#include "cnnlab/ops/norm.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

// (4, 2): channel 0 holds 1, 2, 3, 4 (mean 2.5, biased var 1.25, unbiased 5/3); channel 1 holds
// 2, 2, 2, 6 (mean 3, biased var 3, unbiased 4).
Tensor hand_input(Dtype dtype = Dtype::kFloat64) {
  return Tensor::from_vector({1, 2, 2, 2, 3, 2, 4, 6}, {4, 2}, dtype);
}

TEST(BatchNormOp, RunningStatsAfterOneStepMatchHandComputed) {
  Tensor rm = Tensor::zeros({2}, Dtype::kFloat64);
  Tensor rv = Tensor::ones({2}, Dtype::kFloat64);
  ops::batch_norm(hand_input(), rm, rv, {}, {}, {.training = true, .momentum = 0.1});
  // running = 0.9 * running + 0.1 * batch statistic, with the unbiased variance
  EXPECT_TENSOR_NEAR(rm, Tensor::from_vector({0.25, 0.3}, {2}, Dtype::kFloat64), 0, 1e-15);
  EXPECT_TENSOR_NEAR(
      rv, Tensor::from_vector({0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 4.0}, {2}, Dtype::kFloat64), 0,
      1e-15);
}

TEST(BatchNormOp, TrainingOutputHandComputed) {
  const Tensor w = Tensor::from_vector({2.0, -1.0}, {2}, Dtype::kFloat64);
  const Tensor b = Tensor::from_vector({0.5, 1.0}, {2}, Dtype::kFloat64);
  const Tensor y = ops::batch_norm(hand_input(), {}, {}, w, b, {.training = true, .eps = 1e-5});
  const double s0 = 1.0 / std::sqrt(1.25 + 1e-5), s1 = 1.0 / std::sqrt(3.0 + 1e-5);
  const Tensor expected = Tensor::from_vector(
      {-1.5 * s0 * 2 + 0.5, -1 * s1 * -1 + 1.0, -0.5 * s0 * 2 + 0.5, -1 * s1 * -1 + 1.0,
       0.5 * s0 * 2 + 0.5, -1 * s1 * -1 + 1.0, 1.5 * s0 * 2 + 0.5, 3 * s1 * -1 + 1.0},
      {4, 2}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(y, expected, 1e-14, 1e-14);
}

TEST(BatchNormOp, TrainingNormalizes4dPerChannel) {
  Rng rng(41);
  const Tensor x = Tensor::uniform({3, 2, 4, 5}, -3.0, 5.0, rng, Dtype::kFloat64);
  const Tensor y = ops::batch_norm(x, {}, {}, {}, {}, {.training = true, .eps = 0.0});
  EXPECT_TENSOR_NEAR(ops::mean(y, {0, 2, 3}), Tensor::zeros({2}, Dtype::kFloat64), 0, 1e-14);
  EXPECT_TENSOR_NEAR(ops::var(y, {0, 2, 3}, false), Tensor::ones({2}, Dtype::kFloat64), 0, 1e-12);
}

TEST(BatchNormOp, EvalUsesRunningStatsAndLeavesThemUnchanged) {
  const Tensor rm = Tensor::from_vector({1.0, -2.0}, {2}, Dtype::kFloat64);
  const Tensor rv = Tensor::from_vector({4.0, 0.25}, {2}, Dtype::kFloat64);
  const Tensor w = Tensor::from_vector({3.0, 1.0}, {2}, Dtype::kFloat64);
  const Tensor y = ops::batch_norm(hand_input(), rm, rv, w, {}, {.training = false, .eps = 0.0});
  // channel 0: (x - 1) / 2 * 3; channel 1: (x + 2) / 0.5
  const Tensor expected =
      Tensor::from_vector({0, 8, 1.5, 8, 3, 8, 4.5, 16}, {4, 2}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(y, expected, 1e-15, 1e-15);
  EXPECT_TENSOR_EQ(rm, Tensor::from_vector({1.0, -2.0}, {2}, Dtype::kFloat64));
  EXPECT_TENSOR_EQ(rv, Tensor::from_vector({4.0, 0.25}, {2}, Dtype::kFloat64));
}

TEST(BatchNormOp, Float32RunningStatsWithFloat64Input) {
  Tensor rm = Tensor::zeros({2});
  Tensor rv = Tensor::ones({2});
  ops::batch_norm(hand_input(), rm, rv, {}, {}, {.training = true});
  EXPECT_TENSOR_NEAR(rm, Tensor::from_vector(std::vector<double>{0.25, 0.3}, {2}), 0, 1e-7);
}

TEST(BatchNormOp, Float32MatchesFloat64) {
  Rng rng(42);
  const Tensor x64 = Tensor::uniform({2, 3, 3, 3}, -2.0, 2.0, rng, Dtype::kFloat64);
  const Tensor w64 = Tensor::uniform({3}, 0.5, 1.5, rng, Dtype::kFloat64);
  const Tensor b64 = Tensor::uniform({3}, -1.0, 1.0, rng, Dtype::kFloat64);
  const Tensor y64 = ops::batch_norm(x64, {}, {}, w64, b64);
  const Tensor y32 = ops::batch_norm(x64.to(Dtype::kFloat32), {}, {}, w64.to(Dtype::kFloat32),
                                     b64.to(Dtype::kFloat32));
  EXPECT_EQ(y32.dtype(), Dtype::kFloat32);
  EXPECT_TENSOR_NEAR(y32.to(Dtype::kFloat64), y64, 1e-5, 1e-5);
}

TEST(BatchNormOp, BackwardAccumulates) {
  Rng rng(43);
  Tensor x = Tensor::uniform({3, 2, 2}, -1.0, 1.0, rng, Dtype::kFloat64).set_requires_grad(true);
  Tensor w = Tensor::ones({2}, Dtype::kFloat64).set_requires_grad(true);
  const Tensor r = Tensor::uniform({3, 2, 2}, -1.0, 1.0, rng, Dtype::kFloat64);
  (ops::batch_norm(x, {}, {}, w, {}) * r).sum().backward();
  const Tensor gx = x.grad().clone(), gw = w.grad().clone();
  (ops::batch_norm(x, {}, {}, w, {}) * r).sum().backward();
  EXPECT_TENSOR_NEAR(x.grad(), gx * 2.0, 0, 1e-15);
  EXPECT_TENSOR_NEAR(w.grad(), gw * 2.0, 0, 1e-15);
}

TEST(BatchNormShape, RejectsRankOneInput) {
  EXPECT_THROW_WITH(ops::batch_norm(Tensor::zeros({5}), {}, {}, {}, {}), ShapeError,
                    "batch_norm: expected an input (N, C) or (N, C, H, W), got shape [5]");
}

TEST(BatchNormShape, RejectsChannelMismatch) {
  EXPECT_THROW_WITH(
      ops::batch_norm(Tensor::zeros({2, 3, 4, 4}), {}, {}, Tensor::ones({4}), {}), ShapeError,
      "batch_norm: expected weight of shape [3] (the channels of input [2, 3, 4, 4]), got [4]");
  EXPECT_THROW_WITH(
      ops::batch_norm(Tensor::zeros({2, 3}), Tensor::zeros({2}), Tensor::ones({2}), {}, {}),
      ShapeError, "batch_norm: expected running_mean of shape [3]");
}

TEST(BatchNormShape, RejectsSingleValuePerChannelWhenTraining) {
  EXPECT_THROW_WITH(ops::batch_norm(Tensor::zeros({1, 3}), {}, {}, {}, {}), ShapeError,
                    "batch_norm: expected more than 1 value per channel when training, got input "
                    "shape [1, 3]");
  // eval mode normalizes a single sample fine
  const Tensor y = ops::batch_norm(Tensor::zeros({1, 3}), Tensor::zeros({3}), Tensor::ones({3}), {},
                                   {}, {.training = false});
  EXPECT_EQ(y.shape(), (Shape{1, 3}));
}

TEST(BatchNormValue, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({2, 3});
  EXPECT_THROW_WITH(ops::batch_norm(x, {}, {}, {}, {}, {.training = false}), ValueError,
                    "batch_norm: expected running_mean and running_var in eval mode");
  EXPECT_THROW_WITH(ops::batch_norm(x, Tensor::zeros({3}), {}, {}, {}), ValueError,
                    "batch_norm: expected both running_mean and running_var or neither, got only "
                    "running_mean");
  EXPECT_THROW_WITH(ops::batch_norm(x, {}, {}, Tensor::ones({3}, Dtype::kFloat64), {}), ValueError,
                    "batch_norm: expected weight of the input's dtype float32, got float64");
  EXPECT_THROW_WITH(ops::batch_norm(x, {}, {}, {}, {}, {.momentum = 1.5}), ValueError,
                    "batch_norm: expected momentum in [0, 1], got 1.5");
  EXPECT_THROW_WITH(ops::batch_norm(x, {}, {}, {}, {}, {.eps = -1.0}), ValueError,
                    "batch_norm: expected eps >= 0, got -1");
  EXPECT_THROW_WITH(ops::batch_norm(Tensor::zeros({2, 3}, Dtype::kInt64), {}, {}, {}, {}),
                    ValueError, "batch_norm: expected a float32 or float64 input, got int64");
}

}  // namespace
}  // namespace cnnlab
