// Unit tests of the parameter-free modules: pooling, activations, Dropout, Flatten and Identity
// (constructor checks, repr in PyTorch's format, forward through the ops, train/eval behaviour).
#include <gtest/gtest.h>

#include <memory>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/dropout.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/pool.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

TEST(MaxPool2dModule, ReprMatchesPyTorch) {
  EXPECT_EQ(nn::MaxPool2d({.kernel_size = 2}).repr(),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(
      nn::MaxPool2d({.kernel_size = {3, 2}, .stride = {2, 1}, .padding = 1, .ceil_mode = true})
          .repr(),
      "MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)");
}

TEST(MaxPool2dModule, ForwardMatchesOpAndHasNoParameters) {
  Rng rng(1);
  const Tensor x = Tensor::uniform({2, 3, 7, 7}, -1.0, 1.0, rng);
  nn::MaxPool2d pool({.kernel_size = 3, .stride = 2, .padding = 1, .ceil_mode = true});
  EXPECT_TENSOR_EQ(pool(x),
                   ops::max_pool2d(x, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true}));
  EXPECT_TRUE(pool.parameters().empty());
}

TEST(MaxPool2dModule, ConstructorRejectsBadOptions) {
  EXPECT_THROW_WITH(nn::MaxPool2d({}), ValueError, "MaxPool2d: expected kernel_size > 0, got 0");
  EXPECT_THROW_WITH(nn::MaxPool2d({.kernel_size = 2, .stride = -2}), ValueError,
                    "MaxPool2d: expected stride >= 0 (0 means kernel_size), got -2");
  EXPECT_THROW_WITH(nn::MaxPool2d({.kernel_size = 2, .padding = 2}), ValueError,
                    "MaxPool2d: expected padding at most half the kernel size, got padding=2 "
                    "with kernel_size=2");
  EXPECT_THROW_WITH(nn::MaxPool2d({.kernel_size = 2, .dilation = 0}), ValueError,
                    "MaxPool2d: expected dilation > 0, got 0");
}

TEST(AvgPool2dModule, ReprForwardAndChecks) {
  nn::AvgPool2d pool({.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false});
  EXPECT_EQ(pool.repr(), "AvgPool2d(kernel_size=3, stride=2, padding=1)");
  EXPECT_EQ(nn::AvgPool2d({.kernel_size = 2}).repr(),
            "AvgPool2d(kernel_size=2, stride=2, padding=0)");
  Rng rng(2);
  const Tensor x = Tensor::uniform({1, 2, 6, 5}, -1.0, 1.0, rng);
  EXPECT_TENSOR_EQ(
      pool(x),
      ops::avg_pool2d(x, {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = false}));
  EXPECT_THROW_WITH(nn::AvgPool2d({.kernel_size = 3, .padding = 2}), ValueError,
                    "AvgPool2d: expected padding at most half the kernel size");
}

TEST(AdaptiveAvgPool2dModule, ReprForwardAndChecks) {
  nn::AdaptiveAvgPool2d pool({.output_size = {6, 7}});
  EXPECT_EQ(pool.repr(), "AdaptiveAvgPool2d(output_size=(6, 7))");
  EXPECT_EQ(nn::AdaptiveAvgPool2d({.output_size = 1}).repr(), "AdaptiveAvgPool2d(output_size=1)");
  EXPECT_EQ(pool(Tensor::zeros({2, 3, 13, 9})).shape(), Shape({2, 3, 6, 7}));
  EXPECT_THROW_WITH(nn::AdaptiveAvgPool2d({}), ValueError,
                    "AdaptiveAvgPool2d: expected output_size > 0, got 0");
}

TEST(PoolingModule, ForwardRejectsNon4dInput) {
  nn::MaxPool2d pool({.kernel_size = 2});
  EXPECT_THROW_WITH(pool(Tensor::zeros({3, 7, 6})), ShapeError,
                    "max_pool2d: expected a 4-D input (N, C, H, W), got shape [3, 7, 6]");
}

TEST(ActivationModules, ReprMatchesPyTorch) {
  EXPECT_EQ(nn::ReLU().repr(), "ReLU()");
  EXPECT_EQ(nn::LeakyReLU().repr(), "LeakyReLU(negative_slope=0.01)");
  EXPECT_EQ(nn::LeakyReLU(0.2).repr(), "LeakyReLU(negative_slope=0.2)");
  EXPECT_EQ(nn::LeakyReLU(1.0).repr(), "LeakyReLU(negative_slope=1.0)");
  EXPECT_EQ(nn::LeakyReLU(1e-5).repr(), "LeakyReLU(negative_slope=1e-05)");
  EXPECT_EQ(nn::Sigmoid().repr(), "Sigmoid()");
  EXPECT_EQ(nn::Tanh().repr(), "Tanh()");
  EXPECT_EQ(nn::Softmax(1).repr(), "Softmax(dim=1)");
  EXPECT_EQ(nn::LogSoftmax(-1).repr(), "LogSoftmax(dim=-1)");
}

