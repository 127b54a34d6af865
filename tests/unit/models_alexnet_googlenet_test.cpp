// AlexNet, alexnet_lrn, GoogLeNet and googlenet_aux: parameter counts against torchvision's (and
// the PyTorch twins' for the variants), state_dict names and shapes against torchvision's
// (tests/parity/fixtures/torchvision_state_dicts.txt), output shapes of the full and small-input
// variants, the auxiliary heads in train and eval mode, initialization, fusion and hooks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/models/alexnet.hpp"
#include "cnnlab/models/googlenet.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/local_response_norm.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "support/expect_throw_with.hpp"
#include "support/model_test_support.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using testing::build_model;
using testing::describe_state;
using testing::max_abs;
using testing::max_abs_diff;
using testing::rms;
using testing::torchvision_state;

/// The lines whose name does not start with any of `prefixes`.
std::vector<std::string> without(const std::vector<std::string>& lines,
                                 const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  for (const std::string& line : lines) {
    bool drop = false;
    for (const std::string& p : prefixes) drop = drop || line.rfind(p, 0) == 0;
    if (!drop) out.push_back(line);
  }
  return out;
}

// ---- parameter counts ---------------------------------------------------------------------------

// NOTE: alexnet and alexnet_lrn at 224x224 have 61M/62M parameters (1-3 s to draw); their counts
// are pinned in ModelsAlexNetGoogLeNetSlow. GoogLeNet's (6.6M, 13M) are checked with its
// state_dict below, on the same build.

TEST(ModelsSmallInputCount, AlexNetMatchesThePyTorchDefinition) {
  // From tools/torch_reference_models.py (make_model(name, shape, 10)).
  EXPECT_EQ(build_model("alexnet", {3, 32, 32})->num_parameters(), 4'557'642);
  EXPECT_EQ(build_model("alexnet", {1, 28, 28})->num_parameters(), 4'556'490);
  EXPECT_EQ(build_model("alexnet_lrn", {3, 32, 32})->num_parameters(), 5'824'394);
  EXPECT_EQ(build_model("alexnet_lrn", {1, 28, 28})->num_parameters(), 5'822'666);
}

TEST(ModelsSmallInputCount, GoogLeNetMatchesThePyTorchDefinition) {
  // googlenet_aux (9,952,958 at 3x32x32, 9,951,806 at 1x28x28) is checked in the aux tests.
  EXPECT_EQ(build_model("googlenet", {3, 32, 32})->num_parameters(), 5'602'474);
  EXPECT_EQ(build_model("googlenet", {1, 28, 28})->num_parameters(), 5'601'322);
}

// ---- names and shapes ---------------------------------------------------------------------------

TEST(ModelsStateDict, GoogLeNetMatchesTorchvisionExactly) {
  const std::vector<std::string> expected = torchvision_state("googlenet");
  ASSERT_EQ(expected.size(), 344u);  // 57 BasicConv2d (6 entries) + fc (2)
  const auto m = build_model("googlenet", {3, 224, 224}, 1000);
  EXPECT_EQ(m->num_parameters(), 6'624'904);  // torchvision's published count
  EXPECT_EQ(describe_state(*m), expected);
}

TEST(ModelsStateDict, GoogLeNetAuxMatchesTorchvisionExactly) {
  const std::vector<std::string> expected = torchvision_state("googlenet_aux");
  ASSERT_EQ(expected.size(), 344u + 2 * 10);  // + 2 x (conv (6) + fc1 (2) + fc2 (2))
  const auto m = build_model("googlenet_aux", {3, 224, 224}, 1000);
  EXPECT_EQ(m->num_parameters(), 13'004'888);
  EXPECT_EQ(describe_state(*m), expected);
}

TEST(ModelsStateDict, SmallGoogLeNetDiffersOnlyInConv1) {
  const std::vector<std::string> names = {"conv1.conv.weight"};
  const auto m = build_model("googlenet_aux", {3, 32, 32}, 1000);
  EXPECT_EQ(without(describe_state(*m), names), without(torchvision_state("googlenet_aux"), names));
  EXPECT_EQ(m->num_parameters(), 13'004'888 - 64 * 3 * (7 * 7 - 3 * 3));
  EXPECT_EQ(build_model("googlenet", {1, 28, 28})->state_dict().at("conv1.conv.weight").shape(),
            Shape({64, 1, 3, 3}));
}

