// Subset, the seeded splits (random_split, per_class_subset) and small helpers shared by the
// datasets.
#include "cnnlab/data/dataset.hpp"

#include <algorithm>
#include <numeric>

#include "cnnlab/core/check.hpp"
#include "cnnlab/core/rng.hpp"

namespace cnnlab::data {
namespace {

// 0..n-1 shuffled by Fisher-Yates from the back, one rng.below() per position.
std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  return order;
}

}  // namespace

void check_index(const char* who, int64_t index, int64_t size) {
  CNNLAB_CHECK(index >= 0 && index < size, ValueError, who, ": expected index in [0, ", size,
               "), got ", index);
}

Tensor bytes_to_image(const uint8_t* pixels, int64_t channels, int64_t height, int64_t width) {
  Tensor out = Tensor::empty({channels, height, width}, Dtype::kFloat32);
  float* dst = out.data<float>();
  const int64_t n = channels * height * width;
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(pixels[i]) / 255.0f;
  return out;
}

Subset::Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
    : base_(std::move(base)), indices_(std::move(indices)) {
  CNNLAB_CHECK(base_ != nullptr, ValueError, "Subset: expected a dataset, got null");
  const int64_t n = base_->size();
  for (size_t i = 0; i < indices_.size(); ++i) {
    CNNLAB_CHECK(indices_[i] >= 0 && indices_[i] < n, ValueError,
                 "Subset: expected indices in [0, ", n, "), got ", indices_[i], " at position ", i);
  }
}

Example Subset::get(int64_t index) const {
  check_index("Subset::get", index, size());
  return base_->get(indices_[static_cast<size_t>(index)]);
}

int64_t Subset::label(int64_t index) const {
  check_index("Subset::label", index, size());
  return base_->label(indices_[static_cast<size_t>(index)]);
}

TensorDataset::TensorDataset(Tensor images, Tensor labels, std::vector<std::string> class_names)
    : names_(std::move(class_names)) {
  CNNLAB_CHECK(images.dim() == 4, ShapeError,
               "TensorDataset: expected images (N, C, H, W), got shape ", images.shape());
  CNNLAB_CHECK(is_floating(images.dtype()), ValueError,
               "TensorDataset: expected float32 or float64 images, got ", images.dtype());
  CNNLAB_CHECK(labels.dim() == 1 && labels.size(0) == images.size(0), ShapeError,
               "TensorDataset: expected labels (", images.size(0), "), got shape ", labels.shape());
  CNNLAB_CHECK(labels.dtype() == Dtype::kInt64, ValueError,
               "TensorDataset: expected int64 labels, got ", labels.dtype());
  images_ = images.detach().to(Dtype::kFloat32).clone();
  const int64_t* l = labels.to_strided().data<int64_t>();
  labels_.assign(l, l + labels.numel());
  if (names_.empty()) {
    const int64_t k = labels_.empty() ? 0 : *std::max_element(labels_.begin(), labels_.end()) + 1;
    for (int64_t c = 0; c < k; ++c) names_.push_back(std::to_string(c));
  }
  for (size_t i = 0; i < labels_.size(); ++i) {
    CNNLAB_CHECK(labels_[i] >= 0 && labels_[i] < num_classes(), ValueError,
                 "TensorDataset: expected labels in [0, ", num_classes(), "), got ", labels_[i],
                 " at index ", i);
  }
}

Example TensorDataset::get(int64_t index) const {
  check_index("TensorDataset::get", index, size());
  return {images_.narrow(0, index, 1).reshape(image_shape()).clone(),
          labels_[static_cast<size_t>(index)]};
}

int64_t TensorDataset::label(int64_t index) const {
  check_index("TensorDataset::label", index, size());
  return labels_[static_cast<size_t>(index)];
}

