// viz::layer_names / find_layer / LayerCapture and the picture helpers of viz/image.hpp.
#include <gtest/gtest.h>

#include "cnnlab/core/error.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/image.hpp"
#include "cnnlab/viz/layers.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

std::shared_ptr<nn::Module> lenet() {
  Rng rng(3);
  auto model = models::make_model("lenet5", {.input_shape = {1, 28, 28}}, rng);
  model->eval();
  return model;
}

TEST(VizLayers, NamesEveryModuleBelowTheRootInOrder) {
  auto model = lenet();
  const std::vector<std::string> names = viz::layer_names(*model);
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), model->named_modules()[1].first);
  EXPECT_EQ(names.size() + 1, model->named_modules().size());
  for (const std::string& n : names)
    EXPECT_EQ(&viz::find_layer(*model, n, "t"), &model->submodule(n));
}

TEST(VizLayers, UnknownLayerListsTheValidOnes) {
  auto model = lenet();
  const std::string first = viz::layer_names(*model).front();
  EXPECT_THROW_WITH(viz::find_layer(*model, "conv9", "viz::gradcam"), ValueError,
                    "viz::gradcam: unknown layer 'conv9' (layers: " + first);
  EXPECT_THROW_WITH(viz::find_layer(*model, "", "x"), ValueError, "unknown layer ''");
}

TEST(VizLayers, CaptureKeepsTheLayersOutputWithItsGraphUntilDestroyed) {
  auto model = lenet();
  const std::string name = viz::layer_names(*model).front();  // the first conv
  nn::Module& layer = model->submodule(name);
  Rng rng(5);
  Tensor x = Tensor::uniform({2, 1, 28, 28}, -1, 1, rng).set_requires_grad();
  {
    viz::LayerCapture capture(*model, name, "test");
    EXPECT_FALSE(capture.captured());
    EXPECT_THROW_WITH(capture.output(), StateError, "test: layer '" + name + "' did not run");
    EXPECT_TRUE(layer.has_forward_hooks());
    const Tensor logits = (*model)(x);
    ASSERT_TRUE(capture.captured());
    const Tensor a = capture.output();
    EXPECT_EQ(a.size(0), 2);
    EXPECT_EQ(a.dim(), 4);
    // The captured tensor is the layer's output: the layer's forward of x directly.
    EXPECT_TENSOR_NEAR(a, layer.forward(x), 0, 0);
    // With its graph: a loss on it reaches the input.
    a.sum().backward();
    ASSERT_TRUE(x.grad().defined());
    EXPECT_GT(x.grad().abs().sum().item(), 0);
    capture.clear();
    EXPECT_FALSE(capture.captured());
  }
  EXPECT_FALSE(layer.has_forward_hooks());
}

TEST(VizImage, RescaleToUnitSpansZeroToOneAndFlatGivesHalf) {
  const Tensor x = Tensor::from_vector({-2, 0, 2, 6}, {2, 2});
  EXPECT_TENSOR_NEAR(viz::rescale_to_unit(x), Tensor::from_vector({0, 0.25, 0.5, 1}, {2, 2}), 0,
                     1e-7);
  EXPECT_TENSOR_NEAR(viz::rescale_to_unit(Tensor::full({3}, 4.0)),
                     Tensor::from_vector({0.5, 0.5, 0.5}, {3}), 0, 0);
}

TEST(VizImage, DenormalizeUndoesNormalizationAndClamps) {
  train::Normalization n{.mean = {0.5, 0.25}, .std = {0.5, 0.25}};
  const Tensor x = Tensor::from_vector({-1, 0, 1, 3, -1, 0, 1, 3}, {2, 2, 2});
  // channel 0: x * 0.5 + 0.5 -> 0, 0.5, 1, 2 (clamped to 1); channel 1: x * 0.25 + 0.25.
  EXPECT_TENSOR_NEAR(viz::denormalize(x, n),
                     Tensor::from_vector({0, 0.5, 1, 1, 0, 0.25, 0.5, 1}, {2, 2, 2}), 0, 1e-7);
  EXPECT_THROW_WITH(viz::denormalize(Tensor::zeros({3, 2, 2}), n), ShapeError,
                    "expected 2 channels (the normalization's), got 3");
  EXPECT_TENSOR_NEAR(viz::denormalize(x, {}), ops::clamp(x, 0.0, 1.0), 0, 0);
}

TEST(VizImage, ColormapIsInfernoAtTheEndsAndMidpoint) {
  const Tensor rgb = viz::colormap(Tensor::from_vector({0, 128.0 / 255, 1, 2}, {2, 2}));
  ASSERT_EQ(rgb.shape(), Shape({3, 2, 2}));
  const std::vector<double> v = rgb.to_vector();  // channel-major: r0..r3, g0..g3, b0..b3
  EXPECT_NEAR(v[0], 0.001462, 1e-6);              // inferno(0)
  EXPECT_NEAR(v[8], 0.013866, 1e-6);
  EXPECT_NEAR(v[1], 0.735683, 1e-6);  // inferno's entry 128
  EXPECT_NEAR(v[5], 0.215906, 1e-6);
  EXPECT_NEAR(v[2], 0.988362, 1e-6);  // inferno(1)
  EXPECT_NEAR(v[3], v[2], 0);         // clamped
  EXPECT_THROW_WITH(viz::colormap(Tensor::zeros({1, 2, 2})), ShapeError, "(H, W) map");
}

TEST(VizImage, OverlayBlendsGrayOrColourWithTheHeatMap) {
  const Tensor gray = Tensor::full({1, 2, 2}, 1.0);
  const Tensor heat = Tensor::zeros({2, 2});
  const Tensor out = viz::overlay(gray, heat, 0.25);
  ASSERT_EQ(out.shape(), Shape({3, 2, 2}));
  const std::vector<double> v = out.to_vector();
  EXPECT_NEAR(v[0], 0.75 + 0.25 * 0.001462, 1e-6);
  EXPECT_NEAR(v[8], 0.75 + 0.25 * 0.013866, 1e-6);
  EXPECT_TENSOR_NEAR(viz::overlay(Tensor::full({3, 2, 2}, 0.5), heat, 0),
                     Tensor::full({3, 2, 2}, 0.5), 0, 1e-7);
  EXPECT_THROW_WITH(viz::overlay(gray, Tensor::zeros({3, 2}), 0.5), ShapeError,
                    "expected an (2, 2) heat map");
  EXPECT_THROW_WITH(viz::overlay(gray, heat, 1.5), ValueError, "alpha in [0, 1]");
  EXPECT_THROW_WITH(viz::overlay(Tensor::zeros({2, 2, 2}), heat, 0.5), ShapeError,
                    "(1 or 3, H, W) image");
}

}  // namespace
}  // namespace cnnlab
