// safetensors (https://huggingface.co/docs/safetensors): read and write named tensors.
// Format: 8-byte little-endian header length N, N bytes of JSON {"name": {"dtype": "F32",
// "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {"k": "v"}}, then the raw
// little-endian data. Reading validates every offset and size against the file before
// allocating; writing goes to a temporary file that is renamed into place (atomic).
#pragma once

#include <map>
#include <string>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::io {

/// Named tensors in file order plus the string metadata.
struct TensorFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`; throws IoError naming `path` and the known names if absent.
  const Tensor& at(const std::string& name) const;
  std::string path;  ///< where it was read from (for messages)
};

/// Reads F32, F64 and I64 tensors. Throws IoError (naming the file) on a short file, bad JSON,
/// unsupported dtype, or offsets that do not match the shapes and the file size.
TensorFile load_safetensors(const std::string& path);

/// Writes the tensors (F32, F64 or I64) and metadata atomically.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace cnnlab::io