TEST(ModelsStateDict, SmallAlexNetKeepsTorchvisionNamesAndFeatureShapes) {
  // Only conv 0 (3x3 instead of 11x11) and the classifier's hidden width differ.
  const std::vector<std::string> changed = {"features.0.weight", "classifier."};
  const std::vector<std::string> expected = torchvision_state("alexnet");
  ASSERT_EQ(expected.size(), 16u);  // 5 convs + 3 linears, weight and bias each
  const auto m = build_model("alexnet", {3, 32, 32}, 1000);
  EXPECT_EQ(without(describe_state(*m), changed), without(expected, changed));
  std::vector<std::string> names, torch_names;
  for (const auto& [name, t] : m->state_dict()) names.push_back(name);
  for (const std::string& line : expected) torch_names.push_back(line.substr(0, line.find(' ')));
  EXPECT_EQ(names, torch_names);
  const auto state = m->state_dict();
  EXPECT_EQ(state.at("features.0.weight").shape(), Shape({64, 3, 3, 3}));
  EXPECT_EQ(state.at("classifier.1.weight").shape(), Shape({1024, 256 * 2 * 2}));
  EXPECT_EQ(state.at("classifier.6.weight").shape(), Shape({1000, 1024}));
}

TEST(ModelsStateDict, AlexNetLrnLayout) {
  auto m = build_model("alexnet_lrn", {3, 32, 32});
  const auto state = m->state_dict();
  EXPECT_EQ(state.size(), 16u);
  EXPECT_EQ(state.at("features.0.weight").shape(), Shape({96, 3, 3, 3}));
  EXPECT_EQ(state.at("features.4.weight").shape(), Shape({256, 96, 5, 5}));
  EXPECT_EQ(state.at("features.8.weight").shape(), Shape({384, 256, 3, 3}));
  EXPECT_EQ(state.at("features.10.weight").shape(), Shape({384, 384, 3, 3}));
  EXPECT_EQ(state.at("features.12.weight").shape(), Shape({256, 384, 3, 3}));
  EXPECT_EQ(state.at("classifier.1.weight").shape(), Shape({1024, 1024}));
  for (const char* path : {"features.2", "features.6"}) {
    const auto* lrn = dynamic_cast<const nn::LocalResponseNorm*>(&m->submodule(path));
    ASSERT_NE(lrn, nullptr) << path;
    EXPECT_EQ(lrn->options().size, 5);
    EXPECT_EQ(lrn->options().alpha, 1e-4);
    EXPECT_EQ(lrn->options().beta, 0.75);
    EXPECT_EQ(lrn->options().k, 2.0);
  }
  for (const char* path : {"features.3", "features.7", "features.14"}) {
    EXPECT_EQ(m->submodule(path).type_name(), "MaxPool2d") << path;
  }
}

// ---- forward shapes -----------------------------------------------------------------------------

TEST(ModelsAlexNetForward, SmallInputsGiveLogits) {
  NoGradGuard no_grad;
  for (const char* name : {"alexnet", "alexnet_lrn"}) {
    for (const Shape& in : {Shape{1, 28, 28}, Shape{3, 32, 32}}) {
      auto m = build_model(name, in);
      m->eval();
      EXPECT_EQ((*m)(Tensor::zeros({2, in[0], in[1], in[2]})).shape(), Shape({2, 10})) << name;
    }
  }
}

TEST(ModelsAlexNetForward, SmallPoolsEndAtFourByFour) {
  NoGradGuard no_grad;
  for (const Shape& in : {Shape{1, 28, 28}, Shape{3, 32, 32}}) {
    auto m = build_model("alexnet", in);
    m->eval();
    auto& features = dynamic_cast<models::AlexNet&>(*m).features;
    EXPECT_EQ((*features)(Tensor::zeros({1, in[0], in[1], in[2]})).shape(), Shape({1, 256, 4, 4}));
  }
}

TEST(ModelsAlexNetForward, FullVariantAt64x64) {
  // The smallest registry input that selects the full variant; the 224x224 run is slow (61M).
  NoGradGuard no_grad;
  models::AlexNetOptions o;
  o.num_classes = 7;
  Rng rng(4);
  models::AlexNet m(o, rng);
  m.eval();
  EXPECT_EQ((*m.features)(Tensor::zeros({1, 3, 64, 64})).shape(), Shape({1, 256, 1, 1}));
  EXPECT_EQ(m(Tensor::zeros({1, 3, 64, 64})).shape(), Shape({1, 7}));
  EXPECT_EQ(m.state_dict().at("features.0.weight").shape(), Shape({64, 3, 11, 11}));
}

