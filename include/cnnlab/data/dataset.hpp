// Dataset: the interface every data source implements (MNIST-format IDX, CIFAR binaries, image
// folders, subsets), and the small Subset wrapper used for splits and per-class subsampling.
//
// Contract:
//   size()        number of examples, fixed for the dataset's lifetime.
//   get(i)        requires 0 <= i < size() (ValueError otherwise); returns example i as a float32
//                 image (C, H, W) and an int64 class label in [0, num_classes()). Thread-safe:
//                 the DataLoader calls it from its prefetch thread. Deterministic: the same i
//                 gives the same example.
//   Datasets hold their data in memory (loaded once, as bytes) and get() converts one example;
//   ImageFolderDataset instead decodes its file in get().
// Splits: random_split() (seeded train/validation split) and per_class_subset() (given counts per
// class, for imbalance experiments) return Subsets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::data {

/// Which half of a dataset that ships a training and a test set.
enum class Split { kTrain, kTest };

/// One example: an image (C, H, W) float32 and its class.
struct Example {
  Tensor image;
  int64_t label = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Example get(int64_t index) const = 0;
  /// (C, H, W) of every image.
  virtual Shape image_shape() const = 0;
  virtual int64_t num_classes() const = 0;
  /// Human-readable class names ("T-shirt/top", ...), num_classes() of them.
  virtual std::vector<std::string> class_names() const = 0;
  /// The label of example i without building the image (used by per-class subsampling and
  /// metrics); the default calls get().
  virtual int64_t label(int64_t index) const { return get(index).label; }
};

/// A view of some examples of another dataset, in the given order (indices may repeat).
class Subset final : public Dataset {
 public:
  /// Throws ValueError if base is null or an index is outside [0, base->size()).
  Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  Shape image_shape() const override { return base_->image_shape(); }
  int64_t num_classes() const override { return base_->num_classes(); }
  std::vector<std::string> class_names() const override { return base_->class_names(); }
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::shared_ptr<const Dataset>& base() const { return base_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

/// Examples held as tensors, as torch.utils.data.TensorDataset: images (N, C, H, W) float32 or
/// float64 (get() returns float32), labels (N) int64. Class names: `class_names` if given, else
/// "0".."K-1" with K = largest label + 1. Throws ShapeError on other ranks or differing N,
/// ValueError on an integer image dtype, a non-int64 label tensor, or a label outside
/// [0, num_classes()).
class TensorDataset final : public Dataset {
 public:
  TensorDataset(Tensor images, Tensor labels, std::vector<std::string> class_names = {});
  int64_t size() const override { return images_.size(0); }
  Example get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  Shape image_shape() const override { return {images_.size(1), images_.size(2), images_.size(3)}; }
  int64_t num_classes() const override { return static_cast<int64_t>(names_.size()); }
  std::vector<std::string> class_names() const override { return names_; }

 private:
  Tensor images_;  ///< float32, contiguous
  std::vector<int64_t> labels_;
  std::vector<std::string> names_;
};

/// Splits `base` into two disjoint subsets of first_size and base->size() - first_size examples,
/// as torch.utils.data.random_split: a seeded random permutation (Fisher-Yates with Rng(seed)),
/// cut after first_size; each subset keeps the permuted order. The same seed gives the same split.
/// Throws ValueError if base is null or first_size is outside [0, base->size()].
std::pair<Subset, Subset> random_split(std::shared_ptr<const Dataset> base, int64_t first_size,
                                       uint64_t seed);

/// Keeps counts_per_class[c] examples of each class c: the first ones met in a seeded random
/// permutation of base (Rng(seed)), so the choice is random but repeatable, and the result keeps
/// the permuted order. A count of -1 keeps every example of that class.
/// Throws ValueError if base is null, counts_per_class.size() != base->num_classes(), a count is
/// < -1, or a class has fewer examples than asked (naming the class, its name and both counts).
Subset per_class_subset(std::shared_ptr<const Dataset> base,
                        const std::vector<int64_t>& counts_per_class, uint64_t seed);

/// Every example of base, each of class c repeated times_per_class[c] times (oversampling, as the
/// sampling weights of Fang et al.'s minority-collapse code), in base's order.
/// Throws ValueError if base is null, times_per_class.size() != base->num_classes() or a factor
/// is < 1.
Subset oversample_classes(std::shared_ptr<const Dataset> base,
                          const std::vector<int64_t>& times_per_class);

/// Examples per class of `dataset` (num_classes() entries), using label() only.
std::vector<int64_t> class_counts(const Dataset& dataset);

/// Copies a (C, H, W) block of bytes into a new float32 tensor with values byte / 255, the
/// conversion every byte-backed dataset uses (torchvision's ToTensor).
Tensor bytes_to_image(const uint8_t* pixels, int64_t channels, int64_t height, int64_t width);

/// Throws ValueError "<who>: expected index in [0, size), got index" unless 0 <= index < size.
void check_index(const char* who, int64_t index, int64_t size);

}  // namespace cnnlab::data
