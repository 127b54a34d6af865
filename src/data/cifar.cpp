// CIFAR-10/100 binary readers: check every file's size against the record size, allocate once,
// read the records, validate the labels; class names from the archive's text files.
#include "cnnlab/data/cifar.hpp"

#include <filesystem>
#include <fstream>

#include "cnnlab/core/check.hpp"

namespace fs = std::filesystem;

namespace cnnlab::data {
namespace {

constexpr int64_t kPixels = 3 * 32 * 32;

std::vector<std::string> cifar10_files(Split split) {
  if (split == Split::kTest) return {"test_batch.bin"};
  return {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
          "data_batch_5.bin"};
}

std::vector<std::string> cifar100_files(Split split) {
  return {split == Split::kTrain ? "train.bin" : "test.bin"};
}

// dir itself if it holds `probe`, else its archive sub-folder if that does, else dir.
std::string locate(const std::string& dir, const std::string& sub, const std::string& probe) {
  std::error_code ec;
  if (fs::exists(fs::path(dir) / probe, ec)) return dir;
  const fs::path nested = fs::path(dir) / sub;
  if (fs::exists(nested / probe, ec)) return nested.string();
  return dir;
}

// The names in a one-name-per-line file, or `fallback` if the file does not exist.
std::vector<std::string> read_names(const std::string& who, const fs::path& path,
                                    const std::vector<std::string>& fallback) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return fallback;
  std::ifstream in(path);
  CNNLAB_CHECK(in.good(), IoError, who, ": cannot open '", path.string(), "'");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const size_t e = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(b, e - b + 1));
  }
  CNNLAB_CHECK(names.size() == fallback.size(), IoError, who, ": '", path.string(), "' holds ",
               names.size(), " class names; expected ", fallback.size(), " (one per line)");
  return names;
}

}  // namespace

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

const std::vector<std::string>& cifar100_fine_class_names() {
  static const std::vector<std::string> names = {
      "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
      "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
      "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
      "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
      "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
      "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
      "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
      "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
      "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
      "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
      "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
      "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
      "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
      "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
      "table",       "tank",          "telephone", "television", "tiger",        "tractor",
      "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
      "willow_tree", "wolf",          "woman",     "worm"};
  return names;
}

const std::vector<std::string>& cifar100_coarse_class_names() {
  static const std::vector<std::string> names = {"aquatic_mammals",
                                                 "fish",
                                                 "flowers",
                                                 "food_containers",
                                                 "fruit_and_vegetables",
                                                 "household_electrical_devices",
                                                 "household_furniture",
                                                 "insects",
                                                 "large_carnivores",
                                                 "large_man-made_outdoor_things",
                                                 "large_natural_outdoor_scenes",
                                                 "large_omnivores_and_herbivores",
                                                 "medium_mammals",
                                                 "non-insect_invertebrates",
                                                 "people",
                                                 "reptiles",
                                                 "small_mammals",
                                                 "trees",
                                                 "vehicles_1",
                                                 "vehicles_2"};
  return names;
}

