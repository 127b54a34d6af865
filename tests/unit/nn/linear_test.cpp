// nn::Linear: parameter names and shapes, PyTorch's default initialisation range, repr in
// PyTorch's format, forward through ops::linear on 2-D and 3-D inputs, and the option checks.
#include "cnnlab/nn/linear.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/linear.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

TEST(LinearModule, RegistersWeightAndBias) {
  Rng rng(401);
  nn::Linear fc({.in_features = 400, .out_features = 120}, rng);
  const auto params = fc.named_parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "weight");
  EXPECT_EQ(params[0].second.shape(), Shape({120, 400}));
  EXPECT_EQ(params[1].first, "bias");
  EXPECT_EQ(params[1].second.shape(), Shape({120}));
  EXPECT_TRUE(fc.weight().requires_grad());
  EXPECT_EQ(fc.num_parameters(), 400 * 120 + 120);
}

TEST(LinearModule, WithoutBiasHasOnlyWeight) {
  Rng rng(402);
  nn::Linear fc({.in_features = 3, .out_features = 2, .bias = false}, rng);
  ASSERT_EQ(fc.named_parameters().size(), 1u);
  EXPECT_FALSE(fc.bias().defined());
  EXPECT_EQ(fc.repr(), "Linear(in_features=3, out_features=2, bias=False)");
}

TEST(LinearModule, ReprMatchesPyTorch) {
  Rng rng(403);
  EXPECT_EQ(nn::Linear({.in_features = 400, .out_features = 120}, rng).repr(),
            "Linear(in_features=400, out_features=120, bias=True)");
}

TEST(LinearModule, DefaultInitIsUniformInOneOverSqrtFanIn) {
  Rng rng(404);
  nn::Linear fc({.in_features = 64, .out_features = 50}, rng);  // bound 1/8
  const double bound = 0.125;
  const std::vector<double> w = fc.weight().to_vector();
  const auto [wmin, wmax] = std::minmax_element(w.begin(), w.end());
  EXPECT_GE(*wmin, -bound);
  EXPECT_LE(*wmax, bound);
  EXPECT_LT(*wmin, -0.98 * bound);  // 3200 draws reach within 2% of the bound
  EXPECT_GT(*wmax, 0.98 * bound);
  for (const double v : fc.bias().to_vector()) {
    EXPECT_GE(v, -bound);
    EXPECT_LE(v, bound);
  }
}

TEST(LinearModule, ForwardOnTwoAndThreeDInputs) {
  Rng rng(405);
  nn::Linear fc({.in_features = 4, .out_features = 3}, rng);
  const Tensor x = Tensor::uniform({2, 5, 4}, -1, 1, rng);
  const Tensor y = fc(x);
  EXPECT_EQ(y.shape(), Shape({2, 5, 3}));
  EXPECT_TENSOR_EQ(y, ops::linear(x, fc.weight(), fc.bias()));
  EXPECT_EQ(fc(Tensor::zeros({7, 4})).shape(), Shape({7, 3}));
}

TEST(LinearModule, TrainAndEvalGiveTheSameOutput) {
  Rng rng(406);
  nn::Linear fc({.in_features = 4, .out_features = 3}, rng);
  const Tensor x = Tensor::uniform({2, 4}, -1, 1, rng);
  const Tensor train_out = fc(x);
  fc.eval();
  EXPECT_TENSOR_EQ(fc(x), train_out);
}

TEST(LinearModule, BackwardReachesParameters) {
  Rng rng(407);
  nn::Linear fc({.in_features = 4, .out_features = 3}, rng);
  fc(Tensor::uniform({5, 4}, -1, 1, rng)).sum().backward();
  EXPECT_EQ(fc.weight().grad().shape(), Shape({3, 4}));
  EXPECT_TENSOR_EQ(fc.bias().grad(), Tensor::full({3}, 5.0));  // one per row of the batch
}

TEST(LinearModule, ForwardReportsFeatureMismatch) {
  Rng rng(408);
  nn::Linear fc({.in_features = 400, .out_features = 120}, rng);
  EXPECT_THROW_WITH(fc(Tensor::zeros({8, 256})), ShapeError,
                    "linear: input has 256 features but weight expects 400");
}

TEST(LinearOptionsCheck, RejectsNonPositiveFeatures) {
  Rng rng(409);
  EXPECT_THROW_WITH(nn::Linear({.in_features = 0, .out_features = 3}, rng), ValueError,
                    "Linear: expected in_features > 0 and out_features > 0, got in_features=0, "
                    "out_features=3");
}

}  // namespace
}  // namespace cnnlab
