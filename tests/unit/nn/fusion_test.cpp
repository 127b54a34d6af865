// Inference-time fusion (nn/fusion.hpp, ops::conv2d_relu): the fused chain computes what the
// modules compute one by one, on both backends; it is taken exactly when its conditions hold
// (checked through the profiler's per-module call counts); and it steps aside for gradients,
// training mode, hooks and backward overrides.
#include "cnnlab/nn/fusion.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/hooks.hpp"
#include "cnnlab/autograd/profiler.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/conv.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

void fill_uniform(Tensor& t, double lo, double hi, Rng& rng) {
  const Tensor u = Tensor::uniform(t.shape(), lo, hi, rng, t.dtype());
  std::copy_n(u.data<float>(), t.numel(), t.data<float>());
}

// Running statistics and affine parameters far from their initial values, so that folding them
// into the convolution is exercised (at init, eval-mode BatchNorm is nearly the identity).
void randomize_batch_norms(nn::Module& model, Rng& rng) {
  for (auto& [path, m] : model.named_modules()) {
    auto* bn = dynamic_cast<nn::BatchNormBase*>(m);
    if (bn == nullptr) continue;
    Tensor mean = bn->running_mean(), var = bn->running_var();
    fill_uniform(mean, -0.5, 0.5, rng);
    fill_uniform(var, 0.3, 2.0, rng);
    if (bn->options().affine) {
      Tensor w = bn->weight(), b = bn->bias();
      fill_uniform(w, 0.5, 1.5, rng);
      fill_uniform(b, -0.3, 0.3, rng);
    }
  }
}

struct Case {
  std::string model;
  Shape input;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

class FusedModelTest : public ::testing::TestWithParam<std::tuple<Case, Backend>> {};

// The same model in eval mode: with grad mode on nothing fuses (the reference), under
// NoGradGuard the chains fuse. The outputs agree to float rounding.
TEST_P(FusedModelTest, MatchesTheUnfusedModules) {
  const auto& [c, b] = GetParam();
  const BackendGuard backend(b);
  Rng rng(7);
  auto model = models::make_model(c.model, {.input_shape = c.input, .num_classes = 10}, rng);
  randomize_batch_norms(*model, rng);
  model->eval();
  const Shape shape{3, c.input[0], c.input[1], c.input[2]};
  const Tensor x = Tensor::normal(shape, 0.0, 1.0, rng);

  const Tensor unfused = (*model)(x).detach();
  Tensor fused;
  {
    const NoGradGuard no_grad;
    fused = (*model)(x);
  }
  EXPECT_TENSOR_NEAR(fused, unfused, 1e-4, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, FusedModelTest,
                         ::testing::Combine(::testing::Values(Case{"lenet5", {1, 28, 28}},
                                                              Case{"resnet20", {3, 32, 32}},
                                                              Case{"vgg11_bn", {3, 32, 32}}),
                                            ::testing::Values(Backend::kFast, Backend::kReference)),
                         [](const auto& test) {
                           return std::get<0>(test.param).model +
                                  (std::get<1>(test.param) == Backend::kFast ? "_fast"
                                                                             : "_reference");
                         });

// ResNet blocks call nn::conv_bn_relu themselves: under NoGradGuard no BatchNorm or ReLU module
// of a CIFAR ResNet runs its own forward, except the ReLU after each residual add.
TEST(Fusion, ResNetBlocksFuseTheirChains) {
  Rng rng(8);
  auto model = models::make_model("resnet20", {.input_shape = {3, 32, 32}, .num_classes = 10}, rng);
  model->eval();
  const Tensor x = Tensor::normal({2, 3, 32, 32}, 0.0, 1.0, rng);
  autograd::Profiler profiler;
  profiler.attach(*model);
  {
    const NoGradGuard no_grad;
    const autograd::ProfileGuard guard(profiler);
    (*model)(x);
  }
  EXPECT_EQ(profiler.row("layer1.0.conv1").forward_calls, 1);
  EXPECT_EQ(profiler.row("layer1.0.bn1").forward_calls, 0);
  EXPECT_EQ(profiler.row("layer1.0.bn2").forward_calls, 0);
  EXPECT_EQ(profiler.row("bn1").forward_calls, 0);
  EXPECT_EQ(profiler.row("layer1.0.relu").forward_calls, 1) << "only the one after the add";
}

// The bottleneck blocks (conv3/bn3, a conv+bn downsample), on the fast kernels only: the
// reference kernels take seconds here and run the same chains for the models above.
INSTANTIATE_TEST_SUITE_P(Bottleneck, FusedModelTest,
                         ::testing::Combine(::testing::Values(Case{"resnet50", {3, 16, 16}}),
                                            ::testing::Values(Backend::kFast)),
                         [](const auto& test) { return std::get<0>(test.param).model; });

// conv -> bn -> relu in a Sequential, built with every option the fold must respect.
std::shared_ptr<nn::Sequential> chain(bool conv_bias, bool affine, int64_t groups, Rng& rng) {
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 4,
                                                                .out_channels = 6,
                                                                .kernel_size = {3, 2},
                                                                .stride = {2, 1},
                                                                .padding = {1, 0},
                                                                .groups = groups,
                                                                .bias = conv_bias},
                                              rng));
  seq->push_back(std::make_shared<nn::BatchNorm2d>(
      nn::BatchNormOptions{.num_features = 6, .eps = 1e-3, .affine = affine}));
  seq->push_back(std::make_shared<nn::ReLU>());
  randomize_batch_norms(*seq, rng);
  seq->eval();
  return seq;
}

