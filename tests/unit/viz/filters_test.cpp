// viz::conv_layer_names, filter_grid, feature_maps and feature_map_grid: grid geometry, the two
// filter scalings, the captured activations against the layers run by hand, and bad input.
#include "cnnlab/viz/filters.hpp"

#include <gtest/gtest.h>

#include "cnnlab/core/error.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

std::shared_ptr<nn::Module> lenet() {
  Rng rng(5);
  auto model = models::make_model("lenet5", {.input_shape = {1, 28, 28}}, rng);
  model->eval();
  return model;
}

TEST(VizFilters, ConvLayersAreTheModulesWithA4DWeight) {
  auto model = lenet();
  EXPECT_EQ(viz::conv_layer_names(*model), (std::vector<std::string>{"features.0", "features.3"}));
}

TEST(VizFilters, GrayFirstLayerIsOneTilePerFilterEachFilterSpanningZeroToOne) {
  auto model = lenet();
  // 6 filters 5x5, zoom 7 (35 pixels >= 32), one row of 6, padding 2.
  const Tensor grid = viz::filter_grid(*model, "features.0");
  EXPECT_EQ(grid.shape(), (Shape{1, 2 + 35 + 2, 2 + 6 * (35 + 2)}));
  // Filter 0's tile: its min maps to 0 and its max to 1.
  const Tensor tile = grid.narrow(1, 2, 35).narrow(2, 2, 35);
  EXPECT_NEAR(ops::min(tile).item(), 0.0, 1e-7);
  EXPECT_NEAR(ops::max(tile).item(), 1.0, 1e-7);
  // The gaps are white.
  EXPECT_EQ(grid.at({0, 0, 0}), 1.0);
}

TEST(VizFilters, DeeperLayerIsOneRowPerFilterAndOneTilePerInputChannel) {
  auto model = lenet();
  const Tensor grid = viz::filter_grid(*model, "features.3", {.max_filters = 4, .zoom = 2});
  // 4 rows x 6 channels of 10x10 tiles.
  EXPECT_EQ(grid.shape(), (Shape{1, 2 + 4 * 12, 2 + 6 * 12}));
  const Tensor fewer = viz::filter_grid(*model, "features.3", {.max_channels = 2, .zoom = 1});
  EXPECT_EQ(fewer.shape(), (Shape{1, 2 + 16 * 7, 2 + 2 * 7}));
}

TEST(VizFilters, RgbFirstLayerIsInColourAndSymmetricScaleMapsZeroToGray) {
  Rng rng(1);
  auto conv = std::make_shared<nn::Conv2d>(
      nn::Conv2dOptions{.in_channels = 3, .out_channels = 2, .kernel_size = 2}, rng);
  nn::Sequential model{conv};
  Tensor w = conv->named_parameters()[0].second;
  w.detach().fill_(0.0);
  w.detach().narrow(0, 0, 1).fill_(0.5);  // filter 0: all 0.5; filter 1: all 0
  const Tensor grid = viz::filter_grid(
      model, "0", {.scale = viz::FilterScale::kSymmetric, .zoom = 1, .padding = 0});
  EXPECT_EQ(grid.shape(), (Shape{3, 2, 4}));
  EXPECT_EQ(grid.at({0, 0, 0}), 1.0);  // 0.5 / (2 * 0.5) + 0.5
  EXPECT_EQ(grid.at({2, 1, 3}), 0.5);  // 0 -> mid-gray
  const Tensor per_filter = viz::filter_grid(model, "0", {.zoom = 1, .padding = 0});
  EXPECT_EQ(per_filter.at({1, 0, 0}), 0.5);  // a constant filter is mid-gray
}

TEST(VizFilters, NonConvLayerAndBadOptionsThrow) {
  auto model = lenet();
  EXPECT_THROW_WITH(viz::filter_grid(*model, "classifier.0"), ValueError,
                    "viz::filter_grid: expected a conv layer (conv layers: features.0, "
                    "features.3), got 'classifier.0' (Linear)");
  EXPECT_THROW_WITH(viz::filter_grid(*model, "conv1"), ValueError, "unknown layer 'conv1'");
  EXPECT_THROW(viz::filter_grid(*model, "features.0", {.max_filters = 0}), ValueError);
  EXPECT_THROW(viz::filter_grid(*model, "features.0", {.zoom = -1}), ValueError);
}

TEST(VizFeatureMaps, CaptureTheLayerOutputForOneImage) {
  auto model = lenet();
  Rng rng(9);
  const Tensor x = Tensor::uniform({1, 28, 28}, 0, 1, rng);
  const Tensor maps = viz::feature_maps(*model, x, "features.1");
  const Tensor expected =
      ops::relu(model->submodule("features.0")(x.unsqueeze(0))).reshape({6, 28, 28});
  EXPECT_TENSOR_NEAR(maps, expected, 1e-6, 1e-6);
  const Tensor logits = viz::feature_maps(*model, x.unsqueeze(0), "classifier.4");
  EXPECT_TENSOR_NEAR(logits, (*model)(x.unsqueeze(0)).reshape({10}), 1e-6, 1e-6);
  EXPECT_FALSE(model->submodule("features.1").has_forward_hooks());
  EXPECT_THROW_WITH(viz::feature_maps(*model, Tensor::zeros({2, 1, 28, 28}), "features.1"),
                    ShapeError, "expected one image (C, H, W) or (1, C, H, W), got [2, 1, 28, 28]");
  EXPECT_THROW_WITH(viz::feature_maps(*model, x, "nope"), ValueError, "unknown layer 'nope'");
}

TEST(VizFeatureMaps, GridScalesSharedOrPerMap) {
  // Two 2x2 maps: [0, 1, 2, 3] and [0, 0.5, 1, 1.5].
  const Tensor maps = Tensor::from_vector({0, 1, 2, 3, 0, 0.5, 1, 1.5}, {2, 2, 2});
  const Tensor shared = viz::feature_map_grid(maps, {.zoom = 1, .padding = 0});
  EXPECT_TENSOR_NEAR(
      shared, Tensor::from_vector({0, 1.0 / 3, 0, 1.0 / 6, 2.0 / 3, 1, 1.0 / 3, 0.5}, {1, 2, 4}), 0,
      1e-6);
  const Tensor each = viz::feature_map_grid(maps, {.per_map = true, .zoom = 1, .padding = 0});
  EXPECT_TENSOR_NEAR(
      each, Tensor::from_vector({0, 1.0 / 3, 0, 1.0 / 3, 2.0 / 3, 1, 2.0 / 3, 1}, {1, 2, 4}), 0,
      1e-6);
  // Units (F): a near-square block of cells, 5 units -> 2 x 3, the sixth cell 0.
  const Tensor units =
      viz::feature_map_grid(Tensor::from_vector({0, 1, 2, 3, 4}, {5}), {.zoom = 1, .padding = 0});
  EXPECT_TENSOR_NEAR(units, Tensor::from_vector({0, 0.25, 0.5, 0.75, 1, 0}, {1, 2, 3}), 0, 1e-6);
  EXPECT_THROW(viz::feature_map_grid(Tensor::zeros({2, 2})), ShapeError);
  EXPECT_THROW(viz::feature_map_grid(maps, {.max_maps = 0}), ValueError);
}

}  // namespace
}  // namespace cnnlab