/// Eval-mode logits of `name`'s small variant; train-mode googlenet_aux runs in ModelsGoogLeNetAux.
void expect_small_googlenet_logits(const std::string& name, const Shape& in) {
  NoGradGuard no_grad;
  auto m = build_model(name, in);
  EXPECT_EQ(m->submodule("maxpool1").type_name(), "Identity");
  m->eval();
  EXPECT_EQ((*m)(Tensor::zeros({1, in[0], in[1], in[2]})).shape(), Shape({1, 10})) << name;
}

TEST(ModelsGoogLeNetForward, SmallInputGivesLogitsAt28x28) {
  expect_small_googlenet_logits("googlenet", {1, 28, 28});
}
TEST(ModelsGoogLeNetForward, SmallInputGivesLogitsAt32x32) {
  expect_small_googlenet_logits("googlenet", {3, 32, 32});
}
TEST(ModelsGoogLeNetForward, SmallAuxInputGivesLogitsAt32x32) {
  expect_small_googlenet_logits("googlenet_aux", {3, 32, 32});
}

TEST(ModelsGoogLeNetForward, OutputShapeAt224) {
  NoGradGuard no_grad;
  auto m = build_model("googlenet", {3, 224, 224}, 1000);
  EXPECT_EQ(m->submodule("maxpool1").type_name(), "MaxPool2d");
  m->eval();
  EXPECT_EQ((*m)(Tensor::zeros({1, 3, 224, 224})).shape(), Shape({1, 1000}));
}

TEST(ModelsGoogLeNetForward, InceptionConcatenatesItsBranches) {
  Rng rng(2);
  models::Inception block(8, 2, 3, 4, 1, 5, 6, rng);  // 2 + 4 + 5 + 6 channels
  block.eval();
  NoGradGuard no_grad;
  const Tensor y = block(Tensor::ones({1, 8, 5, 5}));
  ASSERT_EQ(y.shape(), Shape({1, 17, 5, 5}));
  EXPECT_TENSOR_NEAR(y.narrow(1, 0, 2), (*block.branch1)(Tensor::ones({1, 8, 5, 5})), 1e-6, 1e-6);
  EXPECT_TENSOR_NEAR(y.narrow(1, 11, 6), (*block.branch4)(Tensor::ones({1, 8, 5, 5})), 1e-6, 1e-6);
}

// ---- auxiliary classifiers ----------------------------------------------------------------------

TEST(ModelsGoogLeNetAux, LogitsOnlyInTrainMode) {
  auto m = build_model("googlenet_aux", {1, 28, 28}, 5);
  EXPECT_EQ(m->num_parameters(),
            9'951'806 - 5 * 3 * (1024 + 1));  // fc, aux1.fc2, aux2.fc2: 5 classes
  auto& net = dynamic_cast<models::GoogLeNet&>(*m);
  Rng data(21);
  const Tensor x = Tensor::normal({2, 1, 28, 28}, 0.0, 1.0, data);
  m->train();
  const Tensor logits = (*m)(x);
  EXPECT_EQ(logits.shape(), Shape({2, 5}));
  for (const Tensor& aux : net.aux_logits()) {
    ASSERT_TRUE(aux.defined());
    EXPECT_EQ(aux.shape(), Shape({2, 5}));
    EXPECT_GT(max_abs_diff(aux, logits), 0.0);
  }
  m->eval();
  (*m)(x);
  EXPECT_FALSE(net.aux_logits()[0].defined());
  EXPECT_FALSE(net.aux_logits()[1].defined());
  m->train();
  (*m)(x);
  EXPECT_TRUE(net.aux_logits()[1].defined());
  net.clear_aux_logits();
  EXPECT_FALSE(net.aux_logits()[0].defined());
}

