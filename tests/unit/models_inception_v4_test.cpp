// Inception-v4: parameter count against timm's 42.7M, state_dict names and shapes against the
// PyTorch twin of timm's model (tests/parity/fixtures/timm_inception_v4_state_dict.txt, written
// by tests/parity/gen/make_model_fixtures.py), the spatial sizes of the small-input variant at
// 1x28x28 and 3x32x32, hooks inside the blocks, train/eval behaviour and bad inputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/models/inception_v4.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/ops/loss.hpp"
#include "support/expect_throw_with.hpp"
#include "support/model_test_support.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using testing::describe_state;
using testing::max_abs_diff;

std::shared_ptr<nn::Module> build(const Shape& input, int64_t num_classes = 10, uint64_t seed = 1) {
  return testing::build_model("inception_v4", input, num_classes, seed);
}

/// describe_state()'s lines for the timm twin at 3x299x299 and 1000 classes, from the fixture.
std::vector<std::string> timm_state() {
  return testing::fixture_state_lines("timm_inception_v4_state_dict.txt", "inception_v4");
}

/// (H, W) of every features.N output for one (1, C, H, W) forward of `model` in eval mode.
std::vector<std::vector<int64_t>> feature_sizes(nn::Module& model, const Shape& input) {
  std::vector<std::vector<int64_t>> sizes;
  for (int i = 0; i < 22; ++i) {
    model.submodule("features." + std::to_string(i))
        .register_forward_hook([&sizes](nn::Module&, const Tensor&, const Tensor& out) {
          sizes.push_back({out.size(1), out.size(2), out.size(3)});
          return Tensor();
        });
  }
  NoGradGuard no_grad;
  model.eval();
  EXPECT_EQ(model(Tensor::zeros({1, input[0], input[1], input[2]})).shape(), Shape({1, 10}));
  return sizes;
}

// ---- count and names ---------------------------------------------------------------------------

// NOTE: building the model draws 42.7M initial weights, 0.2 to 0.4 s in the release build, so
// no test needs the CNNLAB_SLOW_TESTS guard. The state_dict test builds the small variant, whose
// names and shapes are the full model's (it changes only strides and paddings), at 1000 classes.
TEST(ModelsInceptionV4Count, FullSizeEqualsTimm) {
  // timm's model card: 42.7M parameters; the exact count is the PyTorch twin's.
  EXPECT_EQ(build({3, 299, 299}, 1000)->num_parameters(), 42'679'816);
}

TEST(ModelsInceptionV4StateDict, EqualsTheTimmTwin) {
  const std::vector<std::string> expected = timm_state();
  ASSERT_EQ(expected.size(), 896u);
  EXPECT_EQ(describe_state(*build({3, 32, 32}, 1000)), expected);
}

TEST(ModelsInceptionV4StateDict, SmallVariantShapesFollowTheData) {
  auto m = build({1, 28, 28});
  EXPECT_EQ(m->num_parameters(), 42'679'816 - 32 * 2 * 9 - 1536 * 990 - 990);
  const auto state = m->state_dict();
  EXPECT_EQ(state.at("features.0.conv.weight").shape(), Shape({32, 1, 3, 3}));
  EXPECT_EQ(state.at("last_linear.weight").shape(), Shape({10, 1536}));
  for (const char* key : {"features.3.conv.conv.weight", "features.4.branch1.3.bn.running_var",
                          "features.5.conv.bn.num_batches_tracked",
                          "features.9.branch3.1.conv.weight", "features.10.branch1.2.conv.weight",
                          "features.17.branch2.4.bn.bias", "features.18.branch1.3.conv.weight",
                          "features.21.branch2_3b.bn.running_mean", "last_linear.bias"}) {
    EXPECT_EQ(state.count(key), 1u) << key;
  }
}

// ---- structure ---------------------------------------------------------------------------------

TEST(ModelsInceptionV4Structure, TimmBlocksAndBatchNormEps) {
  auto m = build({3, 32, 32});
  const std::vector<std::string> types = {
      "ConvNormAct", "ConvNormAct", "ConvNormAct", "Mixed3a",    "Mixed4a",    "Mixed5a",
      "InceptionA",  "InceptionA",  "InceptionA",  "InceptionA", "ReductionA", "InceptionB",
      "InceptionB",  "InceptionB",  "InceptionB",  "InceptionB", "InceptionB", "InceptionB",
      "ReductionB",  "InceptionC",  "InceptionC",  "InceptionC"};
  for (size_t i = 0; i < types.size(); ++i) {
    EXPECT_EQ(m->submodule("features." + std::to_string(i)).type_name(), types[i]) << i;
  }
  for (const auto& [path, module] : m->named_modules()) {
    if (module->type_name() == "BatchNorm2d") {
      EXPECT_EQ(dynamic_cast<nn::BatchNorm2d&>(*module).options().eps, 1e-3) << path;
    }
  }
  const auto& pool = dynamic_cast<nn::AvgPool2d&>(m->submodule("features.6.branch3.0"));
  EXPECT_FALSE(pool.options().count_include_pad);
}