// How often each child of a Sequential ran its own forward under a Profiler.
std::vector<int64_t> calls_per_child(nn::Sequential& seq, const Tensor& x) {
  autograd::Profiler profiler;
  profiler.attach(seq);
  {
    const autograd::ProfileGuard guard(profiler);
    seq(x);
  }
  std::vector<int64_t> calls;
  for (size_t i = 0; i < seq.size(); ++i) {
    calls.push_back(profiler.row(std::to_string(i)).forward_calls);
  }
  return calls;
}

TEST(Fusion, SequentialFoldsBatchNormForEveryOption) {
  Rng rng(3);
  for (bool conv_bias : {false, true}) {
    for (bool affine : {false, true}) {
      for (int64_t groups : {1, 2}) {
        auto seq = chain(conv_bias, affine, groups, rng);
        const Tensor x = Tensor::normal({2, 4, 7, 5}, 0.0, 1.0, rng);
        const Tensor unfused = (*seq)(x).detach();
        const NoGradGuard no_grad;
        EXPECT_TENSOR_NEAR((*seq)(x), unfused, 1e-5, 1e-5)
            << "bias " << conv_bias << " affine " << affine << " groups " << groups;
        EXPECT_EQ(calls_per_child(*seq, x), (std::vector<int64_t>{1, 0, 0}));
      }
    }
  }
}

TEST(Fusion, SequentialFusesConvReluWithoutBatchNorm) {
  Rng rng(4);
  nn::Sequential seq{
      std::make_shared<nn::Conv2d>(
          nn::Conv2dOptions{.in_channels = 2, .out_channels = 3, .kernel_size = 3}, rng),
      std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Conv2d>(
          nn::Conv2dOptions{.in_channels = 3, .out_channels = 2, .kernel_size = 1}, rng)};
  const Tensor x = Tensor::normal({2, 2, 6, 6}, 0.0, 1.0, rng);
  const Tensor unfused = seq(x).detach();
  const NoGradGuard no_grad;
  EXPECT_TENSOR_NEAR(seq(x), unfused, 1e-5, 1e-6);
  // The last conv has nothing to fuse with and runs as itself.
  EXPECT_EQ(calls_per_child(seq, x), (std::vector<int64_t>{1, 0, 1}));
}

