// CIFAR-10 and CIFAR-100 in their "binary version" (https://www.cs.toronto.edu/~kriz/cifar.html):
// fixed-size records of label byte(s) then 3 x 32 x 32 pixel bytes (the red plane, then green,
// then blue, each row-major), held once in memory as bytes (CIFAR-10's training set: 154 MB).
//
//   CIFAR-10:  data_batch_1.bin .. data_batch_5.bin (train), test_batch.bin (test);
//              record = 1 label byte + 3072 pixel bytes = 3073 bytes; names in batches.meta.txt.
//   CIFAR-100: train.bin, test.bin; record = coarse label, fine label, 3072 pixels = 3074 bytes;
//              names in fine_label_names.txt / coarse_label_names.txt.
// The folder may be the one holding these files or its parent (holding cifar-10-batches-bin/ or
// cifar-100-binary/, as the archives unpack).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/data/dataset.hpp"

namespace cnnlab::data {

/// The standard CIFAR-10 class names ("airplane", "automobile", ..., "truck").
const std::vector<std::string>& cifar10_class_names();
/// The standard CIFAR-100 fine (100: "apple", ..., "worm") and coarse (20) class names.
const std::vector<std::string>& cifar100_fine_class_names();
const std::vector<std::string>& cifar100_coarse_class_names();

/// Shared implementation of the two CIFAR datasets: get(i) -> image (3, 32, 32) float32 =
/// byte / 255, label.
class CifarDataset : public Dataset {
 public:
  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Example get(int64_t index) const override;
  int64_t label(int64_t index) const override;
  Shape image_shape() const override { return {3, 32, 32}; }
  int64_t num_classes() const override { return static_cast<int64_t>(names_.size()); }
  std::vector<std::string> class_names() const override { return names_; }
  /// The folder the files were read from (after descending into the archive's folder).
  const std::string& dir() const { return dir_; }

 protected:
  /// Reads `files` (in order) from dir. Each file's size must be a positive multiple of the
  /// record size (label_bytes + 3072), checked for every file before anything is allocated; the
  /// label used is byte label_byte of each record and must be < names.size(). limit > 0 keeps
  /// the first `limit` records. Throws IoError naming the file.
  CifarDataset(const std::string& who, const std::string& dir,
               const std::vector<std::string>& files, int64_t label_bytes, int64_t label_byte,
               std::vector<std::string> names, int64_t limit);

 private:
  std::string dir_;
  std::vector<uint8_t> pixels_;  ///< size() * 3072 bytes
  std::vector<uint8_t> labels_;
  std::vector<std::string> names_;
};

class Cifar10Dataset final : public CifarDataset {
 public:
  /// Class names from batches.meta.txt (one per line, blank lines ignored) when the folder has
  /// it, else cifar10_class_names(). `limit` > 0 keeps the first `limit` examples.
  /// Throws IoError naming the file: missing, empty, size not a multiple of 3073 bytes, a label
  /// >= 10, or a batches.meta.txt without exactly 10 names; ValueError if limit < 0.
  Cifar10Dataset(const std::string& dir, Split split, int64_t limit = 0);
};

class Cifar100Dataset final : public CifarDataset {
 public:
  /// fine = true: the 100 fine labels (names from fine_label_names.txt if present); false: the
  /// 20 coarse labels (coarse_label_names.txt). `limit` > 0 keeps the first `limit` examples.
  /// Throws IoError naming the file: missing, empty, size not a multiple of 3074 bytes, a label
  /// out of range, or a names file with the wrong count; ValueError if limit < 0.
  Cifar100Dataset(const std::string& dir, Split split, bool fine = true, int64_t limit = 0);
};

/// Which CIFAR a folder holds (or its cifar-10-batches-bin/ or cifar-100-binary/ sub-folder):
/// 10, 100, or 0 for neither. Used to recognise a --data folder.
int cifar_version(const std::string& dir);

}  // namespace cnnlab::data
