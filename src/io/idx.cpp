// IDX reader: stream the header, validate it, then read the payload into one buffer of exactly the
// declared size (the full Fashion-MNIST training set is one 47 MB allocation, never two).
#include "cnnlab/io/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cnnlab/core/check.hpp"

namespace cnnlab::io {
namespace {

constexpr uint64_t kMaxBytes = uint64_t{4} << 30;  // refuse payloads past 4 GiB
constexpr size_t kChunk = size_t{1} << 20;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Sequential reads from a raw or gzip file. NOTE: zlib reads a non-gzip file transparently, so a
// ".gz" name on a raw file still works.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path), gz_(ends_with(path, ".gz")) {
    if (gz_) {
      gz_file_ = gzopen(path.c_str(), "rb");
      CNNLAB_CHECK(gz_file_ != nullptr, IoError, "read_idx: cannot open '", path, "'");
      gzbuffer(gz_file_, 1 << 17);
    } else {
      file_ = std::fopen(path.c_str(), "rb");
      CNNLAB_CHECK(file_ != nullptr, IoError, "read_idx: cannot open '", path, "'");
    }
  }
  ~Reader() {
    if (gz_file_ != nullptr) gzclose(gz_file_);
    if (file_ != nullptr) std::fclose(file_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  bool compressed() const { return gz_; }

  /// Reads up to n bytes; fewer only at the end of the data. Throws IoError on a read error.
  size_t read(uint8_t* out, size_t n) {
    size_t done = 0;
    while (done < n) {
      const size_t want = std::min(n - done, kChunk);
      size_t got = 0;
      if (gz_) {
        const int r = gzread(gz_file_, out + done, static_cast<unsigned>(want));
        if (r < 0) {
          int err = 0;
          const char* msg = gzerror(gz_file_, &err);
          throw IoError(detail::concat("read_idx: '", path_, "' is not a valid gzip stream (",
                                       msg != nullptr ? msg : "", ")"));
        }
        got = static_cast<size_t>(r);
      } else {
        got = std::fread(out + done, 1, want, file_);
        CNNLAB_CHECK(!std::ferror(file_), IoError, "read_idx: error reading '", path_, "'");
      }
      done += got;
      if (got < want) break;
    }
    return done;
  }

  /// Counts the bytes left, reading them (bounded by kMaxBytes).
  uint64_t count_rest() {
    std::vector<uint8_t> scratch(kChunk);
    uint64_t total = 0;
    while (total <= kMaxBytes) {
      const size_t got = read(scratch.data(), scratch.size());
      total += got;
      if (got < scratch.size()) break;
    }
    return total;
  }

  /// After the end was reached: throws IoError if the gzip stream ended early (a cut file whose
  /// data happened to be complete still lacks its checksum).
  void check_clean_end() {
    if (!gz_) return;
    int err = 0;
    const char* msg = gzerror(gz_file_, &err);
    CNNLAB_CHECK(err == Z_OK, IoError, "read_idx: '", path_, "' is not a valid gzip stream (",
                 msg != nullptr ? msg : "", ")");
  }

 private:
  std::string path_;
  bool gz_ = false;
  gzFile gz_file_ = nullptr;
  std::FILE* file_ = nullptr;
};

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

IdxArray read_idx(const std::string& path, int expected_rank) {
  Reader in(path);
  uint8_t magic_bytes[4];
  const size_t got_magic = in.read(magic_bytes, 4);
  CNNLAB_CHECK(got_magic == 4, IoError, "read_idx: '", path, "' is truncated: ", got_magic,
               " bytes, too short for the 4-byte magic");
  const uint32_t magic = big_endian(magic_bytes);
  CNNLAB_CHECK(magic_bytes[0] == 0 && magic_bytes[1] == 0, IoError, "read_idx: '", path,
               "' has magic 0x", std::hex, magic, std::dec,
               "; an IDX file starts with two zero bytes");
  CNNLAB_CHECK(magic_bytes[2] == 0x08, IoError, "read_idx: '", path, "' has dtype byte 0x",
               std::hex, int{magic_bytes[2]}, std::dec,
               "; only unsigned bytes (0x08) are supported");
  const int rank = magic_bytes[3];
  CNNLAB_CHECK(rank >= 1, IoError, "read_idx: '", path, "' declares rank 0");
  CNNLAB_CHECK(expected_rank <= 0 || rank == expected_rank, IoError, "read_idx: '", path,
               "' has magic 0x", std::hex, magic, std::dec, " (rank ", rank, ") but rank ",
               expected_rank, " was expected");
  const uint64_t header = 4 + 4 * static_cast<uint64_t>(rank);
  std::vector<uint8_t> dims_bytes(4 * static_cast<size_t>(rank));
  const size_t got_dims = in.read(dims_bytes.data(), dims_bytes.size());
  CNNLAB_CHECK(got_dims == dims_bytes.size(), IoError, "read_idx: '", path,
               "' is truncated: ", 4 + got_dims, " bytes, but a rank-", rank, " header needs ",
               header);
  Shape shape;
  uint64_t numel = 1;
  for (int d = 0; d < rank; ++d) {
    const uint32_t dim = big_endian(&dims_bytes[4 * static_cast<size_t>(d)]);
    shape.push_back(dim);
    numel *= dim;
    CNNLAB_CHECK(numel <= kMaxBytes, IoError, "read_idx: '", path, "' declares dims ", shape,
                 "... whose payload exceeds 4 GiB");
  }

  // A raw file's size is known: check it before allocating anything.
  if (!in.compressed()) {
    std::error_code ec;
    const uint64_t file_size = std::filesystem::file_size(path, ec);
    CNNLAB_CHECK(!ec, IoError, "read_idx: cannot stat '", path, "': ", ec.message());
    const uint64_t payload = file_size >= header ? file_size - header : 0;
    CNNLAB_CHECK(payload == numel, IoError, "read_idx: '", path, "' is ",
                 payload < numel ? "truncated" : "longer than its header says", ": expected ",
                 numel, " payload bytes for shape ", shape, ", got ", payload);
  }

  // NOTE: a gzip stream's size is only known once inflated, so a lying header in a small .gz file
  // must not make us allocate its declared size up front: the buffer starts at min(declared,
  // 64 MiB) (one exact allocation for every MNIST-family file) and then doubles, capped at the
  // declared size, as real data arrives.
  std::vector<uint8_t> data;
  data.reserve(in.compressed() ? static_cast<size_t>(std::min<uint64_t>(numel, 64 * kChunk))
                               : static_cast<size_t>(numel));
  while (data.size() < numel) {
    const size_t old = data.size();
    const size_t want = static_cast<size_t>(std::min<uint64_t>(numel - old, 16 * kChunk));
    if (data.capacity() < old + want) data.reserve(std::min<uint64_t>(numel, 2 * (old + want)));
    data.resize(old + want);
    const size_t got = in.read(data.data() + old, want);
    data.resize(old + got);
    if (got < want) break;
  }
  const uint64_t extra = data.size() == numel ? in.count_rest() : 0;
  const uint64_t payload = data.size() + extra;
  in.check_clean_end();
  CNNLAB_CHECK(payload == numel, IoError, "read_idx: '", path, "' is ",
               payload < numel ? "truncated" : "longer than its header says", ": expected ", numel,
               " payload bytes for shape ", shape, ", got ", payload);
  return {shape, std::move(data)};
}

}  // namespace cnnlab::io
