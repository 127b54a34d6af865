// MNIST-format datasets: find the split's two IDX files, read them once as bytes, name the
// classes; resolve_data_dir() for --data values.
#include "cnnlab/data/mnist.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "cnnlab/core/check.hpp"
#include "cnnlab/io/idx.hpp"
#include "detail/strings.hpp"

namespace fs = std::filesystem;

namespace cnnlab::data {

using detail::lower;
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct SplitFiles {
  std::string images;
  std::string labels;
};

// The image suffixes of a split, most usual first.
std::vector<std::string> image_suffixes(Split split) {
  if (split == Split::kTrain) return {"train-images-idx3-ubyte"};
  return {"t10k-images-idx3-ubyte", "test-images-idx3-ubyte"};
}

// prefix -> path of every "<prefix><suffix>[.gz]" in dir, for any of the split's image suffixes;
// a raw file wins over its ".gz" twin.
std::map<std::string, std::pair<std::string, std::string>> find_images(const std::string& dir,
                                                                       Split split) {
  std::map<std::string, std::pair<std::string, std::string>> found;  // prefix -> (path, suffix)
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file(ec) && !e.is_symlink(ec)) continue;
    const std::string name = e.path().filename().string();
    const bool gz = ends_with(name, ".gz");
    const std::string stem = gz ? name.substr(0, name.size() - 3) : name;
    for (const std::string& suffix : image_suffixes(split)) {
      if (!ends_with(stem, suffix)) continue;
      const std::string prefix = stem.substr(0, stem.size() - suffix.size());
      auto it = found.find(prefix);
      if (it == found.end() || (!gz && ends_with(it->second.first, ".gz")))
        found[prefix] = {e.path().string(), suffix};
    }
  }
  return found;
}

SplitFiles find_split_files(const std::string& dir, Split split) {
  std::error_code ec;
  CNNLAB_CHECK(fs::is_directory(dir, ec), IoError, "MnistDataset: '", dir,
               "' is not a folder (expected a folder of IDX files)");
  const auto found = find_images(dir, split);
  const std::string wanted = image_suffixes(split).front();
  CNNLAB_CHECK(!found.empty(), IoError, "MnistDataset: no '", wanted, "' or '", wanted, ".gz' in '",
               dir, "'");
  if (found.size() > 1) {
    std::string names;
    for (const auto& [prefix, file] : found)
      names += (names.empty() ? "" : ", ") + fs::path(file.first).filename().string();
    throw IoError(detail::concat("MnistDataset: '", dir, "' holds several ", wanted, " files (",
                                 names, "); expected one: move each variant to its own folder"));
  }
  const auto& [prefix, file] = *found.begin();
  const std::string label_suffix =
      file.second.substr(0, file.second.find("-images-")) + "-labels-idx1-ubyte";
  const std::string stem = prefix + label_suffix;
  for (const std::string& name : {stem, stem + ".gz"}) {
    const fs::path p = fs::path(dir) / name;
    if (fs::exists(p, ec)) return {file.first, p.string()};
  }
  throw IoError(detail::concat("MnistDataset: no '", stem, "' or '", stem, ".gz' in '", dir,
                               "' (the labels of '", file.first, "')"));
}

bool holds_idx_images(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  return !find_images(dir, Split::kTrain).empty() || !find_images(dir, Split::kTest).empty();
}

}  // namespace

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

bool is_fashion_mnist_dir(const std::string& dir) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(dir, ec);
  const fs::path debian = fs::weakly_canonical(kDebianFashionMnistDir, ec);
  if (!ec && canonical == debian) return true;
  fs::path own = canonical.empty() ? fs::path(dir) : canonical;
  if (own.filename().empty()) own = own.parent_path();  // "dir/" names "dir"
  if (lower(own.filename().string()).find("fashion") != std::string::npos) return true;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (lower(e.path().filename().string()).find("fashion") != std::string::npos) return true;
  }
  return false;
}

