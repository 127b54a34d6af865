// Transforms: functions of one (C, H, W) image applied by the DataLoader, as torchvision's
// transforms (same names, defaults and formulas). Random ones draw from the Rng passed to apply(),
// which the DataLoader seeds per (seed, epoch, example), so results never depend on threads or on
// where a run was resumed. Every transform is immutable after construction, hence thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/data/dataset.hpp"
#include "cnnlab/tensor/shape.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::data {

class Transform {
 public:
  virtual ~Transform() = default;
  /// Returns the transformed image (a new tensor; the input is not modified). image is
  /// (C, H, W) float32 or float64.
  virtual Tensor apply(const Tensor& image, Rng& rng) const = 0;
  /// "Normalize(mean=[0.5], std=[0.25])", as torchvision prints it.
  virtual std::string repr() const = 0;
};

/// (x - mean[c]) / std[c] per channel. mean and std hold one value per channel, or one value
/// for every channel. Throws ValueError if they are empty, differ in length or a std is not > 0
/// (construction); ShapeError if the image is not 3-D or its channel count differs (apply).
class Normalize final : public Transform {
 public:
  Normalize(std::vector<double> mean, std::vector<double> std);
  Tensor apply(const Tensor& image, Rng& rng) const override;
  std::string repr() const override;

 private:
  std::vector<double> mean_, std_;
};

/// Pads every side with `padding` zeros, then cuts a size.h x size.w window at a random
/// position: top = rng.below(H' - h + 1), then left = rng.below(W' - w + 1), with H', W' the
/// padded size (torchvision's RandomCrop(size, padding) with its draw order).
/// Throws ValueError if size is not positive or padding < 0; ShapeError if the padded image is
/// smaller than size or the image is not 3-D.
class RandomCrop final : public Transform {
 public:
  RandomCrop(Size2 size, int64_t padding = 0);
  Tensor apply(const Tensor& image, Rng& rng) const override;
  std::string repr() const override;

 private:
  Size2 size_;
  int64_t padding_ = 0;
};

/// Mirrors the image left-right with probability p (one rng.uniform() per call, flipped when
/// < p). Throws ValueError if p is outside [0, 1]; ShapeError on a non-3-D image.
class RandomHorizontalFlip final : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  Tensor apply(const Tensor& image, Rng& rng) const override;
  std::string repr() const override;

 private:
  double p_ = 0.5;
};

/// Resizes to size with io::resize_image (bilinear, antialiased; draws nothing).
class Resize final : public Transform {
 public:
  explicit Resize(Size2 size);
  Tensor apply(const Tensor& image, Rng& rng) const override;
  std::string repr() const override;

 private:
  Size2 size_;
};

/// Applies transforms in order, each with the same rng. Throws ValueError on a null transform.
class Compose final : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<const Transform>> transforms);
  Tensor apply(const Tensor& image, Rng& rng) const override;
  std::string repr() const override;
  const std::vector<std::shared_ptr<const Transform>>& transforms() const { return transforms_; }

 private:
  std::vector<std::shared_ptr<const Transform>> transforms_;
};

/// Per-channel mean and (population) standard deviation of the images of `dataset`, over its
/// first `limit` examples (0 = all), accumulated in double: the values to give Normalize.
/// Throws ValueError if the dataset is empty or limit < 0.
std::pair<std::vector<double>, std::vector<double>> channel_mean_std(const Dataset& dataset,
                                                                     int64_t limit = 0);

}  // namespace cnnlab::data
