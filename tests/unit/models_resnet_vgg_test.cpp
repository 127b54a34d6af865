// ResNet, CIFAR ResNet and VGG: parameter counts against torchvision's, state_dict names and
// shapes against torchvision's (tests/parity/fixtures/torchvision_state_dicts.txt, written by
// tests/parity/gen/make_model_fixtures.py), output shapes of the full and small-input variants,
// the option A shortcut, initialization, and train/eval behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/models/resnet.hpp"
#include "cnnlab/models/vgg.hpp"
#include "cnnlab/ops/loss.hpp"
#include "support/expect_throw_with.hpp"
#include "support/model_test_support.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using testing::build_model;
using testing::describe_state;
using testing::max_abs_diff;
using testing::torchvision_state;

// ---- parameter counts (torchvision's, 1000 classes, 3x224x224) --------------------------------

// NOTE: building a model draws every initial weight; resnet18/34/50 take 0.3 to 0.5 s, but
// resnet101/152 and the 224x224 VGGs (123M classifier weights) take 1 to 5 s, so those run only
// with CNNLAB_SLOW_TESTS=1 (ModelsZooSlow below). The fast tests still pin the VGG feature
// extractors and heads down exactly.
TEST(ModelsResNetCount, Resnet18EqualsTorchvision) {
  EXPECT_EQ(build_model("resnet18", {3, 224, 224}, 1000)->num_parameters(), 11'689'512);
}

TEST(ModelsResNetCount, Resnet34EqualsTorchvision) {
  EXPECT_EQ(build_model("resnet34", {3, 224, 224}, 1000)->num_parameters(), 21'797'672);
}

TEST(ModelsResNetCount, Resnet50EqualsTorchvision) {
  EXPECT_EQ(build_model("resnet50", {3, 224, 224}, 1000)->num_parameters(), 25'557'032);
}

