// Helpers for the data and image tests: a temporary folder removed at the end of the test, and
// writers for tiny generated files (raw bytes, gzip, IDX, CIFAR records).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace cnnlab::testing {

/// A fresh folder named after the running test and the process (safe under ctest -j).
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path() /
             ("cnnlab_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
              std::to_string(::getpid())))
                .string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// path()/name, creating the parent folders of name.
  std::string file(const std::string& name) const {
    const std::filesystem::path p = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  write_bytes(path, std::string(bytes.begin(), bytes.end()));
}

inline void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << "cannot write " << path;
  if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

/// An IDX file of unsigned bytes: header for `dims`, then `payload` (which may lie about them).
inline std::string idx_bytes(const std::vector<uint32_t>& dims,
                             const std::vector<uint8_t>& payload) {
  std::string s = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((d >> shift) & 0xff);
  }
  s.append(payload.begin(), payload.end());
  return s;
}

/// A CIFAR record: label bytes then 3072 pixel bytes, pixel k = (seed + k) % 256.
inline std::string cifar_record(const std::vector<uint8_t>& labels, uint8_t seed) {
  std::string s(labels.begin(), labels.end());
  for (int k = 0; k < 3072; ++k) s += static_cast<char>((seed + k) % 256);
  return s;
}

}  // namespace cnnlab::testing
