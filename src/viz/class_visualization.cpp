// viz::class_visualization: include/cnnlab/viz/class_visualization.hpp. Plain gradient ascent
// on the logit with Yosinski et al. 2015's regularizers applied after each step.
#include "cnnlab/viz/class_visualization.hpp"

#include <cmath>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {
namespace {

/// Softmax probability of class c from a (1, classes) row of logits, in double.
double softmax_at(const Tensor& logits, int64_t c) {
  const std::vector<double> z = logits.detach().to_strided().to_vector();
  double m = z[0];
  for (double v : z) m = std::max(m, v);
  double total = 0;
  for (double v : z) total += std::exp(v - m);
  return std::exp(z[static_cast<size_t>(c)] - m) / total;
}

void check_options(const ClassVisualizationOptions& o) {
  const char* who = "viz::class_visualization";
  CNNLAB_CHECK(o.steps >= 1, ValueError, who, ": expected steps >= 1, got ", o.steps);
  CNNLAB_CHECK(o.lr > 0 && std::isfinite(o.lr), ValueError, who, ": expected lr > 0, got ", o.lr);
  CNNLAB_CHECK(o.l2 >= 0, ValueError, who, ": expected l2 >= 0, got ", o.l2);
  CNNLAB_CHECK(o.blur_every >= 0, ValueError, who, ": expected blur_every >= 0, got ",
               o.blur_every);
  CNNLAB_CHECK(o.blur_sigma >= 0, ValueError, who, ": expected blur_sigma >= 0, got ",
               o.blur_sigma);
  CNNLAB_CHECK(o.clip_norm_percentile >= 0 && o.clip_norm_percentile <= 100, ValueError, who,
               ": expected clip_norm_percentile in [0, 100], got ", o.clip_norm_percentile);
  CNNLAB_CHECK(o.clip_contribution_percentile >= 0 && o.clip_contribution_percentile <= 100,
               ValueError, who, ": expected clip_contribution_percentile in [0, 100], got ",
               o.clip_contribution_percentile);
  CNNLAB_CHECK(o.jitter >= 0, ValueError, who, ": expected jitter >= 0, got ", o.jitter);
  CNNLAB_CHECK(o.init_std >= 0, ValueError, who, ": expected init_std >= 0, got ", o.init_std);
}

}  // namespace

ClassVisualization class_visualization(nn::Module& model, const Shape& input_shape,
                                       int64_t class_index,
                                       const ClassVisualizationOptions& options) {
  const char* who = "viz::class_visualization";
  check_options(options);
  CNNLAB_CHECK(input_shape.rank() == 3, ShapeError, who,
               ": expected an input shape (C, H, W), got ", input_shape);
  Rng rng(options.seed);
  Tensor x = options.init_std > 0 ? Tensor::normal(input_shape, 0.0, options.init_std, rng)
                                  : Tensor::zeros(input_shape);
  InspectionGuard inspecting(model);
  ClassVisualization result;

  // Logits of one image, checked once: (1, classes) with the class in range.
  auto logits_of = [&](const Tensor& image) {
    Tensor logits = model(image.unsqueeze(0));
    CNNLAB_CHECK(logits.dim() == 2 && logits.size(0) == 1, ShapeError, who,
                 ": expected the model to output logits (1, classes), got shape ", logits.shape());
    CNNLAB_CHECK(class_index >= 0 && class_index < logits.size(1), ValueError, who,
                 ": expected a class index in [0, ", logits.size(1), "), got ", class_index);
    return logits;
  };
  auto record = [&](const Tensor& logits) {
    const double p = softmax_at(logits, class_index);
    if (result.steps_to_target < 0 && p >= options.target_probability) {
      result.steps_to_target = static_cast<int64_t>(result.probability.size());
    }
    result.probability.push_back(p);
    result.score.push_back(logits.detach().to_strided().at({0, class_index}));
  };

  for (int64_t step = 0; step < options.steps; ++step) {
    const Shift shift = random_shift(rng, options.jitter);
    Tensor input = roll(x, shift.dy, shift.dx);
    input.set_requires_grad(true);
    Tensor grad;
    {
      EnableGradGuard grad_mode;
      const Tensor logits = logits_of(input);
      record(logits);
      logits.narrow(1, class_index, 1).sum().backward();
      grad = roll(input.grad(), -shift.dy, -shift.dx);
    }
    NoGradGuard no_grad;
    // ascent on S_c - l2 ||x||^2
    x = x + (grad - x * (2.0 * options.l2)) * options.lr;
    if (options.blur_every > 0 && (step + 1) % options.blur_every == 0) {
      x = gaussian_blur(x, options.blur_sigma);
    }
    if (options.clip_norm_percentile > 0) x = clip_small_norm(x, options.clip_norm_percentile);
    if (options.clip_contribution_percentile > 0) {
      x = clip_small_contribution(x, grad, options.clip_contribution_percentile);
    }
    if (!options.range.empty()) x = clamp_to_range(x, options.range);
  }
  {
    NoGradGuard no_grad;
    record(logits_of(x));
  }
  result.image = x;
  result.final_probability = result.probability.back();
  return result;
}

}  // namespace cnnlab::viz
