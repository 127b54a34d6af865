// .npy: files written by NumPy (fixtures from tests/parity/gen/make_npy_fixtures.py) read back
// with the documented dtype conversions, save_npy's bytes equal to np.save's, round trips, and one
// test per kind of bad input (each an IoError naming the file, the expectation and what was found).
#include "cnnlab/io/npy.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cnnlab/core/rng.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

std::string fixture(const std::string& name) {
  return std::string(CNNLAB_FIXTURE_DIR) + "/npy/" + name;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cnnlab_npy_test_" + name)).string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A version 1.0 file: magic, version, 2-byte length, `header` (not padded), `data`.
std::string npy_v1(const std::string& header, const std::string& data) {
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string f4_header(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n";
}

TEST(NpyRead, ReadsEveryDtypeNumPyWrites) {
  const Tensor f4 = io::load_npy(fixture("f4.npy"));
  EXPECT_EQ(f4.dtype(), Dtype::kFloat32);
  EXPECT_EQ(f4.shape(), (Shape{2, 3}));
  EXPECT_EQ(f4.to_vector(), (std::vector<double>{-1, -0.5, 0, 0.5, 1, 1.5}));

  const Tensor f8 = io::load_npy(fixture("f8.npy"));
  EXPECT_EQ(f8.dtype(), Dtype::kFloat64);
  EXPECT_EQ(f8.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(f8.at({1, 2, 3}), 23.0 / 8 - 1);

  const Tensor i8 = io::load_npy(fixture("i8.npy"));
  EXPECT_EQ(i8.dtype(), Dtype::kInt64);
  EXPECT_EQ(i8.shape(), (Shape{4}));
  EXPECT_EQ(i8.data<int64_t>()[0], -3);
  EXPECT_EQ(i8.data<int64_t>()[2], int64_t{1} << 40);
  EXPECT_EQ(i8.data<int64_t>()[3], 7);
}

TEST(NpyRead, ConvertsUint8ToFloat32AndInt32ToInt64) {
  const Tensor u1 = io::load_npy(fixture("u1.npy"));  // '|u1': values as stored, not / 255
  EXPECT_EQ(u1.dtype(), Dtype::kFloat32);
  EXPECT_EQ(u1.shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(u1.to_vector(), (std::vector<double>{0, 51, 102, 153, 204, 255}));
  const Tensor i4 = io::load_npy(fixture("i4.npy"));
  EXPECT_EQ(i4.dtype(), Dtype::kInt64);
  EXPECT_EQ(i4.shape(), (Shape{2, 2}));
  const int64_t* v = i4.data<int64_t>();
  EXPECT_EQ(v[0], INT32_MIN);
  EXPECT_EQ(v[1], -1);
  EXPECT_EQ(v[3], INT32_MAX);
}

TEST(NpyRead, ReadsFormatVersions2And3AndZeroDimArrays) {
  for (const char* name : {"f4_v2.npy", "f4_v3.npy"}) {
    const Tensor t = io::load_npy(fixture(name));
    EXPECT_EQ(t.shape(), (Shape{2, 2})) << name;
    EXPECT_EQ(t.to_vector(), (std::vector<double>{0, 1, 2, 3})) << name;
  }
  EXPECT_EQ(io::read_npy_header(fixture("f4_v3.npy")).major_version, 3);
  const Tensor s = io::load_npy(fixture("f8_scalar.npy"));
  EXPECT_EQ(s.dim(), 0);
  EXPECT_EQ(s.item(), 2.5);
}

TEST(NpyWrite, WritesTheBytesNumPyWrites) {
  const std::string path = temp_path("same_bytes.npy");
  for (const char* name : {"f4.npy", "f8.npy", "i8.npy", "f8_scalar.npy", "lenet5_logits.npy"}) {
    io::save_npy(path, io::load_npy(fixture(name)));
    EXPECT_EQ(read_bytes(path), read_bytes(fixture(name))) << name;
  }
  std::filesystem::remove(path);
}

TEST(NpyWrite, RoundTripsEveryDtypeAndEmptyArrays) {
  const std::string path = temp_path("roundtrip.npy");
  Rng rng(11);
  for (const Tensor& t :
       {Tensor::normal({3, 1, 4, 5}, 0, 1, rng), Tensor::normal({7}, 0, 1, rng, Dtype::kFloat64),
        Tensor::from_int64({INT64_MIN, 0, INT64_MAX}, {3, 1}), Tensor::zeros({0, 3}),
        Tensor::scalar(-0.25)}) {
    io::save_npy(path, t);
    const Tensor back = io::load_npy(path);
    EXPECT_EQ(back.dtype(), t.dtype());
    EXPECT_EQ(back.shape(), t.shape());
    EXPECT_EQ(read_bytes(path).size() % 64, (t.numel() * dtype_size(t.dtype())) % 64);
    EXPECT_EQ(std::memcmp(back.raw_data(), t.raw_data(),
                          static_cast<size_t>(t.numel() * dtype_size(t.dtype()))),
              0);
  }
  std::filesystem::remove(path);
}

TEST(NpyWrite, FailsWithoutTouchingAnythingWhenTheFolderIsMissing) {
  EXPECT_THROW_WITH(io::save_npy("/nonexistent/dir/y.npy", Tensor::ones({1})), IoError,
                    "cannot create");
  EXPECT_THROW_WITH(io::save_npy(temp_path("u.npy"), Tensor()), ValueError,
                    "save_npy: expected a defined tensor");
}

TEST(NpyBadInput, RejectsFortranOrder) {
  EXPECT_THROW_WITH(io::load_npy(fixture("f4_fortran.npy")), IoError,
                    "f4_fortran.npy': expected C order (fortran_order False), got fortran_order "
                    "True; save np.ascontiguousarray(x) instead");
}

TEST(NpyBadInput, RejectsBigEndianAndOtherDtypes) {
  EXPECT_THROW_WITH(io::load_npy(fixture("f4_big_endian.npy")), IoError,
                    "f4_big_endian.npy': expected descr '<f4', '<f8', '<i8', '<i4' or '|u1', got "
                    "'>f4' (big-endian");
  EXPECT_THROW_WITH(
      io::parse_npy(npy_v1("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", "x"), "b"),
      IoError, "'b': expected descr '<f4', '<f8', '<i8', '<i4' or '|u1', got '|b1'");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1("{'descr': [('a', '<f4')], 'fortran_order': False, "
                                         "'shape': (1,), }",
                                         "xxxx")),
                    IoError, "expected a string, True, False or a tuple at byte 10, got '['");
}

TEST(NpyBadInput, RejectsMissingFilesAndBadMagic) {
  EXPECT_THROW_WITH(io::load_npy("/nonexistent/x.npy"), IoError,
                    "load_npy: cannot open '/nonexistent/x.npy'");
  EXPECT_THROW_WITH(io::parse_npy("\x93NUMPY", "short"), IoError,
                    "'short': expected at least 10 bytes (magic, version, header length), got a "
                    "file of 6 bytes");
  EXPECT_THROW_WITH(io::parse_npy("PK\x03\x04 this is a zip (.npz) file", "a.npz"), IoError,
                    "'a.npz': expected the magic string \\x93NUMPY, got something else");
  std::string v4 = npy_v1(f4_header("(1,)"), "abcd");
  v4[6] = 4;
  EXPECT_THROW_WITH(io::parse_npy(v4, "v4"), IoError,
                    "'v4': expected format version 1.0, 2.0 or 3.0, got 4.0");
}

TEST(NpyBadInput, RejectsAHeaderLengthBeyondTheFile) {
  std::string bytes = npy_v1(f4_header("(1,)"), "abcd");
  bytes[8] = '\xff';
  bytes[9] = '\xff';  // 65535 bytes of header in a 72-byte file
  EXPECT_THROW_WITH(io::parse_npy(bytes, "long"), IoError,
                    "'long': expected a header of at most 62 bytes (the rest of the file), got a "
                    "header length of 65535");
  std::string v2 = "\x93NUMPY\x02";
  v2 += std::string(1, '\0') + "\xff\xff\xff\xff" + "{}";  // 4 GiB header in version 2.0
  EXPECT_THROW_WITH(io::parse_npy(v2, "v2"), IoError, "got a header length of 4294967295");
}

TEST(NpyBadInput, RejectsTruncatedDataAndALyingShape) {
  EXPECT_THROW_WITH(
      io::parse_npy(npy_v1(f4_header("(2, 3)"), std::string(20, '\0')), "cut"), IoError,
      "'cut': expected 24 bytes of data for shape [2, 3] ('<f4'), got 20 (truncated)");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1(f4_header("(2,)"), std::string(12, '\0')), "extra"),
                    IoError, "expected 8 bytes of data for shape [2] ('<f4'), got 12 (extra bytes");
  // a real NumPy file cut in the middle of its data
  const std::string path = temp_path("truncated.npy");
  const std::string whole = read_bytes(fixture("f8.npy"));
  write_bytes(path, whole.substr(0, whole.size() - 8));
  EXPECT_THROW_WITH(io::load_npy(path), IoError,
                    "truncated.npy': expected 192 bytes of data for shape [2, 3, 4] ('<f8'), got "
                    "184 (truncated)");
  std::filesystem::remove(path);
}

