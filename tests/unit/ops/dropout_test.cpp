// Unit tests of ops::dropout: eval returns the input, training zeroes about p of the elements and
// scales the rest by 1/(1-p), the mask is reproducible from the seed, backward uses the mask.
#include "cnnlab/ops/dropout.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

TEST(DropoutForward, EvalReturnsTheInputItself) {
  Rng rng(1);
  const Tensor x = Tensor::ones({4, 5});
  EXPECT_TRUE(ops::dropout(x, 0.5, false, rng).is_same(x));
  EXPECT_TRUE(ops::dropout(x, 0.0, true, rng).is_same(x));
  Rng fresh(1);
  EXPECT_EQ(rng.next_u64(), fresh.next_u64());  // nothing was drawn
}

TEST(DropoutForward, ZeroesAboutPAndScalesTheRest) {
  Rng rng(2);
  const double p = 0.3;
  const Tensor y = ops::dropout(Tensor::ones({100, 100}), p, true, rng);
  int64_t zeros = 0;
  for (double v : y.to_vector()) {
    if (v == 0.0) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(v, 1.0 / (1.0 - p));
    }
  }
  // 10,000 Bernoulli(0.3) draws: standard deviation ~46, allow 5 sigma
  EXPECT_NEAR(static_cast<double>(zeros), p * 10000, 230);
}

TEST(DropoutForward, MaskFollowsRngRowMajor) {
  const double p = 0.5;
  Rng rng(3);
  const Tensor y = ops::dropout(Tensor::ones({2, 3}, Dtype::kFloat64), p, true, rng);
  Rng replay(3);
  std::vector<double> expected;
  for (int i = 0; i < 6; ++i) expected.push_back(replay.bernoulli(p) ? 0.0 : 2.0);
  EXPECT_EQ(y.to_vector(), expected);
}

TEST(DropoutForward, SameSeedSameMask) {
  Rng a(4), b(4);
  const Tensor x = Tensor::ones({8, 8});
  EXPECT_TENSOR_EQ(ops::dropout(x, 0.5, true, a), ops::dropout(x, 0.5, true, b));
}

TEST(DropoutForward, PEqualOneZeroesEverything) {
  Rng rng(5);
  const Tensor y = ops::dropout(Tensor::ones({3, 3}), 1.0, true, rng);
  EXPECT_TENSOR_EQ(y, Tensor::zeros({3, 3}));
}

TEST(DropoutBackward, MultipliesByTheSavedScaledMask) {
  Rng rng(6);
  Tensor x = Tensor::full({4, 6}, 2.0, Dtype::kFloat64).set_requires_grad(true);
  const Tensor y = ops::dropout(x, 0.25, true, rng);
  EXPECT_EQ(y.grad_fn()->name(), "dropout");
  y.sum().backward();
  // y = 2 * mask, so d sum(y) / dx = mask = y / 2
  EXPECT_TENSOR_EQ(x.grad(), y.detach() / 2.0);
}

TEST(DropoutShape, RejectsProbabilityOutsideUnitInterval) {
  Rng rng(7);
  const Tensor x = Tensor::ones({2});
  EXPECT_THROW_WITH(ops::dropout(x, -0.1, true, rng), ValueError,
                    "dropout: expected a probability p in [0, 1], got -0.1");
  EXPECT_THROW_WITH(ops::dropout(x, 1.5, false, rng), ValueError,
                    "dropout: expected a probability p in [0, 1], got 1.5");
  EXPECT_THROW_WITH(ops::dropout(x, std::nan(""), true, rng), ValueError, "got nan");
}

}  // namespace
}  // namespace cnnlab
