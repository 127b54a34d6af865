// libFuzzer target for the .npy reader (io::parse_npy, the code load_npy runs on a file): any
// bytes must either give a tensor whose size matches the header or throw cnnlab::Error; a crash,
// a sanitizer report, another exception or an allocation beyond the input's size is a finding.
// Build and run: fuzz/README.md.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cnnlab/core/error.hpp"
#include "cnnlab/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const cnnlab::Tensor t = cnnlab::io::parse_npy(bytes, "fuzz.npy");
    // the data is read from the input, so it cannot hold more elements than input bytes
    if (t.numel() > static_cast<int64_t>(size)) std::abort();
  } catch (const cnnlab::Error&) {
    // rejected with a typed error: the expected outcome for most inputs
  }
  return 0;
}