TEST(ModelsInceptionV4Structure, SmallVariantChangesOnlyStridesAndPaddings) {
  Rng rng(2);
  models::InceptionV4 small({.small_input = true}, rng);
  const auto& stem = dynamic_cast<nn::Conv2d&>(small.submodule("features.0.conv"));
  EXPECT_EQ(stem.options().stride, Size2(1));
  EXPECT_EQ(stem.options().padding, Size2(1));
  const auto& pool = dynamic_cast<nn::MaxPool2d&>(small.submodule("features.10.branch2"));
  EXPECT_EQ(pool.options().padding, Size2(1));
  const auto& reduction = dynamic_cast<nn::Conv2d&>(small.submodule("features.18.branch1.3.conv"));
  EXPECT_EQ(reduction.options().stride, Size2(2));
  EXPECT_EQ(reduction.options().padding, Size2(1));
}

// ---- forward shapes ----------------------------------------------------------------------------

TEST(ModelsInceptionV4Forward, SmallVariantSizesAt28x28) {
  auto m = build({1, 28, 28});
  const auto sizes = feature_sizes(*m, {1, 28, 28});
  ASSERT_EQ(sizes.size(), 22u);
  // stem 28, Mixed3a 14, Mixed5a 7, ReductionA 4, ReductionB 2 (docs/models.md)
  const std::vector<int64_t> channels = {32,   32,   64,   160,  192,  384,  384,  384,
                                         384,  384,  1024, 1024, 1024, 1024, 1024, 1024,
                                         1024, 1024, 1536, 1536, 1536, 1536};
  const std::vector<int64_t> side = {28, 28, 28, 14, 14, 7, 7, 7, 7, 7, 4,
                                     4,  4,  4,  4,  4,  4, 4, 2, 2, 2, 2};
  for (size_t i = 0; i < 22; ++i) {
    EXPECT_EQ(sizes[i], (std::vector<int64_t>{channels[i], side[i], side[i]})) << "features." << i;
  }
}

TEST(ModelsInceptionV4Forward, SmallVariantSizesAt32x32) {
  auto m = build({3, 32, 32});
  const auto sizes = feature_sizes(*m, {3, 32, 32});
  ASSERT_EQ(sizes.size(), 22u);
  const std::vector<int64_t> side = {32, 32, 32, 16, 16, 8, 8, 8, 8, 8, 4,
                                     4,  4,  4,  4,  4,  4, 4, 2, 2, 2, 2};
  for (size_t i = 0; i < 22; ++i) EXPECT_EQ(sizes[i][1], side[i]) << "features." << i;
  EXPECT_EQ(sizes[21][0], 1536);
}

TEST(ModelsInceptionV4Forward, FullVariantAtItsSmallestInput) {
  // 75 -> 37 -> 35 -> 35 -> 17 -> 15 -> 7 -> 7 -> 3 -> 3 -> 1 -> 1: the unpadded timm layout.
  auto m = build({3, 75, 75});
  const std::vector<int64_t> side = {37, 35, 35, 17, 15, 7, 7, 7, 7, 7, 3,
                                     3,  3,  3,  3,  3,  3, 3, 1, 1, 1, 1};
  const auto sizes = feature_sizes(*m, {3, 75, 75});
  ASSERT_EQ(sizes.size(), 22u);
  for (size_t i = 0; i < 22; ++i) EXPECT_EQ(sizes[i][1], side[i]) << "features." << i;
}

TEST(ModelsInceptionV4Forward, HooksInsideBlocksFireAtInference) {
  // Fusion steps aside for a hooked module, so a feature-map hook inside a block sees its layer.
  auto m = build({1, 28, 28});
  int calls = 0;
  m->submodule("features.12.branch2.1.bn")
      .register_forward_hook([&calls](nn::Module&, const Tensor&, const Tensor& out) {
        ++calls;
        EXPECT_EQ(out.shape(), Shape({1, 192, 4, 4}));
        return Tensor();
      });
  NoGradGuard no_grad;
  m->eval();
  (*m)(Tensor::zeros({1, 1, 28, 28}));
  EXPECT_EQ(calls, 1);
}

// ---- train / eval ------------------------------------------------------------------------------

TEST(ModelsInceptionV4TrainEval, EvalIsDeterministicAndTrainStepReachesEveryParameter) {
  auto m = build({1, 28, 28});
  Rng data(13);
  const Tensor x = Tensor::normal({2, 1, 28, 28}, 0.5, 1.0, data);
  const Tensor before = m->state_dict().at("features.21.branch3.1.bn.running_mean").clone();
  m->eval();
  {
    NoGradGuard no_grad;  // the fused inference path
    const Tensor e1 = (*m)(x), e2 = (*m)(x);
    EXPECT_TENSOR_EQ(e1, e2);
  }
  EXPECT_EQ(m->state_dict().at("features.0.bn.num_batches_tracked").item(), 0);

  m->train();
  ops::cross_entropy((*m)(x), Tensor::from_int64({1, 2}, {2})).backward();
  const auto state = m->state_dict();
  EXPECT_EQ(state.at("features.0.bn.num_batches_tracked").item(), 1);
  EXPECT_GT(max_abs_diff(state.at("features.21.branch3.1.bn.running_mean"), before), 0.0);
  for (const auto& [name, p] : m->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_EQ(p.grad().shape(), p.shape()) << name;
  }
}

// ---- bad input ---------------------------------------------------------------------------------

TEST(ModelsInceptionV4Errors, InputsTheFullModelCannotTake) {
  EXPECT_THROW_WITH(build({3, 64, 64}), ValueError, "at least 75x75");
  EXPECT_THROW_WITH(build({3, 74, 80}), ValueError, "got [3, 74, 80]");
  Rng rng(1);
  EXPECT_THROW_WITH(models::InceptionV4({.num_classes = 0}, rng), ValueError, "InceptionV4");
}

}  // namespace
}  // namespace cnnlab
