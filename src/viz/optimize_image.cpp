// The image-optimization helpers of include/cnnlab/viz/optimize_image.hpp: blur, roll, clipping
// regularizers, gradient normalization, pixel ranges, parameter freezing and forward_to.
// Raw loops over contiguous float32/float64 data; nothing here is recorded by autograd.
#include "cnnlab/viz/optimize_image.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {
namespace {

void check_float(const Tensor& t, const char* who) {
  CNNLAB_CHECK(t.dtype() == Dtype::kFloat32 || t.dtype() == Dtype::kFloat64, ValueError, who,
               ": expected a float32 or float64 tensor, got ", t.dtype());
}

/// (images, channels, plane) of a (C, H, W) or (N, C, H, W) tensor.
struct Geometry {
  int64_t n, c, h, w;
};
Geometry image_geometry(const Tensor& t, const char* who) {
  CNNLAB_CHECK(t.dim() == 3 || t.dim() == 4, ShapeError, who,
               ": expected an image (C, H, W) or a batch (N, C, H, W), got shape ", t.shape());
  if (t.dim() == 3) return {1, t.size(0), t.size(1), t.size(2)};
  return {t.size(0), t.size(1), t.size(2), t.size(3)};
}

/// scipy's mode="reflect": ... c b a | a b c ... | z y x ...
int64_t reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

template <typename T>
void blur_lines(const T* in, T* out, int64_t lines, int64_t len, int64_t stride_line,
                int64_t stride_elem, const std::vector<double>& kernel) {
  const int64_t radius = static_cast<int64_t>(kernel.size() / 2);
  for (int64_t l = 0; l < lines; ++l) {
    const T* src = in + l * stride_line;
    T* dst = out + l * stride_line;
    for (int64_t i = 0; i < len; ++i) {
      double acc = 0;
      for (int64_t k = -radius; k <= radius; ++k) {
        acc += kernel[k + radius] * static_cast<double>(src[reflect(i + k, len) * stride_elem]);
      }
      dst[i * stride_elem] = static_cast<T>(acc);
    }
  }
}

template <typename T>
void blur(const Tensor& x, Tensor& out, const Geometry& g, double sigma) {
  const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(4.0 * sigma)));
  std::vector<double> kernel(2 * radius + 1);
  double total = 0;
  for (int64_t k = -radius; k <= radius; ++k) {
    kernel[k + radius] = std::exp(-0.5 * static_cast<double>(k * k) / (sigma * sigma));
    total += kernel[k + radius];
  }
  for (double& v : kernel) v /= total;
  Tensor tmp = Tensor::empty(x.shape(), x.dtype());
  const int64_t planes = g.n * g.c;
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t base = p * g.h * g.w;
    // rows (along W), then columns (along H)
    blur_lines(x.data<T>() + base, tmp.data<T>() + base, g.h, g.w, g.w, 1, kernel);
    blur_lines(tmp.data<T>() + base, out.data<T>() + base, g.w, g.h, 1, g.w, kernel);
  }
}

/// The value below which `percentile` percent of `values` lie (linear interpolation between
/// order statistics, numpy's default).
double percentile_of(std::vector<double> values, double percentile) {
  std::sort(values.begin(), values.end());
  const double pos = percentile / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

/// Zeroes, per image, the pixels whose score lies strictly below the percentile of the scores.
template <typename T>
void zero_below(Tensor& out, const Geometry& g, const std::vector<double>& score,
                double percentile) {
  const int64_t plane = g.h * g.w;
  T* o = out.data<T>();
  for (int64_t n = 0; n < g.n; ++n) {
    std::vector<double> s(score.begin() + n * plane, score.begin() + (n + 1) * plane);
    const double threshold = percentile_of(s, percentile);
    for (int64_t i = 0; i < plane; ++i) {
      if (s[i] < threshold || percentile >= 100.0) {
        for (int64_t c = 0; c < g.c; ++c) o[(n * g.c + c) * plane + i] = T(0);
      }
    }
  }
}

void check_percentile(double percentile, const char* who) {
  CNNLAB_CHECK(percentile >= 0.0 && percentile <= 100.0, ValueError, who,
               ": expected a percentile in [0, 100], got ", percentile);
}

}  // namespace

