// Loads an MNIST-format split from IDX files into tensors.
#include "cnnlab/data/mnist.hpp"

#include <filesystem>

#include "cnnlab/io/idx.hpp"

namespace cnnlab::data {
namespace {

std::string find_file(const std::string& dir, const std::string& stem) {
  for (const std::string& name : {stem, stem + ".gz"}) {
    const std::filesystem::path p = std::filesystem::path(dir) / name;
    if (std::filesystem::exists(p)) return p.string();
  }
  throw IoError(detail::concat("Mnist: no '", stem, "' or '", stem, ".gz' in '", dir, "'"));
}

}  // namespace

Mnist::Mnist(const std::string& dir, Split split, int64_t limit) {
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string image_path = find_file(dir, prefix + "-images-idx3-ubyte");
  const std::string label_path = find_file(dir, prefix + "-labels-idx1-ubyte");
  const io::IdxArray img = io::read_idx(image_path, 3);
  const io::IdxArray lab = io::read_idx(label_path, 1);
  CNNLAB_CHECK(img.shape[0] == lab.shape[0], IoError, "Mnist: '", image_path, "' holds ",
               img.shape[0], " images but '", label_path, "' holds ", lab.shape[0], " labels");
  const int64_t n = limit > 0 ? std::min(limit, img.shape[0]) : img.shape[0];
  const int64_t h = img.shape[1], w = img.shape[2];
  images = Tensor::empty({n, 1, h, w}, Dtype::kFloat32);
  labels = Tensor::empty({n}, Dtype::kInt64);
  float* ip = images.data<float>();
  for (int64_t i = 0; i < n * h * w; ++i)
    ip[i] = static_cast<float>(img.data[static_cast<size_t>(i)]) / 255.0f;
  int64_t* lp = labels.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) lp[i] = lab.data[static_cast<size_t>(i)];
}

}  // namespace cnnlab::data
