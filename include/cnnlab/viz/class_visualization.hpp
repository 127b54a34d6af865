// Class visualization (Simonyan et al. 2014; regularized as Yosinski et al. 2015): the image
// that a model scores highest for one class, found by gradient ascent on the class score S_c
// (the logit, not the softmax) minus an L2 penalty, argmax_I S_c(I) - l2 ||I||^2, with optional
// periodic Gaussian blur, clipping of small-norm and small-contribution pixels, jitter and
// clamping. The image lives in model (normalized) space.
#pragma once

#include <cstdint>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/shape.hpp"
#include "cnnlab/viz/optimize_image.hpp"

namespace cnnlab::viz {

/// Options of class_visualization. Each regularizer is off at its zero value.
struct ClassVisualizationOptions {
  int64_t steps = 200;              ///< gradient-ascent steps
  double lr = 0.1;                  ///< step size: x += lr * (dS_c/dx - 2 l2 x)
  double l2 = 1e-3;                 ///< lambda of the L2 penalty (Yosinski's decay is 2 lr l2)
  int64_t blur_every = 0;           ///< blur the image every k steps (0 = never)
  double blur_sigma = 0.5;          ///< sigma of that blur, in pixels
  double clip_norm_percentile = 0;  ///< zero pixels of norm below this percentile
  double clip_contribution_percentile = 0;  ///< zero pixels of |x . grad| below this percentile
  int64_t jitter = 0;                ///< roll the image by up to this many pixels before each step
  double init_std = 0;               ///< start from zeros (0) or from N(0, init_std) noise
  PixelRange range = {};             ///< clamp after each step (empty: no clamping)
  double target_probability = 0.99;  ///< only for ClassVisualization::steps_to_target
  uint64_t seed = 0;                 ///< for the initial noise and the jitter
};

/// What class_visualization found.
struct ClassVisualization {
  Tensor image;                     ///< (C, H, W) float32, model space
  std::vector<double> probability;  ///< softmax probability of the class before step 0, 1, ...,
                                    ///< and after the last step (steps + 1 values)
  std::vector<double> score;        ///< the class score (logit) at the same points
  double final_probability = 0;     ///< probability.back()
  int64_t steps_to_target = -1;     ///< first t with probability[t] >= target (-1: never)
};

/// Gradient ascent on model(x)[0, class_index] for an image x of shape input_shape (C, H, W).
/// Each step: x += lr * (grad S_c - 2 l2 x); then, in Yosinski's order, blur (every blur_every
/// steps), clip small norms, clip small contributions (with this step's gradient), clamp.
/// The model runs in eval mode with its parameters frozen (viz::InspectionGuard).
/// Throws ValueError for a class index outside [0, classes), steps < 1, lr <= 0, l2 < 0,
/// blur_every < 0, blur_sigma < 0, a percentile outside [0, 100], jitter < 0 or init_std < 0;
/// ShapeError unless input_shape is 3-D or when the model's output is not (1, classes).
ClassVisualization class_visualization(nn::Module& model, const Shape& input_shape,
                                       int64_t class_index,
                                       const ClassVisualizationOptions& options = {});

}  // namespace cnnlab::viz
