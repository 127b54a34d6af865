// Image I/O through stb (the implementation lives in Debian's libstb, so no STB_*_IMPLEMENTATION
// here), the PyTorch-compatible antialiased bilinear resize, and grid tiling.
#include "cnnlab/io/image.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cnnlab/core/check.hpp"
#include "cnnlab/io/atomic_file.hpp"

namespace cnnlab::io {
namespace {

constexpr int64_t kMaxPixels = int64_t{1} << 28;  // 16384 x 16384: refuse absurd headers

std::string failure_reason() {
  const char* reason = stbi_failure_reason();
  return reason != nullptr ? reason : "unknown reason";
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::error_code ec;
  CNNLAB_CHECK(!std::filesystem::is_directory(path, ec), IoError, "read_image: '", path,
               "' is a directory, not an image file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  CNNLAB_CHECK(in.good(), IoError, "read_image: cannot open '", path, "'");
  const std::streamoff size = in.tellg();
  CNNLAB_CHECK(size >= 0, IoError, "read_image: cannot read '", path, "'");
  CNNLAB_CHECK(size <= (int64_t{1} << 31) - 1, IoError, "read_image: '", path, "' is ", size,
               " bytes, larger than the 2 GiB an image file may have");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  CNNLAB_CHECK(in.good() || size == 0, IoError, "read_image: error reading '", path, "'");
  return bytes;
}

ImageInfo info_from_memory(const std::vector<uint8_t>& bytes, const std::string& name) {
  int w = 0, h = 0, c = 0;
  CNNLAB_CHECK(!bytes.empty(), IoError, "read_image: '", name,
               "' is empty, not an image (PNG, JPEG, BMP, GIF, TGA or PNM)");
  CNNLAB_CHECK(bytes.size() < (size_t{1} << 31), IoError, "read_image: '", name, "' is ",
               bytes.size(), " bytes, larger than the 2 GiB an image file may have");
  const int ok = stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c);
  CNNLAB_CHECK(ok != 0, IoError, "read_image: '", name,
               "' is not an image (PNG, JPEG, BMP, GIF, TGA or PNM): ", failure_reason());
  CNNLAB_CHECK(w > 0 && h > 0 && int64_t{w} * h <= kMaxPixels, IoError, "read_image: '", name,
               "' is ", w, "x", h, " pixels; expected at most ", kMaxPixels, " pixels");
  return {h, w, c};
}

struct StbFree {
  void operator()(stbi_uc* p) const { stbi_image_free(p); }
};

void append_bytes(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<uint8_t>*>(context);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

// One output index's source pixels and weights along one axis (PyTorch's _upsample_*_aa and
// PIL's ImagingResample: a triangle filter stretched by the scale when shrinking, with the
// weights renormalised over the pixels that lie inside the image).
struct Taps {
  int64_t first = 0;
  std::vector<double> weights;
};

std::vector<Taps> bilinear_taps(int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double support = scale >= 1.0 ? scale : 1.0;  // bilinear: interp_size / 2 = 1
  const double inv_scale = scale >= 1.0 ? 1.0 / scale : 1.0;
  std::vector<Taps> taps(static_cast<size_t>(out_size));
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = scale * (static_cast<double>(i) + 0.5);
    // NOTE: truncation toward zero, as PyTorch's and PIL's (int) casts.
    const int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size);
    Taps& t = taps[static_cast<size_t>(i)];
    t.first = lo;
    double total = 0.0;
    for (int64_t j = lo; j < hi; ++j) {
      const double x = (static_cast<double>(j) - center + 0.5) * inv_scale;
      const double w = std::max(0.0, 1.0 - std::abs(x));
      t.weights.push_back(w);
      total += w;
    }
    if (total != 0.0) {
      for (double& w : t.weights) w /= total;
    }
  }
  return taps;
}

template <typename T>
void resize_plane(T* out, const T* in, int64_t h, int64_t w, int64_t oh, int64_t ow,
                  const std::vector<Taps>& rows, const std::vector<Taps>& cols,
                  std::vector<double>& tmp) {
  // Horizontal pass: (h, w) -> tmp (h, ow); then vertical: tmp -> (oh, ow).
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < ow; ++x) {
      const Taps& t = cols[static_cast<size_t>(x)];
      double acc = 0.0;
      for (size_t k = 0; k < t.weights.size(); ++k)
        acc += t.weights[k] * static_cast<double>(in[y * w + t.first + static_cast<int64_t>(k)]);
      tmp[static_cast<size_t>(y * ow + x)] = acc;
    }
  }
  for (int64_t y = 0; y < oh; ++y) {
    const Taps& t = rows[static_cast<size_t>(y)];
    for (int64_t x = 0; x < ow; ++x) {
      double acc = 0.0;
      for (size_t k = 0; k < t.weights.size(); ++k)
        acc +=
            t.weights[k] * tmp[static_cast<size_t>((t.first + static_cast<int64_t>(k)) * ow + x)];
      out[y * ow + x] = static_cast<T>(acc);
    }
  }
}

}  // namespace

