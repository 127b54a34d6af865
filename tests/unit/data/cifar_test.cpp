// CIFAR-10/100 binary readers on tiny generated batch files: values, labels, class names from the
// archive's text files, the archive sub-folder, and every bad-file error.
#include "cnnlab/data/cifar.hpp"

#include <gtest/gtest.h>

#include "cnnlab/core/error.hpp"
#include "cnnlab/train/trainer.hpp"
#include "support/expect_throw_with.hpp"
#include "unit/data/test_files.hpp"

namespace cnnlab {
namespace {

using testing::cifar_record;
using testing::TempDir;
using testing::write_bytes;

// data_batch_b.bin holds 2 records with labels (2b - 2, 2b - 1) % 10 and pixel seed 10b + r;
// test_batch.bin holds 3 records with labels 7, 8, 9.
void write_cifar10(const std::string& dir) {
  for (int b = 1; b <= 5; ++b) {
    std::string bytes;
    for (int r = 0; r < 2; ++r)
      bytes += cifar_record({static_cast<uint8_t>((2 * b - 2 + r) % 10)},
                            static_cast<uint8_t>(10 * b + r));
    write_bytes(dir + "/data_batch_" + std::to_string(b) + ".bin", bytes);
  }
  write_bytes(dir + "/test_batch.bin",
              cifar_record({7}, 0) + cifar_record({8}, 1) + cifar_record({9}, 2));
}

TEST(DataCifar10, ReadsEveryBatchInOrder) {
  TempDir dir;
  write_cifar10(dir.path());
  const data::Cifar10Dataset train(dir.path(), data::Split::kTrain);
  EXPECT_EQ(train.size(), 10);
  EXPECT_EQ(train.image_shape(), (Shape{3, 32, 32}));
  EXPECT_EQ(train.num_classes(), 10);
  EXPECT_EQ(train.class_names(), data::cifar10_class_names());
  EXPECT_EQ(train.class_names()[0], "airplane");
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(train.label(i), i);
  // record 5 = batch 3, record 1: pixel seed 31; pixel k = (31 + k) % 256, red plane first
  const data::Example ex = train.get(5);
  EXPECT_EQ(ex.label, 5);
  EXPECT_FLOAT_EQ(static_cast<float>(ex.image.at({0, 0, 0})), 31.0f / 255.0f);
  EXPECT_FLOAT_EQ(static_cast<float>(ex.image.at({0, 0, 1})), 32.0f / 255.0f);
  EXPECT_FLOAT_EQ(static_cast<float>(ex.image.at({1, 0, 0})), ((31 + 1024) % 256) / 255.0f);
  EXPECT_FLOAT_EQ(static_cast<float>(ex.image.at({2, 31, 31})), ((31 + 3071) % 256) / 255.0f);
  const data::Cifar10Dataset test(dir.path(), data::Split::kTest);
  EXPECT_EQ(test.size(), 3);
  EXPECT_EQ(test.label(2), 9);
  EXPECT_EQ(data::Cifar10Dataset(dir.path(), data::Split::kTrain, 3).size(), 3);
  EXPECT_THROW_WITH(test.get(3), ValueError, "CifarDataset::get: expected index in [0, 3), got 3");
  EXPECT_EQ(data::cifar_version(dir.path()), 10);
}

// What `cnnlab train --data DIR` opens: a folder of CIFAR-10 binaries (it once failed because
// the IDX check came first).
TEST(DataCifar10, OpenDataRecognizesAFolderOfBinaries) {
  TempDir dir;
  write_cifar10(dir.path());
  const train::DataPair d = train::open_data(dir.path(), 4, 0);
  EXPECT_EQ(d.train->size(), 4);
  EXPECT_EQ(d.test->size(), 3);
  EXPECT_EQ(d.train->image_shape(), (Shape{3, 32, 32}));
  EXPECT_EQ(d.test->class_names()[9], "truck");
}

TEST(DataCifar10, ReadsNamesAndTheArchiveFolder) {
  TempDir dir;
  const std::string inner = dir.path() + "/cifar-10-batches-bin";
  std::filesystem::create_directory(inner);
  write_cifar10(inner);
  write_bytes(inner + "/batches.meta.txt",
              std::string("a\nb\nc\nd\ne\nf\ng\nh\ni\nj with space \r\n\n"));
  const data::Cifar10Dataset d(dir.path(), data::Split::kTest);
  EXPECT_EQ(d.dir(), inner);
  EXPECT_EQ(d.class_names().back(), "j with space");
  EXPECT_EQ(data::cifar_version(dir.path()), 10);
  write_bytes(inner + "/batches.meta.txt", std::string("a\nb\n"));
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTest), IoError,
                    "Cifar10Dataset: '" + inner +
                        "/batches.meta.txt' holds 2 class names; expected 10 (one per line)");
}