TEST(ActivationModules, ForwardMatchesOps) {
  Rng rng(3);
  const Tensor x = Tensor::uniform({2, 5}, -2.0, 2.0, rng);
  EXPECT_TENSOR_EQ(nn::ReLU()(x), ops::relu(x));
  EXPECT_TENSOR_EQ(nn::LeakyReLU(0.2)(x), ops::leaky_relu(x, 0.2));
  EXPECT_TENSOR_EQ(nn::Sigmoid()(x), ops::sigmoid(x));
  EXPECT_TENSOR_EQ(nn::Tanh()(x), ops::tanh(x));
  EXPECT_TENSOR_EQ(nn::Softmax(0)(x), ops::softmax(x, 0));
  EXPECT_TENSOR_EQ(nn::LogSoftmax(1)(x), ops::log_softmax(x, 1));
  EXPECT_TRUE(nn::ReLU().parameters().empty());
}

TEST(ActivationModules, SoftmaxForwardRejectsBadDim) {
  EXPECT_THROW_WITH(nn::Softmax(3)(Tensor::zeros({2, 5})), ShapeError,
                    "softmax: expected dim in [-2, 1], got dim 3 for shape [2, 5]");
}

TEST(DropoutModule, ReprAndChecks) {
  Rng rng(4);
  EXPECT_EQ(nn::Dropout({}, rng).repr(), "Dropout(p=0.5, inplace=False)");
  EXPECT_EQ(nn::Dropout({.p = 0.25}, rng).repr(), "Dropout(p=0.25, inplace=False)");
  EXPECT_THROW_WITH(nn::Dropout({.p = 1.5}, rng), ValueError,
                    "Dropout: expected p in [0, 1], got 1.5");
  EXPECT_THROW_WITH(nn::Dropout({.p = -0.5}, rng), ValueError,
                    "Dropout: expected p in [0, 1], got -0.5");
}

TEST(DropoutModule, EvalIsIdentity) {
  Rng rng(5);
  nn::Dropout drop({.p = 0.5}, rng);
  drop.eval();
  const Tensor x = Tensor::uniform({10, 10}, -1.0, 1.0, rng);
  EXPECT_TRUE(drop(x).is_same(x));
}

TEST(DropoutModule, TrainZeroesAboutPAndScalesTheRest) {
  Rng rng(6);
  nn::Dropout drop({.p = 0.4}, rng);
  ASSERT_TRUE(drop.is_training());
  const Tensor y = drop(Tensor::ones({100, 100}));
  int64_t zeros = 0;
  for (double v : y.to_vector()) {
    if (v == 0.0) {
      ++zeros;
    } else {
      EXPECT_FLOAT_EQ(v, 1.0 / 0.6);
    }
  }
  // 10,000 Bernoulli(0.4) draws: standard deviation ~49, allow 5 sigma
  EXPECT_NEAR(static_cast<double>(zeros), 4000.0, 245.0);
}

TEST(DropoutModule, OwnRngIsSeededFromTheGivenOne) {
  Rng a(7), b(7);
  nn::Dropout da({.p = 0.5}, a), db({.p = 0.5}, b);
  const Tensor x = Tensor::ones({16, 16});
  const Tensor first = da(x);
  EXPECT_TENSOR_EQ(first, db(x));                        // same seed, same masks
  EXPECT_FALSE(da(x).to_vector() == first.to_vector());  // the module's generator advances
  Rng c(7);
  c.next_u64();
  EXPECT_EQ(a.next_u64(), c.next_u64());  // construction drew exactly one number
}

TEST(DropoutModule, FollowsTheParentsTrainingMode) {
  Rng rng(8);
  auto parent = std::make_shared<nn::Identity>();
  auto drop =
      parent->register_module("drop", std::make_shared<nn::Dropout>(nn::DropoutOptions{0.5}, rng));
  parent->eval();
  EXPECT_FALSE(drop->is_training());
  parent->train();
  EXPECT_TRUE(drop->is_training());
}

TEST(FlattenModule, DefaultsMergeAllButTheBatchDim) {
  nn::Flatten flatten;
  EXPECT_EQ(flatten.repr(), "Flatten(start_dim=1, end_dim=-1)");
  EXPECT_EQ(nn::Flatten(0, 2).repr(), "Flatten(start_dim=0, end_dim=2)");
  EXPECT_EQ(flatten(Tensor::zeros({8, 16, 5, 5})).shape(), Shape({8, 400}));
  EXPECT_EQ(nn::Flatten(1, 2)(Tensor::zeros({2, 3, 4, 5})).shape(), Shape({2, 12, 5}));
}

TEST(FlattenModule, IsDifferentiable) {
  Tensor x = Tensor::ones({2, 3, 2}, Dtype::kFloat64).set_requires_grad(true);
  (nn::Flatten()(x) * 3.0).sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), Tensor::full({2, 3, 2}, 3.0, Dtype::kFloat64));
}

TEST(FlattenModule, RejectsDimsOutOfRange) {
  EXPECT_THROW(nn::Flatten(3)(Tensor::zeros({2, 3})), ShapeError);
}

TEST(IdentityModule, ReturnsItsInput) {
  nn::Identity id;
  const Tensor x = Tensor::ones({2, 2});
  EXPECT_TRUE(id(x).is_same(x));
  EXPECT_EQ(id.repr(), "Identity()");
}

}  // namespace
}  // namespace cnnlab
