// safetensors: round trip, metadata, and clear errors on missing, truncated or lying files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cnnlab_test_" + name)).string();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  return out + json + data;
}

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  const std::string path = temp_path("roundtrip.safetensors");
  Rng rng(5);
  const Tensor a = Tensor::normal({2, 3}, 0, 1, rng);
  const Tensor b = Tensor::normal({4}, 0, 1, rng, Dtype::kFloat64);
  const Tensor c = Tensor::from_int64(std::vector<int64_t>{7, -1}, {2});
  io::save_safetensors(path, {{"a", a}, {"b.weight", b}, {"c", c}}, {{"epoch", "3"}});
  const io::TensorFile f = io::load_safetensors(path);
  EXPECT_TENSOR_EQ(f.at("a"), a);
  EXPECT_TENSOR_EQ(f.at("b.weight"), b);
  EXPECT_EQ(f.at("c").dtype(), Dtype::kInt64);
  EXPECT_EQ(f.at("c").to_vector(), (std::vector<double>{7, -1}));
  EXPECT_EQ(f.metadata.at("epoch"), "3");
  EXPECT_THROW_WITH(f.at("d"), IoError, "has no tensor 'd' (known: a, b.weight, c)");
  std::filesystem::remove(path);
}

TEST(Safetensors, RejectsMissingShortAndLyingFiles) {
  EXPECT_THROW_WITH(io::load_safetensors("/nonexistent/x.safetensors"), IoError,
                    "cannot open '/nonexistent/x.safetensors'");
  const std::string path = temp_path("bad.safetensors");
  write_bytes(path, "abc");
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError, "is too short to hold a header (3 bytes)");
  write_bytes(path, with_header("{}", "").substr(0, 8) + "{}");  // fine: empty file
  EXPECT_TRUE(io::load_safetensors(path).tensors.empty());
  std::string huge(8, '\xff');
  write_bytes(path, huge + "{}");
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError, "declares a header of");
  write_bytes(path, with_header("[1]", ""));
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError, "header that is not a JSON object");
  write_bytes(path, with_header(R"({"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})",
                                std::string(8, '\0')));
  EXPECT_THROW_WITH(
      io::load_safetensors(path), IoError,
      "tensor 'x' of shape [2, 2] (F32) needs 16 bytes but its data_offsets are [0, 16] "
      "in a data section of 8 bytes");
  write_bytes(path, with_header(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                std::string(8, '\0')));
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError, "needs 12 bytes");
  write_bytes(
      path,
      with_header(
          R"({"x":{"dtype":"F32","shape":[549755813888,549755813888],"data_offsets":[0,0]}})", ""));
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError, "tensor 'x' has more than 2^40 elements");
  write_bytes(path, with_header(R"({"x":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})",
                                std::string(2, '\0')));
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError,
                    "has dtype BF16; cnnlab reads F32, F64 and I64");
  // one 8-byte range named twice: a small file must not make the reader allocate more than it holds
  write_bytes(path, with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})",
                                std::string(8, '\0')));
  EXPECT_THROW_WITH(io::load_safetensors(path), IoError,
                    "tensor 'b' has data_offsets [0, 8] overlapping tensor 'a' at [0, 8]; expected "
                    "disjoint ranges");
  std::filesystem::remove(path);
}

TEST(Safetensors, FailedWriteLeavesTheOldFileIntact) {
  const std::string path = temp_path("keep.safetensors");
  io::save_safetensors(path, {{"a", Tensor::ones({2})}});
  EXPECT_THROW_WITH(
      io::write_atomically(path, [](std::ostream& out) { out.setstate(std::ios::badbit); }),
      IoError, "the old file, if any, is unchanged");
  EXPECT_EQ(io::load_safetensors(path).at("a").to_vector(), (std::vector<double>{1, 1}));
  EXPECT_THROW_WITH(
      io::save_safetensors("/nonexistent/dir/x.safetensors", {{"a", Tensor::ones({1})}}), IoError,
      "cannot create");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace cnnlab