TEST(DataCifar10, RejectsMissingTruncatedAndLyingFilesNamingThem) {
  TempDir dir;
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTrain), IoError,
                    "Cifar10Dataset: no 'data_batch_1.bin' in '" + dir.path() +
                        "' (expected the files data_batch_1.bin .. data_batch_5.bin)");
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTest), IoError,
                    "no 'test_batch.bin' in '" + dir.path() + "' (expected test_batch.bin)");
  write_cifar10(dir.path());
  const std::string last = dir.path() + "/data_batch_5.bin";
  write_bytes(last, cifar_record({1}, 0) + std::string(100, 'x'));
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTrain), IoError,
                    "Cifar10Dataset: '" + last +
                        "' is 3173 bytes; expected a positive multiple of the 3073-byte record "
                        "(1 label byte + 3072 pixels): truncated or not a CIFAR binary file");
  write_bytes(last, std::string());
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTrain), IoError,
                    "data_batch_5.bin' is 0 bytes");
  write_bytes(last, cifar_record({1}, 0) + cifar_record({10}, 0));
  EXPECT_THROW_WITH(
      data::Cifar10Dataset(dir.path(), data::Split::kTrain), IoError,
      "Cifar10Dataset: '" + last + "' holds label 10 in record 1; expected labels in [0, 10)");
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTest, -2), ValueError,
                    "expected limit >= 0 (0 = all), got -2");
  // a CIFAR-100 file where CIFAR-10 is expected: 3074-byte records are not 3073-byte ones
  write_bytes(dir.path() + "/test_batch.bin", cifar_record({1, 2}, 0) + cifar_record({1, 2}, 0));
  EXPECT_THROW_WITH(data::Cifar10Dataset(dir.path(), data::Split::kTest), IoError,
                    "test_batch.bin' is 6148 bytes; expected a positive multiple of the 3073-byte");
}

TEST(DataCifar100, ReadsFineAndCoarseLabels) {
  TempDir dir;
  write_bytes(dir.path() + "/train.bin", cifar_record({19, 99}, 5) + cifar_record({0, 4}, 6));
  write_bytes(dir.path() + "/test.bin", cifar_record({3, 30}, 7));
  const data::Cifar100Dataset fine(dir.path(), data::Split::kTrain);
  EXPECT_EQ(fine.size(), 2);
  EXPECT_EQ(fine.num_classes(), 100);
  EXPECT_EQ(fine.label(0), 99);
  EXPECT_EQ(fine.class_names()[99], "worm");
  EXPECT_FLOAT_EQ(static_cast<float>(fine.get(1).image.at({0, 0, 0})), 6.0f / 255.0f);
  const data::Cifar100Dataset coarse(dir.path(), data::Split::kTrain, false);
  EXPECT_EQ(coarse.num_classes(), 20);
  EXPECT_EQ(coarse.label(0), 19);
  EXPECT_EQ(coarse.class_names()[19], "vehicles_2");
  EXPECT_EQ(data::Cifar100Dataset(dir.path(), data::Split::kTest).label(0), 30);
  EXPECT_EQ(data::cifar100_fine_class_names().size(), 100u);
  EXPECT_EQ(data::cifar100_coarse_class_names().size(), 20u);
  EXPECT_EQ(data::cifar_version(dir.path()), 100);
  EXPECT_EQ(data::cifar_version(dir.path() + "/nowhere"), 0);
}

TEST(DataCifar100, ReadsNameFilesAndRejectsBadFiles) {
  TempDir dir;
  const std::string inner = dir.path() + "/cifar-100-binary";
  std::filesystem::create_directory(inner);
  write_bytes(inner + "/test.bin", cifar_record({1, 20}, 0));
  std::string coarse;
  for (int c = 0; c < 20; ++c) coarse += "coarse" + std::to_string(c) + "\n";
  write_bytes(inner + "/coarse_label_names.txt", coarse);
  EXPECT_EQ(data::Cifar100Dataset(dir.path(), data::Split::kTest, false).class_names()[1],
            "coarse1");
  write_bytes(inner + "/fine_label_names.txt", std::string("apple\n"));
  EXPECT_THROW_WITH(data::Cifar100Dataset(dir.path(), data::Split::kTest), IoError,
                    "fine_label_names.txt' holds 1 class names; expected 100");
  std::filesystem::remove(inner + "/fine_label_names.txt");
  write_bytes(inner + "/test.bin", cifar_record({1, 100}, 0));
  EXPECT_THROW_WITH(data::Cifar100Dataset(dir.path(), data::Split::kTest), IoError,
                    "Cifar100Dataset: '" + inner +
                        "/test.bin' holds label 100 in record 0; expected labels in [0, 100)");
  write_bytes(inner + "/test.bin", cifar_record({20, 1}, 0));
  EXPECT_THROW_WITH(data::Cifar100Dataset(dir.path(), data::Split::kTest, false), IoError,
                    "holds label 20 in record 0; expected labels in [0, 20)");
  write_bytes(inner + "/test.bin", cifar_record({7}, 0));  // a CIFAR-10 record: 3073 bytes
  EXPECT_THROW_WITH(data::Cifar100Dataset(dir.path(), data::Split::kTest), IoError,
                    "test.bin' is 3073 bytes; expected a positive multiple of the 3074-byte "
                    "record (2 label bytes + 3072 pixels)");
  EXPECT_THROW_WITH(data::Cifar100Dataset(dir.path(), data::Split::kTrain), IoError,
                    "Cifar100Dataset: no 'train.bin' in '" + dir.path() + "' (expected train.bin)");
}

}  // namespace
}  // namespace cnnlab
