// Transforms: plain loops over contiguous (C, H, W) images, float32 or float64.
#include "cnnlab/data/transforms.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"

namespace cnnlab::data {
namespace {

void check_image(const char* who, const Tensor& image) {
  CNNLAB_CHECK(image.dim() == 3, ShapeError, who, ": expected a (C, H, W) image, got shape ",
               image.shape());
  CNNLAB_CHECK(is_floating(image.dtype()), ValueError, who,
               ": expected a float32 or float64 image, got ", image.dtype());
}

std::string list(const std::vector<double>& v) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << v[i];
  out << ']';
  return out.str();
}

// Calls f(T* dst, const T* src) with the image's element type.
template <typename F>
void typed(const Tensor& dst, const Tensor& src, F&& f) {
  if (src.dtype() == Dtype::kFloat32) {
    f(dst.data<float>(), src.data<float>());
  } else {
    f(dst.data<double>(), src.data<double>());
  }
}

}  // namespace

Normalize::Normalize(std::vector<double> mean, std::vector<double> std)
    : mean_(std::move(mean)), std_(std::move(std)) {
  CNNLAB_CHECK(!mean_.empty() && mean_.size() == std_.size(), ValueError,
               "Normalize: expected mean and std of the same non-zero length, got ", mean_.size(),
               " and ", std_.size());
  for (double s : std_) {
    CNNLAB_CHECK(s > 0 && std::isfinite(s), ValueError, "Normalize: expected every std > 0, got ",
                 list(std_));
  }
}

Tensor Normalize::apply(const Tensor& image, Rng& /*rng*/) const {
  check_image("Normalize", image);
  const int64_t c = image.size(0), hw = image.size(1) * image.size(2);
  CNNLAB_CHECK(mean_.size() == 1 || static_cast<int64_t>(mean_.size()) == c, ShapeError,
               "Normalize: expected an image with ", mean_.size(), " channel",
               mean_.size() == 1 ? "" : "s", " (one per mean), got shape ", image.shape());
  Tensor out = Tensor::empty(image.shape(), image.dtype());
  typed(out, image, [&](auto* dst, const auto* src) {
    using T = std::remove_pointer_t<decltype(dst)>;
    for (int64_t ch = 0; ch < c; ++ch) {
      const size_t k = mean_.size() == 1 ? 0 : static_cast<size_t>(ch);
      const auto m = static_cast<T>(mean_[k]), s = static_cast<T>(std_[k]);
      for (int64_t i = ch * hw; i < (ch + 1) * hw; ++i) dst[i] = (src[i] - m) / s;
    }
  });
  return out;
}

std::string Normalize::repr() const {
  return "Normalize(mean=" + list(mean_) + ", std=" + list(std_) + ")";
}

RandomCrop::RandomCrop(Size2 size, int64_t padding) : size_(size), padding_(padding) {
  CNNLAB_CHECK(size.h >= 1 && size.w >= 1, ValueError, "RandomCrop: expected a positive size, got ",
               size);
  CNNLAB_CHECK(padding >= 0, ValueError, "RandomCrop: expected padding >= 0, got ", padding);
}

Tensor RandomCrop::apply(const Tensor& image, Rng& rng) const {
  check_image("RandomCrop", image);
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  const int64_t ph = h + 2 * padding_, pw = w + 2 * padding_;
  CNNLAB_CHECK(ph >= size_.h && pw >= size_.w, ShapeError,
               "RandomCrop: expected an image of at "
               "least ",
               size_.h, "x", size_.w, " after padding ", padding_, ", got shape ", image.shape());
  const auto top = static_cast<int64_t>(rng.below(static_cast<uint64_t>(ph - size_.h + 1)));
  const auto left = static_cast<int64_t>(rng.below(static_cast<uint64_t>(pw - size_.w + 1)));
  Tensor out = Tensor::empty({c, size_.h, size_.w}, image.dtype());
  typed(out, image, [&](auto* dst, const auto* src) {
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t y = 0; y < size_.h; ++y) {
        const int64_t sy = top + y - padding_;  // row in the unpadded image
        for (int64_t x = 0; x < size_.w; ++x) {
          const int64_t sx = left + x - padding_;
          const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
          dst[(ch * size_.h + y) * size_.w + x] = inside ? src[(ch * h + sy) * w + sx] : 0;
        }
      }
    }
  });
  return out;
}

