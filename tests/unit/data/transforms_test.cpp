// Transforms: formulas, torchvision's draw order for the random ones, determinism under a seed,
// and bad arguments.
#include "cnnlab/data/transforms.hpp"

#include <gtest/gtest.h>

#include "cnnlab/core/error.hpp"
#include "cnnlab/ops/math.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

// (C, H, W) with value c * 100 + y * 10 + x.
Tensor grid(int64_t c, int64_t h, int64_t w, Dtype dtype = Dtype::kFloat32) {
  std::vector<double> v;
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) v.push_back(static_cast<double>(ch * 100 + y * 10 + x));
  return Tensor::from_vector(v, {c, h, w}, dtype);
}

TEST(DataNormalize, SubtractsMeanAndDividesByStdPerChannel) {
  Rng rng(0);
  const data::Normalize n({1.0, 100.0}, {2.0, 4.0});
  const Tensor out = n.apply(grid(2, 1, 2), rng);
  EXPECT_TENSOR_NEAR(out, Tensor::from_vector({-0.5, 0.0, 0.0, 0.25}, {2, 1, 2}), 0, 1e-7);
  const Tensor f64 = data::Normalize({0.5}, {0.5}).apply(grid(3, 1, 1, Dtype::kFloat64), rng);
  EXPECT_EQ(f64.dtype(), Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(f64, Tensor::from_vector({-1, 199, 399}, {3, 1, 1}, Dtype::kFloat64), 0,
                     1e-12);
  EXPECT_EQ(n.repr(), "Normalize(mean=[1, 100], std=[2, 4])");
}

TEST(DataNormalize, RejectsBadArguments) {
  Rng rng(0);
  EXPECT_THROW_WITH(data::Normalize({0.5, 0.5}, {0.5}), ValueError,
                    "Normalize: expected mean and std of the same non-zero length, got 2 and 1");
  EXPECT_THROW_WITH(data::Normalize({}, {}), ValueError, "got 0 and 0");
  EXPECT_THROW_WITH(data::Normalize({0.5}, {0.0}), ValueError,
                    "Normalize: expected every std > 0, got [0]");
  EXPECT_THROW_WITH(data::Normalize({0.1, 0.2}, {1, 1}).apply(grid(3, 2, 2), rng), ShapeError,
                    "Normalize: expected an image with 2 channels (one per mean), got shape "
                    "[3, 2, 2]");
  EXPECT_THROW_WITH(data::Normalize({0.1}, {1}).apply(Tensor::zeros({2, 2}), rng), ShapeError,
                    "Normalize: expected a (C, H, W) image, got shape [2, 2]");
}

TEST(DataRandomCrop, PadsWithZerosAndCropsAtTheDrawnPosition) {
  const data::RandomCrop crop({3, 3}, 1);
  Rng rng(5), twin(5);
  const Tensor out = crop.apply(grid(2, 4, 4), rng);
  // torchvision's order: top from [0, 6 - 3], then left
  const auto top = static_cast<int64_t>(twin.below(4)), left = static_cast<int64_t>(twin.below(4));
  ASSERT_EQ(out.shape(), (Shape{2, 3, 3}));
  for (int64_t c = 0; c < 2; ++c) {
    for (int64_t y = 0; y < 3; ++y) {
      for (int64_t x = 0; x < 3; ++x) {
        const int64_t sy = top + y - 1, sx = left + x - 1;
        const bool inside = sy >= 0 && sy < 4 && sx >= 0 && sx < 4;
        EXPECT_EQ(out.at({c, y, x}), inside ? c * 100 + sy * 10 + sx : 0.0)
            << "at " << c << "," << y << "," << x << " top " << top << " left " << left;
      }
    }
  }
  EXPECT_EQ(rng.next_u64(), twin.next_u64()) << "exactly two draws";
}

TEST(DataRandomCrop, CoversEveryOffsetAndTheZeroPadding) {
  const data::RandomCrop crop({2, 2}, 2);
  Rng rng(1);
  bool saw_zero_corner = false, saw_image_corner = false;
  for (int i = 0; i < 200; ++i) {
    const Tensor out = crop.apply(grid(1, 2, 2) + 1.0, rng);
    saw_zero_corner |= out.at({0, 0, 0}) == 0.0 && out.at({0, 1, 1}) == 0.0;
    saw_image_corner |= out.at({0, 0, 0}) == 1.0 && out.at({0, 1, 1}) == 12.0;
  }
  EXPECT_TRUE(saw_zero_corner);
  EXPECT_TRUE(saw_image_corner);
  Rng a(9), b(9);
  EXPECT_TENSOR_NEAR(crop.apply(grid(1, 2, 2), a), crop.apply(grid(1, 2, 2), b), 0, 0);
  EXPECT_EQ(crop.repr(), "RandomCrop(size=(2, 2), padding=2)");
}

TEST(DataRandomCrop, RejectsBadArguments) {
  Rng rng(0);
  EXPECT_THROW_WITH(data::RandomCrop(Size2{0, 2}), ValueError,
                    "RandomCrop: expected a positive size, got (0, 2)");
  EXPECT_THROW_WITH(data::RandomCrop(2, -1), ValueError, "expected padding >= 0, got -1");
  EXPECT_THROW_WITH(data::RandomCrop(6, 1).apply(grid(1, 3, 4), rng), ShapeError,
                    "RandomCrop: expected an image of at least 6x6 after padding 1, got shape "
                    "[1, 3, 4]");
}

TEST(DataRandomHorizontalFlip, FlipsWithProbabilityP) {
  Rng rng(3);
  const Tensor x = grid(2, 2, 3);
  const Tensor flipped = data::RandomHorizontalFlip(1.0).apply(x, rng);
  EXPECT_TENSOR_NEAR(
      flipped, Tensor::from_vector({2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110}, {2, 2, 3}),
      0, 0);
  EXPECT_TENSOR_NEAR(data::RandomHorizontalFlip(0.0).apply(x, rng), x, 0, 0);
  int flips = 0;
  const data::RandomHorizontalFlip half;
  for (int i = 0; i < 400; ++i) flips += half.apply(x, rng).at({0, 0, 0}) == 2.0;
  EXPECT_GT(flips, 150);
  EXPECT_LT(flips, 250);
  EXPECT_EQ(half.repr(), "RandomHorizontalFlip(p=0.5)");
  EXPECT_THROW_WITH(data::RandomHorizontalFlip(1.5), ValueError,
                    "RandomHorizontalFlip: expected p in [0, 1], got 1.5");
  EXPECT_THROW_WITH(half.apply(Tensor::zeros({3}), rng), ShapeError, "got shape [3]");
}

TEST(DataCompose, AppliesInOrderWithOneRng) {
  auto flip = std::make_shared<data::RandomHorizontalFlip>(1.0);
  auto norm = std::make_shared<data::Normalize>(std::vector<double>{1.0}, std::vector<double>{2.0});
  const data::Compose both({flip, norm});
  Rng rng(0);
  EXPECT_TENSOR_NEAR(both.apply(grid(1, 1, 3), rng),
                     Tensor::from_vector({0.5, 0.0, -0.5}, {1, 1, 3}), 0, 1e-7);
  EXPECT_EQ(both.repr(),
            "Compose(\n    RandomHorizontalFlip(p=1)\n    Normalize(mean=[1], std=[2])\n)");
  EXPECT_THROW_WITH(data::Compose({flip, nullptr}), ValueError,
                    "Compose: expected transforms, got null at position 1");
  const Tensor x = grid(1, 2, 2);
  const Tensor same = data::Compose({}).apply(x, rng);
  EXPECT_TENSOR_NEAR(same, x, 0, 0);
  EXPECT_FALSE(same.is_same(x));
  EXPECT_EQ(data::Resize({4, 6}).apply(x, rng).shape(), (Shape{1, 4, 6}));
  EXPECT_THROW_WITH(data::Resize({0, 6}), ValueError, "Resize: expected a positive size");
}

TEST(DataChannelMeanStd, MeasuresEachChannel) {
  // two images (2, 1, 2): channel 0 values {0, 2, 4, 6}, channel 1 all 5
  const auto ds = std::make_shared<data::TensorDataset>(
      Tensor::from_vector({0, 2, 5, 5, 4, 6, 5, 5}, {2, 2, 1, 2}), Tensor::from_int64({0, 0}, {2}));
  const auto [mean, std] = data::channel_mean_std(*ds);
  EXPECT_DOUBLE_EQ(mean[0], 3.0);
  EXPECT_DOUBLE_EQ(mean[1], 5.0);
  EXPECT_NEAR(std[0], std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(std[1], 0.0, 1e-12);
  EXPECT_DOUBLE_EQ(data::channel_mean_std(*ds, 1).first[0], 1.0);
  const data::TensorDataset empty(Tensor::zeros({0, 1, 1, 1}), Tensor::from_int64({}, {0}));
  EXPECT_THROW_WITH(data::channel_mean_std(empty), ValueError,
                    "channel_mean_std: expected a non-empty dataset, got 0 examples");
  EXPECT_THROW_WITH(data::channel_mean_std(*ds, -1), ValueError, "expected limit >= 0");
}

}  // namespace
}  // namespace cnnlab
