// Unit tests of the activation ops and (log-)softmax: hand-computed values, the gradient at the
// ReLU kink, numerical stability, op names (guided backprop relies on "relu") and errors.
#include "cnnlab/ops/activation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor vec64(const std::vector<double>& v) {
  return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}, Dtype::kFloat64);
}

TEST(ReluForward, HandComputedWithZeroSubgradient) {
  Tensor x = vec64({-2.0, 0.0, 3.0, -0.5}).set_requires_grad(true);
  const Tensor y = ops::relu(x);
  EXPECT_TENSOR_EQ(y, vec64({0.0, 0.0, 3.0, 0.0}));
  y.sum().backward();
  // NOTE: the gradient at exactly 0 is 0, as in PyTorch
  EXPECT_TENSOR_EQ(x.grad(), vec64({0.0, 0.0, 1.0, 0.0}));
}

TEST(LeakyReluForward, HandComputed) {
  Tensor x = vec64({-2.0, 0.0, 3.0}).set_requires_grad(true);
  const Tensor y = ops::leaky_relu(x, 0.1);
  EXPECT_TENSOR_NEAR(y, vec64({-0.2, 0.0, 3.0}), 0.0, 1e-15);
  y.sum().backward();
  EXPECT_TENSOR_NEAR(x.grad(), vec64({0.1, 0.1, 1.0}), 0.0, 1e-15);
  EXPECT_TENSOR_NEAR(ops::leaky_relu(vec64({-100.0})), vec64({-1.0}), 0.0, 1e-15);  // default 0.01
}

TEST(SigmoidForward, HandComputedAndStableForLargeInputs) {
  EXPECT_TENSOR_NEAR(ops::sigmoid(vec64({0.0, 2.0, -2.0})),
                     vec64({0.5, 1.0 / (1.0 + std::exp(-2.0)), 1.0 / (1.0 + std::exp(2.0))}), 1e-15,
                     0.0);
  const Tensor big =
      ops::sigmoid(Tensor::from_vector({-1000.0, 1000.0}, {2}, Dtype::kFloat32));  // float32
  EXPECT_EQ(big.to_vector(), (std::vector<double>{0.0, 1.0}));
}

TEST(TanhForward, HandComputedWithGradientFromOutput) {
  Tensor x = vec64({-1.0, 0.0, 0.5}).set_requires_grad(true);
  const Tensor y = ops::tanh(x);
  EXPECT_TENSOR_NEAR(y, vec64({std::tanh(-1.0), 0.0, std::tanh(0.5)}), 1e-15, 0.0);
  y.sum().backward();
  const double t = std::tanh(0.5), u = std::tanh(-1.0);
  EXPECT_TENSOR_NEAR(x.grad(), vec64({1 - u * u, 1.0, 1 - t * t}), 1e-15, 0.0);
}

TEST(SoftmaxForward, HandComputed) {
  // torch.softmax([1, 2, 3]) = [0.0900305732, 0.2447284711, 0.6652409558]
  EXPECT_TENSOR_NEAR(ops::softmax(vec64({1, 2, 3}), 0),
                     vec64({0.09003057317038046, 0.24472847105479767, 0.6652409557748219}), 1e-14,
                     0.0);
  EXPECT_TENSOR_NEAR(ops::log_softmax(vec64({1, 2, 3}), -1),
                     vec64({-2.40760596444438, -1.4076059644443801, -0.4076059644443803}), 1e-14,
                     0.0);
}

TEST(SoftmaxForward, RowsSumToOneAlongTheChosenDim) {
  Rng rng(41);
  const Tensor x = Tensor::uniform({3, 4, 5}, -3.0, 3.0, rng, Dtype::kFloat64);
  for (int64_t dim : {0, 1, 2, -2}) {
    const Tensor s = ops::softmax(x, dim);
    EXPECT_TENSOR_NEAR(s.sum({dim}), Tensor::ones(x.sum({dim}).shape(), Dtype::kFloat64), 0.0,
                       1e-14);
    EXPECT_TENSOR_NEAR(ops::log_softmax(x, dim), s.log(), 1e-12, 1e-14);
  }
}