TEST(ModelsCifarResNetCount, MatchesThePyTorchDefinition) {
  // From tools/torch_reference_models.py; resnet20's 0.27M and resnet110's 1.7M are the paper's.
  EXPECT_EQ(build_model("resnet20", {3, 32, 32})->num_parameters(), 269'722);
  EXPECT_EQ(build_model("resnet110", {3, 32, 32})->num_parameters(), 1'727'962);
  EXPECT_EQ(build_model("resnet20", {1, 28, 28})->num_parameters(), 269'722 - 2 * 16 * 9);
}

/// Parameters of the modules under `prefix` ("features.").
int64_t count_under(const nn::Module& m, const std::string& prefix) {
  int64_t n = 0;
  for (const auto& [name, p] : m.named_parameters()) {
    if (name.rfind(prefix, 0) == 0) n += p.numel();
  }
  return n;
}

/// torchvision's count minus its classifier (25088*4096+4096 + 4096*4096+4096 + 4096*1000+1000
/// = 123,642,856) is the feature extractor, which the small-input variant at 32x32 shares; the
/// small head is 512*512+512 + 512*512+512 + 512*1000+1000 = 1,038,312.
void expect_vgg_count(const std::string& name, int64_t torchvision_count) {
  auto m = build_model(name, {3, 32, 32}, 1000);
  EXPECT_EQ(count_under(*m, "features."), torchvision_count - 123'642'856) << name;
  EXPECT_EQ(count_under(*m, "classifier."), 1'038'312) << name;
}

TEST(ModelsVggCount, Vgg11FeaturesEqualTorchvision) { expect_vgg_count("vgg11", 132'863'336); }
TEST(ModelsVggCount, Vgg16FeaturesEqualTorchvision) { expect_vgg_count("vgg16", 138'357'544); }
TEST(ModelsVggCount, Vgg16BnFeaturesEqualTorchvision) { expect_vgg_count("vgg16_bn", 138'365'992); }
TEST(ModelsVggCount, Vgg19FeaturesEqualTorchvision) { expect_vgg_count("vgg19", 143'667'240); }

TEST(ModelsSmallInputCount, Resnet18MatchesThePyTorchDefinition) {
  EXPECT_EQ(build_model("resnet18", {1, 28, 28})->num_parameters(), 11'172'810);
}

TEST(ModelsSmallInputCount, Vgg11BnMatchesThePyTorchDefinition) {
  EXPECT_EQ(build_model("vgg11_bn", {3, 32, 32})->num_parameters(), 9'756'426);
}

// ---- names and shapes ------------------------------------------------------------------------

TEST(ModelsStateDict, Resnet18MatchesTorchvisionExactly) {
  const std::vector<std::string> expected = torchvision_state("resnet18");
  ASSERT_EQ(expected.size(), 122u);
  EXPECT_EQ(describe_state(*build_model("resnet18", {3, 224, 224}, 1000)), expected);
}

TEST(ModelsStateDict, Resnet50MatchesTorchvisionExactly) {
  const std::vector<std::string> expected = torchvision_state("resnet50");
  ASSERT_EQ(expected.size(), 320u);
  EXPECT_EQ(describe_state(*build_model("resnet50", {3, 224, 224}, 1000)), expected);
}

TEST(ModelsStateDict, Vgg11BnFeaturesMatchTorchvisionExactly) {
  std::vector<std::string> expected, actual;
  for (const std::string& line : torchvision_state("vgg11_bn")) {
    if (line.rfind("features.", 0) == 0) expected.push_back(line);
  }
  ASSERT_EQ(expected.size(), 56u);  // 8 convs (2 entries) + 8 BatchNorms (5 entries)
  for (const std::string& line : describe_state(*build_model("vgg11_bn", {3, 32, 32}, 1000))) {
    if (line.rfind("features.", 0) == 0) actual.push_back(line);
  }
  EXPECT_EQ(actual, expected);
}

TEST(ModelsStateDict, SpotNames) {
  const auto state = build_model("resnet18", {3, 32, 32})->state_dict();
  for (const char* key : {"conv1.weight", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
                          "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean",
                          "layer4.1.bn2.running_var", "fc.weight", "fc.bias"}) {
    EXPECT_EQ(state.count(key), 1u) << key;
  }
  EXPECT_EQ(state.count("layer1.0.downsample.0.weight"), 0u);         // identity shortcut in layer1
  EXPECT_EQ(state.at("conv1.weight").shape(), Shape({64, 3, 3, 3}));  // small-input stem

  const auto cifar = build_model("resnet20", {1, 28, 28})->state_dict();
  for (const char* key : {"conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
                          "layer3.2.bn2.num_batches_tracked", "fc.weight"}) {
    EXPECT_EQ(cifar.count(key), 1u) << key;
  }
  EXPECT_EQ(cifar.at("conv1.weight").shape(), Shape({16, 1, 3, 3}));
  EXPECT_EQ(cifar.at("fc.weight").shape(), Shape({10, 64}));
}

TEST(ModelsStateDict, VggSpotNames) {
  const auto vgg = build_model("vgg16_bn", {3, 32, 32})->state_dict();
  for (const char* key : {"features.0.weight", "features.1.running_var", "features.41.bias",
                          "classifier.0.weight", "classifier.3.bias", "classifier.6.weight"}) {
    EXPECT_EQ(vgg.count(key), 1u) << key;
  }
  EXPECT_EQ(vgg.at("classifier.0.weight").shape(), Shape({512, 512}));
}

// ---- forward shapes and variants --------------------------------------------------------------

TEST(ModelsResNetForward, OutputShapeAt224) {
  NoGradGuard no_grad;
  auto m = build_model("resnet18", {3, 224, 224}, 1000);
  EXPECT_EQ(m->submodule("maxpool").type_name(), "MaxPool2d");
  m->eval();
  EXPECT_EQ((*m)(Tensor::zeros({1, 3, 224, 224})).shape(), Shape({1, 1000}));
}

TEST(ModelsResNetForward, SmallInputsSelectTheSmallStem) {
  NoGradGuard no_grad;
  for (const Shape& in : {Shape{1, 28, 28}, Shape{3, 32, 32}}) {
    auto m = build_model("resnet18", in);
    m->eval();
    EXPECT_EQ(m->submodule("maxpool").type_name(), "Identity");
    EXPECT_EQ(m->state_dict().at("conv1.weight").shape(), Shape({64, in[0], 3, 3}));
    EXPECT_EQ((*m)(Tensor::zeros({2, in[0], in[1], in[2]})).shape(), Shape({2, 10}));
  }
}

// ModelConfig::small_input (the CLI's --variant) overrides the rule by input size both ways.
TEST(ModelsVariant, SmallInputFlagOverridesTheSizeRule) {
  Rng rng(3);
  auto small = models::make_model(
      "resnet18", {.input_shape = {3, 64, 64}, .num_classes = 10, .small_input = true}, rng);
  EXPECT_EQ(small->state_dict().at("conv1.weight").shape(), Shape({64, 3, 3, 3}));
  auto full = models::make_model(
      "resnet18", {.input_shape = {3, 32, 32}, .num_classes = 10, .small_input = false}, rng);
  EXPECT_EQ(full->state_dict().at("conv1.weight").shape(), Shape({64, 3, 7, 7}));
  EXPECT_EQ(full->submodule("maxpool").type_name(), "MaxPool2d");
  EXPECT_EQ(models::parse_variant("auto"), std::nullopt);
  EXPECT_EQ(models::parse_variant("small"), std::optional<bool>(true));
  EXPECT_EQ(models::parse_variant("full"), std::optional<bool>(false));
  EXPECT_THROW_WITH(models::parse_variant("tiny"), ValueError,
                    "expected auto, small or full, got 'tiny'");
}

TEST(ModelsResNetForward, BottleneckSmallInput) {
  NoGradGuard no_grad;
  auto m = build_model("resnet50", {1, 28, 28});
  m->eval();
  EXPECT_EQ((*m)(Tensor::zeros({1, 1, 28, 28})).shape(), Shape({1, 10}));
}

TEST(ModelsCifarResNetForward, OutputShapes) {
  NoGradGuard no_grad;
  for (const Shape& in : {Shape{1, 28, 28}, Shape{3, 32, 32}}) {
    auto m = build_model("resnet20", in);
    m->eval();
    EXPECT_EQ((*m)(Tensor::zeros({3, in[0], in[1], in[2]})).shape(), Shape({3, 10}));
  }
}

TEST(ModelsVggForward, SmallInputDropsOnlyPoolsBelowOneByOne) {
  NoGradGuard no_grad;
  auto m28 = build_model("vgg11_bn", {1, 28, 28});
  // 28 -> 14 -> 7 -> 3 -> 1, then the fifth pool (features.28) would leave nothing.
  EXPECT_EQ(m28->submodule("features.21").type_name(), "MaxPool2d");
  EXPECT_EQ(m28->submodule("features.28").type_name(), "Identity");
  m28->eval();
  EXPECT_EQ((*m28)(Tensor::zeros({2, 1, 28, 28})).shape(), Shape({2, 10}));

  auto m32 = build_model("vgg11", {3, 32, 32});
  EXPECT_EQ(m32->submodule("features.20").type_name(), "MaxPool2d");
  m32->eval();
  EXPECT_EQ((*m32)(Tensor::zeros({2, 3, 32, 32})).shape(), Shape({2, 10}));
}

TEST(ModelsVggForward, FullVariantAt64x64UsesTorchvisionHead) {
  NoGradGuard no_grad;
  models::VggOptions o;
  o.config = {8, models::kVggMaxPool, 8, models::kVggMaxPool, 8, models::kVggMaxPool};
  o.num_classes = 5;
  Rng rng(3);
  models::Vgg m(o, rng);
  EXPECT_EQ(m.avgpool->options().output_size, Size2(7));
  EXPECT_EQ(m.state_dict().at("classifier.0.weight").shape(), Shape({4096, 8 * 7 * 7}));
  EXPECT_EQ(m.state_dict().at("classifier.6.weight").shape(), Shape({5, 4096}));
  m.eval();
  EXPECT_EQ(m(Tensor::zeros({1, 3, 64, 64})).shape(), Shape({1, 5}));
}

// ---- option A shortcut -------------------------------------------------------------------------

TEST(ModelsCifarResNetShortcut, SubsamplesAndPadsZeroChannelsOnBothSides) {
  Rng rng(5);
  models::CifarBasicBlock block(4, 8, 2, rng);
  block.conv1->weight().fill_(0.0);
  block.conv2->weight().fill_(0.0);
  block.eval();  // BN of zeros with running stats (0, 1) and weight 1, bias 0 is 0
  Rng data(6);
  const Tensor x = Tensor::uniform({2, 4, 5, 5}, 0.0, 1.0, data);  // >= 0: the ReLU passes it
  const Tensor y = block(x);
  ASSERT_EQ(y.shape(), Shape({2, 8, 3, 3}));
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t c = 0; c < 8; ++c) {
      for (int64_t i = 0; i < 3; ++i) {
        for (int64_t j = 0; j < 3; ++j) {
          const double expected = (c >= 2 && c < 6) ? x.at({n, c - 2, 2 * i, 2 * j}) : 0.0;
          EXPECT_EQ(y.at({n, c, i, j}), expected) << n << " " << c << " " << i << " " << j;
        }
      }
    }
  }
}

