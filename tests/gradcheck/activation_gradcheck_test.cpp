// Gradient checks of relu, leaky_relu, sigmoid, tanh, softmax and log_softmax against central
// differences (float64). Inputs of the kinked ops stay away from 0.
#include <gtest/gtest.h>

#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/activation.hpp"
#include "support/gradcheck.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using testing::gradcheck;
using V = std::vector<Tensor>;

TEST(ReluGrad, MatchesCentralDifferences) {
  Rng rng(21);
  const Tensor x = testing::away_from_zero({2, 3, 4, 5}, rng);
  const auto r = gradcheck([](const V& in) { return ops::relu(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(LeakyReluGrad, MatchesCentralDifferences) {
  Rng rng(22);
  const Tensor x = testing::away_from_zero({3, 7}, rng);
  for (double slope : {0.01, 0.2, -0.5}) {
    const auto r = gradcheck([slope](const V& in) { return ops::leaky_relu(in[0], slope); }, {x});
    EXPECT_TRUE(r.ok) << "negative_slope " << slope << "\n" << r.report;
  }
}

TEST(SigmoidGrad, MatchesCentralDifferences) {
  Rng rng(23);
  const Tensor x = Tensor::uniform({4, 6}, -4.0, 4.0, rng, Dtype::kFloat64);
  const auto r = gradcheck([](const V& in) { return ops::sigmoid(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(TanhGrad, MatchesCentralDifferences) {
  Rng rng(24);
  const Tensor x = Tensor::uniform({4, 6}, -3.0, 3.0, rng, Dtype::kFloat64);
  const auto r = gradcheck([](const V& in) { return ops::tanh(in[0]); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(SoftmaxGrad, MatchesCentralDifferencesOnEveryDim) {
  Rng rng(25);
  const Tensor x = Tensor::uniform({3, 4, 5}, -2.0, 2.0, rng, Dtype::kFloat64);
  for (int64_t dim : {0, 1, 2, -1, -3}) {
    const auto r = gradcheck([dim](const V& in) { return ops::softmax(in[0], dim); }, {x});
    EXPECT_TRUE(r.ok) << "softmax dim " << dim << "\n" << r.report;
    const auto rl = gradcheck([dim](const V& in) { return ops::log_softmax(in[0], dim); }, {x});
    EXPECT_TRUE(rl.ok) << "log_softmax dim " << dim << "\n" << rl.report;
  }
}

TEST(SoftmaxGrad, MatchesCentralDifferencesWithLargeLogits) {
  // logits near 50: exp would overflow float32 without the max subtraction
  Rng rng(26);
  const Tensor x = Tensor::uniform({2, 6}, 45.0, 50.0, rng, Dtype::kFloat64);
  const auto r = gradcheck([](const V& in) { return ops::log_softmax(in[0], 1); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(ActivationGrad, BackwardAccumulates) {
  Rng rng(27);
  Tensor x = testing::away_from_zero({3, 4}, rng).set_requires_grad(true);
  const Tensor w = Tensor::uniform({3, 4}, -1.0, 1.0, rng, Dtype::kFloat64);
  const auto run = [&] {
    ((ops::relu(x) + ops::leaky_relu(x, 0.1) + ops::sigmoid(x) + ops::tanh(x) + ops::softmax(x, 1) +
      ops::log_softmax(x, 0)) *
     w)
        .sum()
        .backward();
  };
  run();
  const Tensor once = x.grad().clone();
  run();
  EXPECT_TENSOR_NEAR(x.grad(), once * 2.0, 1e-14, 1e-14);
}

}  // namespace
}  // namespace cnnlab
