// Image I/O: PNG round trips, JPEG decoding, channel conversion, bad files named in errors, the
// PyTorch-matching bilinear resize, and grid tiling.
#include "cnnlab/io/image.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "cnnlab/core/error.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"
#include "unit/data/test_files.hpp"

namespace cnnlab {
namespace {

using testing::TempDir;

// An 8x8 RGB JPEG (quality 95, written by stb): R = x / 7, G = y / 7, B = 128 / 255.
const std::vector<uint8_t> kTinyJpeg = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x84, 0x00, 0x02, 0x01, 0x01, 0x01, 0x01, 0x01, 0x02,
    0x01, 0x01, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x03, 0x02, 0x02, 0x02, 0x02, 0x05, 0x04,
    0x04, 0x03, 0x04, 0x06, 0x05, 0x06, 0x06, 0x06, 0x05, 0x06, 0x06, 0x06, 0x07, 0x09, 0x08, 0x06,
    0x07, 0x09, 0x07, 0x06, 0x06, 0x08, 0x0b, 0x08, 0x09, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x06, 0x08,
    0x0b, 0x0c, 0x0b, 0x0a, 0x0c, 0x09, 0x0a, 0x0a, 0x0a, 0x01, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
    0x05, 0x03, 0x03, 0x05, 0x0a, 0x07, 0x06, 0x07, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a,
    0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00,
    0x08, 0x00, 0x08, 0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xc4, 0x01,
    0xa2, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x00,
    0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00, 0x00, 0x01, 0x7d, 0x01,
    0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
    0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24,
    0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a,
    0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
    0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
    0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,
    0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6,
    0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3,
    0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
    0xfa, 0x01, 0x00, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x11, 0x00,
    0x02, 0x01, 0x02, 0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00,
    0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
    0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15,
    0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
    0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
    0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4,
    0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9,
    0xfa, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x67,
    0xec, 0x71, 0xff, 0x00, 0x04, 0x79, 0x3f, 0xe8, 0xbf, 0xf1, 0x4b, 0xff, 0x00, 0x77, 0xfe, 0x58,
    0xff, 0x00, 0xf5, 0xaa, 0xb8, 0xe3, 0xc6, 0xef, 0x8b, 0xf7, 0xbf, 0x88, 0x7d, 0x16, 0x7e, 0x91,
    0x7f, 0xc0, 0xfd, 0xf7, 0x6e, 0xa7, 0xff, 0xd9};

// (C, H, W) with value (c * 31 + y * 7 + x * 3) % 256 / 255: every value is an exact byte.
Tensor byte_image(int64_t c, int64_t h, int64_t w) {
  std::vector<double> v;
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        v.push_back(static_cast<double>((ch * 31 + y * 7 + x * 3) % 256) / 255.0);
  return Tensor::from_vector(v, {c, h, w});
}

TEST(ImageIo, PngRoundTripsGrayRgbAndRgba) {
  TempDir dir;
  for (int64_t c : {1, 3, 4}) {
    const Tensor image = byte_image(c, 5, 7);
    const std::string path = dir.file("img" + std::to_string(c) + ".png");
    io::write_png(path, image);
    const Tensor back = io::read_image(path);
    EXPECT_TENSOR_NEAR(back, image, 0, 1e-7);
    EXPECT_EQ(back.dtype(), Dtype::kFloat32);
    const io::ImageInfo info = io::read_image_info(path);
    EXPECT_EQ(info.height, 5);
    EXPECT_EQ(info.width, 7);
    EXPECT_EQ(info.channels, c);
  }
}

TEST(ImageIo, EncodePngClampsAndRoundsLikeTorchvision) {
  const Tensor image =
      Tensor::from_vector({-0.5, 0.0, 0.5, 1.0, 2.0, 0.0011, std::nan("")}, {1, 1, 7});
  const Tensor back = io::decode_image(io::encode_png(image));
  // floor(255 v + 0.5) after clamping: 0, 0, 128, 255, 255, 0 (0.28 rounds down), NaN -> 0
  EXPECT_EQ(back.to_vector(), (std::vector<double>{0, 0, 128.0f / 255.0f, 1, 1, 0, 0}));
  const std::vector<uint8_t> png = io::encode_png(byte_image(3, 2, 2).to(Dtype::kFloat64));
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png[1], 'P');
  EXPECT_EQ(png[2], 'N');
  EXPECT_EQ(png[3], 'G');
}