// What the training loop adds to the loss: both heads after a training forward, then nothing
// (the heads are forgotten, so their graph is freed); nothing for other models.
TEST(ModelsGoogLeNetAux, TakeAuxiliaryLogitsHandsThemOverOnce) {
  auto m = build_model("googlenet_aux", {1, 28, 28});
  m->train();
  (*m)(Tensor::zeros({2, 1, 28, 28}));
  const std::vector<Tensor> aux = models::take_auxiliary_logits(*m);
  ASSERT_EQ(aux.size(), 2u);
  EXPECT_EQ(aux[1].shape(), Shape({2, 10}));
  EXPECT_TRUE(models::take_auxiliary_logits(*m).empty());
  auto plain = build_model("googlenet", {1, 28, 28});
  plain->train();
  (*plain)(Tensor::zeros({2, 1, 28, 28}));
  EXPECT_TRUE(models::take_auxiliary_logits(*plain).empty());
  EXPECT_DOUBLE_EQ(models::kAuxLossWeight, 0.3);
}

TEST(ModelsGoogLeNetAux, AbsentWithoutAuxLogits) {
  auto m = build_model("googlenet", {1, 28, 28});
  auto& net = dynamic_cast<models::GoogLeNet&>(*m);
  EXPECT_EQ(net.aux1, nullptr);
  EXPECT_EQ(net.aux2, nullptr);
  m->train();
  (*m)(Tensor::zeros({2, 1, 28, 28}));
  EXPECT_FALSE(net.aux_logits()[0].defined());
  EXPECT_FALSE(net.aux_logits()[1].defined());
}

TEST(ModelsGoogLeNetAux, TorchvisionLossReachesEveryParameter) {
  auto m = build_model("googlenet_aux", {1, 28, 28});
  EXPECT_EQ(m->num_parameters(), 9'951'806);
  Rng data(22);
  const Tensor x = Tensor::normal({2, 1, 28, 28}, 0.0, 1.0, data);
  const Tensor labels = Tensor::from_int64({0, 1}, {2});
  const Tensor logits = (*m)(x);
  const auto& aux = dynamic_cast<models::GoogLeNet&>(*m).aux_logits();
  (ops::cross_entropy(logits, labels) +
   (ops::cross_entropy(aux[0], labels) + ops::cross_entropy(aux[1], labels)) * 0.3)
      .backward();
  for (const auto& [name, p] : m->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_EQ(p.grad().shape(), p.shape()) << name;
  }
}

// ---- train/eval, initialization, fusion ---------------------------------------------------------

TEST(ModelsTrainEval, AlexNetLrnEveryParameterGetsAGradient) {
  auto m = build_model("alexnet_lrn", {1, 28, 28});
  Rng data(23);
  const Tensor x = Tensor::normal({4, 1, 28, 28}, 0.0, 1.0, data);
  ops::cross_entropy((*m)(x), Tensor::from_int64({0, 1, 2, 3}, {4})).backward();
  for (const auto& [name, p] : m->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(max_abs(p.grad()), 0.0) << name;
  }
}

TEST(ModelsTrainEval, AlexNetDropoutActsOnlyInTrainMode) {
  testing::expect_dropout_only_in_train_mode("alexnet", {3, 32, 32}, 24);
}

TEST(ModelsTrainEval, GoogLeNetBatchNormMovesOnlyInTrainMode) {
  auto m = build_model("googlenet", {1, 28, 28});
  Rng data(25);
  const Tensor x = Tensor::normal({2, 1, 28, 28}, 1.0, 2.0, data);
  const std::string key = "inception4a.branch3.1.bn.running_mean";
  const Tensor before = m->state_dict().at(key).clone();
  m->eval();
  EXPECT_TENSOR_EQ((*m)(x), (*m)(x));
  EXPECT_TENSOR_EQ(m->state_dict().at(key), before);
  m->train();
  (*m)(x);
  EXPECT_EQ(m->state_dict().at("conv1.bn.num_batches_tracked").item(), 1);
  EXPECT_GT(max_abs_diff(m->state_dict().at(key), before), 0.0);
}

TEST(ModelsGoogLeNetInit, TruncatedNormalPointZeroOneAndBatchNormEps) {
  auto m = build_model("googlenet", {3, 32, 32});
  const auto state = m->state_dict();
  const Tensor w = state.at("inception4e.branch2.1.conv.weight");  // 320x160x3x3
  EXPECT_NEAR(rms(w), 0.01, 1e-4);
  EXPECT_LE(max_abs(w), 2.0);
  EXPECT_NEAR(rms(state.at("fc.weight")), 0.01, 1e-3);
  EXPECT_LE(max_abs(state.at("fc.bias")), 1.0 / std::sqrt(1024.0));  // PyTorch's default
  EXPECT_TENSOR_EQ(state.at("conv3.bn.weight"), Tensor::ones({192}));
  EXPECT_TENSOR_EQ(state.at("conv3.bn.bias"), Tensor::zeros({192}));
  auto& net = dynamic_cast<models::GoogLeNet&>(*m);
  EXPECT_EQ(net.conv3->bn->options().eps, 0.001);
  EXPECT_FALSE(net.conv3->conv->options().bias);
  EXPECT_EQ(state.count("conv3.conv.bias"), 0u);
}