Tensor gaussian_blur(const Tensor& image, double sigma) {
  check_float(image, "viz::gaussian_blur");
  const Geometry g = image_geometry(image, "viz::gaussian_blur");
  CNNLAB_CHECK(sigma >= 0.0 && std::isfinite(sigma), ValueError,
               "viz::gaussian_blur: expected sigma >= 0, got ", sigma);
  const Tensor x = image.detach().to_strided();
  if (sigma == 0.0) return x.clone();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.dtype() == Dtype::kFloat32) {
    blur<float>(x, out, g, sigma);
  } else {
    blur<double>(x, out, g, sigma);
  }
  return out;
}

Tensor roll(const Tensor& image, int64_t dy, int64_t dx) {
  CNNLAB_CHECK(image.dim() >= 2, ShapeError,
               "viz::roll: expected a tensor of rank >= 2, got shape ", image.shape());
  const Tensor x = image.detach().to_strided();
  const int64_t h = x.size(-2), w = x.size(-1), planes = x.numel() / std::max<int64_t>(1, h * w);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const size_t item = dtype_size(x.dtype());
  const auto* src = static_cast<const unsigned char*>(x.raw_data());
  auto* dst = static_cast<unsigned char*>(out.raw_data());
  const int64_t sy = ((dy % h) + h) % h, sx = ((dx % w) + w) % w;
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t i = 0; i < h; ++i) {
      const int64_t oi = (i + sy) % h;
      for (int64_t j = 0; j < w; ++j) {
        const int64_t oj = (j + sx) % w;
        std::copy_n(src + ((p * h + i) * w + j) * item, item, dst + ((p * h + oi) * w + oj) * item);
      }
    }
  }
  return out;
}

Shift random_shift(Rng& rng, int64_t max_shift) {
  CNNLAB_CHECK(max_shift >= 0, ValueError, "viz::random_shift: expected max_shift >= 0, got ",
               max_shift);
  if (max_shift == 0) return {};
  const auto span = static_cast<uint64_t>(2 * max_shift + 1);
  Shift s;
  s.dy = static_cast<int64_t>(rng.below(span)) - max_shift;
  s.dx = static_cast<int64_t>(rng.below(span)) - max_shift;
  return s;
}

Tensor clip_small_norm(const Tensor& image, double percentile) {
  check_float(image, "viz::clip_small_norm");
  const Geometry g = image_geometry(image, "viz::clip_small_norm");
  check_percentile(percentile, "viz::clip_small_norm");
  Tensor out = image.detach().to_strided().clone();
  if (percentile == 0.0) return out;
  const std::vector<double> v = out.to_vector();
  const int64_t plane = g.h * g.w;
  std::vector<double> norm(static_cast<size_t>(g.n * plane), 0.0);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t i = 0; i < plane; ++i) {
        const double x = v[(n * g.c + c) * plane + i];
        norm[n * plane + i] += x * x;
      }
    }
  }
  for (double& x : norm) x = std::sqrt(x);
  if (out.dtype() == Dtype::kFloat32) {
    zero_below<float>(out, g, norm, percentile);
  } else {
    zero_below<double>(out, g, norm, percentile);
  }
  return out;
}

Tensor clip_small_contribution(const Tensor& image, const Tensor& grad, double percentile) {
  check_float(image, "viz::clip_small_contribution");
  const Geometry g = image_geometry(image, "viz::clip_small_contribution");
  CNNLAB_CHECK(grad.defined() && grad.shape() == image.shape(), ShapeError,
               "viz::clip_small_contribution: expected a gradient of shape ", image.shape(),
               ", got ", grad.defined() ? grad.shape().str() : std::string("none"));
  check_percentile(percentile, "viz::clip_small_contribution");
  Tensor out = image.detach().to_strided().clone();
  if (percentile == 0.0) return out;
  const std::vector<double> v = out.to_vector();
  const std::vector<double> d = grad.detach().to_strided().to_vector();
  const int64_t plane = g.h * g.w;
  std::vector<double> contribution(static_cast<size_t>(g.n * plane), 0.0);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t i = 0; i < plane; ++i) {
        const int64_t k = (n * g.c + c) * plane + i;
        contribution[n * plane + i] += v[k] * d[k];
      }
    }
  }
  for (double& x : contribution) x = std::abs(x);
  if (out.dtype() == Dtype::kFloat32) {
    zero_below<float>(out, g, contribution, percentile);
  } else {
    zero_below<double>(out, g, contribution, percentile);
  }
  return out;
}

