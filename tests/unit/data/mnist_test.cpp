// MNIST-format datasets from tiny generated IDX files: values, class naming rules, file
// discovery (raw, gzip, EMNIST prefixes), every bad-file error, and resolve_data_dir.
#include "cnnlab/data/mnist.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "cnnlab/core/error.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"
#include "unit/data/test_files.hpp"

namespace cnnlab {
namespace {

using testing::idx_bytes;
using testing::TempDir;
using testing::write_bytes;
using testing::write_gz;

// n images of 3x4 pixels, pixel k of image i = (i * 12 + k) % 256; labels given.
std::vector<uint8_t> pixels(int64_t n) {
  std::vector<uint8_t> p;
  for (int64_t i = 0; i < n * 12; ++i) p.push_back(static_cast<uint8_t>(i % 256));
  return p;
}

void write_split(const std::string& dir, const std::string& prefix, const std::string& split,
                 const std::vector<uint8_t>& labels, bool gz) {
  const auto n = static_cast<uint32_t>(labels.size());
  const std::string images = idx_bytes({n, 3, 4}, pixels(n));
  const std::string labs = idx_bytes({n}, labels);
  const std::string base = dir + "/" + prefix + split;
  if (gz) {
    write_gz(base + "-images-idx3-ubyte.gz", images);
    write_gz(base + "-labels-idx1-ubyte.gz", labs);
  } else {
    write_bytes(base + "-images-idx3-ubyte", images);
    write_bytes(base + "-labels-idx1-ubyte", labs);
  }
}

TEST(DataMnist, ReadsImagesAndLabelsAsBytes) {
  TempDir dir;
  write_split(dir.path(), "", "train", {3, 1, 4, 1, 5}, false);
  write_split(dir.path(), "", "t10k", {9, 2}, true);
  const data::MnistDataset train(dir.path(), data::Split::kTrain);
  EXPECT_EQ(train.size(), 5);
  EXPECT_EQ(train.image_shape(), (Shape{1, 3, 4}));
  const data::Example ex = train.get(2);
  EXPECT_EQ(ex.label, 4);
  ASSERT_EQ(ex.image.shape(), (Shape{1, 3, 4}));
  EXPECT_FLOAT_EQ(static_cast<float>(ex.image.at({0, 0, 0})), 24.0f / 255.0f);
  EXPECT_FLOAT_EQ(static_cast<float>(ex.image.at({0, 2, 3})), 35.0f / 255.0f);
  EXPECT_EQ(train.label(4), 5);
  EXPECT_EQ(train.num_classes(), 10);
  EXPECT_EQ(train.class_names().front(), "0");
  EXPECT_EQ(train.class_names().back(), "9");
  const data::MnistDataset test(dir.path(), data::Split::kTest);
  EXPECT_EQ(test.size(), 2);
  EXPECT_EQ(test.label(0), 9);
  EXPECT_EQ(std::filesystem::path(test.images_path()).filename(), "t10k-images-idx3-ubyte.gz");
  // the tensors of the old interface agree with get()
  const data::Mnist old(dir.path(), data::Split::kTrain, 3);
  ASSERT_EQ(old.images.shape(), (Shape{3, 1, 3, 4}));
  EXPECT_TENSOR_NEAR(old.images.narrow(0, 2, 1).reshape({1, 3, 4}), ex.image, 0, 0);
  EXPECT_EQ(old.labels.to_vector(), (std::vector<double>{3, 1, 4}));
}

TEST(DataMnist, LimitKeepsTheFirstExamples) {
  TempDir dir;
  write_split(dir.path(), "", "train", {3, 1, 4, 1, 5}, false);
  const data::MnistDataset d(dir.path(), data::Split::kTrain, 2);
  EXPECT_EQ(d.size(), 2);
  EXPECT_EQ(d.label(1), 1);
  EXPECT_THROW_WITH(d.get(2), ValueError, "MnistDataset::get: expected index in [0, 2), got 2");
  EXPECT_EQ(data::MnistDataset(dir.path(), data::Split::kTrain, 99).size(), 5);
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain, -1), ValueError,
                    "MnistDataset: expected limit >= 0 (0 = all), got -1");
}

TEST(DataMnist, NamesClassesByTheFolderRule) {
  TempDir dir;
  const std::string plain = dir.path() + "/plain", fashion = dir.path() + "/Fashion-data",
                    marked = dir.path() + "/marked", wide = dir.path() + "/wide";
  for (const std::string& d : {plain, fashion, marked, wide}) std::filesystem::create_directory(d);
  write_split(plain, "", "train", {0, 1}, false);
  write_split(fashion, "", "train", {0, 1}, false);
  write_split(marked, "", "train", {0, 1}, false);
  write_bytes(marked + "/fashion-mnist.txt", std::string("Zalando's Fashion-MNIST"));
  write_split(wide, "", "train", {0, 46}, false);
  EXPECT_EQ(data::MnistDataset(plain, data::Split::kTrain).class_names()[1], "1");
  EXPECT_EQ(data::MnistDataset(fashion, data::Split::kTrain).class_names(),
            data::fashion_mnist_class_names());
  EXPECT_EQ(data::MnistDataset(marked, data::Split::kTrain).class_names()[9], "Ankle boot");
  EXPECT_TRUE(data::is_fashion_mnist_dir(data::kDebianFashionMnistDir));
  EXPECT_FALSE(data::is_fashion_mnist_dir(plain));
  const data::MnistDataset emnist(wide, data::Split::kTrain);
  EXPECT_EQ(emnist.num_classes(), 47) << "K = max(10, largest label + 1)";
  const data::MnistDataset named(plain, data::Split::kTrain, 0, {"cat", "dog"});
  EXPECT_EQ(named.class_names(), (std::vector<std::string>{"cat", "dog"}));
  EXPECT_THROW_WITH(data::MnistDataset(wide, data::Split::kTrain, 0, {"cat", "dog"}), IoError,
                    "wide/train-labels-idx1-ubyte' holds label 46 at index 1; expected labels in "
                    "[0, 2) (2 class names)");
}