TEST(ModelsCifarResNetShortcut, GradientReachesTheInputThroughTheShortcut) {
  Rng rng(5);
  models::CifarBasicBlock block(2, 4, 2, rng);
  block.conv1->weight().fill_(0.0);
  block.conv2->weight().fill_(0.0);
  block.eval();
  Tensor x = Tensor::full({1, 2, 4, 4}, 0.5);
  x.set_requires_grad(true);
  block(x).sum().backward();
  // Only the ::2 positions feed the output, with gradient 1.
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 4; ++j) {
      EXPECT_EQ(x.grad().at({0, 1, i, j}), (i % 2 == 0 && j % 2 == 0) ? 1.0 : 0.0);
    }
  }
}

// ---- initialization, train/eval -------------------------------------------------------------

TEST(ModelsResNetInit, KaimingNormalFanOutAndBatchNormOnesZeros) {
  auto m = build_model("resnet18", {3, 32, 32});
  const auto state = m->state_dict();
  const Tensor w = state.at("layer3.0.conv2.weight");  // (256, 256, 3, 3): fan_out 2304
  const std::vector<double> v = w.to_vector();
  double sum = 0, sq = 0;
  for (double e : v) sum += e, sq += e * e;
  const double mean = sum / v.size(), std = std::sqrt(sq / v.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 1e-3);
  EXPECT_NEAR(std, std::sqrt(2.0 / 2304.0), 1e-3);
  EXPECT_TENSOR_EQ(state.at("layer3.0.bn2.weight"), Tensor::ones({256}));
  EXPECT_TENSOR_EQ(state.at("layer3.0.bn2.bias"), Tensor::zeros({256}));
}