CifarDataset::CifarDataset(const std::string& who, const std::string& dir,
                           const std::vector<std::string>& files, int64_t label_bytes,
                           int64_t label_byte, std::vector<std::string> names, int64_t limit)
    : dir_(dir), names_(std::move(names)) {
  CNNLAB_CHECK(limit >= 0, ValueError, who, ": expected limit >= 0 (0 = all), got ", limit);
  const int64_t record = label_bytes + kPixels;
  // Every file's size first: a truncated last batch fails before 150 MB are read.
  std::vector<std::string> paths;
  std::vector<int64_t> records;
  int64_t total = 0;
  for (const std::string& name : files) {
    const std::string path = (fs::path(dir) / name).string();
    std::error_code ec;
    CNNLAB_CHECK(fs::is_regular_file(path, ec), IoError, who, ": no '", name, "' in '", dir,
                 "' (expected ", files.size() == 1 ? "" : "the files ", files.front(),
                 files.size() == 1 ? "" : " .. " + files.back(), ")");
    const auto bytes = static_cast<int64_t>(fs::file_size(path, ec));
    CNNLAB_CHECK(!ec, IoError, who, ": cannot stat '", path, "': ", ec.message());
    CNNLAB_CHECK(bytes > 0 && bytes % record == 0, IoError, who, ": '", path, "' is ", bytes,
                 " bytes; expected a positive multiple of the ", record, "-byte record (",
                 label_bytes, " label byte", label_bytes == 1 ? "" : "s",
                 " + 3072 pixels): truncated or not a CIFAR binary file");
    paths.push_back(path);
    records.push_back(bytes / record);
    total += bytes / record;
  }
  const int64_t n = limit > 0 ? std::min(limit, total) : total;
  pixels_.resize(static_cast<size_t>(n * kPixels));
  labels_.resize(static_cast<size_t>(n));
  std::vector<char> head(static_cast<size_t>(label_bytes));
  int64_t at = 0;
  for (size_t f = 0; f < paths.size() && at < n; ++f) {
    std::ifstream in(paths[f], std::ios::binary);
    CNNLAB_CHECK(in.good(), IoError, who, ": cannot open '", paths[f], "'");
    for (int64_t r = 0; r < records[f] && at < n; ++r, ++at) {
      in.read(head.data(), label_bytes);
      in.read(reinterpret_cast<char*>(pixels_.data() + at * kPixels), kPixels);
      CNNLAB_CHECK(in.good(), IoError, who, ": error reading record ", r, " of '", paths[f], "'");
      const auto lab = static_cast<uint8_t>(head[static_cast<size_t>(label_byte)]);
      CNNLAB_CHECK(lab < names_.size(), IoError, who, ": '", paths[f], "' holds label ", int{lab},
                   " in record ", r, "; expected labels in [0, ", names_.size(), ")");
      labels_[static_cast<size_t>(at)] = lab;
    }
  }
}

Example CifarDataset::get(int64_t index) const {
  check_index("CifarDataset::get", index, size());
  return {bytes_to_image(pixels_.data() + index * kPixels, 3, 32, 32),
          labels_[static_cast<size_t>(index)]};
}

int64_t CifarDataset::label(int64_t index) const {
  check_index("CifarDataset::label", index, size());
  return labels_[static_cast<size_t>(index)];
}

Cifar10Dataset::Cifar10Dataset(const std::string& dir, Split split, int64_t limit)
    : CifarDataset(
          "Cifar10Dataset", locate(dir, "cifar-10-batches-bin", cifar10_files(split)[0]),
          cifar10_files(split), 1, 0,
          read_names("Cifar10Dataset",
                     fs::path(locate(dir, "cifar-10-batches-bin", cifar10_files(split)[0])) /
                         "batches.meta.txt",
                     cifar10_class_names()),
          limit) {}

Cifar100Dataset::Cifar100Dataset(const std::string& dir, Split split, bool fine, int64_t limit)
    : CifarDataset("Cifar100Dataset", locate(dir, "cifar-100-binary", cifar100_files(split)[0]),
                   cifar100_files(split), 2, fine ? 1 : 0,
                   read_names("Cifar100Dataset",
                              fs::path(locate(dir, "cifar-100-binary", cifar100_files(split)[0])) /
                                  (fine ? "fine_label_names.txt" : "coarse_label_names.txt"),
                              fine ? cifar100_fine_class_names() : cifar100_coarse_class_names()),
                   limit) {}

int cifar_version(const std::string& dir) {
  std::error_code ec;
  for (const fs::path& d : {fs::path(dir), fs::path(dir) / "cifar-10-batches-bin"}) {
    if (fs::exists(d / "data_batch_1.bin", ec) || fs::exists(d / "test_batch.bin", ec)) return 10;
  }
  for (const fs::path& d : {fs::path(dir), fs::path(dir) / "cifar-100-binary"}) {
    if (fs::exists(d / "train.bin", ec) || fs::exists(d / "test.bin", ec)) return 100;
  }
  return 0;
}

}  // namespace cnnlab::data
