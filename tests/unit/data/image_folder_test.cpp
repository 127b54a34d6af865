// ImageFolderDataset on a generated folder of PNGs: classes, order, resizing, channels, skipped
// entries, and every bad-folder error.
#include "cnnlab/data/image_folder.hpp"

#include <gtest/gtest.h>

#include "cnnlab/core/error.hpp"
#include "cnnlab/io/image.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"
#include "unit/data/test_files.hpp"

namespace cnnlab {
namespace {

using testing::TempDir;

void png(const TempDir& dir, const std::string& name, int64_t c, int64_t h, int64_t w,
         double value) {
  io::write_png(dir.file(name), Tensor::full({c, h, w}, value));
}

TEST(DataImageFolder, ListsClassesAndFilesInSortedOrder) {
  TempDir dir;
  png(dir, "dog/b.png", 3, 8, 8, 0.2);
  png(dir, "dog/a.png", 3, 8, 8, 0.4);
  png(dir, "cat/z.png", 3, 4, 6, 1.0);
  png(dir, "cat/sub/y.PNG", 1, 8, 8, 0.6);  // nested, upper-case extension, gray
  testing::write_bytes(dir.file("cat/.DS_Store"), std::string("junk"));
  testing::write_bytes(dir.file("README.txt"), std::string("files in root are ignored"));
  std::filesystem::create_directories(dir.path() + "/.hidden_class");
  const data::ImageFolderDataset d(dir.path(), {8, 8}, 3);
  EXPECT_EQ(d.class_names(), (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(d.size(), 4);
  EXPECT_EQ(d.image_shape(), (Shape{3, 8, 8}));
  EXPECT_EQ(std::filesystem::path(d.path(0)).filename(), "y.PNG");  // "sub/y" < "z"
  EXPECT_EQ(std::filesystem::path(d.path(1)).filename(), "z.png");
  EXPECT_EQ(std::filesystem::path(d.path(2)).filename(), "a.png");
  EXPECT_EQ(d.label(0), 0);
  EXPECT_EQ(d.label(3), 1);
  const data::Example gray = d.get(0);  // gray file read as RGB
  EXPECT_EQ(gray.image.shape(), (Shape{3, 8, 8}));
  EXPECT_TENSOR_NEAR(gray.image, Tensor::full({3, 8, 8}, 153.0 / 255.0), 0, 1e-6);
  const data::Example resized = d.get(1);  // 4x6 -> 8x8
  EXPECT_EQ(resized.image.shape(), (Shape{3, 8, 8}));
  EXPECT_TENSOR_NEAR(resized.image, Tensor::ones({3, 8, 8}), 0, 1e-6);
  EXPECT_EQ(d.get(3).label, 1);
  EXPECT_TENSOR_NEAR(d.get(3).image, Tensor::full({3, 8, 8}, 51.0 / 255.0), 0, 1e-6);
  const data::ImageFolderDataset g(dir.path(), {5, 4}, 1);
  EXPECT_EQ(g.get(2).image.shape(), (Shape{1, 5, 4}));
  EXPECT_THROW_WITH(d.get(4), ValueError, "ImageFolderDataset::get: expected index in [0, 4)");
}

TEST(DataImageFolder, RejectsEmptyFoldersAndNonImagesNamingThem) {
  TempDir dir;
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path(), {8, 8}), IoError,
                    "ImageFolderDataset: '" + dir.path() + "' holds no class folders");
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path() + "/missing", {8, 8}), IoError,
                    "/missing' is not a folder (expected one sub-folder of images per class)");
  std::filesystem::create_directories(dir.path() + "/empty");
  png(dir, "full/a.png", 1, 2, 2, 0.5);
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path(), {8, 8}), IoError,
                    "class folder '" + dir.path() + "/empty' holds no images");
  std::filesystem::remove(dir.path() + "/empty");
  testing::write_bytes(dir.file("full/notes.txt"), std::string("hello"));
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path(), {8, 8}), IoError,
                    "ImageFolderDataset: '" + dir.path() +
                        "/full/notes.txt' is not an image file (expected .png, .jpg");
  std::filesystem::remove(dir.path() + "/full/notes.txt");
  testing::write_bytes(dir.file("full/fake.jpg"), std::string("not really a JPEG at all"));
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path(), {8, 8}), IoError,
                    "read_image: '" + dir.path() + "/full/fake.jpg' is not an image");
  std::filesystem::remove(dir.path() + "/full/fake.jpg");
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path(), {0, 8}), ShapeError,
                    "expected a positive image size, got 0x8");
  EXPECT_THROW_WITH(data::ImageFolderDataset(dir.path(), {8, 8}, 5), ValueError,
                    "expected channels in [1, 4] (1 gray, 3 RGB), got 5");
  const data::ImageFolderDataset ok(dir.path(), {2, 2}, 1);
  // a file that breaks after the dataset was built fails in get(), naming it
  testing::write_bytes(dir.file("full/a.png"), std::string("gone"));
  EXPECT_THROW_WITH(ok.get(0), IoError, "full/a.png' is not an image");
}

}  // namespace
}  // namespace cnnlab
