// ImageFolderDataset: a folder with one sub-folder of images per class, as torchvision's
// ImageFolder: root/cat/001.png, root/dog/xyz.jpg, ... The sorted sub-folder names are the
// classes. Files are validated when the dataset is built and decoded on every get().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/data/dataset.hpp"
#include "cnnlab/tensor/shape.hpp"

namespace cnnlab::data {

/// Image files under root/<class>/ (sub-folders of a class folder included, in sorted order).
///
/// get(i) -> image (channels, H, W) float32 in [0, 1]: the file through io::read_image with
/// `channels` (1 gray, 3 RGB, ...), resized to image_size with io::resize_image (bilinear,
/// antialiased) unless already that size; label = the index of its class folder.
/// Memory: only the file list is held; each get() reads and decodes its file (so an epoch reads
/// every file once; the DataLoader's prefetch thread hides that time behind training).
/// Skipped: entries whose name starts with '.', and files directly in root (not in a class).
class ImageFolderDataset final : public Dataset {
 public:
  /// Extensions taken as images (compared case-insensitively).
  static const std::vector<std::string>& image_extensions();

  /// Lists and checks every file: each must have an image extension (.png, .jpg, .jpeg, .bmp,
  /// .gif, .tga, .pgm, .ppm, .pnm) and a header stb can read (io::read_image_info). Throws
  /// IoError naming root if it is not a folder or has no class folders, naming a class folder
  /// that holds no images, or naming the first file that is not an image; ShapeError if
  /// image_size is not positive; ValueError if channels is not in [1, 4].
  ImageFolderDataset(const std::string& root, Size2 image_size, int64_t channels = 3);

  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  /// Throws IoError naming the file if it no longer decodes.
  Example get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  Shape image_shape() const override { return {channels_, size_.h, size_.w}; }
  int64_t num_classes() const override { return static_cast<int64_t>(classes_.size()); }
  std::vector<std::string> class_names() const override { return classes_; }

  /// The file behind example i.
  const std::string& path(int64_t index) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  Size2 size_;
  int64_t channels_ = 3;
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
};

}  // namespace cnnlab::data
