// Unit tests of nn::BatchNorm1d / BatchNorm2d: parameter and buffer names, shapes and initial
// values, repr, running statistics after one training step (unbiased variance), eval on running
// statistics, num_batches_tracked, momentum None, track_running_stats = false, and errors.
#include "cnnlab/nn/batch_norm.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/norm.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor f32(const std::vector<double>& v, const Shape& s) { return Tensor::from_vector(v, s); }

// (2, 2, 1, 2): channel 0 holds 1, 3, 5, 7 (mean 4, biased var 5, unbiased 20/3); channel 1 holds
// 0, 0, 2, 2 (mean 1, biased var 1, unbiased 4/3).
Tensor hand_batch() { return f32({1, 3, 0, 0, 5, 7, 2, 2}, {2, 2, 1, 2}); }

TEST(BatchNorm2dModule, ParametersBuffersAndInitialValues) {
  nn::BatchNorm2d bn({.num_features = 3});
  const auto params = bn.named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "weight");
  EXPECT_EQ(params[1].first, "bias");
  EXPECT_TENSOR_EQ(bn.weight(), Tensor::ones({3}));
  EXPECT_TENSOR_EQ(bn.bias(), Tensor::zeros({3}));
  EXPECT_TRUE(bn.weight().requires_grad());
  const auto buffers = bn.named_buffers();
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[0].first, "running_mean");
  EXPECT_EQ(buffers[1].first, "running_var");
  EXPECT_EQ(buffers[2].first, "num_batches_tracked");
  EXPECT_TENSOR_EQ(bn.running_mean(), Tensor::zeros({3}));
  EXPECT_TENSOR_EQ(bn.running_var(), Tensor::ones({3}));
  EXPECT_EQ(bn.num_batches_tracked().dtype(), Dtype::kInt64);
  EXPECT_EQ(bn.num_batches_tracked().dim(), 0);
  EXPECT_EQ(bn.num_batches_tracked().item(), 0.0);
}

TEST(BatchNorm2dModule, Repr) {
  EXPECT_EQ(nn::BatchNorm2d({.num_features = 16}).repr(),
            "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  EXPECT_EQ(nn::BatchNorm1d({.num_features = 3,
                             .eps = 0.001,
                             .momentum = std::nullopt,
                             .affine = false,
                             .track_running_stats = false})
                .repr(),
            "BatchNorm1d(3, eps=0.001, momentum=None, affine=False, track_running_stats=False)");
}

TEST(BatchNorm2dModule, RunningStatsAfterOneTrainingStepMatchHandComputed) {
  nn::BatchNorm2d bn({.num_features = 2});
  bn(hand_batch());
  // 0.9 * initial + 0.1 * batch statistic, with the unbiased variance
  EXPECT_TENSOR_NEAR(bn.running_mean(), f32({0.4, 0.1}, {2}), 1e-7, 0);
  EXPECT_TENSOR_NEAR(bn.running_var(), f32({0.9 + 0.1 * 20.0 / 3.0, 0.9 + 0.1 * 4.0 / 3.0}, {2}),
                     1e-7, 0);
  EXPECT_EQ(bn.num_batches_tracked().item(), 1.0);
}

TEST(BatchNorm2dModule, TrainingNormalizesWithBatchStatistics) {
  nn::BatchNorm2d bn({.num_features = 2, .eps = 0.0});
  const Tensor y = bn(hand_batch());
  const double s = 1.0 / std::sqrt(5.0);
  const Tensor expected = f32({-3 * s, -1 * s, -1, -1, 1 * s, 3 * s, 1, 1}, {2, 2, 1, 2});
  EXPECT_TENSOR_NEAR(y, expected, 1e-6, 1e-6);
}

TEST(BatchNorm2dModule, EvalUsesRunningStatsAndDoesNotCount) {
  nn::BatchNorm2d bn({.num_features = 2, .eps = 0.0});
  Tensor running_mean = bn.running_mean(), running_var = bn.running_var();  // shared handles
  running_mean.copy_(f32({1.0, -1.0}, {2}));
  running_var.copy_(f32({4.0, 0.25}, {2}));
  bn.eval();
  const Tensor y = bn(hand_batch());
  // channel 0: (x - 1) / 2; channel 1: (x + 1) / 0.5
  EXPECT_TENSOR_NEAR(y, f32({0, 1, 2, 2, 2, 3, 6, 6}, {2, 2, 1, 2}), 0, 1e-6);
  EXPECT_TENSOR_EQ(bn.running_mean(), f32({1.0, -1.0}, {2}));
  EXPECT_EQ(bn.num_batches_tracked().item(), 0.0);
  bn.train();
  bn(hand_batch());
  bn(hand_batch());
  EXPECT_EQ(bn.num_batches_tracked().item(), 2.0);
}