TEST(DataMnist, FindsEmnistStyleNamesAndRefusesAmbiguousFolders) {
  TempDir dir;
  write_split(dir.path(), "emnist-digits-", "train", {1, 2, 3}, true);
  write_split(dir.path(), "emnist-digits-", "test", {4}, true);
  EXPECT_EQ(data::MnistDataset(dir.path(), data::Split::kTrain).size(), 3);
  EXPECT_EQ(data::MnistDataset(dir.path(), data::Split::kTest).label(0), 4);
  write_split(dir.path(), "emnist-letters-", "train", {1}, true);
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "holds several train-images-idx3-ubyte files "
                    "(emnist-digits-train-images-idx3-ubyte.gz, "
                    "emnist-letters-train-images-idx3-ubyte.gz); expected one");
}

TEST(DataMnist, RejectsMissingAndLyingFilesNamingThem) {
  TempDir dir;
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "MnistDataset: no 'train-images-idx3-ubyte' or 'train-images-idx3-ubyte.gz' "
                    "in '" +
                        dir.path() + "'");
  EXPECT_THROW_WITH(data::MnistDataset(dir.path() + "/nope", data::Split::kTrain), IoError,
                    "/nope' is not a folder (expected a folder of IDX files)");
  write_bytes(dir.path() + "/train-images-idx3-ubyte", idx_bytes({2, 3, 4}, pixels(2)));
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "MnistDataset: no 'train-labels-idx1-ubyte' or 'train-labels-idx1-ubyte.gz'");
  write_bytes(dir.path() + "/train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "train-images-idx3-ubyte' holds 2 images but '" + dir.path() +
                        "/train-labels-idx1-ubyte' holds 3 labels");
  write_bytes(dir.path() + "/train-labels-idx1-ubyte", idx_bytes({2, 1}, {1, 2}));
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "train-labels-idx1-ubyte' has magic 0x802 (rank 2) but rank 1 was expected");
  write_bytes(dir.path() + "/train-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
  write_bytes(dir.path() + "/train-images-idx3-ubyte", idx_bytes({2, 3, 4}, pixels(1)));
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "train-images-idx3-ubyte' is truncated: expected 24 payload bytes for shape "
                    "[2, 3, 4], got 12");
  write_bytes(dir.path() + "/train-images-idx3-ubyte", idx_bytes({2, 0, 4}, {}));
  EXPECT_THROW_WITH(data::MnistDataset(dir.path(), data::Split::kTrain), IoError,
                    "holds images of size 0x4");
}

TEST(DataMnist, ReadsDebiansFashionMnistTestSet) {
  if (!std::filesystem::exists(data::kDebianFashionMnistDir))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed (tools/setup.sh installs it)";
  const data::MnistDataset test(data::kDebianFashionMnistDir, data::Split::kTest);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(test.image_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(test.class_names()[0], "T-shirt/top");
  EXPECT_EQ(test.label(0), 9);  // the first test image is an ankle boot
}

TEST(DataResolveDataDir, MapsNamesAndFolders) {
  TempDir dir;
  if (std::filesystem::exists(std::string(data::kDebianFashionMnistDir) +
                              "/train-images-idx3-ubyte.gz")) {
    EXPECT_EQ(data::resolve_data_dir("fashion-mnist"), data::kDebianFashionMnistDir);
    EXPECT_EQ(data::resolve_data_dir("Fashion-MNIST"), data::kDebianFashionMnistDir);
  } else {
    EXPECT_THROW_WITH(data::resolve_data_dir("fashion-mnist"), IoError,
                      "apt-get install dataset-fashion-mnist");
  }
  EXPECT_THROW_WITH(data::resolve_data_dir("mnist"), IoError,
                    "resolve_data_dir: 'mnist' is not packaged for Debian: download its four IDX "
                    "files");
  EXPECT_THROW_WITH(data::resolve_data_dir("kmnist"), IoError, "'kmnist' is not packaged");
  EXPECT_THROW_WITH(data::resolve_data_dir("emnist"), IoError, "'emnist' is not packaged");
  EXPECT_THROW_WITH(data::resolve_data_dir(dir.path()), IoError,
                    "resolve_data_dir: folder '" + dir.path() + "' holds no IDX files");
  write_split(dir.path(), "", "t10k", {1}, true);
  EXPECT_EQ(data::resolve_data_dir(dir.path()), dir.path());
  EXPECT_THROW_WITH(data::resolve_data_dir(dir.path() + "/t10k-labels-idx1-ubyte.gz"), IoError,
                    "t10k-labels-idx1-ubyte.gz' is a file; expected a folder of IDX files");
  EXPECT_THROW_WITH(data::resolve_data_dir("cifar-11"), IoError,
                    "resolve_data_dir: 'cifar-11' is neither a folder nor a known dataset "
                    "(fashion-mnist; mnist, kmnist and emnist need a folder of IDX files)");
}

}  // namespace
}  // namespace cnnlab
