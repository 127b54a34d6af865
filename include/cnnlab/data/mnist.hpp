// The MNIST family (MNIST, Fashion-MNIST, KMNIST, ...): four IDX files in one folder.
#pragma once

#include <string>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::data {

enum class Split { kTrain, kTest };

/// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST.
inline constexpr const char* kDebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Images and labels of one split, fully in memory.
struct Mnist {
  /// Reads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte, with or without ".gz". `limit` > 0
  /// keeps only the first `limit` examples. Throws IoError naming the file that is missing,
  /// malformed, or whose count disagrees with the other file.
  Mnist(const std::string& dir, Split split, int64_t limit = 0);

  Tensor images;  ///< (N, 1, H, W) float32 in [0, 1]
  Tensor labels;  ///< (N) int64
  int64_t size() const { return labels.numel(); }
};

}  // namespace cnnlab::data
