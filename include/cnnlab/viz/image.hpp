// Turning tensors into pictures: rescaling to [0, 1], undoing the input normalization, heat maps
// through a perceptual colormap and heat-map overlays. Every method of viz/ writes its PNGs
// through these and io::write_png / io::tile_images.
#pragma once

#include "cnnlab/tensor/tensor.hpp"
#include "cnnlab/train/evaluate.hpp"

namespace cnnlab::viz {

/// (x - min) / (max - min) over the whole tensor, so the values span [0, 1]; a constant tensor
/// (or one that is not finite) gives 0.5 everywhere. Any shape; float32 or float64; a copy
/// outside the graph.
Tensor rescale_to_unit(const Tensor& x);

/// Undoes train::Normalization: x * std[c] + mean[c], clamped to [0, 1], so a model-space image
/// (C, H, W) or batch (N, C, H, W) becomes a displayable one. An empty normalization only clamps.
/// Throws ShapeError when the channel count differs from the normalization's.
Tensor denormalize(const Tensor& x, const train::Normalization& normalization);

/// A map (H, W) with values in [0, 1] (clamped) -> (3, H, W) RGB through matplotlib's "inferno"
/// colormap (perceptually uniform, black for 0, pale yellow for 1), float32.
/// Throws ShapeError unless 2-D.
Tensor colormap(const Tensor& map);

/// image (C, H, W) in [0, 1] with C = 1 or 3, heat (H, W) in [0, 1] -> (3, H, W):
/// (1 - alpha) * image + alpha * colormap(heat), a gray image repeated to RGB first.
/// Throws ShapeError on other shapes or when the sizes differ; ValueError unless alpha in [0, 1].
Tensor overlay(const Tensor& image, const Tensor& heat, double alpha = 0.5);

}  // namespace cnnlab::viz
