// libFuzzer target for the safetensors reader (io::load_safetensors): the input is written to a
// file in /dev/shm (the reader takes a path) and read back; it must either load or throw
// cnnlab::Error. A crash, a sanitizer report, another exception, or tensors holding more bytes
// than the file are findings. Build and run: fuzz/README.md.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cnnlab/core/error.hpp"
#include "cnnlab/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/dev/shm/cnnlab_fuzz_" + std::to_string(::getpid()) + ".safetensors";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size != 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  try {
    const cnnlab::io::TensorFile file = cnnlab::io::load_safetensors(path);
    int64_t bytes = 0;
    for (const auto& [name, t] : file.tensors) bytes += t.numel() * cnnlab::dtype_size(t.dtype());
    if (bytes > static_cast<int64_t>(size)) std::abort();
  } catch (const cnnlab::Error&) {
    // rejected with a typed error: the expected outcome for most inputs
  }
  return 0;
}