TEST(SoftmaxForward, StableForLargeLogitsInFloat32) {
  const Tensor x = Tensor::from_vector({1000.0, 1001.0, 1002.0}, {1, 3}, Dtype::kFloat32);
  const Tensor ref = ops::softmax(Tensor::from_vector({0.0, 1.0, 2.0}, {1, 3}, Dtype::kFloat32), 1);
  EXPECT_TENSOR_NEAR(ops::softmax(x, 1), ref, 1e-6, 1e-7);
  const Tensor ls = ops::log_softmax(x, 1);
  for (double v : ls.to_vector()) EXPECT_TRUE(std::isfinite(v));
  EXPECT_NEAR(ls.to_vector()[2], -0.40760596444438, 1e-6);
}

TEST(SoftmaxForward, ScalarIsOne) {
  EXPECT_DOUBLE_EQ(ops::softmax(Tensor::scalar(3.0, Dtype::kFloat64), 0).item(), 1.0);
  EXPECT_DOUBLE_EQ(ops::log_softmax(Tensor::scalar(3.0, Dtype::kFloat64), -1).item(), 0.0);
}

TEST(ActivationAutograd, RecordsStableOpNames) {
  Tensor x = vec64({1.0, -1.0}).set_requires_grad(true);
  EXPECT_EQ(ops::relu(x).grad_fn()->name(), "relu");
  EXPECT_EQ(ops::leaky_relu(x).grad_fn()->name(), "leaky_relu");
  EXPECT_EQ(ops::sigmoid(x).grad_fn()->name(), "sigmoid");
  EXPECT_EQ(ops::tanh(x).grad_fn()->name(), "tanh");
  EXPECT_EQ(ops::softmax(x, 0).grad_fn()->name(), "softmax");
  EXPECT_EQ(ops::log_softmax(x, 0).grad_fn()->name(), "log_softmax");
  EXPECT_EQ(ops::relu(x.detach()).grad_fn(), nullptr);
}

TEST(ActivationAutograd, GuidedBackpropOverridesReluByName) {
  // guided backprop: the ordinary ReLU rule, then drop negative gradients
  Tensor x = vec64({1.0, -1.0, 2.0}).set_requires_grad(true);
  const Tensor w = vec64({-3.0, 4.0, 5.0});
  {
    autograd::BackwardOverride guard("relu", [](const Tensor& dy, const autograd::Node& node) {
      return std::vector<Tensor>{ops::relu(node.apply(dy)[0])};
    });
    (ops::relu(x) * w).sum().backward();
  }
  EXPECT_TENSOR_EQ(x.grad(), vec64({0.0, 0.0, 5.0}));
}

TEST(SoftmaxShape, RejectsDimOutOfRange) {
  EXPECT_THROW_WITH(ops::softmax(Tensor::zeros({3, 4}), 2), ShapeError,
                    "softmax: expected dim in [-2, 1], got dim 2 for shape [3, 4]");
  EXPECT_THROW_WITH(ops::log_softmax(Tensor::zeros({3, 4}), -3), ShapeError,
                    "log_softmax: expected dim in [-2, 1], got dim -3 for shape [3, 4]");
}

TEST(ActivationShape, RejectsIntegerInput) {
  const Tensor labels = Tensor::from_int64(std::vector<int64_t>{1, 2}, {2});
  EXPECT_THROW_WITH(ops::relu(labels), ValueError,
                    "relu: expected a float32 or float64 tensor, got int64");
  EXPECT_THROW_WITH(ops::softmax(labels, 0), ValueError,
                    "softmax: expected a float32 or float64 tensor, got int64");
}

}  // namespace
}  // namespace cnnlab
