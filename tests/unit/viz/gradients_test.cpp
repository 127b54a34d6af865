// viz::saliency, guided_backprop, deconvnet and grad_cam: exact values on small hand-made models
// whose gradients are known in closed form, batch independence on LeNet-5, the scoping of the
// ReLU override and of the model's mode and parameters, and the bad-input errors.
// (PyTorch parity: tests/parity/viz_gradients_parity_test.cpp.)
#include "cnnlab/viz/gradients.hpp"

#include <gtest/gtest.h>

#include "cnnlab/autograd/hooks.hpp"
#include "cnnlab/core/error.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

std::shared_ptr<nn::Module> lenet(uint64_t seed = 5) {
  Rng rng(seed);
  auto model = models::make_model("lenet5", {.input_shape = {1, 28, 28}}, rng);
  model->eval();
  return model;
}

// x (N, 2, 2, 2) -> ReLU -> Flatten -> Linear(8, 3): the score of class c is W_c . relu(x) + b,
// so its input gradient is W_c * (x > 0).
struct ReluLinear {
  std::shared_ptr<nn::Sequential> model;
  Tensor weight;  // (3, 8)
};

ReluLinear relu_linear() {
  Rng rng(11);
  auto linear = std::make_shared<nn::Linear>(nn::LinearOptions{8, 3}, rng);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(), linear});
  return {model, linear->named_parameters()[0].second};
}

Tensor relu_linear_input() {
  // Signs alternate, so half of the ReLUs are closed.
  return Tensor::from_vector({0.5, -1.0, 2.0, -0.25, 1.5, -2.0, 0.75, -0.5,  //
                              -0.3, 0.2, -0.1, 0.4, -0.6, 0.8, -0.9, 1.0},
                             {2, 2, 2, 2});
}

// Row c of the linear weight as an image (2, 2, 2).
Tensor weight_row(const Tensor& weight, int64_t c) {
  return weight.detach().narrow(0, c, 1).reshape({2, 2, 2});
}

TEST(VizSaliency, InputGradientIsTheClassRowMaskedByTheRelu) {
  ReluLinear m = relu_linear();
  const Tensor x = relu_linear_input();
  const viz::InputGradients r = viz::saliency(*m.model, x, {2, 0});
  ASSERT_EQ(r.classes, (std::vector<int64_t>{2, 0}));
  const Tensor mask = ops::gt(x, Tensor::scalar(0.0));
  for (int64_t i = 0; i < 2; ++i) {
    const Tensor expected =
        weight_row(m.weight, r.classes[i]) * mask.narrow(0, i, 1).reshape({2, 2, 2});
    EXPECT_TENSOR_NEAR(r.gradient.narrow(0, i, 1).reshape({2, 2, 2}), expected, 0, 1e-7);
    // Saliency: max over the two channels of |gradient|.
    const Tensor sal = ops::max(ops::abs(expected), 0).values;
    EXPECT_TENSOR_NEAR(r.saliency.narrow(0, i, 1).reshape({2, 2}), sal, 0, 1e-7);
  }
  EXPECT_EQ(r.saliency.shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(r.logits.shape(), (Shape{2, 3}));
}

TEST(VizSaliency, DefaultClassIsThePredictionAndOneClassAppliesToAll) {
  ReluLinear m = relu_linear();
  const Tensor x = relu_linear_input();
  const viz::InputGradients predicted = viz::saliency(*m.model, x);
  const Tensor argmax = ops::argmax(predicted.logits, 1);
  EXPECT_EQ(predicted.classes,
            (std::vector<int64_t>{argmax.data<int64_t>()[0], argmax.data<int64_t>()[1]}));
  EXPECT_EQ(viz::saliency(*m.model, x, {1}).classes, (std::vector<int64_t>{1, 1}));
}

TEST(VizSaliency, BatchGivesEachImageItsOwnGradient) {
  auto model = lenet();
  Rng rng(7);
  const Tensor x = Tensor::uniform({3, 1, 28, 28}, 0, 1, rng);
  const viz::InputGradients batch = viz::saliency(*model, x, {4, 1, 9});
  for (int64_t i = 0; i < 3; ++i) {
    const viz::InputGradients one = viz::saliency(*model, x.narrow(0, i, 1), {batch.classes[i]});
    EXPECT_TENSOR_NEAR(batch.saliency.narrow(0, i, 1), one.saliency, 1e-5, 1e-7);
  }
  EXPECT_GT(ops::max(batch.saliency).item(), 0);
}

TEST(VizSaliency, LeavesParametersModeAndOverridesAsTheyWere) {
  auto model = lenet();
  model->train();
  model->submodule("features.0").eval();  // a mixed mode comes back exactly
  Rng rng(2);
  viz::saliency(*model, Tensor::uniform({2, 1, 28, 28}, 0, 1, rng));
  EXPECT_TRUE(model->is_training());
  EXPECT_FALSE(model->submodule("features.0").is_training());
  EXPECT_TRUE(model->submodule("classifier.0").is_training());
  for (const auto& [name, p] : model->named_parameters()) {
    EXPECT_TRUE(p.requires_grad()) << name;
    EXPECT_FALSE(p.grad().defined()) << name << " got a gradient";
  }
}

TEST(VizSaliency, BadClassesAndImagesThrow) {
  ReluLinear m = relu_linear();
  const Tensor x = relu_linear_input();
  EXPECT_THROW_WITH(viz::saliency(*m.model, x, {3}), ValueError,
                    "viz::saliency: expected a class index in [0, 3), got 3");
  EXPECT_THROW_WITH(viz::saliency(*m.model, x, {-1}), ValueError, "got -1");
  EXPECT_THROW_WITH(viz::saliency(*m.model, x, {0, 1, 2}), ValueError,
                    "expected no class, one class or one per image (2), got 3");
  EXPECT_THROW_WITH(viz::saliency(*m.model, x.reshape({2, 8})), ShapeError,
                    "expected images (N, C, H, W), got [2, 8]");
  auto model = lenet();
  EXPECT_THROW(viz::saliency(*model, Tensor::zeros({1, 3, 28, 28})), ShapeError);
}

TEST(VizGuidedBackprop, PassesOnlyPositiveGradientsThroughOpenRelus) {
  ReluLinear m = relu_linear();
  const Tensor x = relu_linear_input();
  const viz::InputGradients r = viz::guided_backprop(*m.model, x, {1});
  const Tensor mask = ops::gt(x, Tensor::scalar(0.0));
  for (int64_t i = 0; i < 2; ++i) {
    const Tensor expected =
        ops::relu(weight_row(m.weight, 1)) * mask.narrow(0, i, 1).reshape({2, 2, 2});
    EXPECT_TENSOR_NEAR(r.gradient.narrow(0, i, 1).reshape({2, 2, 2}), expected, 0, 1e-7);
  }
  EXPECT_FALSE(r.saliency.defined());
}

TEST(VizDeconvnet, RectifiesTheGradientWhateverTheForwardInput) {
  ReluLinear m = relu_linear();
  const viz::InputGradients r = viz::deconvnet(*m.model, relu_linear_input(), {1});
  const Tensor expected = ops::relu(weight_row(m.weight, 1));
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_TENSOR_NEAR(r.gradient.narrow(0, i, 1).reshape({2, 2, 2}), expected, 0, 1e-7);
  }
}

