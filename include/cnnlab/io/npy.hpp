// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// the magic "\x93NUMPY", a version byte pair (1.0, 2.0 or 3.0), a little-endian header length
// (2 bytes in 1.0, 4 bytes after), a Python dict literal {'descr': '<f4', 'fortran_order': False,
// 'shape': (2, 3), } padded with spaces to a multiple of 64 bytes, then the raw C-order data.
// Reading validates every header field against the file size before allocating; writing is atomic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::io {

/// What a .npy header says, after validation against the file's size.
struct NpyHeader {
  int major_version = 1;      ///< 1, 2 or 3
  std::string descr;          ///< the element type as written: "<f4", "<f8", "<i8", "|u1", "<i4"
  Shape shape;                ///< () for a 0-d array
  uint64_t data_offset = 0;   ///< bytes before the data (magic + length + header)
  uint64_t element_size = 0;  ///< bytes per stored element
};

/// Reads a .npy file into a tensor of the same shape, C order. Element types:
///   '<f4' -> float32, '<f8' -> float64, '<i8' -> int64 (as stored),
///   '|u1' -> float32 holding the values 0..255 (not scaled to [0, 1]),
///   '<i4' -> int64.
/// Throws IoError naming the file, what was expected and what was found, for: a file that cannot
/// be opened, a bad magic string, an unsupported version, a header length beyond the file, a
/// header that is not the dict NumPy writes (missing, unknown or ill-typed keys), another dtype
/// (big-endian, bool, complex, structured, ...), fortran_order True, a shape whose element count
/// exceeds 2^40 (checked before multiplying, so it cannot overflow), and data that is shorter or
/// longer than the shape says. Nothing is allocated for the data before these checks pass.
Tensor load_npy(const std::string& path);

/// Reads only the header of a .npy file, with the same checks as load_npy (including the data
/// size), without reading the data.
NpyHeader read_npy_header(const std::string& path);

/// load_npy on bytes in memory (a .npy file's whole contents); `name` stands for the file in
/// messages. For tests and fuzzing.
Tensor parse_npy(std::string_view bytes, const std::string& name = "<memory>");

/// Writes `tensor` (float32 '<f4', float64 '<f8' or int64 '<i8'; any rank, 0-d included) as a
/// version 1.0 .npy file (2.0 if the header would not fit in 65535 bytes), C order, atomically
/// (io/atomic_file.hpp: the old file survives a failed write). Throws ValueError for an
/// undefined tensor, IoError when the file cannot be written.
void save_npy(const std::string& path, const Tensor& tensor);

}  // namespace cnnlab::io
