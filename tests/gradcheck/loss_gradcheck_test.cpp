// Gradient checks of the losses against central differences (float64, default tolerances):
// cross_entropy over weights x label smoothing x ignore_index x reduction, nll_loss, mse_loss and
// kl_div in both arguments, gram_matrix and total_variation.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/loss.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using ops::Reduction;
using testing::gradcheck;
using V = std::vector<Tensor>;

constexpr Reduction kReductions[] = {Reduction::kMean, Reduction::kSum, Reduction::kNone};

Tensor rand64(const Shape& s, Rng& rng, double lo = -1.0, double hi = 1.0) {
  return Tensor::uniform(s, lo, hi, rng, Dtype::kFloat64);
}

Tensor labels(const std::vector<int64_t>& v) {
  return Tensor::from_int64(v, {static_cast<int64_t>(v.size())});
}

TEST(CrossEntropyGrad, EveryReductionWeightAndSmoothing) {
  Rng rng(31);
  const Tensor logits = rand64({5, 4}, rng, -3.0, 3.0);
  const Tensor target = labels({3, 0, 1, 3, 2});
  const Tensor weight = rand64({4}, rng, 0.2, 2.0);
  for (Reduction red : kReductions) {
    for (bool weighted : {false, true}) {
      for (double ls : {0.0, 0.2, 1.0}) {
        const ops::CrossEntropyOptions o{
            .weight = weighted ? weight : Tensor(), .reduction = red, .label_smoothing = ls};
        const auto r = gradcheck([&](const V& v) { return ops::cross_entropy(v[0], v[1], o); },
                                 {logits, target});
        EXPECT_TRUE(r.ok) << "reduction " << static_cast<int>(red) << " weighted " << weighted
                          << " ls " << ls << "\n"
                          << r.report;
      }
    }
  }
}

TEST(CrossEntropyGrad, IgnoreIndex) {
  Rng rng(32);
  const Tensor logits = rand64({6, 3}, rng, -2.0, 2.0);
  const Tensor weight = rand64({3}, rng, 0.5, 1.5);
  // the default ignore_index -100, and a valid class used as ignore_index
  const Tensor t_default = labels({2, -100, 0, 1, -100, 2});
  const Tensor t_class = labels({2, 1, 0, 1, 0, 2});
  for (Reduction red : kReductions) {
    for (double ls : {0.0, 0.3}) {
      auto r = gradcheck(
          [&](const V& v) {
            return ops::cross_entropy(v[0], v[1],
                                      {.weight = weight, .reduction = red, .label_smoothing = ls});
          },
          {logits, t_default});
      EXPECT_TRUE(r.ok) << r.report;
      r = gradcheck(
          [&](const V& v) {
            return ops::cross_entropy(v[0], v[1],
                                      {.reduction = red, .label_smoothing = ls, .ignore_index = 1});
          },
          {logits, t_class});
      EXPECT_TRUE(r.ok) << r.report;
    }
  }
}

TEST(CrossEntropyGrad, BatchOfOneAndLargeLogits) {
  Rng rng(33);  // logits of size ~30 exercise the max subtraction
  const Tensor logits = rand64({1, 6}, rng, -30.0, 30.0);
  const auto r =
      gradcheck([](const V& v) { return ops::cross_entropy(v[0], v[1]); }, {logits, labels({4})});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(NllLossGrad, EveryReductionWithWeightAndIgnoreIndex) {
  Rng rng(34);
  const Tensor log_probs = rand64({5, 4}, rng, -3.0, 0.0);
  const Tensor target = labels({3, -100, 1, 3, 0});
  const Tensor weight = rand64({4}, rng, 0.2, 2.0);
  for (Reduction red : kReductions) {
    for (bool weighted : {false, true}) {
      const ops::CrossEntropyOptions o{.weight = weighted ? weight : Tensor(), .reduction = red};
      const auto r =
          gradcheck([&](const V& v) { return ops::nll_loss(v[0], v[1], o); }, {log_probs, target});
      EXPECT_TRUE(r.ok) << r.report;
    }
  }
}

TEST(MseLossGrad, BothArgumentsEveryReduction) {
  Rng rng(35);
  const Tensor input = rand64({2, 3, 4}, rng), target = rand64({2, 3, 4}, rng);
  for (Reduction red : kReductions) {
    const auto r =
        gradcheck([&](const V& v) { return ops::mse_loss(v[0], v[1], red); }, {input, target});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(KlDivGrad, BothArgumentsEveryReductionAndLogTarget) {
  Rng rng(36);
  const Tensor input = rand64({3, 5}, rng, -3.0, -0.1);  // log-probabilities
  const Tensor prob_target = rand64({3, 5}, rng, 0.05, 1.0);
  const Tensor log_target = rand64({3, 5}, rng, -3.0, -0.1);
  for (Reduction red :
       {Reduction::kMean, Reduction::kSum, Reduction::kBatchMean, Reduction::kNone}) {
    for (bool lt : {false, true}) {
      const auto r = gradcheck([&](const V& v) { return ops::kl_div(v[0], v[1], red, lt); },
                               {input, lt ? log_target : prob_target});
      EXPECT_TRUE(r.ok) << "reduction " << static_cast<int>(red) << " log_target " << lt << "\n"
                        << r.report;
    }
  }
}

TEST(GramMatrixGrad, MatchesCentralDifferences) {
  Rng rng(37);
  const auto r =
      gradcheck([](const V& v) { return ops::gram_matrix(v[0]); }, {rand64({2, 3, 4, 5}, rng)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(TotalVariationGrad, BetaTwoAndOnePointFive) {
  Rng rng(38);
  // Distinct values: no difference is 0, so the beta < 2 power is differentiable everywhere.
  const Tensor x = testing::distinct_uniform({2, 2, 4, 5}, rng);
  for (double beta : {2.0, 1.5}) {
    const auto r = gradcheck([beta](const V& v) { return ops::total_variation(v[0], beta); }, {x});
    EXPECT_TRUE(r.ok) << "beta " << beta << "\n" << r.report;
  }
}

}  // namespace
}  // namespace cnnlab
