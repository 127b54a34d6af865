// Checks of the committed fixture folder itself: every file loads, records the op and the
// generator's arguments, holds only float64/int64 tensors, and the folder stays small.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

namespace fs = std::filesystem;

TEST(ParityFixtures, EveryFileHasOpArgsAndFloat64OrInt64Tensors) {
  int64_t files = 0;
  for (const auto& entry : fs::directory_iterator(CNNLAB_FIXTURE_DIR)) {
    if (entry.path().extension() != ".safetensors") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    const io::TensorFile f = io::load_safetensors(entry.path().string());
    ASSERT_TRUE(f.metadata.count("op")) << "no 'op' metadata";
    ASSERT_TRUE(f.metadata.count("args")) << "no 'args' metadata";
    EXPECT_EQ(f.metadata.at("args").front(), '{');
    EXPECT_FALSE(f.tensors.empty());
    for (const auto& [name, t] : f.tensors) {
      EXPECT_TRUE(t.dtype() == Dtype::kFloat64 || t.dtype() == Dtype::kInt64)
          << "tensor '" << name << "' is " << t.dtype();
    }
  }
  EXPECT_GT(files, 50)
      << "fixtures missing? run /usr/bin/python3 tests/parity/gen/make_fixtures.py";
}

// NOTE: the budget was 2 MiB for the op fixtures; the model zoo's fixtures (10 KB to 0.5 MB
// each: sampled gradients of every parameter) and the .npy interop files in npy/ raised it to
// 4 MiB. Issue 5 asks for the parity of every registered model, and the deep ones' fixtures
// (models_zoo_families_parity_test.cpp: resnet32..152, the VGGs, ...) add about 1.4 MB even
// with 4 samples per gradient: the safetensors header, ~300 bytes of names per state_dict
// entry, dominates. Hence 6 MiB. Sub-folders count too.
TEST(ParityFixtures, FolderStaysUnder6MiB) {
  uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(CNNLAB_FIXTURE_DIR)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  EXPECT_LT(bytes, uintmax_t{6} << 20);
}

}  // namespace
}  // namespace cnnlab
