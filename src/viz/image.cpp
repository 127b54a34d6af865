// viz::rescale_to_unit, denormalize, colormap and overlay: include/cnnlab/viz/image.hpp.
#include "cnnlab/viz/image.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "cnnlab/core/check.hpp"

namespace cnnlab::viz {
namespace {

// matplotlib's "inferno" (Nathaniel J. Smith, Stefan van der Walt, Eric Firing; CC0): its
// 256-entry table at entries 0, 16, ..., 240 and 255, interpolated linearly between them (the
// largest difference from the full table is below 1/255 per channel).
struct Anchor {
  double index;  // position in the 256-entry table
  std::array<double, 3> rgb;
};
constexpr std::array<Anchor, 17> kInferno = {{
    {0, {0.001462, 0.000466, 0.013866}},
    {16, {0.042253, 0.028139, 0.141141}},
    {32, {0.129285, 0.047293, 0.290788}},
    {48, {0.238273, 0.036621, 0.396353}},
    {64, {0.341500, 0.062325, 0.429425}},
    {80, {0.441207, 0.099338, 0.431594}},
    {96, {0.540920, 0.134729, 0.415123}},
    {112, {0.640135, 0.171438, 0.381065}},
    {128, {0.735683, 0.215906, 0.330245}},
    {144, {0.822386, 0.275197, 0.266085}},
    {160, {0.894305, 0.353399, 0.193584}},
    {176, {0.946965, 0.449191, 0.115272}},
    {192, {0.978422, 0.557937, 0.034931}},
    {208, {0.987874, 0.675267, 0.065257}},
    {224, {0.974638, 0.797692, 0.206332}},
    {240, {0.947594, 0.917399, 0.410665}},
    {255, {0.988362, 0.998364, 0.644924}},
}};

std::array<double, 3> inferno(double t) {
  const double pos = std::clamp(std::isnan(t) ? 0.0 : t, 0.0, 1.0) * 255.0;
  size_t k = 1;
  while (k + 1 < kInferno.size() && kInferno[k].index < pos) ++k;
  const Anchor& a = kInferno[k - 1];
  const Anchor& b = kInferno[k];
  const double f = (pos - a.index) / (b.index - a.index);
  return {a.rgb[0] + f * (b.rgb[0] - a.rgb[0]), a.rgb[1] + f * (b.rgb[1] - a.rgb[1]),
          a.rgb[2] + f * (b.rgb[2] - a.rgb[2])};
}

}  // namespace

Tensor rescale_to_unit(const Tensor& x) {
  std::vector<double> v = x.detach().to_vector();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double e : v) {
    lo = std::min(lo, e);
    hi = std::max(hi, e);
  }
  const bool flat = !(std::isfinite(lo) && std::isfinite(hi) && hi > lo);
  for (double& e : v) e = flat ? 0.5 : (e - lo) / (hi - lo);
  return Tensor::from_vector(v, x.shape(), x.dtype());
}

Tensor denormalize(const Tensor& x, const train::Normalization& normalization) {
  CNNLAB_CHECK(x.dim() == 3 || x.dim() == 4, ShapeError,
               "viz::denormalize: expected a (C, H, W) image or an (N, C, H, W) batch, got shape ",
               x.shape());
  const int64_t channels = x.size(x.dim() - 3);
  const bool identity = normalization.mean.empty();
  CNNLAB_CHECK(identity || static_cast<int64_t>(normalization.mean.size()) == channels, ShapeError,
               "viz::denormalize: expected ", normalization.mean.size(),
               " channels (the normalization's), got ", channels);
  std::vector<double> v = x.detach().to_vector();
  const int64_t plane = x.size(x.dim() - 2) * x.size(x.dim() - 1);
  for (size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<size_t>((static_cast<int64_t>(i) / plane) % channels);
    const double value = identity ? v[i] : v[i] * normalization.std[c] + normalization.mean[c];
    v[i] = std::clamp(value, 0.0, 1.0);
  }
  return Tensor::from_vector(v, x.shape(), x.dtype());
}

Tensor colormap(const Tensor& map) {
  CNNLAB_CHECK(map.dim() == 2, ShapeError, "viz::colormap: expected an (H, W) map, got shape ",
               map.shape());
  const std::vector<double> v = map.detach().to_vector();
  const size_t plane = v.size();
  std::vector<double> rgb(3 * plane);
  for (size_t i = 0; i < plane; ++i) {
    const std::array<double, 3> c = inferno(v[i]);
    for (size_t k = 0; k < 3; ++k) rgb[k * plane + i] = c[k];
  }
  return Tensor::from_vector(rgb, {3, map.size(0), map.size(1)}, Dtype::kFloat32);
}

Tensor overlay(const Tensor& image, const Tensor& heat, double alpha) {
  CNNLAB_CHECK(alpha >= 0 && alpha <= 1, ValueError, "viz::overlay: expected alpha in [0, 1], got ",
               alpha);
  CNNLAB_CHECK(image.dim() == 3 && (image.size(0) == 1 || image.size(0) == 3), ShapeError,
               "viz::overlay: expected a (1 or 3, H, W) image, got shape ", image.shape());
  CNNLAB_CHECK(heat.dim() == 2 && heat.size(0) == image.size(1) && heat.size(1) == image.size(2),
               ShapeError, "viz::overlay: expected an (", image.size(1), ", ", image.size(2),
               ") heat map (the image's size), got shape ", heat.shape());
  const std::vector<double> colours = colormap(heat).to_vector();
  const std::vector<double> pixels = image.detach().to_vector();
  const size_t plane = static_cast<size_t>(heat.numel());
  std::vector<double> out(3 * plane);
  for (size_t k = 0; k < 3; ++k) {
    const size_t source = image.size(0) == 1 ? 0 : k;
    for (size_t i = 0; i < plane; ++i) {
      out[k * plane + i] =
          (1 - alpha) * pixels[source * plane + i] + alpha * colours[k * plane + i];
    }
  }
  return Tensor::from_vector(out, {3, heat.size(0), heat.size(1)}, Dtype::kFloat32);
}

}  // namespace cnnlab::viz