TEST(ModelsVggInit, LinearNormalPointZeroOneAndZeroBias) {
  auto m = build_model("vgg11", {3, 32, 32});
  const auto state = m->state_dict();
  const std::vector<double> v = state.at("classifier.3.weight").to_vector();
  double sq = 0;
  for (double e : v) sq += e * e;
  EXPECT_NEAR(std::sqrt(sq / v.size()), 0.01, 2e-4);
  EXPECT_TENSOR_EQ(state.at("classifier.3.bias"), Tensor::zeros({512}));
  EXPECT_TENSOR_EQ(state.at("features.3.bias"), Tensor::zeros({128}));
}

TEST(ModelsTrainEval, SameSeedSameWeights) {
  auto a = build_model("resnet20", {1, 28, 28}, 10, 11);
  auto b = build_model("resnet20", {1, 28, 28}, 10, 11);
  auto c = build_model("resnet20", {1, 28, 28}, 10, 12);
  EXPECT_TENSOR_EQ(a->state_dict().at("layer2.0.conv1.weight"),
                   b->state_dict().at("layer2.0.conv1.weight"));
  EXPECT_GT(max_abs_diff(a->state_dict().at("layer2.0.conv1.weight"),
                         c->state_dict().at("layer2.0.conv1.weight")),
            0.0);
}