TEST(VizGuidedBackprop, ReluOverrideEndsWithTheCall) {
  ReluLinear m = relu_linear();
  viz::guided_backprop(*m.model, relu_linear_input(), {0});
  viz::deconvnet(*m.model, relu_linear_input(), {0});
  EXPECT_FALSE(static_cast<bool>(autograd::find_override("relu")));
  // relu's backward is ordinary again: a negative gradient passes where x > 0.
  Tensor x = Tensor::from_vector({1.0, -1.0}, {2});
  x.set_requires_grad(true);
  ops::relu(x).backward(Tensor::from_vector({-2.0, 3.0}, {2}));
  EXPECT_TENSOR_EQ(x.grad(), Tensor::from_vector({-2.0, 0.0}, {2}));
  // And a saliency after guided backprop is the plain gradient.
  const viz::InputGradients plain = viz::saliency(*m.model, relu_linear_input(), {0});
  const Tensor mask = ops::gt(relu_linear_input(), Tensor::scalar(0.0));
  EXPECT_TENSOR_NEAR(plain.gradient.narrow(0, 0, 1).reshape({2, 2, 2}),
                     weight_row(m.weight, 0) * mask.narrow(0, 0, 1).reshape({2, 2, 2}), 0, 1e-7);
}

TEST(VizGuidedBackprop, OverrideEndsEvenWhenTheModelThrows) {
  auto model = lenet();
  EXPECT_THROW(viz::guided_backprop(*model, Tensor::zeros({1, 2, 28, 28})), ShapeError);
  EXPECT_FALSE(static_cast<bool>(autograd::find_override("relu")));
  for (const auto& [name, p] : model->named_parameters()) EXPECT_TRUE(p.requires_grad()) << name;
}

