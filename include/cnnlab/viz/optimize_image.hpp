// The pieces shared by the methods that optimize an input image (class visualization, DeepDream,
// feature inversion, texture and style): Gaussian blur, jitter by a circular roll, Yosinski et
// al. 2015's clipping regularizers, gradient normalization, clamping to the valid pixel range,
// and a guard that stops the model's parameters from collecting gradients meanwhile.
// All functions work outside the autograd graph and return fresh tensors.
#pragma once

#include <cstdint>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "cnnlab/train/evaluate.hpp"

namespace cnnlab::viz {

/// Gaussian blur of every channel of an image (C, H, W) or batch (N, C, H, W), float32 or
/// float64: a separable kernel exp(-d^2 / (2 sigma^2)) of radius ceil(4 sigma) (scipy's
/// gaussian_filter, truncate = 4), with the borders mirrored as scipy's mode="reflect"
/// (d c b a | a b c d). sigma = 0 returns a copy. Throws ShapeError unless 3-D or 4-D,
/// ValueError for sigma < 0 or an integer dtype.
Tensor gaussian_blur(const Tensor& image, double sigma);

/// torch.roll(image, (dy, dx), dims=(-2, -1)): a circular shift of the last two dims, so that
/// out[..., (i + dy) mod H, (j + dx) mod W] = image[..., i, j]. roll(roll(x, dy, dx), -dy, -dx)
/// is x. Any rank >= 2. Throws ShapeError below rank 2.
Tensor roll(const Tensor& image, int64_t dy, int64_t dx);

/// A jitter offset, each coordinate uniform in [-max_shift, max_shift] (dy drawn first).
struct Shift {
  int64_t dy = 0;
  int64_t dx = 0;
};
/// Throws ValueError for max_shift < 0.
Shift random_shift(Rng& rng, int64_t max_shift);

/// Yosinski et al. 2015, "clipping pixels with small norm": for each image of a (C, H, W) or
/// (N, C, H, W) tensor, the pixels whose norm over channels lies below the `percentile`-th
/// percentile of that image's pixel norms are set to 0 (in model space, 0 is the dataset mean).
/// percentile = 0 changes nothing. Throws ValueError unless percentile in [0, 100].
Tensor clip_small_norm(const Tensor& image, double percentile);

/// Yosinski et al. 2015, "clipping pixels with small contribution": the contribution of a pixel
/// is |sum over channels of image * grad| (the first-order change of the objective if the pixel
/// were set to 0); pixels below the `percentile`-th percentile of their image are set to 0.
/// grad has image's shape. Throws ShapeError when the shapes differ, ValueError unless
/// percentile in [0, 100].
Tensor clip_small_contribution(const Tensor& image, const Tensor& grad, double percentile);

/// grad / (mean(|grad|) + eps) over the whole tensor (DeepDream's normalized step): the result
/// has mean absolute value ~1. Any shape, float32 or float64.
Tensor normalize_gradient(const Tensor& grad, double eps = 1e-8);

/// A per-channel interval for pixel values in model (normalized) space.
struct PixelRange {
  std::vector<double> lower;  ///< one per channel; empty = no clamping
  std::vector<double> upper;
  bool empty() const { return lower.empty(); }
};

/// The model-space image of the displayable range [0, 1]: [(0 - mean[c]) / std[c],
/// (1 - mean[c]) / std[c]] per channel; [0, 1] for each of `channels` when the normalization is
/// empty. Throws ShapeError when the normalization has another channel count.
PixelRange valid_range(const train::Normalization& normalization, int64_t channels);

/// Clamps channel c of an image (C, H, W) or batch (N, C, H, W) to [lower[c], upper[c]].
/// An empty range returns a copy. Throws ShapeError when the range has another channel count.
Tensor clamp_to_range(const Tensor& image, const PixelRange& range);

/// Runs model(input) only as far as `layer` and returns that layer's output, with its graph:
/// the rest of the forward pass is skipped (a forward hook stops it), so the image may have a
/// size that the layers after `layer` would reject (DeepDream's smaller octaves on LeNet-5).
/// Throws what find_layer throws (ValueError listing the layers), StateError when the forward
/// pass finishes without running the layer, and what the layers before it throw.
Tensor forward_to(nn::Module& model, const std::string& layer, const Tensor& input,
                  const std::string& who);

}  // namespace cnnlab::viz