ImageInfo read_image_info(const std::string& path) {
  std::error_code ec;
  CNNLAB_CHECK(!std::filesystem::is_directory(path, ec), IoError, "read_image: '", path,
               "' is a directory, not an image file");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  CNNLAB_CHECK(f != nullptr, IoError, "read_image: cannot open '", path, "'");
  int w = 0, h = 0, c = 0;
  const int ok = stbi_info_from_file(f.get(), &w, &h, &c);
  CNNLAB_CHECK(ok != 0, IoError, "read_image: '", path,
               "' is not an image (PNG, JPEG, BMP, GIF, TGA or PNM): ", failure_reason());
  CNNLAB_CHECK(w > 0 && h > 0 && int64_t{w} * h <= kMaxPixels, IoError, "read_image: '", path,
               "' is ", w, "x", h, " pixels; expected at most ", kMaxPixels, " pixels");
  return {h, w, c};
}

Tensor decode_image(const std::vector<uint8_t>& bytes, int64_t channels, const std::string& name) {
  CNNLAB_CHECK(channels >= 0 && channels <= 4, ValueError,
               "read_image: expected channels in [0, 4] (0 = as stored), got ", channels);
  const ImageInfo info = info_from_memory(bytes, name);
  int w = 0, h = 0, stored = 0;
  std::unique_ptr<stbi_uc, StbFree> pixels(stbi_load_from_memory(
      bytes.data(), static_cast<int>(bytes.size()), &w, &h, &stored, static_cast<int>(channels)));
  CNNLAB_CHECK(pixels != nullptr, IoError, "read_image: cannot decode '", name,
               "': ", failure_reason());
  CNNLAB_CHECK(w == info.width && h == info.height, IoError, "read_image: '", name, "' decoded to ",
               w, "x", h, " pixels but its header says ", info.width, "x", info.height);
  const int64_t c = channels > 0 ? channels : stored;
  const int64_t hw = int64_t{w} * h;
  Tensor out = Tensor::empty({c, h, w}, Dtype::kFloat32);
  float* dst = out.data<float>();
  const stbi_uc* src = pixels.get();
  // stb gives interleaved (H, W, C) bytes; we store planar (C, H, W) floats.
  for (int64_t p = 0; p < hw; ++p) {
    for (int64_t ch = 0; ch < c; ++ch)
      dst[ch * hw + p] = static_cast<float>(src[p * c + ch]) / 255.0f;
  }
  return out;
}

Tensor read_image(const std::string& path, int64_t channels) {
  CNNLAB_CHECK(channels >= 0 && channels <= 4, ValueError,
               "read_image: expected channels in [0, 4] (0 = as stored), got ", channels);
  return decode_image(read_file(path), channels, path);
}

std::vector<uint8_t> encode_png(const Tensor& image) {
  CNNLAB_CHECK(image.dim() == 3, ShapeError, "encode_png: expected a (C, H, W) image, got shape ",
               image.shape());
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  CNNLAB_CHECK(c == 1 || c == 3 || c == 4, ShapeError,
               "encode_png: expected 1, 3 or 4 channels (gray, RGB, RGBA), got ", c, " in shape ",
               image.shape());
  CNNLAB_CHECK(h > 0 && w > 0 && h <= INT32_MAX / 4 && w <= INT32_MAX / 4 / c, ShapeError,
               "encode_png: expected a non-empty image of at most 2^29 bytes per row, got shape ",
               image.shape());
  CNNLAB_CHECK(image.dtype() == Dtype::kFloat32 || image.dtype() == Dtype::kFloat64, ValueError,
               "encode_png: expected a float32 or float64 image, got ", image.dtype());
  const Tensor f = image.to(Dtype::kFloat64);
  const double* src = f.data<double>();
  const int64_t hw = h * w;
  std::vector<uint8_t> interleaved(static_cast<size_t>(hw * c));
  for (int64_t p = 0; p < hw; ++p) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const double v = src[ch * hw + p];
      const double scaled = std::isnan(v) ? 0.0 : std::floor(std::clamp(v, 0.0, 1.0) * 255.0 + 0.5);
      interleaved[static_cast<size_t>(p * c + ch)] = static_cast<uint8_t>(scaled);
    }
  }
  std::vector<uint8_t> png;
  const int ok =
      stbi_write_png_to_func(&append_bytes, &png, static_cast<int>(w), static_cast<int>(h),
                             static_cast<int>(c), interleaved.data(), static_cast<int>(w * c));
  CNNLAB_CHECK(ok != 0 && !png.empty(), IoError, "encode_png: stb failed to encode a ",
               image.shape(), " image");
  return png;
}

