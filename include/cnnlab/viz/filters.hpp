// What a layer holds and what it computes, as pictures: a grid of a conv layer's filters and a
// grid of any layer's activations (feature maps) for one input image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::viz {

/// The dotted names of the layers that hold a 4-D "weight" parameter (Conv2d), in registration
/// order: what filter_grid takes, and what Grad-CAM's error messages list.
std::vector<std::string> conv_layer_names(nn::Module& model);

/// How filter_grid maps weights to [0, 1].
enum class FilterScale {
  /// Each filter (all its input channels together) rescaled by its own min and max: the
  /// structure of every filter is visible, but magnitudes cannot be compared across filters.
  kPerFilter,
  /// One symmetric scale for the whole layer: w / (2 max|W|) + 0.5, so 0 is mid-gray and
  /// magnitudes compare across filters (weak filters look flat).
  kSymmetric,
};

struct FilterGridOptions {
  FilterScale scale = FilterScale::kPerFilter;
  int64_t max_filters = 64;   ///< the first max_filters filters (output channels) are shown
  int64_t max_channels = 16;  ///< input channels per filter shown (gray layers only)
  /// Each weight becomes a zoom x zoom block of pixels (nearest neighbour); 0: the smallest
  /// factor that makes a tile at least 32 pixels high.
  int64_t zoom = 0;
  int64_t padding = 2;  ///< pixels between tiles (pad value 1: white)
};

/// A conv layer's filters (O, I, kh, kw) as one image. For I = 3 (a first layer on RGB input)
/// each filter is one RGB tile (3, kh, kw), 8 per row; for I = 1 one gray tile each, 8 per row;
/// otherwise one row per filter with one gray tile per input channel (the first max_channels).
/// Returns (3, H', W') for colour tiles, (1, H', W') otherwise, float32 in [0, 1].
/// Throws what find_layer throws, ValueError "<layer> is not a conv layer (conv layers: ...)"
/// for a layer without a 4-D weight, and ValueError for max_filters, max_channels < 1, zoom or
/// padding < 0.
Tensor filter_grid(nn::Module& model, const std::string& layer,
                   const FilterGridOptions& options = {});

struct FeatureMapOptions {
  /// true: each map rescaled by its own min and max (shows the pattern of weak maps too);
  /// false: one scale for the layer, [min, max] of all maps (dead maps look black).
  bool per_map = false;
  int64_t max_maps = 64;  ///< the first max_maps channels are shown
  int64_t zoom = 0;       ///< as FilterGridOptions::zoom (0: tiles at least 32 pixels high)
  int64_t padding = 2;
};

/// The output of `layer` for one image: image (C, H, W) or (1, C, H, W) as the model takes it,
/// run without gradients in eval mode (each module's mode restored afterwards). Returns the
/// layer's output with the batch dim removed: (K, h, w) for a conv-like layer, (F) for a
/// Linear one. Throws what find_layer and the model throw, ShapeError for another image rank,
/// StateError when the layer does not run.
Tensor feature_maps(nn::Module& model, const Tensor& image, const std::string& layer);

/// feature_maps() output as one gray image (1, H', W') in [0, 1], float32: a (K, h, w) output as
/// a grid of K tiles, 8 per row; a (F) output as one near-square tile with a block per unit.
/// Throws ValueError for max_maps < 1, zoom or padding < 0; ShapeError for another rank.
Tensor feature_map_grid(const Tensor& maps, const FeatureMapOptions& options = {});

}  // namespace cnnlab::viz