TEST(ImageIo, ConvertsChannelsOnRead) {
  TempDir dir;
  const std::string path = dir.file("rgb.png");
  io::write_png(path, byte_image(3, 4, 4));
  EXPECT_EQ(io::read_image(path, 1).shape(), (Shape{1, 4, 4}));
  EXPECT_EQ(io::read_image(path, 4).shape(), (Shape{4, 4, 4}));
  EXPECT_EQ(io::read_image(path, 4).at({3, 2, 2}), 1.0) << "added alpha is opaque";
  const std::string gray = dir.file("gray.png");
  io::write_png(gray, Tensor::full({1, 2, 3}, 0.2));
  const Tensor rgb = io::read_image(gray, 3);
  EXPECT_EQ(rgb.shape(), (Shape{3, 2, 3}));
  EXPECT_TENSOR_NEAR(rgb, Tensor::full({3, 2, 3}, 51.0 / 255.0), 0, 1e-7);
}

TEST(ImageIo, DecodesJpeg) {
  const Tensor image = io::decode_image(kTinyJpeg);
  ASSERT_EQ(image.shape(), (Shape{3, 8, 8}));
  Tensor expected = Tensor::empty({3, 8, 8});
  float* e = expected.data<float>();
  for (int64_t y = 0; y < 8; ++y) {
    for (int64_t x = 0; x < 8; ++x) {
      e[y * 8 + x] = static_cast<float>(x * 255 / 7) / 255.0f;
      e[64 + y * 8 + x] = static_cast<float>(y * 255 / 7) / 255.0f;
      e[128 + y * 8 + x] = 128.0f / 255.0f;
    }
  }
  EXPECT_TENSOR_NEAR(image, expected, 0, 0.06);  // JPEG is lossy
  EXPECT_EQ(io::decode_image(kTinyJpeg, 1).shape(), (Shape{1, 8, 8}));
}

TEST(ImageIo, RejectsMissingAndNonImageFilesNamingThem) {
  TempDir dir;
  EXPECT_THROW_WITH(io::read_image(dir.file("missing.png")), IoError,
                    "read_image: cannot open '" + dir.file("missing.png") + "'");
  EXPECT_THROW_WITH(io::read_image_info(dir.file("missing.png")), IoError, "cannot open '");
  const std::string text = dir.file("notes.png");
  testing::write_bytes(text, std::string("these are not the pixels you are looking for\n"));
  EXPECT_THROW_WITH(io::read_image(text), IoError,
                    "read_image: '" + text + "' is not an image (PNG, JPEG, BMP, GIF, TGA or PNM)");
  EXPECT_THROW_WITH(io::read_image_info(text), IoError, "' is not an image");
  const std::string empty = dir.file("empty.jpg");
  testing::write_bytes(empty, std::string());
  EXPECT_THROW_WITH(io::read_image(empty), IoError, "empty.jpg' is empty, not an image");
  // A PNG cut after its header: the header reads, the pixels do not.
  const std::string cut = dir.file("cut.png");
  std::vector<uint8_t> png = io::encode_png(byte_image(3, 16, 16));
  png.resize(png.size() / 2);
  testing::write_bytes(cut, png);
  EXPECT_THROW_WITH(io::read_image(cut), IoError, "read_image: cannot decode '" + cut + "'");
  EXPECT_THROW_WITH(io::read_image(dir.path()), IoError, "' is a directory, not an image file");
  EXPECT_THROW_WITH(io::read_image(text, 5), ValueError,
                    "read_image: expected channels in [0, 4] (0 = as stored), got 5");
}

TEST(ImageIo, EncodePngRejectsBadShapesAndDtypes) {
  EXPECT_THROW_WITH(io::encode_png(Tensor::zeros({4, 4})), ShapeError,
                    "encode_png: expected a (C, H, W) image, got shape [4, 4]");
  EXPECT_THROW_WITH(io::encode_png(Tensor::zeros({2, 4, 4})), ShapeError,
                    "expected 1, 3 or 4 channels (gray, RGB, RGBA), got 2");
  EXPECT_THROW_WITH(io::encode_png(Tensor::zeros({1, 0, 4})), ShapeError, "non-empty image");
  EXPECT_THROW_WITH(io::encode_png(Tensor::zeros({1, 2, 2}, Dtype::kInt64)), ValueError,
                    "expected a float32 or float64 image, got int64");
}

