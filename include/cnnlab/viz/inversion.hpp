// Feature inversion (Mahendran & Vedaldi 2015): the image whose features at one layer match a
// given image's, min_x ||Phi(x) - Phi_0||^2 / ||Phi_0||^2 + lambda TV_beta(x), found with Adam
// from small noise. What survives the inversion shows what the layer keeps of the image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/viz/optimize_image.hpp"

namespace cnnlab::viz {

struct InversionOptions {
  int64_t steps = 300;      ///< Adam steps
  double lr = 0.05;         ///< Adam's learning rate
  double tv_weight = 1e-3;  ///< lambda of the TV term (ops::total_variation, summed over pixels)
  double tv_beta = 2.0;     ///< beta of TV_beta
  double init_std = 0.1;    ///< the start: N(0, init_std) noise in model space
  PixelRange range = {};    ///< clamp after each step (empty: no clamping)
  uint64_t seed = 0;
};

struct Inversion {
  Tensor image;                      ///< (C, H, W) float32, model space
  std::vector<double> loss;          ///< total loss at each step (before its update)
  std::vector<double> feature_loss;  ///< ||Phi(x) - Phi_0||^2 / ||Phi_0||^2 at each step
  double initial_loss = 0;           ///< loss.front()
  double final_loss = 0;             ///< total loss of the result
  double relative_error = 0;         ///< ||Phi(x) - Phi_0|| / ||Phi_0|| of the result
};

/// Inverts the features at `layer` of a (C, H, W) model-space image. The forward pass stops at
/// the layer (forward_to); parameters are frozen meanwhile; the model should be in eval mode.
/// Throws what forward_to throws; ValueError for steps < 1, lr <= 0, tv_weight < 0,
/// tv_beta <= 0, init_std < 0, or a layer whose output on the image is all zeros;
/// ShapeError unless the image is 3-D.
Inversion invert_features(nn::Module& model, const std::string& layer, const Tensor& image,
                          const InversionOptions& options = {});

}  // namespace cnnlab::viz