std::string resolve_data_dir(const std::string& name_or_dir) {
  const std::string name = lower(name_or_dir);
  if (name == "fashion-mnist" || name == "fashion_mnist" || name == "fashionmnist") {
    CNNLAB_CHECK(holds_idx_images(kDebianFashionMnistDir), IoError,
                 "resolve_data_dir: Fashion-MNIST is not installed ('", kDebianFashionMnistDir,
                 "' holds no IDX files): install it with `apt-get install "
                 "dataset-fashion-mnist`, or pass a folder that holds its four IDX files");
    return kDebianFashionMnistDir;
  }
  if (name == "mnist" || name == "kmnist" || name == "emnist") {
    throw IoError(detail::concat(
        "resolve_data_dir: '", name_or_dir,
        "' is not packaged for Debian: download its four IDX files (train-images-idx3-ubyte.gz, "
        "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into "
        "a folder and pass the folder"));
  }
  std::error_code ec;
  if (fs::is_directory(name_or_dir, ec)) {
    CNNLAB_CHECK(holds_idx_images(name_or_dir), IoError, "resolve_data_dir: folder '", name_or_dir,
                 "' holds no IDX files (expected train-images-idx3-ubyte[.gz], "
                 "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
                 "t10k-labels-idx1-ubyte[.gz])");
    return name_or_dir;
  }
  CNNLAB_CHECK(!fs::exists(name_or_dir, ec), IoError, "resolve_data_dir: '", name_or_dir,
               "' is a file; expected a folder of IDX files or a dataset name (fashion-mnist)");
  throw IoError(detail::concat(
      "resolve_data_dir: '", name_or_dir,
      "' is neither a folder nor a known dataset (fashion-mnist; mnist, kmnist and emnist need "
      "a folder of IDX files)"));
}

MnistDataset::MnistDataset(const std::string& dir, Split split, int64_t limit,
                           std::vector<std::string> class_names)
    : names_(std::move(class_names)) {
  CNNLAB_CHECK(limit >= 0, ValueError, "MnistDataset: expected limit >= 0 (0 = all), got ", limit);
  const SplitFiles files = find_split_files(dir, split);
  images_path_ = files.images;
  labels_path_ = files.labels;
  io::IdxArray lab = io::read_idx(labels_path_, 1);  // small: read first, fail fast
  io::IdxArray img = io::read_idx(images_path_, 3);
  CNNLAB_CHECK(img.shape[0] == lab.shape[0], IoError, "MnistDataset: '", images_path_, "' holds ",
               img.shape[0], " images but '", labels_path_, "' holds ", lab.shape[0], " labels");
  CNNLAB_CHECK(img.shape[1] > 0 && img.shape[2] > 0, IoError, "MnistDataset: '", images_path_,
               "' holds images of size ", img.shape[1], "x", img.shape[2]);
  size_ = limit > 0 ? std::min(limit, img.shape[0]) : img.shape[0];
  height_ = img.shape[1];
  width_ = img.shape[2];
  pixels_ = std::move(img.data);
  labels_ = std::move(lab.data);
  if (size_ < img.shape[0]) {
    pixels_.resize(static_cast<size_t>(size_ * height_ * width_));
    pixels_.shrink_to_fit();
    labels_.resize(static_cast<size_t>(size_));
    labels_.shrink_to_fit();
  }
  const int64_t max_label = labels_.empty() ? 0 : *std::max_element(labels_.begin(), labels_.end());
  if (names_.empty()) {
    if (is_fashion_mnist_dir(dir)) {
      names_ = fashion_mnist_class_names();
    } else {
      for (int64_t c = 0; c < std::max<int64_t>(10, max_label + 1); ++c)
        names_.push_back(std::to_string(c));
    }
  }
  if (max_label >= num_classes()) {
    const auto at = std::find_if(labels_.begin(), labels_.end(),
                                 [&](uint8_t l) { return int64_t{l} >= num_classes(); });
    throw IoError(detail::concat("MnistDataset: '", labels_path_, "' holds label ", int{*at},
                                 " at index ", at - labels_.begin(), "; expected labels in [0, ",
                                 num_classes(), ") (", num_classes(), " class names)"));
  }
}

Example MnistDataset::get(int64_t index) const {
  check_index("MnistDataset::get", index, size_);
  const int64_t hw = height_ * width_;
  return {bytes_to_image(pixels_.data() + index * hw, 1, height_, width_),
          labels_[static_cast<size_t>(index)]};
}

int64_t MnistDataset::label(int64_t index) const {
  check_index("MnistDataset::label", index, size_);
  return labels_[static_cast<size_t>(index)];
}

Tensor MnistDataset::images_tensor() const {
  Tensor out = bytes_to_image(pixels_.data(), size_, height_, width_);
  return out.reshape({size_, 1, height_, width_});
}

Tensor MnistDataset::labels_tensor() const {
  return Tensor::from_int64(std::vector<int64_t>(labels_.begin(), labels_.end()), {size_});
}

Mnist::Mnist(const std::string& dir, Split split, int64_t limit) {
  const MnistDataset data(dir, split, limit);
  images = data.images_tensor();
  labels = data.labels_tensor();
}

}  // namespace cnnlab::data
