// viz::dream_step and viz::deepdream: include/cnnlab/viz/deepdream.hpp. Follows the original
// DeepDream notebook (google/deepdream, 2015): make_step with jitter, normalized step and
// clipping; octaves built by repeated downscaling, detail carried up from coarse to fine.
#include "cnnlab/viz/deepdream.hpp"

#include <cmath>
#include <string>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {

DreamStep dream_step(nn::Module& model, const std::string& layer, const Tensor& image,
                     double step_size, const PixelRange& range) {
  const char* who = "viz::dream_step";
  CNNLAB_CHECK(step_size > 0 && std::isfinite(step_size), ValueError, who,
               ": expected step_size > 0, got ", step_size);
  CNNLAB_CHECK(image.dim() == 3 || image.dim() == 4, ShapeError, who,
               ": expected an image (C, H, W) or a batch (N, C, H, W), got shape ", image.shape());
  InspectionGuard inspecting(model);
  Tensor input = image.detach().to_strided().to(Dtype::kFloat32).clone();
  input.set_requires_grad(true);
  DreamStep result;
  {
    EnableGradGuard grad_mode;
    const Tensor batch = input.dim() == 3 ? input.unsqueeze(0) : input;
    const Tensor activation = forward_to(model, layer, batch, who);
    // 0.5 * sum(a^2): its gradient with respect to a is a itself.
    const Tensor objective = activation.pow(2.0).sum() * 0.5;
    result.objective = objective.item();
    objective.backward();
  }
  CNNLAB_CHECK(input.grad().defined(), ValueError, who, ": layer '", layer,
               "' does not depend on the image");
  NoGradGuard no_grad;
  result.gradient = input.grad().detach();
  const Tensor stepped = input.detach() + normalize_gradient(result.gradient) * step_size;
  result.image = clamp_to_range(stepped, range);
  return result;
}

DeepDream deepdream(nn::Module& model, const std::string& layer, const Tensor& image,
                    const DeepDreamOptions& options) {
  const char* who = "viz::deepdream";
  CNNLAB_CHECK(image.dim() == 3, ShapeError, who, ": expected an image (C, H, W), got shape ",
               image.shape());
  CNNLAB_CHECK(options.steps >= 1, ValueError, who, ": expected steps >= 1, got ", options.steps);
  CNNLAB_CHECK(options.octaves >= 1, ValueError, who, ": expected octaves >= 1, got ",
               options.octaves);
  CNNLAB_CHECK(options.octaves == 1 || options.octave_scale > 1.0, ValueError, who,
               ": expected octave_scale > 1, got ", options.octave_scale);
  CNNLAB_CHECK(options.jitter >= 0, ValueError, who, ": expected jitter >= 0, got ",
               options.jitter);
  CNNLAB_CHECK(options.step_size > 0, ValueError, who, ": expected step_size > 0, got ",
               options.step_size);
  Rng rng(options.seed);
  DeepDream result;
  const Tensor base = image.detach().to_strided().to(Dtype::kFloat32).clone();
  const int64_t h = base.size(1), w = base.size(2);

  // The octave bases, fine to coarse: each a downscaled copy of the previous one.
  std::vector<Tensor> bases = {base};
  for (int64_t k = 1; k < options.octaves; ++k) {
    const double f = std::pow(options.octave_scale, static_cast<double>(k));
    const auto oh = static_cast<int64_t>(std::lround(static_cast<double>(h) / f));
    const auto ow = static_cast<int64_t>(std::lround(static_cast<double>(w) / f));
    CNNLAB_CHECK(oh >= 1 && ow >= 1, ValueError, who, ": octave ", k, " would be ", oh, "x", ow,
                 " pixels; use fewer octaves or a smaller octave_scale");
    bases.push_back(io::resize_image(bases.back(), oh, ow));
  }

  auto objective_of = [&](const Tensor& x) {
    NoGradGuard no_grad;
    const Tensor a = forward_to(model, layer, x.unsqueeze(0), who);
    return 0.5 * a.pow(2.0).sum().item();
  };
  result.initial_objective = objective_of(base);

  Tensor carried;  // the detail added so far, at the previous octave's size
  Tensor x;
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
    const Tensor& octave_base = *it;
    const int64_t oh = octave_base.size(1), ow = octave_base.size(2);
    result.octave_sizes.push_back(Shape{oh, ow});
    carried =
        carried.defined() ? io::resize_image(carried, oh, ow) : Tensor::zeros(octave_base.shape());
    {
      NoGradGuard no_grad;
      x = octave_base + carried;
    }
    for (int64_t step = 0; step < options.steps; ++step) {
      const Shift shift = random_shift(rng, options.jitter);
      DreamStep s;
      try {
        s = dream_step(model, layer, roll(x, shift.dy, shift.dx), options.step_size, options.range);
      } catch (const ShapeError& e) {
        if (oh == h && ow == w) throw;
        throw ShapeError(detail::concat(who, ": the octave of ", oh, "x", ow,
                                        " pixels is too small for the layers before '", layer,
                                        "' (", e.what(), "); use fewer octaves"));
      }
      result.objective.push_back(s.objective);
      x = roll(s.image, -shift.dy, -shift.dx);
    }
    NoGradGuard no_grad;
    carried = x - octave_base;
  }
  result.image = x;
  result.final_objective = objective_of(x);
  return result;
}

}  // namespace cnnlab::viz