TEST(NpyBadInput, RejectsShapesWhoseProductOverflows) {
  // 2^32 * 2^32 wraps to 0 in 64 bits: must be caught before multiplying
  EXPECT_THROW_WITH(io::parse_npy(npy_v1(f4_header("(4294967296, 4294967296)"), ""), "huge"),
                    IoError,
                    "'huge': expected at most 2^40 elements, got a shape with dimension "
                    "4294967296 after a product of 4294967296");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1(f4_header("(99999999999999999999999,)"), ""), "digits"),
                    IoError, "expected a dimension below 2^64 at byte 51, got more digits");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1(f4_header("(-1,)"), ""), "neg"), IoError,
                    "expected a non-negative integer at byte 51, got '-'");
}

TEST(NpyBadInput, RejectsHeadersThatAreNotNumPysDict) {
  const std::string data(4, '\0');
  EXPECT_THROW_WITH(io::parse_npy(npy_v1("{'descr': '<f4', 'shape': (1,)}", data), "nokey"),
                    IoError, "'nokey': header: expected a 'fortran_order' key, got none");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1(
                        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", data)),
                    IoError, "expected a string, True, False or a tuple at byte 61, got '1'");
  EXPECT_THROW_WITH(
      io::parse_npy(
          npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 'y'}", data), "k"),
      IoError, "'k': header: expected the keys 'descr', 'fortran_order' and 'shape', got 'x'");
  EXPECT_THROW_WITH(
      io::parse_npy(npy_v1("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", data)), IoError,
      "expected a string, True, False or a tuple at byte 34, got '0'");
  EXPECT_THROW_WITH(
      io::parse_npy(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': '1'}", data)),
      IoError, "expected 'shape' to be a tuple of integers, got a string");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1("{'descr': '<f4', 'descr': '<f4'}", data)), IoError,
                    "expected each key once, got 'descr' twice");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1("{'descr: '<f4'", data)), IoError,
                    "expected ':' at byte 10, got '<'");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1("{'descr", data)), IoError,
                    "expected a closing quote for the string at byte 1, got the end");
  EXPECT_THROW_WITH(io::parse_npy(npy_v1(f4_header("(1,)") + "junk", data)), IoError,
                    "expected only padding after the dict, got 'j'");
}

}  // namespace
}  // namespace cnnlab
