// Unit tests of the losses and the loss modules: hand-computed cross-entropy on 2x3 logits, values
// computed with PyTorch 1.13 for weights + label smoothing + ignore_index, MSE/KL/Gram/TV on tiny
// inputs, and the error messages.
#include "cnnlab/nn/loss.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/loss.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using ops::Reduction;

Tensor labels(const std::vector<int64_t>& v) {
  return Tensor::from_int64(v, {static_cast<int64_t>(v.size())});
}

Tensor f64(const std::vector<double>& v, const Shape& s) {
  return Tensor::from_vector(v, s, Dtype::kFloat64);
}

// logits [[1, 2, 3], [1, 1, 1]], targets [2, 0]
Tensor logits_2x3() { return f64({1, 2, 3, 1, 1, 1}, {2, 3}); }

TEST(CrossEntropyOp, HandComputedTwoByThree) {
  // row 0: -log softmax[2] = log(e^1 + e^2 + e^3) - 3; row 1: uniform, log 3
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  const double l1 = std::log(3.0);
  const Tensor z = logits_2x3(), t = labels({2, 0});
  EXPECT_NEAR(ops::cross_entropy(z, t).item(), (l0 + l1) / 2, 1e-15);
  EXPECT_NEAR(ops::cross_entropy(z, t, {.reduction = Reduction::kSum}).item(), l0 + l1, 1e-15);
  EXPECT_TENSOR_NEAR(ops::cross_entropy(z, t, {.reduction = Reduction::kNone}), f64({l0, l1}, {2}),
                     1e-14, 0);
  // class weights [1, 2, 3]: the mean divides by the weights of the targets (3 + 1)
  const Tensor w = f64({1, 2, 3}, {3});
  EXPECT_NEAR(ops::cross_entropy(z, t, {.weight = w}).item(), (3 * l0 + 1 * l1) / 4, 1e-15);
  // smoothing 0.1 without weights: target distribution 0.9 one_hot + 0.1 / 3
  const double s0 = 3 * (l0 + 3.0) - (1.0 + 2.0 + 3.0);  // -sum_k log softmax[k] for row 0
  const double smooth0 = 0.9 * l0 + 0.1 / 3 * s0, smooth1 = 0.9 * l1 + 0.1 / 3 * (3 * l1);
  EXPECT_NEAR(ops::cross_entropy(z, t, {.label_smoothing = 0.1}).item(), (smooth0 + smooth1) / 2,
              1e-14);
}

TEST(CrossEntropyOp, MatchesPyTorchWithWeightsSmoothingAndIgnoreIndex) {
  // Reference values from torch.nn.functional.cross_entropy (PyTorch 1.13, float64).
  const Tensor w = f64({1, 2, 3}, {3});
  const Tensor z = logits_2x3(), t = labels({2, 0});
  EXPECT_NEAR(ops::cross_entropy(z, t).item(), 0.7531091265562451, 1e-15);
  EXPECT_NEAR(ops::cross_entropy(z, t, {.weight = w}).item(), 0.5803575455003127, 1e-15);
  EXPECT_NEAR(ops::cross_entropy(z, t, {.label_smoothing = 0.1}).item(), 0.8031091265562451, 1e-15);
  EXPECT_NEAR(ops::cross_entropy(z, t, {.weight = w, .label_smoothing = 0.1}).item(),
              0.6309660369392392, 1e-15);
  EXPECT_NEAR(
      ops::cross_entropy(z, t, {.weight = w, .reduction = Reduction::kSum, .label_smoothing = 0.1})
          .item(),
      2.523864147756957, 1e-14);
  const Tensor z3 = f64({1, 2, 3, 1, 1, 1, 0.5, -1, 2}, {3, 3});
  const Tensor t3 = labels({2, -100, 1});
  EXPECT_NEAR(ops::cross_entropy(z3, t3, {.weight = w, .label_smoothing = 0.1}).item(),
              1.4896026447072703, 1e-14);
  EXPECT_TENSOR_NEAR(
      ops::cross_entropy(z3, t3,
                         {.weight = w, .reduction = Reduction::kNone, .label_smoothing = 0.1}),
      f64({1.31539063022203662, 0.0, 6.13262259331431459}, {3}), 1e-14, 0);
}

