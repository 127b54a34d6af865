// IDX files (the MNIST family's format: http://yann.lecun.com/exdb/mnist/), raw or gzip-compressed.
// Layout: 2 zero bytes, a dtype byte (0x08 = unsigned byte), a rank byte, rank big-endian uint32
// dims, then the row-major payload. Everything is validated against the file before the payload
// is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/tensor/shape.hpp"

namespace cnnlab::io {

/// An IDX array of unsigned bytes.
struct IdxArray {
  Shape shape;
  std::vector<uint8_t> data;  ///< shape.numel() bytes, row-major
};

/// Reads an IDX file of unsigned bytes (0x08), gzip-compressed when the name ends in ".gz".
/// expected_rank > 0 also checks the rank (3 for images, 1 for labels). Throws IoError naming
/// the file: cannot open, bad magic, unsupported dtype, wrong rank, truncated or oversized
/// payload.
IdxArray read_idx(const std::string& path, int expected_rank = 0);

}  // namespace cnnlab::io