std::pair<Subset, Subset> random_split(std::shared_ptr<const Dataset> base, int64_t first_size,
                                       uint64_t seed) {
  CNNLAB_CHECK(base != nullptr, ValueError, "random_split: expected a dataset, got null");
  const int64_t n = base->size();
  CNNLAB_CHECK(first_size >= 0 && first_size <= n, ValueError,
               "random_split: expected first_size in [0, ", n, "] (the dataset's size), got ",
               first_size);
  std::vector<int64_t> order = permutation(n, seed);
  std::vector<int64_t> second(order.begin() + first_size, order.end());
  order.resize(static_cast<size_t>(first_size));
  return {Subset(base, std::move(order)), Subset(base, std::move(second))};
}

Subset per_class_subset(std::shared_ptr<const Dataset> base,
                        const std::vector<int64_t>& counts_per_class, uint64_t seed) {
  CNNLAB_CHECK(base != nullptr, ValueError, "per_class_subset: expected a dataset, got null");
  const int64_t classes = base->num_classes();
  CNNLAB_CHECK(static_cast<int64_t>(counts_per_class.size()) == classes, ValueError,
               "per_class_subset: expected one count per class (", classes, "), got ",
               counts_per_class.size());
  for (size_t c = 0; c < counts_per_class.size(); ++c) {
    CNNLAB_CHECK(counts_per_class[c] >= -1, ValueError, "per_class_subset: expected a count >= 0 ",
                 "(or -1 for all) for class ", c, ", got ", counts_per_class[c]);
  }
  const std::vector<int64_t> available = class_counts(*base);
  const std::vector<std::string> names = base->class_names();
  for (size_t c = 0; c < counts_per_class.size(); ++c) {
    CNNLAB_CHECK(counts_per_class[c] <= available[c], ValueError, "per_class_subset: class ", c,
                 c < names.size() ? " ('" + names[c] + "')" : std::string(), " has ", available[c],
                 " examples, fewer than the ", counts_per_class[c], " requested");
  }
  std::vector<int64_t> taken(static_cast<size_t>(classes), 0);
  std::vector<int64_t> keep;
  for (int64_t i : permutation(base->size(), seed)) {
    const auto c = static_cast<size_t>(base->label(i));
    if (counts_per_class[c] == -1 || taken[c] < counts_per_class[c]) {
      ++taken[c];
      keep.push_back(i);
    }
  }
  return Subset(std::move(base), std::move(keep));
}

Subset oversample_classes(std::shared_ptr<const Dataset> base,
                          const std::vector<int64_t>& times_per_class) {
  CNNLAB_CHECK(base != nullptr, ValueError, "oversample_classes: expected a dataset, got null");
  CNNLAB_CHECK(static_cast<int64_t>(times_per_class.size()) == base->num_classes(), ValueError,
               "oversample_classes: expected one factor per class (", base->num_classes(),
               "), got ", times_per_class.size());
  for (size_t c = 0; c < times_per_class.size(); ++c) {
    CNNLAB_CHECK(times_per_class[c] >= 1, ValueError,
                 "oversample_classes: expected factors >= 1, got ", times_per_class[c],
                 " for class ", c);
  }
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < base->size(); ++i) {
    const int64_t times = times_per_class[static_cast<size_t>(base->label(i))];
    for (int64_t t = 0; t < times; ++t) keep.push_back(i);
  }
  return Subset(std::move(base), std::move(keep));
}

std::vector<int64_t> class_counts(const Dataset& dataset) {
  std::vector<int64_t> counts(static_cast<size_t>(dataset.num_classes()), 0);
  for (int64_t i = 0; i < dataset.size(); ++i) {
    const int64_t c = dataset.label(i);
    CNNLAB_CHECK(c >= 0 && c < dataset.num_classes(), ValueError,
                 "class_counts: expected labels in [0, ", dataset.num_classes(), "), got ", c,
                 " for example ", i);
    ++counts[static_cast<size_t>(c)];
  }
  return counts;
}

}  // namespace cnnlab::data
