// IDX reader: a valid file (raw and gzip) and every way a file can be wrong.
#include "cnnlab/io/idx.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "cnnlab/core/error.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cnnlab_test_" + name)).string();
}

std::string idx(std::vector<uint32_t> dims, size_t payload, uint8_t dtype = 0x08) {
  std::string s = {0, 0, static_cast<char>(dtype), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((d >> shift) & 0xff);
  }
  for (size_t i = 0; i < payload; ++i) s += static_cast<char>(i % 251);
  return s;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(IdxReader, ReadsRawAndGzipFiles) {
  const std::string raw = temp_path("ok-idx3-ubyte");
  write(raw, idx({2, 3, 4}, 24));
  io::IdxArray a = io::read_idx(raw, 3);
  EXPECT_EQ(a.shape, (Shape{2, 3, 4}));
  ASSERT_EQ(a.data.size(), 24u);
  EXPECT_EQ(a.data[23], 23);
  const std::string gz = temp_path("ok-idx1-ubyte.gz");
  const std::string content = idx({5}, 5);
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
  gzclose(f);
  EXPECT_EQ(io::read_idx(gz, 1).shape, (Shape{5}));
  std::filesystem::remove(raw);
  std::filesystem::remove(gz);
}

TEST(IdxReader, RejectsBadFilesNamingThem) {
  const std::string p = temp_path("bad-idx");
  EXPECT_THROW_WITH(io::read_idx("/nonexistent/labels"), IoError,
                    "read_idx: cannot open '/nonexistent/labels'");
  write(p, idx({10}, 4));
  EXPECT_THROW_WITH(io::read_idx(p), IoError,
                    "is truncated: expected 10 payload bytes for shape [10], got 4");
  write(p, idx({2}, 3));
  EXPECT_THROW_WITH(io::read_idx(p), IoError, "is longer than its header says");
  write(p, idx({2, 2, 2}, 8));
  EXPECT_THROW_WITH(io::read_idx(p, 1), IoError,
                    "has magic 0x803 (rank 3) but rank 1 was expected");
  write(p, idx({2}, 8, 0x0D));
  EXPECT_THROW_WITH(io::read_idx(p), IoError, "has dtype byte 0xd; only unsigned bytes (0x08)");
  write(p, "\x01\x02\x08\x01");
  EXPECT_THROW_WITH(io::read_idx(p), IoError, "an IDX file starts with two zero bytes");
  write(p, std::string("\0\0\x08\x03\0\0", 6));
  EXPECT_THROW_WITH(io::read_idx(p), IoError, "but a rank-3 header needs 16");
  write(p, idx({0xffffffffu, 0xffffffffu}, 0));
  EXPECT_THROW_WITH(io::read_idx(p), IoError, "whose payload exceeds 4 GiB");
  const std::string gz = temp_path("bad.gz");
  write(gz, "not gzip at all, but long enough to look like data");
  // zlib reads non-gzip input transparently; the content then fails the IDX checks
  EXPECT_THROW(io::read_idx(gz), IoError);
  std::filesystem::remove(p);
  std::filesystem::remove(gz);
}

void write_gz(const std::string& path, const std::string& content) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
  gzclose(f);
}

TEST(IdxReader, RejectsBadGzipFilesNamingThem) {
  const std::string gz = temp_path("bad-idx.gz");
  write_gz(gz, idx({10}, 4));
  EXPECT_THROW_WITH(io::read_idx(gz), IoError,
                    "bad-idx.gz' is truncated: expected 10 payload bytes for shape [10], got 4");
  write_gz(gz, idx({2}, 300000));
  EXPECT_THROW_WITH(io::read_idx(gz), IoError,
                    "is longer than its header says: expected 2 payload bytes for shape [2], "
                    "got 300000");
  // A header that claims 3 GiB in a tiny file: an error, not a 3 GiB allocation.
  write_gz(gz, idx({50000, 256, 256}, 100));
  EXPECT_THROW_WITH(io::read_idx(gz), IoError,
                    "is truncated: expected 3276800000 payload bytes for shape [50000, 256, 256], "
                    "got 100");
  write_gz(gz, std::string("\0\0\x08\x03\0\0\0\x02", 8));
  EXPECT_THROW_WITH(io::read_idx(gz), IoError, "but a rank-3 header needs 16");
  write_gz(gz, std::string("\0\0", 2));
  EXPECT_THROW_WITH(io::read_idx(gz), IoError, "is truncated: 2 bytes, too short for the 4-byte");
  // A gzip stream cut in the middle, and one that lacks only its 8-byte trailer.
  write_gz(gz, idx({4000}, 4000));
  const auto full = std::filesystem::file_size(gz);
  std::filesystem::resize_file(gz, full - 8);
  EXPECT_THROW_WITH(io::read_idx(gz), IoError, "is not a valid gzip stream");
  std::filesystem::resize_file(gz, full / 2);
  EXPECT_THROW_WITH(io::read_idx(gz), IoError, "bad-idx.gz'");
  std::filesystem::remove(gz);
}

TEST(IdxReader, ReadsALargerGzipPayloadExactly) {
  const std::string gz = temp_path("large-idx3-ubyte.gz");
  write_gz(gz, idx({3, 700, 1000}, 2100000));  // larger than one read chunk
  const io::IdxArray a = io::read_idx(gz, 3);
  ASSERT_EQ(a.data.size(), 2100000u);
  EXPECT_EQ(a.data[2099999], 2099999 % 251);
  EXPECT_EQ(a.data.capacity(), a.data.size()) << "the payload is allocated once, exactly";
  std::filesystem::remove(gz);
}

}  // namespace
}  // namespace cnnlab