TEST(Fusion, StepsAsideForGradientsTrainingAndHooks) {
  Rng rng(5);
  auto seq = chain(true, true, 1, rng);
  const Tensor x = Tensor::normal({2, 4, 7, 5}, 0.0, 1.0, rng);
  EXPECT_EQ(calls_per_child(*seq, x), (std::vector<int64_t>{1, 1, 1})) << "grad mode on";

  const NoGradGuard no_grad;
  auto& conv = dynamic_cast<nn::Conv2d&>((*seq)[0]);
  auto* bn = dynamic_cast<nn::BatchNorm2d*>(&(*seq)[1]);
  auto* relu = dynamic_cast<nn::ReLU*>(&(*seq)[2]);
  EXPECT_TRUE(nn::can_fuse(conv, bn, relu));
  EXPECT_FALSE(nn::can_fuse(conv, nullptr, nullptr)) << "nothing to fuse";

  seq->train();
  EXPECT_FALSE(nn::can_fuse(conv, bn, relu)) << "BatchNorm in training mode";
  EXPECT_TRUE(nn::can_fuse(conv, nullptr, relu)) << "conv+relu needs no eval mode";
  seq->eval();

  // A hook on any of the three sees that layer's own output, so the chain runs unfused.
  for (size_t hooked = 0; hooked < 3; ++hooked) {
    Tensor seen;
    const int id =
        (*seq)[hooked].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& out) {
          seen = out;
          return Tensor();
        });
    EXPECT_FALSE(nn::can_fuse(conv, bn, relu)) << "hook on child " << hooked;
    EXPECT_EQ(calls_per_child(*seq, x), (std::vector<int64_t>{1, 1, 1}));
    EXPECT_TRUE(seen.defined());
    (*seq)[hooked].remove_forward_hook(id);
  }
  EXPECT_TRUE(nn::can_fuse(conv, bn, relu));

  const nn::BatchNorm2d untracked(
      nn::BatchNormOptions{.num_features = 6, .track_running_stats = false});
  EXPECT_FALSE(nn::can_fuse(conv, &untracked, relu)) << "no running statistics";
  nn::BatchNorm2d wrong_width(nn::BatchNormOptions{.num_features = 5});
  wrong_width.eval();
  EXPECT_FALSE(nn::can_fuse(conv, &wrong_width, relu)) << "channel mismatch";
  EXPECT_THROW_WITH(nn::fused_conv_bn_relu(conv, &wrong_width, relu, x), StateError,
                    "expected a fusable chain");
}

class ConvReluOpTest : public ::testing::TestWithParam<std::tuple<Backend, Dtype, int64_t>> {};

// ops::conv2d_relu against relu(conv2d) on every kernel path: oneDNN (float32, several input
// channels), im2col + BLAS (one input channel, float64) and the reference.
TEST_P(ConvReluOpTest, EqualsReluOfConv) {
  const auto& [b, dtype, in_channels] = GetParam();
  const BackendGuard backend(b);
  Rng rng(11);
  const Tensor x = Tensor::normal({3, in_channels, 9, 8}, 0.0, 1.0, rng, dtype);
  const Tensor w = Tensor::normal({5, in_channels, 3, 3}, 0.0, 0.5, rng, dtype);
  const Tensor bias = Tensor::normal({5}, 0.0, 0.5, rng, dtype);
  const ops::Conv2dParams p{.stride = {1, 2}, .padding = 1};
  const Tensor expected = ops::relu(ops::conv2d(x, w, bias, p));
  const Tensor got = ops::conv2d_relu(x, w, bias, p);
  EXPECT_TENSOR_NEAR(got, expected, 1e-6, 1e-6);
  EXPECT_TENSOR_NEAR(ops::conv2d_relu(x, w, {}, p), ops::relu(ops::conv2d(x, w, {}, p)), 1e-6,
                     1e-6);
}

INSTANTIATE_TEST_SUITE_P(Paths, ConvReluOpTest,
                         ::testing::Combine(::testing::Values(Backend::kFast, Backend::kReference),
                                            ::testing::Values(Dtype::kFloat32, Dtype::kFloat64),
                                            ::testing::Values(int64_t{1}, int64_t{4})));

// With a gradient needed, conv2d_relu records conv2d and relu, so a backward override of "relu"
// (guided backprop) still applies to it.
TEST(ConvRelu, RecordsTwoOpsWhenAGradientIsNeeded) {
  Rng rng(12);
  Tensor x = Tensor::normal({2, 3, 5, 5}, 0.0, 1.0, rng);
  x.set_requires_grad(true);
  const Tensor w = Tensor::normal({4, 3, 3, 3}, 0.0, 0.5, rng);
  int relu_backwards = 0;
  const autograd::BackwardOverride guard("relu", [&](const Tensor& dy, const autograd::Node& node) {
    ++relu_backwards;
    return node.apply(dy);
  });
  ops::conv2d_relu(x, w).sum().backward();
  EXPECT_EQ(relu_backwards, 1);
  ASSERT_TRUE(x.grad().defined());
  const Tensor via_fused = x.grad().detach();
  x.zero_grad();
  ops::relu(ops::conv2d(x, w)).sum().backward();
  EXPECT_TENSOR_EQ(via_fused, x.grad());
}

}  // namespace
}  // namespace cnnlab
