// Dataset helpers: TensorDataset, Subset, the seeded random_split and per_class_subset.
#include "cnnlab/data/dataset.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "cnnlab/core/error.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

// n images (1, 2, 2) filled with their index; label = index % classes.
std::shared_ptr<const data::Dataset> numbered(int64_t n, int64_t classes) {
  std::vector<double> pixels;
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 4; ++k) pixels.push_back(static_cast<double>(i));
    labels.push_back(i % classes);
  }
  std::vector<std::string> names;
  for (int64_t c = 0; c < classes; ++c) names.push_back("class" + std::to_string(c));
  return std::make_shared<data::TensorDataset>(Tensor::from_vector(pixels, {n, 1, 2, 2}),
                                               Tensor::from_int64(labels, {n}), names);
}

TEST(DataTensorDataset, ReturnsExamplesAndNamesClasses) {
  const auto d = numbered(6, 3);
  EXPECT_EQ(d->size(), 6);
  EXPECT_EQ(d->image_shape(), (Shape{1, 2, 2}));
  EXPECT_EQ(d->num_classes(), 3);
  const data::Example ex = d->get(4);
  EXPECT_TENSOR_NEAR(ex.image, Tensor::full({1, 2, 2}, 4.0), 0, 0);
  EXPECT_EQ(ex.label, 1);
  EXPECT_EQ(d->label(5), 2);
  const data::TensorDataset unnamed(Tensor::zeros({2, 1, 1, 1}, Dtype::kFloat64),
                                    Tensor::from_int64({0, 4}, {2}));
  EXPECT_EQ(unnamed.class_names(), (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  EXPECT_EQ(unnamed.get(0).image.dtype(), Dtype::kFloat32);
}

TEST(DataTensorDataset, RejectsBadTensorsAndIndices) {
  EXPECT_THROW_WITH(data::TensorDataset(Tensor::zeros({2, 2}), Tensor::from_int64({0, 1}, {2})),
                    ShapeError, "TensorDataset: expected images (N, C, H, W), got shape [2, 2]");
  EXPECT_THROW_WITH(
      data::TensorDataset(Tensor::zeros({2, 1, 1, 1}), Tensor::from_int64({0, 1, 1}, {3})),
      ShapeError, "expected labels (2), got shape [3]");
  EXPECT_THROW_WITH(
      data::TensorDataset(Tensor::zeros({2, 1, 1, 1}), Tensor::zeros({2}, Dtype::kFloat32)),
      ValueError, "expected int64 labels, got float32");
  EXPECT_THROW_WITH(
      data::TensorDataset(Tensor::zeros({2, 1, 1, 1}), Tensor::from_int64({0, 2}, {2}), {"a", "b"}),
      ValueError, "expected labels in [0, 2), got 2 at index 1");
  EXPECT_THROW_WITH(numbered(3, 1)->get(3), ValueError,
                    "TensorDataset::get: expected index in [0, 3), got 3");
  EXPECT_THROW_WITH(numbered(3, 1)->label(-1), ValueError, "expected index in [0, 3), got -1");
}

TEST(DataSubset, ViewsTheGivenIndicesInOrder) {
  const auto base = numbered(10, 2);
  const data::Subset s(base, {7, 2, 2});
  EXPECT_EQ(s.size(), 3);
  EXPECT_EQ(s.get(0).image.at({0, 0, 0}), 7.0);
  EXPECT_EQ(s.label(0), 1);
  EXPECT_EQ(s.get(2).image.at({0, 1, 1}), 2.0);
  EXPECT_EQ(s.image_shape(), base->image_shape());
  EXPECT_EQ(s.class_names(), base->class_names());
  EXPECT_EQ(s.num_classes(), 2);
  // a subset of a subset
  const data::Subset inner(std::make_shared<data::Subset>(s), {2});
  EXPECT_EQ(inner.get(0).image.at({0, 0, 0}), 2.0);
}

TEST(DataSubset, RejectsBadIndices) {
  const auto base = numbered(4, 2);
  EXPECT_THROW_WITH(data::Subset(base, {0, 4}), ValueError,
                    "Subset: expected indices in [0, 4), got 4 at position 1");
  EXPECT_THROW_WITH(data::Subset(nullptr, {}), ValueError, "Subset: expected a dataset, got null");
  const data::Subset s(base, {1});
  EXPECT_THROW_WITH(s.get(1), ValueError, "Subset::get: expected index in [0, 1), got 1");
  EXPECT_THROW_WITH(s.label(2), ValueError, "Subset::label: expected index in [0, 1), got 2");
}

TEST(DataRandomSplit, IsADisjointSeededPartition) {
  const auto base = numbered(50, 5);
  const auto [train, val] = data::random_split(base, 40, 7);
  EXPECT_EQ(train.size(), 40);
  EXPECT_EQ(val.size(), 10);
  std::set<int64_t> all(train.indices().begin(), train.indices().end());
  all.insert(val.indices().begin(), val.indices().end());
  EXPECT_EQ(all.size(), 50u) << "every example exactly once";
  const auto again = data::random_split(base, 40, 7);
  EXPECT_EQ(again.first.indices(), train.indices());
  EXPECT_EQ(again.second.indices(), val.indices());
  const auto other = data::random_split(base, 40, 8);
  EXPECT_NE(other.first.indices(), train.indices());
  EXPECT_FALSE(std::is_sorted(train.indices().begin(), train.indices().end())) << "shuffled";
  EXPECT_EQ(data::random_split(base, 0, 1).first.size(), 0);
  EXPECT_EQ(data::random_split(base, 50, 1).second.size(), 0);
}

TEST(DataRandomSplit, RejectsBadSizes) {
  const auto base = numbered(5, 1);
  EXPECT_THROW_WITH(data::random_split(base, 6, 0), ValueError,
                    "random_split: expected first_size in [0, 5] (the dataset's size), got 6");
  EXPECT_THROW_WITH(data::random_split(base, -1, 0), ValueError, "got -1");
  EXPECT_THROW_WITH(data::random_split(nullptr, 0, 0), ValueError, "expected a dataset, got null");
}

TEST(DataPerClassSubset, KeepsTheRequestedCountsOfEachClass) {
  const auto base = numbered(60, 3);  // 20 per class
  const data::Subset s = data::per_class_subset(base, {5, 0, -1}, 11);
  EXPECT_EQ(data::class_counts(s), (std::vector<int64_t>{5, 0, 20}));
  EXPECT_EQ(data::per_class_subset(base, {5, 0, -1}, 11).indices(), s.indices()) << "seeded";
  const data::Subset t = data::per_class_subset(base, {5, 0, -1}, 12);
  EXPECT_NE(t.indices(), s.indices());
  // the 5 of class 0 are random, not the first five
  std::vector<int64_t> class0;
  for (int64_t i : s.indices())
    if (base->label(i) == 0) class0.push_back(i);
  EXPECT_NE(class0, (std::vector<int64_t>{0, 3, 6, 9, 12}));
  EXPECT_EQ(data::class_counts(*base), (std::vector<int64_t>{20, 20, 20}));
}

TEST(DataPerClassSubset, RejectsBadCountsNamingTheClass) {
  const auto base = numbered(30, 3);
  EXPECT_THROW_WITH(data::per_class_subset(base, {1, 11, 1}, 0), ValueError,
                    "per_class_subset: class 1 ('class1') has 10 examples, fewer than the 11 "
                    "requested");
  EXPECT_THROW_WITH(data::per_class_subset(base, {1, 1}, 0), ValueError,
                    "per_class_subset: expected one count per class (3), got 2");
  EXPECT_THROW_WITH(data::per_class_subset(base, {1, -2, 1}, 0), ValueError,
                    "expected a count >= 0 (or -1 for all) for class 1, got -2");
  EXPECT_THROW_WITH(data::per_class_subset(nullptr, {}, 0), ValueError,
                    "expected a dataset, got null");
}

TEST(DataOversampleClasses, RepeatsEachClassByItsFactor) {
  const auto base = numbered(9, 3);  // labels 0, 1, 2, 0, 1, 2, ...
  const data::Subset s = data::oversample_classes(base, {1, 3, 2});
  EXPECT_EQ(data::class_counts(s), (std::vector<int64_t>{3, 9, 6}));
  EXPECT_EQ(s.indices(),
            (std::vector<int64_t>{0, 1, 1, 1, 2, 2, 3, 4, 4, 4, 5, 5, 6, 7, 7, 7, 8, 8}));
  EXPECT_THROW_WITH(data::oversample_classes(base, {1, 0, 1}), ValueError,
                    "oversample_classes: expected factors >= 1, got 0 for class 1");
  EXPECT_THROW_WITH(data::oversample_classes(base, {1, 1}), ValueError,
                    "expected one factor per class (3), got 2");
  EXPECT_THROW_WITH(data::oversample_classes(nullptr, {}), ValueError,
                    "expected a dataset, got null");
}

TEST(DataBytesToImage, ScalesBytesTo01) {
  const uint8_t bytes[] = {0, 51, 255, 128, 1, 2};
  const Tensor t = data::bytes_to_image(bytes, 1, 2, 3);
  EXPECT_EQ(t.shape(), (Shape{1, 2, 3}));
  EXPECT_FLOAT_EQ(static_cast<float>(t.at({0, 0, 1})), 0.2f);
  EXPECT_EQ(t.at({0, 0, 2}), 1.0);
}

}  // namespace
}  // namespace cnnlab
