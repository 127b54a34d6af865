// train::open_run_data: the per-class selection (--per-class) and oversampling of a run's
// training set, and their round trip through config.json.
#include <gtest/gtest.h>

#include "cnnlab/core/error.hpp"
#include "cnnlab/train/config.hpp"
#include "cnnlab/train/trainer.hpp"
#include "support/expect_throw_with.hpp"
#include "unit/data/test_files.hpp"

namespace cnnlab {
namespace {

using testing::TempDir;
using testing::write_bytes;

// An MNIST-format folder: 12 training images (labels 0..9, then 0, 1) and 4 test images of 3x4.
std::string mnist_folder(const TempDir& dir) {
  const std::vector<uint8_t> train_labels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1};
  const std::vector<uint8_t> test_labels = {3, 1, 4, 1};
  for (const auto& [split, labels] : {std::pair{std::string("train"), train_labels},
                                      std::pair{std::string("t10k"), test_labels}}) {
    const auto n = static_cast<uint32_t>(labels.size());
    write_bytes(dir.path() + "/" + split + "-images-idx3-ubyte",
                testing::idx_bytes({n, 3, 4}, std::vector<uint8_t>(n * 12, 7)));
    write_bytes(dir.path() + "/" + split + "-labels-idx1-ubyte", testing::idx_bytes({n}, labels));
  }
  return dir.path();
}

TEST(TrainOpenRunData, SelectsImagesPerClassAndOversamples) {
  TempDir dir;
  train::TrainConfig c;
  c.data = mnist_folder(dir);
  EXPECT_EQ(train::open_run_data(c).train->size(), 12);
  c.train_per_class = {1};  // one value: every class
  EXPECT_EQ(data::class_counts(*train::open_run_data(c).train), std::vector<int64_t>(10, 1));
  c.train_per_class = {2, 2, 1, 1, 1, 1, 1, 1, 1, 1};
  c.train_repeat = {1, 1, 1, 1, 1, 3, 3, 3, 3, 3};
  const train::DataPair d = train::open_run_data(c);
  EXPECT_EQ(data::class_counts(*d.train), (std::vector<int64_t>{2, 2, 1, 1, 1, 3, 3, 3, 3, 3}));
  EXPECT_EQ(d.test->size(), 4) << "the test set is never subsampled";
}

TEST(TrainOpenRunData, RejectsCountsTheDataDoesNotHave) {
  TempDir dir;
  train::TrainConfig c;
  c.data = mnist_folder(dir);
  c.train_per_class = {2};
  EXPECT_THROW_WITH(train::open_run_data(c), ValueError,
                    "per_class_subset: class 2 ('2') has 1 examples, fewer than the 2 requested");
  c.train_per_class = {1, 1};
  EXPECT_THROW_WITH(train::open_run_data(c), ValueError,
                    "expected --per-class to hold 1 or 10 values (one per class), got 2");
  c.train_per_class = {0};
  EXPECT_THROW_WITH(train::open_run_data(c), ValueError, "expected --per-class values >= 1, got 0");
}

TEST(TrainConfigJson, KeepsPerClassCountsAndRepeats) {
  train::TrainConfig c;
  c.train_per_class = {600, 600, 6};
  c.train_repeat = {1, 1, 10};
  const train::TrainConfig back = train::TrainConfig::from_json(c.to_json(), "config.json");
  EXPECT_EQ(back.train_per_class, c.train_per_class);
  EXPECT_EQ(back.train_repeat, c.train_repeat);
  // an older config.json without the keys trains on every image, once
  const train::TrainConfig old = train::TrainConfig::from_json(
      R"({"model": "lenet5", "input_shape": [1, 28, 28], "num_classes": 10,
          "class_names": [], "mean": [0.5], "std": [0.5]})",
      "config.json");
  EXPECT_TRUE(old.train_per_class.empty());
  EXPECT_TRUE(old.train_repeat.empty());
}

}  // namespace
}  // namespace cnnlab
