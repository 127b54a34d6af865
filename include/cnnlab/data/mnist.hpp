// The MNIST family (MNIST, Fashion-MNIST, KMNIST, EMNIST): four IDX files in one folder, raw or
// gzipped. MnistDataset keeps the pixels as bytes (the 60000-image training set is 47 MB) and
// converts one image to float in get(); resolve_data_dir() turns a --data value into a folder.
//
// Files looked for in DIR (first match wins, ".gz" optional):
//   train: [PREFIX]train-images-idx3-ubyte, [PREFIX]train-labels-idx1-ubyte
//   test:  [PREFIX]t10k-images-idx3-ubyte or [PREFIX]test-images-idx3-ubyte, and the labels
// where PREFIX is empty (MNIST, Fashion-MNIST, KMNIST) or e.g. "emnist-balanced-" (EMNIST's
// names); a folder holding several prefixes is ambiguous and refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/data/dataset.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::data {

/// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST.
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST's 10 class names, in label order ("T-shirt/top", "Trouser", ..., "Ankle boot"),
/// as torchvision.datasets.FashionMNIST.classes.
const std::vector<std::string>& fashion_mnist_class_names();

/// True when `dir` is Fashion-MNIST by the naming rule: it is Debian's kDebianFashionMnistDir
/// (compared after resolving links), or its own name or the name of a file in it contains
/// "fashion" (case-insensitive).
bool is_fashion_mnist_dir(const std::string& dir);

/// Turns a data argument into a folder of IDX files:
///   "fashion-mnist"            -> kDebianFashionMnistDir; IoError telling the user to
///                                 `apt-get install dataset-fashion-mnist` if it holds no files;
///   "mnist", "kmnist", "emnist" -> IoError: not packaged, download the IDX files into a folder
///                                 and pass the folder;
///   a folder                   -> itself if it holds an images IDX file (see the file comment),
///                                 else IoError naming it;
///   anything else              -> IoError naming it and the known names.
std::string resolve_data_dir(const std::string& name_or_dir);

/// One split of an MNIST-format dataset, held once in memory as bytes.
///
/// get(i) -> image (1, H, W) float32 = byte / 255 (H = W = 28 for the whole family), label.
/// Class names: `class_names` if given (labels must then be < its size); else Fashion-MNIST's
/// names when is_fashion_mnist_dir(dir); else "0", "1", ..., "K-1" with K = max(10, largest
/// label + 1) (so MNIST and KMNIST get "0".."9", EMNIST's 47 or 62 classes get numbers).
// NOTE: EMNIST stores its images transposed (column-major); they are used as stored.
class MnistDataset final : public Dataset {
 public:
  /// `limit` > 0 keeps only the first `limit` examples. Throws IoError naming the file that is
  /// missing, malformed (see io::read_idx), not (N, H, W) / (N), whose count disagrees with the
  /// other file, or that holds a label outside the class names; ValueError if limit < 0.
  MnistDataset(const std::string& dir, Split split, int64_t limit = 0,
               std::vector<std::string> class_names = {});

  int64_t size() const override { return size_; }
  Example get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  Shape image_shape() const override { return {1, height_, width_}; }
  int64_t num_classes() const override { return static_cast<int64_t>(names_.size()); }
  std::vector<std::string> class_names() const override { return names_; }

  const std::string& images_path() const { return images_path_; }
  const std::string& labels_path() const { return labels_path_; }
  /// Every image as (N, 1, H, W) float32 in [0, 1] (allocates 4 bytes per pixel: use it for
  /// small subsets, or get() per example).
  Tensor images_tensor() const;
  /// Every label as (N) int64.
  Tensor labels_tensor() const;

 private:
  std::string images_path_, labels_path_;
  int64_t size_ = 0, height_ = 0, width_ = 0;
  std::vector<uint8_t> pixels_;  ///< size_ * height_ * width_ bytes
  std::vector<uint8_t> labels_;
  std::vector<std::string> names_;
};

/// Images and labels of one split as float tensors, fully in memory (4 bytes per pixel; the
/// DataLoader-based code uses MnistDataset instead).
struct Mnist {
  /// Reads the split as MnistDataset does; `limit` > 0 keeps only the first `limit` examples.
  /// Throws IoError naming the file that is missing, malformed, or whose count disagrees with
  /// the other file.
  Mnist(const std::string& dir, Split split, int64_t limit = 0);

  Tensor images;  ///< (N, 1, H, W) float32 in [0, 1]
  Tensor labels;  ///< (N) int64
  int64_t size() const { return labels.numel(); }
};

}  // namespace cnnlab::data
