// Gradient check of dropout against central differences (float64) with a fixed mask: the op's
// Rng is re-seeded with the same seed on every evaluation, as Caffe does with set_random_seed.
#include <gtest/gtest.h>

#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/dropout.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using testing::gradcheck;
using V = std::vector<Tensor>;

TEST(DropoutGrad, MatchesCentralDifferencesWithFixedMask) {
  Rng rng(31);
  const Tensor x = Tensor::uniform({2, 3, 4, 5}, -1.0, 1.0, rng, Dtype::kFloat64);
  for (double p : {0.1, 0.5, 0.8}) {
    const auto r = gradcheck(
        [p](const V& in) {
          Rng mask_rng(2024);  // fresh generator, same seed: the same mask on every evaluation
          return ops::dropout(in[0], p, true, mask_rng);
        },
        {x});
    EXPECT_TRUE(r.ok) << "p " << p << "\n" << r.report;
  }
}

TEST(DropoutGrad, EvalModeGradientIsIdentity) {
  Rng rng(32);
  const Tensor x = Tensor::uniform({3, 5}, -1.0, 1.0, rng, Dtype::kFloat64);
  const auto r = gradcheck(
      [](const V& in) {
        Rng mask_rng(1);
        return ops::dropout(in[0], 0.5, false, mask_rng) * 3.0;
      },
      {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(DropoutGrad, AllDroppedGivesZeroGradient) {
  Rng rng(33);
  const Tensor x = Tensor::uniform({2, 4}, -1.0, 1.0, rng, Dtype::kFloat64);
  const auto r = gradcheck(
      [](const V& in) {
        Rng mask_rng(5);
        return ops::dropout(in[0], 1.0, true, mask_rng);
      },
      {x});
  EXPECT_TRUE(r.ok) << r.report;
}

}  // namespace
}  // namespace cnnlab