TEST(ImageIo, WritePngFailsCleanlyOnAnUnwritablePath) {
  TempDir dir;
  EXPECT_THROW_WITH(io::write_png(dir.path() + "/no/such/folder/x.png", byte_image(1, 2, 2)),
                    IoError, "x.png");
  // an existing file is left intact when the new image cannot be encoded
  const std::string path = dir.file("keep.png");
  io::write_png(path, byte_image(1, 2, 2));
  EXPECT_THROW(io::write_png(path, Tensor::zeros({2, 2, 2})), ShapeError);
  EXPECT_EQ(io::read_image(path).shape(), (Shape{1, 2, 2}));
}

// Expected values: torch.nn.functional.interpolate(x, size, mode="bilinear", align_corners=False,
// antialias=True) in float64 (PyTorch 1.13) for x[0, c, i, j] = ((c*35 + i*7 + j) * 37 % 11) / 10.
Tensor resize_input() {
  std::vector<double> v;
  for (int i = 0; i < 2 * 5 * 7; ++i) v.push_back(static_cast<double>((i * 37) % 11) / 10.0);
  return Tensor::from_vector(v, {2, 5, 7}, Dtype::kFloat64);
}

TEST(ImageResize, MatchesPyTorchAntialiasedBilinearWhenShrinking) {
  const Tensor expected =
      Tensor::from_vector({0.44421769, 0.53600000, 0.38571429, 0.54693878, 0.42592593, 0.56533333,
                           0.46044444, 0.62592593, 0.39931973, 0.59885714, 0.41714286, 0.43469388,
                           0.47346939, 0.41200000, 0.50685714, 0.59863946, 0.55079365, 0.48533333,
                           0.58577778, 0.34920635, 0.63061224, 0.39314286, 0.48800000, 0.42653061},
                          {2, 3, 4}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(io::resize_image(resize_input(), 3, 4), expected, 0, 1e-7);
  EXPECT_TENSOR_NEAR(io::resize_image(resize_input(), 1, 1),
                     Tensor::from_vector({0.49103841, 0.49615932}, {2, 1, 1}, Dtype::kFloat64), 0,
                     1e-7);
}

TEST(ImageResize, MatchesPyTorchWhenEnlargingAndWhenMixed) {
  const Tensor up = Tensor::from_vector(
      {0.00000000, 0.26666667, 0.57777778, 0.64444444, 0.10000000, 0.41111111, 0.72222222,
       0.66666667, 0.20000000, 0.26250000, 0.52916667, 0.62638889, 0.53263889, 0.36250000,
       0.29930556, 0.50347222, 0.60833333, 0.46250000, 0.56875000, 0.83541667, 0.68819444,
       0.41111111, 0.66875000, 0.17777778, 0.25972222, 0.54791667, 0.76875000, 0.25625000,
       0.52291667, 0.68125000, 0.63333333, 0.35625000, 0.40000000, 0.63472222, 0.69375000,
       0.45625000, 0.28750000, 0.32500000, 0.52152778, 0.66458333, 0.38750000, 0.43125000,
       0.66597222, 0.72500000, 0.48750000, 0.66250000, 0.24166667, 0.20902778, 0.50486111,
       0.76250000, 0.27152778, 0.35347222, 0.64166667, 0.86250000, 0.41875000, 0.36458333,
       0.51527778, 0.68888889, 0.51875000, 0.45555556, 0.31597222, 0.35208333, 0.61875000,
       0.20000000, 0.46666667, 0.77777778, 0.84444444, 0.30000000, 0.61111111, 0.31111111,
       0.13333333, 0.40000000, 0.80000000, 0.33333333, 0.27777778, 0.58888889, 0.90000000,
       0.35555556, 0.42222222, 0.73333333, 1.00000000, 0.58125000, 0.43541667, 0.32638889,
       0.37013889, 0.68125000, 0.51111111, 0.41736111, 0.51458333, 0.78125000, 0.33750000,
       0.55833333, 0.38819444, 0.12638889, 0.43750000, 0.69513889, 0.41805556, 0.24791667,
       0.46875000, 0.71250000, 0.47500000, 0.38125000, 0.50138889, 0.81250000, 0.53541667,
       0.48750000, 0.39375000, 0.15625000, 0.74375000, 0.50625000, 0.41250000, 0.53263889,
       0.84375000, 0.56666667, 0.51875000, 0.42500000, 0.18750000, 0.43125000, 0.65208333,
       0.48194444, 0.22013889, 0.53125000, 0.78888889, 0.51180556, 0.34166667, 0.56250000,
       0.73750000, 0.59166667, 0.48263889, 0.38888889, 0.21875000, 0.52986111, 0.57361111,
       0.46458333, 0.31875000, 1.00000000, 0.53333333, 0.47777778, 0.54444444, 0.00000000,
       0.31111111, 0.62222222, 0.56666667, 0.10000000},
      {2, 8, 9}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(io::resize_image(resize_input(), 8, 9), up, 0, 1e-7);
  const Tensor mixed =
      Tensor::from_vector({0.34285714, 0.42352941, 0.56428571, 0.70714286, 0.44117647, 0.45714286,
                           0.44285714, 0.52352941, 0.66428571, 0.33571429, 0.47647059, 0.55714286,
                           0.54285714, 0.55882353, 0.29285714, 0.43571429, 0.57647059, 0.65714286,
                           0.40714286, 0.40000000, 0.39285714, 0.53571429, 0.67647059, 0.36428571,
                           0.50714286, 0.50000000, 0.49285714, 0.63571429, 0.32352941, 0.46428571},
                          {2, 5, 3}, Dtype::kFloat64);
  EXPECT_TENSOR_NEAR(io::resize_image(resize_input(), 5, 3), mixed, 0, 1e-7);
  const Tensor f32 = io::resize_image(resize_input().to(Dtype::kFloat32), 5, 3);
  EXPECT_EQ(f32.dtype(), Dtype::kFloat32);
  EXPECT_TENSOR_NEAR(f32, mixed, 0, 1e-6);
}

TEST(ImageResize, SameSizeIsACopyAndBadArgumentsThrow) {
  const Tensor x = resize_input();
  const Tensor same = io::resize_image(x, 5, 7);
  EXPECT_TENSOR_NEAR(same, x, 0, 1e-12);
  EXPECT_FALSE(same.is_same(x));
  EXPECT_THROW_WITH(io::resize_image(x, 0, 3), ShapeError,
                    "resize_image: expected an output size >= 1, got 0x3");
  EXPECT_THROW_WITH(io::resize_image(Tensor::zeros({5, 7}), 3, 3), ShapeError,
                    "resize_image: expected a (C, H, W) image, got shape [5, 7]");
}

TEST(ImageTile, LaysOutAGridLikeMakeGrid) {
  std::vector<Tensor> images;
  for (int i = 0; i < 5; ++i) images.push_back(Tensor::full({1, 2, 3}, i + 1));
  const Tensor grid = io::tile_images(images, 3, 1, -1.0);
  // 2 rows, 3 columns: (2 * (2 + 1) + 1, 3 * (3 + 1) + 1)
  ASSERT_EQ(grid.shape(), (Shape{1, 7, 13}));
  EXPECT_EQ(grid.at({0, 0, 0}), -1.0);
  EXPECT_EQ(grid.at({0, 1, 1}), 1.0);
  EXPECT_EQ(grid.at({0, 2, 3}), 1.0);
  EXPECT_EQ(grid.at({0, 1, 4}), -1.0);
  EXPECT_EQ(grid.at({0, 1, 5}), 2.0);
  EXPECT_EQ(grid.at({0, 1, 9}), 3.0);
  EXPECT_EQ(grid.at({0, 4, 1}), 4.0);
  EXPECT_EQ(grid.at({0, 5, 7}), 5.0);
  EXPECT_EQ(grid.at({0, 4, 9}), -1.0) << "the sixth cell is empty";
  // fewer images than columns: one row of 2
  EXPECT_EQ(io::tile_images({images[0], images[1]}, 8).shape(), (Shape{1, 6, 12}));
  EXPECT_EQ(io::tile_images({images[0]}, 1, 0).shape(), (Shape{1, 2, 3}));
}

TEST(ImageTile, RejectsBadArguments) {
  const Tensor a = Tensor::zeros({3, 2, 2});
  EXPECT_THROW_WITH(io::tile_images({}, 2), ValueError, "expected at least one image, got 0");
  EXPECT_THROW_WITH(io::tile_images({a}, 0), ValueError, "expected columns >= 1, got 0");
  EXPECT_THROW_WITH(io::tile_images({a}, 1, -1), ValueError, "expected padding >= 0, got -1");
  EXPECT_THROW_WITH(io::tile_images({a, Tensor::zeros({3, 2, 3})}, 2), ShapeError,
                    "expected every image to have image 0's shape [3, 2, 2], got [3, 2, 3] for "
                    "image 1");
  EXPECT_THROW_WITH(io::tile_images({Tensor::zeros({2, 2})}, 2), ShapeError,
                    "expected (C, H, W) images, got shape [2, 2] for image 0");
  EXPECT_THROW_WITH(io::tile_images({a, a.to(Dtype::kFloat64)}, 2), ValueError,
                    "expected every image to be float32, got float64 for image 1");
}

}  // namespace
}  // namespace cnnlab