TEST(CrossEntropyOp, EqualsNllOfLogSoftmax) {
  Rng rng(61);
  const Tensor z = Tensor::uniform({4, 5}, -2.0, 2.0, rng, Dtype::kFloat64);
  const Tensor t = labels({4, 0, -100, 2});
  const Tensor w = Tensor::uniform({5}, 0.5, 1.5, rng, Dtype::kFloat64);
  for (Reduction red : {Reduction::kMean, Reduction::kSum, Reduction::kNone}) {
    const ops::CrossEntropyOptions o{.weight = w, .reduction = red};
    EXPECT_TENSOR_NEAR(ops::cross_entropy(z, t, o), ops::nll_loss(ops::log_softmax(z, 1), t, o),
                       1e-14, 1e-15);
  }
}

TEST(CrossEntropyOp, IgnoredSamplesContributeNothing) {
  const Tensor z = f64({1, 2, 3, 5, -1, 0, 1, 1, 1}, {3, 3});
  const Tensor full = ops::cross_entropy(z, labels({2, 0, 1}), {.ignore_index = 0});
  const Tensor kept = ops::cross_entropy(f64({1, 2, 3, 1, 1, 1}, {2, 3}), labels({2, 1}));
  EXPECT_NEAR(full.item(), kept.item(), 1e-15);
  // every target ignored: the mean is 0 / 0, NaN as in PyTorch
  EXPECT_TRUE(std::isnan(ops::cross_entropy(z, labels({-100, -100, -100})).item()));
}

TEST(CrossEntropyOp, Float32MatchesFloat64) {
  const Tensor y32 = ops::cross_entropy(logits_2x3().to(Dtype::kFloat32), labels({2, 0}),
                                        {.label_smoothing = 0.2});
  EXPECT_EQ(y32.dtype(), Dtype::kFloat32);
  EXPECT_NEAR(y32.item(),
              ops::cross_entropy(logits_2x3(), labels({2, 0}), {.label_smoothing = 0.2}).item(),
              1e-6);
}

TEST(CrossEntropyOp, GradientIsSoftmaxMinusTarget) {
  Tensor z = logits_2x3().set_requires_grad(true);
  ops::cross_entropy(z, labels({2, 0}), {.reduction = Reduction::kSum, .label_smoothing = 0.3})
      .backward();
  const Tensor p = ops::softmax(logits_2x3(), 1);
  const double off = 0.1;  // ls / C
  const Tensor q = f64({off, off, 0.7 + off, 0.7 + off, off, off}, {2, 3});
  EXPECT_TENSOR_NEAR(z.grad(), p - q, 1e-15, 1e-15);
}

TEST(NllLossOp, HandComputed) {
  const Tensor lp = f64({-0.1, -2.0, -3.0, -1.5, -0.5, -2.5}, {2, 3});
  const Tensor t = labels({0, 2});
  EXPECT_NEAR(ops::nll_loss(lp, t).item(), (0.1 + 2.5) / 2, 1e-15);
  const Tensor w = f64({2, 1, 0.5}, {3});
  EXPECT_NEAR(ops::nll_loss(lp, t, {.weight = w}).item(), (0.2 + 1.25) / 2.5, 1e-15);
  EXPECT_TENSOR_NEAR(ops::nll_loss(lp, labels({-100, 2}), {.reduction = Reduction::kNone}),
                     f64({0, 2.5}, {2}), 0, 1e-15);
}

TEST(MseLossOp, HandComputed) {
  const Tensor a = f64({1, 2, 3, 4}, {2, 2}), b = f64({0, 0, 4, 2}, {2, 2});
  EXPECT_NEAR(ops::mse_loss(a, b).item(), (1 + 4 + 1 + 4) / 4.0, 1e-15);
  EXPECT_NEAR(ops::mse_loss(a, b, Reduction::kSum).item(), 10.0, 1e-15);
  EXPECT_TENSOR_NEAR(ops::mse_loss(a, b, Reduction::kNone), f64({1, 4, 1, 4}, {2, 2}), 0, 0);
}

TEST(KlDivOp, MatchesPyTorch) {
  // Reference values from torch.nn.functional.kl_div (PyTorch 1.13, float64); the 0 target
  // contributes 0.
  const Tensor in = f64({-1, -2, -0.5, -0.3, -1.2, -2.0}, {2, 3});
  const Tensor t = f64({0.2, 0, 0.8, 0.5, 0.25, 0.25}, {2, 3});
  EXPECT_NEAR(ops::kl_div(in, t).item(), 0.0016461342703157033, 1e-15);
  EXPECT_NEAR(ops::kl_div(in, t, Reduction::kSum).item(), 0.009876805621894219, 1e-15);
  EXPECT_NEAR(ops::kl_div(in, t, Reduction::kBatchMean).item(), 0.0049384028109471095, 1e-15);
  const Tensor log_t = ops::log(f64({0.2, 0.1, 0.7, 0.5, 0.25, 0.25}, {2, 3}));
  EXPECT_NEAR(ops::kl_div(in, log_t, Reduction::kSum, true).item(), -0.14153932338325528, 1e-15);
}

