// Gradient checks of ops::batch_norm (training and eval, 2-D/3-D/4-D input, with and without the
// affine parameters) against central differences, in float64 with the default tolerances.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/norm.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using testing::gradcheck;
using V = std::vector<Tensor>;

Tensor rand64(const Shape& s, Rng& rng, double lo = -1.0, double hi = 1.0) {
  return Tensor::uniform(s, lo, hi, rng, Dtype::kFloat64);
}

// Inputs are {x, running_mean, running_var, weight, bias}; the running statistics are not
// differentiable, so only x, weight and bias (when defined) are checked.
testing::GradcheckResult check_batch_norm(const V& inputs, const ops::BatchNormParams& p) {
  std::vector<size_t> checked = {0};
  if (inputs[3].defined()) checked.push_back(3);
  if (inputs[4].defined()) checked.push_back(4);
  return gradcheck([p](const V& v) { return ops::batch_norm(v[0], v[1], v[2], v[3], v[4], p); },
                   inputs, {.check_inputs = checked});
}

TEST(BatchNormGrad, Training4dAffine) {
  Rng rng(11);
  const Tensor x = rand64({3, 4, 3, 5}, rng, -2.0, 2.0);
  const V in = {x, Tensor::zeros({4}, Dtype::kFloat64), Tensor::ones({4}, Dtype::kFloat64),
                rand64({4}, rng, 0.5, 1.5), rand64({4}, rng)};
  const auto r = check_batch_norm(in, {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, Training4dWithoutAffineOrRunningStats) {
  Rng rng(12);
  const V in = {rand64({2, 3, 4, 3}, rng), Tensor(), Tensor(), Tensor(), Tensor()};
  const auto r = check_batch_norm(in, {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, Training4dBatchOfOne) {
  Rng rng(13);  // N = 1: the statistics come from H * W alone
  const V in = {rand64({1, 2, 3, 3}, rng), Tensor(), Tensor(), rand64({2}, rng, 0.5, 1.5),
                rand64({2}, rng)};
  const auto r = check_batch_norm(in, {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, Training2dAffine) {
  Rng rng(14);
  const V in = {rand64({7, 5}, rng, -3.0, 3.0), Tensor::zeros({5}, Dtype::kFloat64),
                Tensor::ones({5}, Dtype::kFloat64), rand64({5}, rng, -1.5, 1.5), rand64({5}, rng)};
  const auto r = check_batch_norm(in, {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, Training2dWithoutAffine) {
  Rng rng(15);
  const V in = {rand64({6, 3}, rng), Tensor(), Tensor(), Tensor(), Tensor()};
  const auto r = check_batch_norm(in, {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, TrainingWeightOnlyAndBiasOnly) {
  Rng rng(16);
  const Tensor x = rand64({4, 3, 2}, rng);  // 3-D (N, C, L)
  auto r = check_batch_norm({x, Tensor(), Tensor(), rand64({3}, rng, 0.5, 1.5), Tensor()},
                            {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
  r = check_batch_norm({x, Tensor(), Tensor(), Tensor(), rand64({3}, rng)}, {.training = true});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, Eval4dAffine) {
  Rng rng(17);
  const V in = {rand64({2, 3, 3, 4}, rng), rand64({3}, rng), rand64({3}, rng, 0.5, 2.0),
                rand64({3}, rng, 0.5, 1.5), rand64({3}, rng)};
  const auto r = check_batch_norm(in, {.training = false});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(BatchNormGrad, Eval2dWithoutAffine) {
  Rng rng(18);
  const V in = {rand64({5, 4}, rng), rand64({4}, rng), rand64({4}, rng, 0.5, 2.0), Tensor(),
                Tensor()};
  const auto r = check_batch_norm(in, {.training = false});
  EXPECT_TRUE(r.ok) << r.report;
}

}  // namespace
}  // namespace cnnlab
