// cnn_bn (include/cnnlab/models/cnn_bn.hpp): parameter counts against the PyTorch twin
// (tools/torch_reference_models.py), state_dict names and shapes, output shapes at 1x28x28 and
// 3x32x32, BatchNorm's initialization, and the error for inputs below 8x8.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/models/registry.hpp"
#include "support/expect_throw_with.hpp"
#include "support/model_test_support.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using testing::build_model;
using testing::describe_state;

TEST(ModelsCnnBnCount, MatchesThePyTorchDefinition) {
  // From tools/torch_reference_models.py (make_model("cnn_bn", shape, 10)): convs 288 + 18,432
  // + 73,728, BatchNorms 64 + 128 + 256, classifier 1152*256 + 256 + 256*10 + 10 at 1x28x28.
  EXPECT_EQ(build_model("cnn_bn", {1, 28, 28})->num_parameters(), 390'634);
  EXPECT_EQ(build_model("cnn_bn", {3, 32, 32})->num_parameters(), 620'586);
}

TEST(ModelsCnnBnStateDict, HasPyTorchNamesAndShapes) {
  // The twin's state_dict at 1x28x28, 10 classes, sorted by name.
  const std::vector<std::string> expected = {
      "classifier.0.bias float32 256",          "classifier.0.weight float32 256,1152",
      "classifier.2.bias float32 10",           "classifier.2.weight float32 10,256",
      "features.0.weight float32 32,1,3,3",     "features.1.bias float32 32",
      "features.1.num_batches_tracked int64 -", "features.1.running_mean float32 32",
      "features.1.running_var float32 32",      "features.1.weight float32 32",
      "features.4.weight float32 64,32,3,3",    "features.5.bias float32 64",
      "features.5.num_batches_tracked int64 -", "features.5.running_mean float32 64",
      "features.5.running_var float32 64",      "features.5.weight float32 64",
      "features.8.weight float32 128,64,3,3",   "features.9.bias float32 128",
      "features.9.num_batches_tracked int64 -", "features.9.running_mean float32 128",
      "features.9.running_var float32 128",     "features.9.weight float32 128",
  };
  EXPECT_EQ(describe_state(*build_model("cnn_bn", {1, 28, 28})), expected);
}

TEST(ModelsCnnBnForward, OutputShapesAt28x28And32x32) {
  NoGradGuard no_grad;
  Rng data(7);
  auto gray = build_model("cnn_bn", {1, 28, 28});
  gray->eval();
  EXPECT_EQ((*gray)(Tensor::normal({3, 1, 28, 28}, 0.0, 1.0, data)).shape(), Shape({3, 10}));
  auto color = build_model("cnn_bn", {3, 32, 32}, 100);
  color->train();
  EXPECT_EQ((*color)(Tensor::normal({2, 3, 32, 32}, 0.0, 1.0, data)).shape(), Shape({2, 100}));
}

TEST(ModelsCnnBnInit, BatchNormStartsAtOneAndZero) {
  const auto state = build_model("cnn_bn", {1, 28, 28})->state_dict();
  for (const char* bn : {"features.1", "features.5", "features.9"}) {
    const std::string name(bn);
    for (double w : state.at(name + ".weight").to_vector()) EXPECT_EQ(w, 1.0) << name;
    for (double b : state.at(name + ".bias").to_vector()) EXPECT_EQ(b, 0.0) << name;
  }
  // PyTorch's Linear default: uniform in +-1/sqrt(in_features), not all equal.
  const Tensor w = state.at("classifier.0.weight");
  EXPECT_LE(testing::max_abs(w), 1.0 / std::sqrt(1152.0));
  EXPECT_GT(testing::rms(w), 0.0);
}

TEST(ModelsCnnBnRegistry, RejectsInputsBelow8x8) {
  EXPECT_THROW_WITH(build_model("cnn_bn", {1, 7, 28}), ValueError,
                    "cnn_bn: expected input (C, H, W) with H, W >= 8");
  EXPECT_THROW_WITH(build_model("cnn_bn", {3, 32, 4}), ValueError, "cnn_bn: expected input");
  EXPECT_EQ(build_model("cnn_bn", {1, 8, 8})->num_parameters(), 390'634 - 1152 * 256 + 128 * 256);
}

}  // namespace
}  // namespace cnnlab