std::string RandomCrop::repr() const {
  std::ostringstream out;
  out << "RandomCrop(size=(" << size_.h << ", " << size_.w << "), padding=" << padding_ << ")";
  return out.str();
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  CNNLAB_CHECK(p >= 0.0 && p <= 1.0, ValueError, "RandomHorizontalFlip: expected p in [0, 1], got ",
               p);
}

Tensor RandomHorizontalFlip::apply(const Tensor& image, Rng& rng) const {
  check_image("RandomHorizontalFlip", image);
  if (!(rng.uniform() < p_)) return image.clone();
  const int64_t rows = image.size(0) * image.size(1), w = image.size(2);
  Tensor out = Tensor::empty(image.shape(), image.dtype());
  typed(out, image, [&](auto* dst, const auto* src) {
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t x = 0; x < w; ++x) dst[r * w + x] = src[r * w + (w - 1 - x)];
    }
  });
  return out;
}

std::string RandomHorizontalFlip::repr() const {
  std::ostringstream out;
  out << "RandomHorizontalFlip(p=" << p_ << ")";
  return out.str();
}

Resize::Resize(Size2 size) : size_(size) {
  CNNLAB_CHECK(size.h >= 1 && size.w >= 1, ValueError, "Resize: expected a positive size, got ",
               size);
}

Tensor Resize::apply(const Tensor& image, Rng& /*rng*/) const {
  check_image("Resize", image);
  return io::resize_image(image, size_.h, size_.w);
}

std::string Resize::repr() const {
  std::ostringstream out;
  out << "Resize(size=(" << size_.h << ", " << size_.w << "))";
  return out.str();
}

Compose::Compose(std::vector<std::shared_ptr<const Transform>> transforms)
    : transforms_(std::move(transforms)) {
  for (size_t i = 0; i < transforms_.size(); ++i) {
    CNNLAB_CHECK(transforms_[i] != nullptr, ValueError,
                 "Compose: expected transforms, got null at position ", i);
  }
}

Tensor Compose::apply(const Tensor& image, Rng& rng) const {
  Tensor x = image;
  for (const auto& t : transforms_) x = t->apply(x, rng);
  return transforms_.empty() ? image.clone() : x;
}

std::string Compose::repr() const {
  std::string s = "Compose(\n";
  for (const auto& t : transforms_) s += "    " + t->repr() + "\n";
  return s + ")";
}

std::pair<std::vector<double>, std::vector<double>> channel_mean_std(const Dataset& dataset,
                                                                     int64_t limit) {
  CNNLAB_CHECK(limit >= 0, ValueError, "channel_mean_std: expected limit >= 0 (0 = all), got ",
               limit);
  const int64_t n = limit > 0 ? std::min(limit, dataset.size()) : dataset.size();
  CNNLAB_CHECK(n > 0, ValueError, "channel_mean_std: expected a non-empty dataset, got 0 examples");
  const int64_t c = dataset.image_shape()[0];
  std::vector<double> sum(static_cast<size_t>(c), 0.0), sq(static_cast<size_t>(c), 0.0);
  int64_t per_channel = 0;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor image = dataset.get(i).image.to(Dtype::kFloat64);
    CNNLAB_CHECK(image.dim() == 3 && image.size(0) == c, ShapeError, "channel_mean_std: expected (",
                 c, ", H, W) images, got shape ", image.shape(), " for example ", i);
    const int64_t hw = image.size(1) * image.size(2);
    const double* p = image.data<double>();
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t k = 0; k < hw; ++k) {
        const double v = p[ch * hw + k];
        sum[static_cast<size_t>(ch)] += v;
        sq[static_cast<size_t>(ch)] += v * v;
      }
    }
    per_channel += hw;
  }
  std::vector<double> mean(static_cast<size_t>(c)), std(static_cast<size_t>(c));
  for (size_t ch = 0; ch < mean.size(); ++ch) {
    mean[ch] = sum[ch] / static_cast<double>(per_channel);
    std[ch] =
        std::sqrt(std::max(0.0, sq[ch] / static_cast<double>(per_channel) - mean[ch] * mean[ch]));
  }
  return {mean, std};
}

}  // namespace cnnlab::data