Tensor normalize_gradient(const Tensor& grad, double eps) {
  check_float(grad, "viz::normalize_gradient");
  CNNLAB_CHECK(eps > 0.0, ValueError, "viz::normalize_gradient: expected eps > 0, got ", eps);
  NoGradGuard no_grad;
  const Tensor g = grad.detach().to_strided();
  const double scale = g.abs().mean().item();
  return g * (1.0 / (scale + eps));
}

PixelRange valid_range(const train::Normalization& normalization, int64_t channels) {
  CNNLAB_CHECK(channels >= 1, ValueError, "viz::valid_range: expected channels >= 1, got ",
               channels);
  PixelRange range;
  if (normalization.mean.empty()) {
    range.lower.assign(static_cast<size_t>(channels), 0.0);
    range.upper.assign(static_cast<size_t>(channels), 1.0);
    return range;
  }
  CNNLAB_CHECK(static_cast<int64_t>(normalization.mean.size()) == channels &&
                   normalization.std.size() == normalization.mean.size(),
               ShapeError, "viz::valid_range: expected a normalization of ", channels,
               " channels, got ", normalization.mean.size());
  for (int64_t c = 0; c < channels; ++c) {
    range.lower.push_back((0.0 - normalization.mean[c]) / normalization.std[c]);
    range.upper.push_back((1.0 - normalization.mean[c]) / normalization.std[c]);
  }
  return range;
}

Tensor clamp_to_range(const Tensor& image, const PixelRange& range) {
  check_float(image, "viz::clamp_to_range");
  const Geometry g = image_geometry(image, "viz::clamp_to_range");
  Tensor out = image.detach().to_strided().clone();
  if (range.empty()) return out;
  CNNLAB_CHECK(
      static_cast<int64_t>(range.lower.size()) == g.c && range.upper.size() == range.lower.size(),
      ShapeError, "viz::clamp_to_range: expected a range of ", g.c, " channels, got ",
      range.lower.size());
  const int64_t plane = g.h * g.w;
  auto clamp_all = [&](auto* p) {
    for (int64_t n = 0; n < g.n; ++n) {
      for (int64_t c = 0; c < g.c; ++c) {
        auto* q = p + (n * g.c + c) * plane;
        for (int64_t i = 0; i < plane; ++i) {
          q[i] = std::clamp<std::remove_reference_t<decltype(q[i])>>(
              q[i], static_cast<std::remove_reference_t<decltype(q[i])>>(range.lower[c]),
              static_cast<std::remove_reference_t<decltype(q[i])>>(range.upper[c]));
        }
      }
    }
  };
  if (out.dtype() == Dtype::kFloat32) {
    clamp_all(out.data<float>());
  } else {
    clamp_all(out.data<double>());
  }
  return out;
}

namespace {
/// Thrown by forward_to's hook once the layer has run, caught in forward_to.
struct StopForward {};

/// Removes a forward hook when it goes out of scope (also while StopForward unwinds).
class HookGuard {
 public:
  HookGuard(nn::Module& module, int id) : module_(module), id_(id) {}
  ~HookGuard() { module_.remove_forward_hook(id_); }
  HookGuard(const HookGuard&) = delete;
  HookGuard& operator=(const HookGuard&) = delete;

 private:
  nn::Module& module_;
  int id_;
};
}  // namespace

Tensor forward_to(nn::Module& model, const std::string& layer, const Tensor& input,
                  const std::string& who) {
  nn::Module& target = find_layer(model, layer, who);
  Tensor captured;
  // NOTE: the hook throws to cut the forward pass short; Module::operator() holds no state
  // that an exception would leave behind (its profiler scope is RAII).
  const int id = target.register_forward_hook(
      [&captured](nn::Module&, const Tensor&, const Tensor& output) -> Tensor {
        captured = output;
        throw StopForward{};
      });
  HookGuard guard(target, id);
  try {
    model(input);
  } catch (const StopForward&) {
    return captured;
  }
  throw StateError(detail::concat(who, ": layer '", layer, "' did not run in the forward pass"));
}

}  // namespace cnnlab::viz