TEST(KlDivOp, GradientsOfInputAndTarget) {
  // kSum: d/d input = -target; d/d target = log(target) + 1 - input where target > 0 (PyTorch's
  // value) and -input where target = 0 (PyTorch 1.13 gives NaN there; see loss.hpp).
  const Tensor in = f64({-1, -2, -0.5, -0.3, -1.2, -2.0}, {2, 3}).set_requires_grad(true);
  const Tensor t = f64({0.2, 0, 0.8, 0.5, 0.25, 0.25}, {2, 3}).set_requires_grad(true);
  ops::kl_div(in, t, Reduction::kSum).backward();
  EXPECT_TENSOR_EQ(in.grad(), f64({-0.2, 0, -0.8, -0.5, -0.25, -0.25}, {2, 3}));
  const std::vector<double> iv = in.to_vector(), tv = t.to_vector();
  std::vector<double> expected(tv.size());
  for (size_t i = 0; i < tv.size(); ++i) {
    expected[i] = tv[i] > 0 ? std::log(tv[i]) + 1 - iv[i] : -iv[i];
  }
  EXPECT_TENSOR_NEAR(t.grad(), f64(expected, {2, 3}), 1e-15, 1e-15);
  EXPECT_EQ(t.grad().to_vector()[1], 2.0) << "target 0: the gradient is -input, finite";
}

TEST(KlDivOp, NegativeTargetGivesNaNAsPyTorch) {
  // xlogy(t, t) = t * log(t) is NaN for t < 0; PyTorch 1.13 returns NaN, and so does cnnlab.
  const Tensor in = f64({-1, -2}, {1, 2});
  const Tensor t = f64({0.5, -0.1}, {1, 2});
  EXPECT_TRUE(std::isnan(ops::kl_div(in, t, Reduction::kSum).item()));
}

TEST(GramMatrixOp, HandComputed) {
  // F = [[1, 2], [3, 4]] (C = 2, H * W = 2): F F^T = [[5, 11], [11, 25]], divided by C*H*W = 4
  const Tensor f = f64({1, 2, 3, 4}, {1, 2, 1, 2});
  EXPECT_TENSOR_NEAR(ops::gram_matrix(f), f64({1.25, 2.75, 2.75, 6.25}, {1, 2, 2}), 0, 1e-15);
}

TEST(TotalVariationOp, HandComputed) {
  // one grid cell: right difference 1, down difference 3 -> 1 + 9 = 10
  const Tensor x = f64({1, 2, 4, 8}, {1, 1, 2, 2});
  EXPECT_NEAR(ops::total_variation(x).item(), 10.0, 1e-15);
  EXPECT_NEAR(ops::total_variation(x, 1.0).item(), std::sqrt(10.0), 1e-15);
  // 2 x 3: cells (0,0): (1, 3) and (0,1): (2, 5) -> 10 + 29; the last column and row only serve
  // as neighbours
  const Tensor y = f64({0, 1, 3, 3, 6, 9}, {1, 1, 2, 3});
  EXPECT_NEAR(ops::total_variation(y).item(), 39.0, 1e-14);
}

TEST(LossShape, RejectsBadShapes) {
  const Tensor z = Tensor::zeros({2, 3});
  EXPECT_THROW_WITH(ops::cross_entropy(Tensor::zeros({3}), labels({1})), ShapeError,
                    "cross_entropy: expected logits of shape (N, C), got shape [3]");
  EXPECT_THROW_WITH(ops::cross_entropy(z, Tensor::from_int64(std::vector<int64_t>{1, 2}, {2, 1})),
                    ShapeError,
                    "cross_entropy: expected a target of shape [2] for logits [2, 3], got [2, 1]");
  EXPECT_THROW_WITH(
      ops::cross_entropy(z, labels({0, 1}), {.weight = Tensor::ones({4})}), ShapeError,
      "cross_entropy: expected a class weight of shape [3] for logits [2, 3], got [4]");
  EXPECT_THROW_WITH(ops::nll_loss(Tensor::zeros({2, 3, 4}), labels({0, 1})), ShapeError,
                    "nll_loss: expected log_probs of shape (N, C), got shape [2, 3, 4]");
  EXPECT_THROW_WITH(ops::mse_loss(z, Tensor::zeros({3, 2})), ShapeError,
                    "mse_loss: expected input and target of one shape, got [2, 3] and [3, 2]");
  EXPECT_THROW_WITH(ops::kl_div(z, Tensor::zeros({2})), ShapeError,
                    "kl_div: expected input and target of one shape, got [2, 3] and [2]");
  EXPECT_THROW_WITH(ops::gram_matrix(Tensor::zeros({2, 3, 4})), ShapeError,
                    "gram_matrix: expected features (N, C, H, W), got shape [2, 3, 4]");
  EXPECT_THROW_WITH(ops::total_variation(Tensor::zeros({1, 1, 1, 5})), ShapeError,
                    "total_variation: expected H >= 2 and W >= 2, got shape [1, 1, 1, 5]");
}