TEST(ModelsAlexNetInit, PyTorchDefaultUniform) {
  auto m = build_model("alexnet", {3, 32, 32});
  const auto state = m->state_dict();
  const Tensor w = state.at("features.8.weight");  // 256x384x3x3: bound 1/sqrt(3456)
  const double bound = 1.0 / std::sqrt(384.0 * 9.0);
  EXPECT_LE(max_abs(w), bound);
  EXPECT_NEAR(rms(w), bound / std::sqrt(3.0), 1e-4);
  EXPECT_LE(max_abs(state.at("classifier.4.bias")), 1.0 / std::sqrt(1024.0));
  EXPECT_GT(max_abs(state.at("classifier.4.bias")), 0.0);
}

TEST(ModelsGoogLeNetFusion, FusedInferenceEqualsTheModulesOneByOne) {
  auto m = build_model("googlenet", {3, 32, 32});
  Rng data(26);
  const Tensor x = Tensor::normal({2, 3, 32, 32}, 0.0, 1.0, data);
  m->train();
  (*m)(x);  // running statistics away from (0, 1)
  m->eval();
  NoGradGuard no_grad;
  const Tensor fused = (*m)(x);
  // A forward hook on every module turns fusion off, so each layer runs on its own.
  int calls = 0;
  for (const auto& [path, sub] : m->named_modules()) {
    sub->register_forward_hook([&calls](nn::Module&, const Tensor&, const Tensor&) {
      ++calls;
      return Tensor();
    });
  }
  const Tensor unfused = (*m)(x);
  EXPECT_GT(calls, 57 * 3);  // every BasicConv2d's conv, bn and relu at least
  EXPECT_TENSOR_NEAR(fused, unfused, 1e-4, 1e-4 * max_abs(unfused));
}

// ---- slow: the full AlexNets at 224x224 (CNNLAB_SLOW_TESTS=1) -----------------------------------

TEST(ModelsAlexNetGoogLeNetSlow, FullAlexNetsEqualTorchvisionAndThePaper) {
  if (std::getenv("CNNLAB_SLOW_TESTS") == nullptr) GTEST_SKIP() << "set CNNLAB_SLOW_TESTS=1";
  NoGradGuard no_grad;
  auto m = build_model("alexnet", {3, 224, 224}, 1000);
  EXPECT_EQ(m->num_parameters(), 61'100'840);
  EXPECT_EQ(describe_state(*m), torchvision_state("alexnet"));
  m->eval();
  EXPECT_EQ((*m)(Tensor::zeros({1, 3, 224, 224})).shape(), Shape({1, 1000}));
  // The paper's single-GPU AlexNet: the often-quoted 62.3M (Krizhevsky 2012: "60 million").
  auto lrn = build_model("alexnet_lrn", {3, 224, 224}, 1000);
  EXPECT_EQ(lrn->num_parameters(), 62'378'344);
  lrn->eval();
  EXPECT_EQ((*lrn)(Tensor::zeros({1, 3, 224, 224})).shape(), Shape({1, 1000}));
}

// ---- bad input
// -----------------------------------------------------------------------------------

TEST(ModelsAlexNetGoogLeNetErrors, InvalidOptions) {
  Rng rng(1);
  EXPECT_THROW_WITH(models::AlexNet({.dropout = 1.5}, rng), ValueError, "got 1.5");
  EXPECT_THROW_WITH(models::AlexNet({.num_classes = 0}, rng), ValueError, "AlexNet");
  EXPECT_THROW_WITH(models::GoogLeNet({.in_channels = 0}, rng), ValueError, "GoogLeNet");
  EXPECT_THROW_WITH(models::GoogLeNet({.dropout_aux = -0.1}, rng), ValueError, "-0.1");
}

}  // namespace
}  // namespace cnnlab