// x (N, 1, 4, 4) -> Conv2d(1, 2, 1) -> Flatten -> Linear(32, 3): dS_c/dA = W_c as (2, 4, 4).
TEST(VizGradCam, WeightsAreMeanGradientsAndCamIsTheirReluCombination) {
  Rng rng(13);
  auto conv = std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in_channels = 1, .out_channels = 2, .kernel_size = 1}, rng);
  auto linear = std::make_shared<nn::Linear>(nn::LinearOptions{32, 3}, rng);
  nn::Sequential model{conv, std::make_shared<nn::Flatten>(), linear};
  // Class 2's row: positive on channel 0, negative on channel 1, so the cam of a positive input
  // through a positive channel-0 filter is not 0.
  Tensor lw = linear->named_parameters()[0].second.detach();
  lw.narrow(0, 2, 1).copy_(Tensor::from_vector(
      [] {
        std::vector<double> row;
        for (int i = 0; i < 32; ++i)
          row.push_back(i < 16 ? 0.1 * (i % 3 + 1) : -0.05 * (i % 2 + 1));
        return row;
      }(),
      {1, 32}));
  Tensor cw = conv->named_parameters()[0].second.detach();
  cw.copy_(Tensor::from_vector({1.0, -0.5}, {2, 1, 1, 1}));
  conv->named_parameters()[1].second.detach().fill_(0.0);
  const Tensor x = Tensor::uniform({2, 1, 4, 4}, 0.1, 1, rng);
  const viz::GradCam r = viz::grad_cam(model, x, "0", {2});
  const Tensor w = linear->named_parameters()[0].second.detach().narrow(0, 2, 1).reshape({2, 4, 4});
  const Tensor weights = ops::mean(w, {1, 2});  // (2)
  for (int64_t i = 0; i < 2; ++i) {
    EXPECT_TENSOR_NEAR(r.weights.narrow(0, i, 1).reshape({2}), weights, 1e-6, 1e-7);
    const Tensor a = conv->forward(x.narrow(0, i, 1)).detach().reshape({2, 4, 4});
    const Tensor raw = ops::relu(ops::sum(a * weights.reshape({2, 1, 1}), {0}));
    EXPECT_TENSOR_NEAR(r.raw_cam.narrow(0, i, 1).reshape({4, 4}), raw, 1e-5, 1e-7);
    const double top = ops::max(raw).item();
    ASSERT_GT(top, 0);
    EXPECT_TENSOR_NEAR(r.cam.narrow(0, i, 1).reshape({4, 4}), raw / top, 1e-5, 1e-7);
  }
  EXPECT_EQ(r.classes, (std::vector<int64_t>{2, 2}));
}

TEST(VizGradCam, UpsamplesToTheInputAndNormalizesToOne) {
  auto model = lenet();
  Rng rng(17);
  const viz::GradCam r =
      viz::grad_cam(*model, Tensor::uniform({2, 1, 28, 28}, 0, 1, rng), "features.3");
  EXPECT_EQ(r.raw_cam.shape(), (Shape{2, 10, 10}));
  EXPECT_EQ(r.weights.shape(), (Shape{2, 16}));
  EXPECT_EQ(r.cam.shape(), (Shape{2, 28, 28}));
  for (int64_t i = 0; i < 2; ++i) {
    const Tensor cam = r.cam.narrow(0, i, 1);
    const double top = ops::max(cam).item();
    EXPECT_TRUE(top == 0.0 || std::abs(top - 1.0) < 1e-6) << top;
    EXPECT_GE(ops::min(cam).item(), 0.0);
  }
  for (const auto& [name, p] : model->named_parameters()) {
    EXPECT_FALSE(p.grad().defined()) << name;
  }
  EXPECT_FALSE(model->submodule("features.3").has_forward_hooks());
}

TEST(VizGradCam, NonConvLayerAndUnknownLayerAreClearErrors) {
  auto model = lenet();
  const Tensor x = Tensor::zeros({1, 1, 28, 28});
  EXPECT_THROW_WITH(viz::grad_cam(*model, x, "classifier.0"), ValueError,
                    "viz::grad_cam: expected a layer with a 4-D (N, C, H, W) output such as a conv "
                    "layer (conv layers: features.0, features.3), got 'classifier.0' (Linear) "
                    "with output [1, 120]");
  EXPECT_THROW_WITH(viz::grad_cam(*model, x, "features.9"), ValueError,
                    "unknown layer 'features.9' (layers: features, features.0");
  EXPECT_THROW_WITH(viz::grad_cam(*model, x, "features.3", {10}), ValueError,
                    "expected a class index in [0, 10), got 10");
  EXPECT_FALSE(model->submodule("classifier.0").has_forward_hooks());
}

TEST(VizRescaleEach, EachImageSpansZeroToOne) {
  const Tensor batch = Tensor::from_vector({1, 2, 3, -10, 0, 10}, {2, 3});
  EXPECT_TENSOR_NEAR(viz::rescale_each(batch), Tensor::from_vector({0, 0.5, 1, 0, 0.5, 1}, {2, 3}),
                     0, 1e-7);
}

}  // namespace
}  // namespace cnnlab
