// IDX reader: decompress (if gzip) into memory, then validate the header against the size.
#include "cnnlab/io/idx.hpp"

#include <zlib.h>

#include <fstream>
#include <iterator>

#include "cnnlab/core/check.hpp"

namespace cnnlab::io {
namespace {

constexpr uint64_t kMaxBytes = uint64_t{4} << 30;  // refuse files that would inflate past 4 GiB

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<uint8_t> read_all(const std::string& path) {
  if (!ends_with(path, ".gz")) {
    std::ifstream in(path, std::ios::binary);
    CNNLAB_CHECK(in.good(), IoError, "read_idx: cannot open '", path, "'");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  gzFile f = gzopen(path.c_str(), "rb");
  CNNLAB_CHECK(f != nullptr, IoError, "read_idx: cannot open '", path, "'");
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  int n = 0;
  while ((n = gzread(f, chunk, sizeof(chunk))) > 0) {
    out.insert(out.end(), chunk, chunk + n);
    if (out.size() > kMaxBytes) {
      gzclose(f);
      throw IoError(detail::concat("read_idx: '", path, "' inflates to more than 4 GiB"));
    }
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const std::string what = msg != nullptr ? msg : "";
  gzclose(f);
  CNNLAB_CHECK(n == 0 && err == Z_OK, IoError, "read_idx: '", path,
               "' is not a valid gzip stream (", what, ")");
  return out;
}

}  // namespace

IdxArray read_idx(const std::string& path, int expected_rank) {
  const std::vector<uint8_t> bytes = read_all(path);
  CNNLAB_CHECK(bytes.size() >= 4, IoError, "read_idx: '", path, "' is truncated: ", bytes.size(),
               " bytes, too short for the 4-byte magic");
  const uint32_t magic = (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) |
                         (uint32_t{bytes[2]} << 8) | bytes[3];
  CNNLAB_CHECK(bytes[0] == 0 && bytes[1] == 0, IoError, "read_idx: '", path, "' has magic 0x",
               std::hex, magic, std::dec, "; an IDX file starts with two zero bytes");
  CNNLAB_CHECK(bytes[2] == 0x08, IoError, "read_idx: '", path, "' has dtype byte 0x", std::hex,
               int{bytes[2]}, std::dec, "; only unsigned bytes (0x08) are supported");
  const int rank = bytes[3];
  CNNLAB_CHECK(rank >= 1, IoError, "read_idx: '", path, "' declares rank 0");
  CNNLAB_CHECK(expected_rank <= 0 || rank == expected_rank, IoError, "read_idx: '", path,
               "' has magic 0x", std::hex, magic, std::dec, " (rank ", rank, ") but rank ",
               expected_rank, " was expected");
  const uint64_t header = 4 + 4 * static_cast<uint64_t>(rank);
  CNNLAB_CHECK(bytes.size() >= header, IoError, "read_idx: '", path,
               "' is truncated: ", bytes.size(), " bytes, but a rank-", rank, " header needs ",
               header);
  Shape shape;
  uint64_t numel = 1;
  for (int d = 0; d < rank; ++d) {
    const uint8_t* p = &bytes[4 + 4 * static_cast<size_t>(d)];
    const uint32_t dim =
        (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
    shape.push_back(dim);
    numel *= dim;
    CNNLAB_CHECK(numel <= kMaxBytes, IoError, "read_idx: '", path, "' declares dims ", shape,
                 "... whose payload exceeds 4 GiB");
  }
  const uint64_t payload = bytes.size() - header;
  CNNLAB_CHECK(payload == numel, IoError, "read_idx: '", path, "' is ",
               payload < numel ? "truncated" : "longer than its header says", ": expected ", numel,
               " payload bytes for shape ", shape, ", got ", payload);
  return {shape,
          std::vector<uint8_t>(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end())};
}

}  // namespace cnnlab::io