TEST(BatchNorm2dModule, MomentumNoneIsCumulativeAverage) {
  nn::BatchNorm2d bn({.num_features = 2, .momentum = std::nullopt});
  bn(hand_batch());        // factor 1: running = batch statistics
  bn(hand_batch() * 3.0);  // factor 1/2: the average of both batches
  EXPECT_TENSOR_NEAR(bn.running_mean(), f32({(4.0 + 12.0) / 2, (1.0 + 3.0) / 2}, {2}), 1e-6, 0);
  EXPECT_TENSOR_NEAR(bn.running_var(), f32({(20.0 / 3 + 60.0) / 2, (4.0 / 3 + 12.0) / 2}, {2}),
                     1e-6, 0);
}

TEST(BatchNorm2dModule, WithoutRunningStatsEvalUsesBatchStatistics) {
  nn::BatchNorm2d bn({.num_features = 2, .track_running_stats = false});
  EXPECT_TRUE(bn.named_buffers().empty());
  EXPECT_FALSE(bn.running_mean().defined());
  const Tensor train_out = bn(hand_batch());
  bn.eval();
  EXPECT_TENSOR_EQ(bn(hand_batch()), train_out);
}

TEST(BatchNorm2dModule, WithoutAffineHasNoParameters) {
  nn::BatchNorm2d bn({.num_features = 2, .affine = false});
  EXPECT_TRUE(bn.named_parameters().empty());
  EXPECT_EQ(bn.named_buffers().size(), 3u);
  const Tensor y = bn(hand_batch());
  EXPECT_EQ(y.shape(), (Shape{2, 2, 1, 2}));
}

TEST(BatchNorm2dModule, GradientsReachWeightAndBias) {
  Rng rng(71);
  nn::BatchNorm2d bn({.num_features = 3}, rng);
  const Tensor x = Tensor::uniform({2, 3, 2, 2}, -1.0, 1.0, rng);
  (bn(x) * bn(x)).sum().backward();
  EXPECT_TRUE(bn.weight().grad().defined());
  EXPECT_TRUE(bn.bias().grad().defined());
  EXPECT_EQ(bn.weight().grad().shape(), (Shape{3}));
}

TEST(BatchNorm1dModule, AcceptsTwoAndThreeDimInput) {
  Rng rng(72);
  nn::BatchNorm1d bn({.num_features = 2});
  EXPECT_EQ(bn(f32({1, 2, 3, 4, 5, 7}, {3, 2})).shape(), (Shape{3, 2}));
  EXPECT_EQ(bn(Tensor::uniform({2, 2, 5}, -1.0, 1.0, rng)).shape(), (Shape{2, 2, 5}));
  EXPECT_EQ(bn.num_batches_tracked().item(), 2.0);
  // (N, C) statistics with momentum 1 (running = batch): channel 0 holds 1, 3, 5 (mean 3,
  // unbiased var 4), channel 1 holds 2, 4, 7 (mean 13/3, unbiased var 19/3)
  nn::BatchNorm1d fresh({.num_features = 2, .momentum = 1.0});
  fresh(f32({1, 2, 3, 4, 5, 7}, {3, 2}));
  EXPECT_TENSOR_NEAR(fresh.running_mean(), f32({3.0, 13.0 / 3}, {2}), 1e-6, 0);
  EXPECT_TENSOR_NEAR(fresh.running_var(), f32({4.0, 19.0 / 3}, {2}), 1e-6, 0);
}

TEST(BatchNormModuleShape, RejectsWrongRankAndChannels) {
  nn::BatchNorm2d bn2({.num_features = 3});
  EXPECT_THROW_WITH(bn2(Tensor::zeros({2, 3, 4})), ShapeError,
                    "BatchNorm2d: expected an input (N, C, H, W), got shape [2, 3, 4]");
  EXPECT_THROW_WITH(
      bn2(Tensor::zeros({2, 4, 5, 5})), ShapeError,
      "BatchNorm2d: expected 3 channels (num_features), got input of shape [2, 4, 5, 5]");
  nn::BatchNorm1d bn1({.num_features = 3});
  EXPECT_THROW_WITH(bn1(Tensor::zeros({2, 3, 4, 4})), ShapeError,
                    "BatchNorm1d: expected an input (N, C) or (N, C, L), got shape [2, 3, 4, 4]");
}

TEST(BatchNormModuleValue, ConstructorRejectsBadOptions) {
  EXPECT_THROW_WITH(nn::BatchNorm2d({.num_features = 0}), ValueError,
                    "BatchNorm2d: expected num_features > 0, got 0");
  EXPECT_THROW_WITH(nn::BatchNorm1d({.num_features = 4, .eps = -1e-5}), ValueError,
                    "BatchNorm1d: expected eps >= 0, got -1e-05");
  EXPECT_THROW_WITH(nn::BatchNorm2d({.num_features = 4, .momentum = 2.0}), ValueError,
                    "BatchNorm2d: expected momentum in [0, 1], got 2");
}

}  // namespace
}  // namespace cnnlab
