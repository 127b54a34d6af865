// Image files: decode PNG/JPEG/BMP/GIF/TGA/PNM into float (C, H, W) tensors in [0, 1] and encode
// tensors as PNG, through stb (Debian's libstb), plus the two image utilities that datasets and
// reports need: bilinear resizing and tiling images into a grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::io {

/// Size and channel count of an image file, read from its header only.
struct ImageInfo {
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;  ///< as stored: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA
};

/// Reads the header of an image file without decoding the pixels. Throws IoError naming the
/// file if it cannot be opened or is not an image stb can decode.
ImageInfo read_image_info(const std::string& path);

/// Decodes an image file into a float32 (C, H, W) tensor with values in [0, 1] (8-bit and 16-bit
/// files alike). channels: 0 keeps the stored channels, 1 converts to gray, 2 gray + alpha, 3 RGB,
/// 4 RGBA (stb's conversions; gray is 0.299 R + 0.587 G + 0.114 B, rounded to 8 bits).
/// Throws IoError naming the file if it is missing, unreadable, not an image, or larger than
/// 2^28 pixels; ValueError if channels is not in [0, 4].
Tensor read_image(const std::string& path, int64_t channels = 0);

/// read_image() for an encoded image held in memory; `name` is used in error messages.
Tensor decode_image(const std::vector<uint8_t>& bytes, int64_t channels = 0,
                    const std::string& name = "<memory>");

/// Encodes a (C, H, W) float32/float64 tensor, C in {1, 3, 4} (gray, RGB, RGBA), as PNG bytes.
/// Values are clamped to [0, 1] and rounded to 8 bits as torchvision's save_image does
/// (floor(255 v + 0.5)); NaN becomes 0. Throws ShapeError on another rank or channel count and
/// ValueError on an integer dtype.
std::vector<uint8_t> encode_png(const Tensor& image);

/// Writes encode_png(image) to `path` atomically (a failure leaves an existing file intact).
/// Throws what encode_png throws, and IoError naming the file if it cannot be written.
void write_png(const std::string& path, const Tensor& image);

/// Resizes a (C, H, W) float32/float64 image to (C, height, width) with bilinear interpolation,
/// align_corners=False, antialiased when shrinking: the same numbers as PyTorch's
/// F.interpolate(x, (height, width), mode="bilinear", antialias=True) and PIL's BILINEAR filter
/// (what torchvision's Resize does). Returns a copy even when the size is unchanged.
/// Throws ShapeError if image is not 3-D or a size is < 1.
// NOTE: not stb_image_resize: its triangle filter replicates edge pixels when shrinking, where
// PyTorch and PIL renormalise the weights over the pixels inside the image; the outer rows
// then differ by several percent, and parity with PyTorch's preprocessing matters more.
Tensor resize_image(const Tensor& image, int64_t height, int64_t width);

/// Tiles equally shaped (C, H, W) images into one (C, rows * (H + padding) + padding,
/// columns' * (W + padding) + padding) grid, row by row, where columns' = min(columns, count)
/// and rows = ceil(count / columns'); the gaps are pad_value. This is torchvision's
/// make_grid(images, nrow=columns, padding=padding, pad_value=pad_value) without its
/// gray-to-RGB conversion. Values are copied as they are (normalise filters to [0, 1] first).
/// Throws ValueError if images is empty, columns < 1 or padding < 0; ShapeError if the images
/// are not all (C, H, W) of the same shape; the dtype is the first image's (all must share it).
Tensor tile_images(const std::vector<Tensor>& images, int64_t columns, int64_t padding = 2,
                   double pad_value = 0.0);

}  // namespace cnnlab::io