TEST(LossValue, RejectsBadTargetsAndOptions) {
  const Tensor z = Tensor::zeros({2, 3});
  EXPECT_THROW_WITH(ops::cross_entropy(z, Tensor::zeros({2})), ValueError,
                    "cross_entropy: expected an int64 target (class indices), got float32");
  EXPECT_THROW_WITH(ops::cross_entropy(z, labels({0, 3})), ValueError,
                    "cross_entropy: expected target values in [0, 3) or ignore_index (-100), got 3 "
                    "at position 1");
  EXPECT_THROW_WITH(ops::nll_loss(z, labels({-1, 0})), ValueError,
                    "nll_loss: expected target values in [0, 3) or ignore_index (-100), got -1 at "
                    "position 0");
  EXPECT_THROW_WITH(ops::cross_entropy(z, labels({0, 1}), {.label_smoothing = 1.5}), ValueError,
                    "cross_entropy: expected label_smoothing in [0, 1], got 1.5");
  EXPECT_THROW_WITH(ops::cross_entropy(z, labels({0, 1}), {.reduction = Reduction::kBatchMean}),
                    ValueError, "cross_entropy: expected reduction kNone, kMean or kSum");
  EXPECT_THROW_WITH(ops::nll_loss(z, labels({0, 1}), {.label_smoothing = 0.1}), ValueError,
                    "nll_loss: expected label_smoothing = 0");
  EXPECT_THROW_WITH(ops::mse_loss(z, z, Reduction::kBatchMean), ValueError,
                    "mse_loss: expected reduction kNone, kMean or kSum (kBatchMean is only for "
                    "kl_div), got kBatchMean");
  EXPECT_THROW_WITH(
      ops::mse_loss(z, Tensor::zeros({2, 3}, Dtype::kFloat64)), ValueError,
      "mse_loss: expected float input and target of one dtype, got float32 and float64");
  EXPECT_THROW_WITH(ops::total_variation(Tensor::zeros({1, 1, 3, 3}), 0.0), ValueError,
                    "total_variation: expected beta > 0, got 0");
}

TEST(LossModule, ForwardsOptions) {
  const Tensor z = logits_2x3(), t = labels({2, 0});
  const Tensor w = f64({1, 2, 3}, {3});
  const nn::CrossEntropyLoss ce(
      {.weight = w, .reduction = Reduction::kSum, .label_smoothing = 0.1});
  EXPECT_NEAR(ce(z, t).item(), 2.523864147756957, 1e-14);
  EXPECT_EQ(ce.repr(), "CrossEntropyLoss()");
  const nn::NLLLoss nll({.ignore_index = 2});
  EXPECT_NEAR(nll(ops::log_softmax(z, 1), t).item(), std::log(3.0), 1e-15);
  EXPECT_NEAR(nn::MSELoss({.reduction = Reduction::kSum})(z, Tensor::zeros_like(z)).item(), 17.0,
              1e-15);
  const Tensor lp = ops::log_softmax(z, 1);
  EXPECT_NEAR(
      nn::KLDivLoss({.reduction = Reduction::kBatchMean, .log_target = true})(lp, lp).item(), 0.0,
      1e-15);
}

TEST(LossModule, ConstructorRejectsBadOptions) {
  EXPECT_THROW_WITH(nn::CrossEntropyLoss({.label_smoothing = -0.1}), ValueError,
                    "CrossEntropyLoss: expected label_smoothing in [0, 1], got -0.1");
  EXPECT_THROW_WITH(nn::CrossEntropyLoss({.weight = Tensor::ones({2, 2})}), ValueError,
                    "CrossEntropyLoss: expected a 1-D class weight (C), got shape [2, 2]");
  EXPECT_THROW_WITH(nn::NLLLoss({.reduction = Reduction::kBatchMean}), ValueError,
                    "NLLLoss: expected reduction kNone, kMean or kSum, got kBatchMean");
  EXPECT_THROW_WITH(nn::MSELoss({.reduction = Reduction::kBatchMean}), ValueError,
                    "MSELoss: expected reduction kNone, kMean or kSum");
}

}  // namespace
}  // namespace cnnlab
