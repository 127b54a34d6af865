// Gradient checks of ops::matmul (2-D, batched, broadcast either side) and ops::linear (with and
// without bias, 1-D to 3-D inputs) against central differences.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/linear.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using V = std::vector<Tensor>;

Tensor rand64(const Shape& s, Rng& rng) {
  return Tensor::uniform(s, -1.0, 1.0, rng, Dtype::kFloat64);
}

testing::GradcheckResult check_matmul(const Shape& a, const Shape& b, uint64_t seed) {
  Rng rng(seed);
  return testing::gradcheck([](const V& in) { return ops::matmul(in[0], in[1]); },
                            {rand64(a, rng), rand64(b, rng)});
}

TEST(MatmulGrad, TwoD) {
  const auto r = check_matmul({3, 4}, {4, 5}, 31);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MatmulGrad, Batched) {
  const auto r = check_matmul({2, 3, 4}, {2, 4, 2}, 32);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MatmulGrad, SeveralBatchDims) {
  const auto r = check_matmul({2, 2, 3, 2}, {2, 2, 2, 3}, 33);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MatmulGrad, BroadcastsTwoDRightOperand) {
  const auto r = check_matmul({3, 2, 4}, {4, 3}, 34);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MatmulGrad, BroadcastsTwoDLeftOperand) {
  const auto r = check_matmul({2, 4}, {2, 3, 4, 3}, 35);
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LinearGrad, WithBias) {
  Rng rng(41);
  const auto r = testing::gradcheck([](const V& in) { return ops::linear(in[0], in[1], in[2]); },
                                    {rand64({4, 5}, rng), rand64({3, 5}, rng), rand64({3}, rng)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LinearGrad, WithoutBias) {
  Rng rng(42);
  const auto r = testing::gradcheck([](const V& in) { return ops::linear(in[0], in[1]); },
                                    {rand64({4, 5}, rng), rand64({3, 5}, rng)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LinearGrad, ThreeDInput) {
  Rng rng(43);
  const auto r =
      testing::gradcheck([](const V& in) { return ops::linear(in[0], in[1], in[2]); },
                         {rand64({2, 3, 4}, rng), rand64({5, 4}, rng), rand64({5}, rng)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LinearGrad, OneDInput) {
  Rng rng(44);
  const auto r = testing::gradcheck([](const V& in) { return ops::linear(in[0], in[1], in[2]); },
                                    {rand64({4}, rng), rand64({3, 4}, rng), rand64({3}, rng)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LinearGrad, BatchOneOnlyWeightAndBiasRequireGrad) {
  Rng rng(45);
  const auto r = testing::gradcheck([](const V& in) { return ops::linear(in[0], in[1], in[2]); },
                                    {rand64({1, 6}, rng), rand64({2, 6}, rng), rand64({2}, rng)},
                                    {.check_inputs = {1, 2}});
  EXPECT_TRUE(r.ok) << r.report;
}

}  // namespace
}  // namespace cnnlab
