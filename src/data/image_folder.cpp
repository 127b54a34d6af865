// ImageFolderDataset: list root/<class>/... in sorted order, check each file's header, decode and
// resize on demand.
#include "cnnlab/data/image_folder.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"
#include "detail/strings.hpp"

namespace fs = std::filesystem;

namespace cnnlab::data {

using detail::lower;
namespace {

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

// Every non-hidden regular file under dir, recursively, in sorted path order.
std::vector<fs::path> list_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::vector<fs::path> entries;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) entries.push_back(e.path());
  CNNLAB_CHECK(!ec, IoError, "ImageFolderDataset: cannot list '", dir.string(),
               "': ", ec.message());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    if (hidden(p)) continue;
    if (fs::is_directory(p, ec)) {
      for (fs::path& f : list_files(p)) out.push_back(std::move(f));
    } else {
      out.push_back(p);
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& ImageFolderDataset::image_extensions() {
  static const std::vector<std::string> ext = {".png", ".jpg", ".jpeg", ".bmp", ".gif",
                                               ".tga", ".pgm", ".ppm",  ".pnm"};
  return ext;
}

ImageFolderDataset::ImageFolderDataset(const std::string& root, Size2 image_size, int64_t channels)
    : root_(root), size_(image_size), channels_(channels) {
  CNNLAB_CHECK(image_size.h >= 1 && image_size.w >= 1, ShapeError,
               "ImageFolderDataset: expected a positive image size, got ", image_size.h, "x",
               image_size.w);
  CNNLAB_CHECK(channels >= 1 && channels <= 4, ValueError,
               "ImageFolderDataset: expected channels in [1, 4] (1 gray, 3 RGB), got ", channels);
  std::error_code ec;
  CNNLAB_CHECK(fs::is_directory(root, ec), IoError, "ImageFolderDataset: '", root,
               "' is not a folder (expected one sub-folder of images per class)");
  std::vector<fs::path> class_dirs;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    if (!hidden(e.path()) && e.is_directory(ec)) class_dirs.push_back(e.path());
  }
  std::sort(class_dirs.begin(), class_dirs.end());
  CNNLAB_CHECK(!class_dirs.empty(), IoError, "ImageFolderDataset: '", root,
               "' holds no class folders (expected root/<class>/<image>, one sub-folder per "
               "class)");
  const std::vector<std::string>& exts = image_extensions();
  for (size_t c = 0; c < class_dirs.size(); ++c) {
    classes_.push_back(class_dirs[c].filename().string());
    const std::vector<fs::path> files = list_files(class_dirs[c]);
    CNNLAB_CHECK(!files.empty(), IoError, "ImageFolderDataset: class folder '",
                 class_dirs[c].string(), "' holds no images");
    for (const fs::path& f : files) {
      const std::string ext = lower(f.extension().string());
      CNNLAB_CHECK(std::find(exts.begin(), exts.end(), ext) != exts.end(), IoError,
                   "ImageFolderDataset: '", f.string(),
                   "' is not an image file (expected .png, .jpg, .jpeg, .bmp, .gif, .tga, .pgm, "
                   ".ppm or .pnm)");
      io::read_image_info(f.string());  // throws IoError naming f if it is not an image
      files_.push_back(f.string());
      labels_.push_back(static_cast<int64_t>(c));
    }
  }
}

Example ImageFolderDataset::get(int64_t index) const {
  check_index("ImageFolderDataset::get", index, size());
  Tensor image = io::read_image(files_[static_cast<size_t>(index)], channels_);
  if (image.size(1) != size_.h || image.size(2) != size_.w)
    image = io::resize_image(image, size_.h, size_.w);
  return {image, labels_[static_cast<size_t>(index)]};
}

int64_t ImageFolderDataset::label(int64_t index) const {
  check_index("ImageFolderDataset::label", index, size());
  return labels_[static_cast<size_t>(index)];
}

const std::string& ImageFolderDataset::path(int64_t index) const {
  check_index("ImageFolderDataset::path", index, size());
  return files_[static_cast<size_t>(index)];
}

}  // namespace cnnlab::data