void write_png(const std::string& path, const Tensor& image) {
  const std::vector<uint8_t> png = encode_png(image);
  write_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  });
}

Tensor resize_image(const Tensor& image, int64_t height, int64_t width) {
  CNNLAB_CHECK(image.dim() == 3, ShapeError, "resize_image: expected a (C, H, W) image, got shape ",
               image.shape());
  CNNLAB_CHECK(height >= 1 && width >= 1, ShapeError,
               "resize_image: expected an output size >= 1, got ", height, "x", width);
  CNNLAB_CHECK(image.size(1) >= 1 && image.size(2) >= 1, ShapeError,
               "resize_image: expected a non-empty image, got shape ", image.shape());
  CNNLAB_CHECK(image.dtype() == Dtype::kFloat32 || image.dtype() == Dtype::kFloat64, ValueError,
               "resize_image: expected a float32 or float64 image, got ", image.dtype());
  const int64_t c = image.size(0), h = image.size(1), w = image.size(2);
  Shape{c, height, width}.checked_numel("resize_image");  // throws ShapeError past 2^48
  Tensor out = Tensor::empty({c, height, width}, image.dtype());
  const std::vector<Taps> rows = bilinear_taps(h, height);
  const std::vector<Taps> cols = bilinear_taps(w, width);
  std::vector<double> tmp(static_cast<size_t>(h * width));
  auto run = [&](auto* dst, const auto* src) {
    for (int64_t ch = 0; ch < c; ++ch)
      resize_plane(dst + ch * height * width, src + ch * h * w, h, w, height, width, rows, cols,
                   tmp);
  };
  if (image.dtype() == Dtype::kFloat32) {
    run(out.data<float>(), image.data<float>());
  } else {
    run(out.data<double>(), image.data<double>());
  }
  return out;
}

Tensor tile_images(const std::vector<Tensor>& images, int64_t columns, int64_t padding,
                   double pad_value) {
  CNNLAB_CHECK(!images.empty(), ValueError, "tile_images: expected at least one image, got 0");
  CNNLAB_CHECK(columns >= 1, ValueError, "tile_images: expected columns >= 1, got ", columns);
  CNNLAB_CHECK(padding >= 0, ValueError, "tile_images: expected padding >= 0, got ", padding);
  const Tensor& first = images.front();
  CNNLAB_CHECK(first.dim() == 3, ShapeError, "tile_images: expected (C, H, W) images, got shape ",
               first.shape(), " for image 0");
  for (size_t i = 0; i < images.size(); ++i) {
    CNNLAB_CHECK(images[i].shape() == first.shape(), ShapeError,
                 "tile_images: expected every image to have image 0's shape ", first.shape(),
                 ", got ", images[i].shape(), " for image ", i);
    CNNLAB_CHECK(images[i].dtype() == first.dtype(), ValueError,
                 "tile_images: expected every image to be ", first.dtype(), ", got ",
                 images[i].dtype(), " for image ", i);
  }
  const int64_t n = static_cast<int64_t>(images.size());
  const int64_t c = first.size(0), h = first.size(1), w = first.size(2);
  const int64_t cols = std::min(columns, n);
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t gh = rows * (h + padding) + padding, gw = cols * (w + padding) + padding;
  Tensor grid = Tensor::full(Shape{c, gh, gw}, pad_value, first.dtype());
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = (i / cols) * (h + padding) + padding;
    const int64_t left = (i % cols) * (w + padding) + padding;
    const Tensor src = images[static_cast<size_t>(i)].to_strided();
    const size_t elem = static_cast<size_t>(dtype_size(first.dtype()));
    const auto* s = static_cast<const uint8_t*>(src.raw_data());
    auto* d = static_cast<uint8_t*>(grid.raw_data());
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t y = 0; y < h; ++y) {
        std::copy_n(s + static_cast<size_t>((ch * h + y) * w) * elem, static_cast<size_t>(w) * elem,
                    d + static_cast<size_t>((ch * gh + top + y) * gw + left) * elem);
      }
    }
  }
  return grid;
}

}  // namespace cnnlab::io