void expect_every_parameter_gets_a_gradient(const std::string& name) {
  auto m = build_model(name, {1, 28, 28});
  Rng data(12);
  const Tensor x = Tensor::normal({4, 1, 28, 28}, 0.0, 1.0, data);
  ops::cross_entropy((*m)(x), Tensor::from_int64({0, 1, 2, 3}, {4})).backward();
  for (const auto& [pname, p] : m->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name << ": " << pname;
    EXPECT_EQ(p.grad().shape(), p.shape()) << name << ": " << pname;
  }
}

TEST(ModelsTrainEval, Resnet20EveryParameterGetsAGradient) {
  expect_every_parameter_gets_a_gradient("resnet20");
}
TEST(ModelsTrainEval, Resnet18EveryParameterGetsAGradient) {
  expect_every_parameter_gets_a_gradient("resnet18");
}
TEST(ModelsTrainEval, Vgg11BnEveryParameterGetsAGradient) {
  expect_every_parameter_gets_a_gradient("vgg11_bn");
}

TEST(ModelsTrainEval, BatchNormStatisticsMoveOnlyInTrainMode) {
  auto m = build_model("resnet20", {1, 28, 28});
  Rng data(13);
  const Tensor x = Tensor::normal({2, 1, 28, 28}, 1.0, 2.0, data);
  const Tensor before = m->state_dict().at("bn1.running_mean").clone();
  m->eval();
  const Tensor e1 = (*m)(x), e2 = (*m)(x);
  EXPECT_TENSOR_EQ(e1, e2);
  EXPECT_TENSOR_EQ(m->state_dict().at("bn1.running_mean"), before);
  EXPECT_EQ(m->state_dict().at("bn1.num_batches_tracked").item(), 0);
  m->train();
  (*m)(x);
  EXPECT_EQ(m->state_dict().at("bn1.num_batches_tracked").item(), 1);
  EXPECT_GT(max_abs_diff(m->state_dict().at("bn1.running_mean"), before), 1e-4);
}

TEST(ModelsTrainEval, VggDropoutActsOnlyInTrainMode) {
  testing::expect_dropout_only_in_train_mode("vgg11", {1, 28, 28}, 14);
}

// ---- slow: the large models at 224x224 (CNNLAB_SLOW_TESTS=1) ---------------------------------

TEST(ModelsZooSlow, LargeCountsAndVgg11BnStateDictEqualTorchvision) {
  if (std::getenv("CNNLAB_SLOW_TESTS") == nullptr) GTEST_SKIP() << "set CNNLAB_SLOW_TESTS=1";
  const std::map<std::string, int64_t> counts = {
      {"resnet101", 44'549'160}, {"resnet152", 60'192'808}, {"vgg11", 132'863'336},
      {"vgg16", 138'357'544},    {"vgg16_bn", 138'365'992}, {"vgg19", 143'667'240}};
  for (const auto& [name, count] : counts) {
    EXPECT_EQ(build_model(name, {3, 224, 224}, 1000)->num_parameters(), count) << name;
  }
  const std::vector<std::string> expected = torchvision_state("vgg11_bn");
  ASSERT_EQ(expected.size(), 62u);
  EXPECT_EQ(describe_state(*build_model("vgg11_bn", {3, 224, 224}, 1000)), expected);
}

// ---- bad input -----------------------------------------------------------------------------

TEST(ModelsResNetVggErrors, UnknownDepthsAndShapes) {
  EXPECT_THROW_WITH(models::resnet_options(19), ValueError, "got 19");
  EXPECT_THROW_WITH(models::vgg_options(12, true), ValueError, "got 12");
  Rng rng(1);
  EXPECT_THROW_WITH(models::CifarResNet({.depth = 21}, rng), ValueError, "6n + 2");
  EXPECT_THROW_WITH(models::CifarBasicBlock(16, 31, 2, rng), ValueError, "CifarBasicBlock");
  EXPECT_THROW_WITH(build_model("resnet19", {3, 32, 32}), ValueError, "unknown model 'resnet19'");
}

}  // namespace
}  // namespace cnnlab
