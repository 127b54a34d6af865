// DeepDream (Mordvintsev et al. 2015): amplify what one layer responds to in an image by
// gradient ascent on 0.5 * sum of its squared activations (so the gradient at the layer is the
// activation itself), in octaves from coarse to fine, with a random roll (jitter) each step, the
// step normalized by the gradient's mean absolute value, and pixels clamped to the valid range.
// As in the original notebook, the detail added at one octave is carried up to the next.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/viz/optimize_image.hpp"

namespace cnnlab::viz {

struct DeepDreamOptions {
  int64_t steps = 10;         ///< ascent steps per octave
  double step_size = 0.05;    ///< x += step_size * g / mean|g| (model-space units)
  int64_t octaves = 3;        ///< image sizes: size / octave_scale^k, k = octaves-1, ..., 0
  double octave_scale = 1.4;  ///< ratio between consecutive octaves
  int64_t jitter = 2;         ///< roll by up to this many pixels each step
  PixelRange range = {};      ///< clamp after each step (empty: no clamping)
  uint64_t seed = 0;          ///< for the jitter
};

/// One ascent step, without jitter: x' = clamp(x + step_size * g / mean|g|) with
/// g = d/dx 0.5 * sum(layer(x)^2).
struct DreamStep {
  Tensor image;      ///< x', shaped as x
  Tensor gradient;   ///< g, shaped as x
  double objective;  ///< 0.5 * sum(layer(x)^2) before the step
};
/// image: (C, H, W) or (N, C, H, W) in model space. The forward pass stops at the layer
/// (forward_to), so sizes that later layers would reject are fine. Parameters are frozen
/// meanwhile. Throws what forward_to throws; ValueError for step_size <= 0.
DreamStep dream_step(nn::Module& model, const std::string& layer, const Tensor& image,
                     double step_size, const PixelRange& range = {});

struct DeepDream {
  Tensor image;                     ///< (C, H, W) float32, model space
  std::vector<double> objective;    ///< 0.5 * sum(layer^2) at every step, octave after octave
  std::vector<Shape> octave_sizes;  ///< (H, W) of each octave, coarse to fine
  double initial_objective = 0;     ///< on the input image at full size
  double final_objective = 0;       ///< on the result at full size
};

/// DeepDream of a (C, H, W) model-space image at `layer`. Octaves are resized with
/// io::resize_image (bilinear, antialiased); an octave below 1 pixel is an error.
/// Throws what dream_step throws; ValueError for steps < 1, octaves < 1, octave_scale <= 1 with
/// octaves > 1, jitter < 0; ShapeError unless the image is 3-D or when an octave is too small
/// for the layers before `layer` (the message suggests fewer octaves).
DeepDream deepdream(nn::Module& model, const std::string& layer, const Tensor& image,
                    const DeepDreamOptions& options = {});

}  // namespace cnnlab::viz
