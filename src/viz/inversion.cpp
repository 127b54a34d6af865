// viz::invert_features: include/cnnlab/viz/inversion.hpp. Adam (optim::Adam) on an image leaf.
#include "cnnlab/viz/inversion.hpp"

#include <cmath>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/optim/adam.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {

Inversion invert_features(nn::Module& model, const std::string& layer, const Tensor& image,
                          const InversionOptions& options) {
  const char* who = "viz::invert_features";
  CNNLAB_CHECK(image.dim() == 3, ShapeError, who, ": expected an image (C, H, W), got shape ",
               image.shape());
  CNNLAB_CHECK(options.steps >= 1, ValueError, who, ": expected steps >= 1, got ", options.steps);
  CNNLAB_CHECK(options.lr > 0 && std::isfinite(options.lr), ValueError, who,
               ": expected lr > 0, got ", options.lr);
  CNNLAB_CHECK(options.tv_weight >= 0, ValueError, who, ": expected tv_weight >= 0, got ",
               options.tv_weight);
  CNNLAB_CHECK(options.tv_beta > 0, ValueError, who, ": expected tv_beta > 0, got ",
               options.tv_beta);
  CNNLAB_CHECK(options.init_std >= 0, ValueError, who, ": expected init_std >= 0, got ",
               options.init_std);
  InspectionGuard inspecting(model);
  const Tensor target_image = image.detach().to_strided().to(Dtype::kFloat32).unsqueeze(0);
  Tensor target;
  double target_sq = 0;
  {
    NoGradGuard no_grad;
    target = forward_to(model, layer, target_image, who).detach().to_strided().clone();
    target_sq = target.pow(2.0).sum().item();
  }
  CNNLAB_CHECK(target_sq > 0, ValueError, who, ": layer '", layer,
               "' outputs only zeros for this image; there is nothing to invert");

  Rng rng(options.seed);
  Tensor x = Tensor::normal(target_image.shape(), 0.0, options.init_std, rng);
  x.set_requires_grad(true);
  optim::Adam adam({x}, {.lr = options.lr});
  Inversion result;

  // Loss terms at x; with `backward` the gradient lands in x.grad().
  auto evaluate = [&](bool backward) {
    EnableGradGuard grad_mode;
    const Tensor phi = forward_to(model, layer, x, who);
    const Tensor feature = (phi - target).pow(2.0).sum() * (1.0 / target_sq);
    Tensor loss = feature;
    // NOTE: TV needs H, W >= 2; a 1x1 image has no neighbours and gets no TV term.
    if (options.tv_weight > 0 && x.size(2) >= 2 && x.size(3) >= 2) {
      loss = loss + ops::total_variation(x, options.tv_beta) * options.tv_weight;
    }
    if (backward) loss.backward();
    return std::pair<double, double>{loss.item(), feature.item()};
  };

  for (int64_t step = 0; step < options.steps; ++step) {
    adam.zero_grad();
    const auto [loss, feature] = evaluate(true);
    result.loss.push_back(loss);
    result.feature_loss.push_back(feature);
    adam.step();
    if (!options.range.empty()) {
      NoGradGuard no_grad;
      x.copy_(clamp_to_range(x, options.range));
    }
  }
  const auto [loss, feature] = evaluate(false);
  result.initial_loss = result.loss.front();
  result.final_loss = loss;
  result.relative_error = std::sqrt(feature);
  result.image = x.detach().clone().squeeze(0);
  return result;
}

}  // namespace cnnlab::viz
