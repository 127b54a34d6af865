// PyTorch parity of ops::conv2d (forward, dx, dweight, dbias) against F.conv2d in float64;
// fixtures from tests/parity/gen/make_fixtures.py (conv_fixtures).
#include <gtest/gtest.h>

#include "cnnlab/core/backend.hpp"
#include "cnnlab/ops/conv.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

// NOTE: float32 atol 1e-5 instead of the default 1e-6: the fast backend's kernels (oneDNN,
// im2col + sgemm) accumulate in float, and dweight's sums of up to 162 products leave ~2e-6
// absolute error where they cancel (6e-8 of the largest |dweight|, 36: float32 rounding). The
// reference kernels, which accumulate in double, are held to the default as well.

void check_conv2d(const std::string& fixture, bool bias, const ops::Conv2dParams& params) {
  std::vector<std::string> names = {"x", "weight"};
  if (bias) names.push_back("bias");
  const parity::OpFn op = [params](const Inputs& in) {
    return ops::conv2d(in.at("x"), in.at("weight"), parity::optional_input(in, "bias"), params);
  };
  parity::check_op({.fixture = fixture,
                    .inputs = names,
                    .grads = names,
                    .op = op,
                    .tol = {.f32 = {.rtol = 1e-5, .atol = 1e-5}}});
  SCOPED_TRACE("reference backend, default tolerances");
  BackendGuard reference(Backend::kReference);
  parity::check_op({.fixture = fixture, .inputs = names, .grads = names, .op = op});
}

TEST(Conv2dParity, Plain) { check_conv2d("conv2d_plain", true, {}); }

TEST(Conv2dParity, Stride2Padding1) {
  check_conv2d("conv2d_s2_p1", true, {.stride = 2, .padding = 1});
}

TEST(Conv2dParity, Groups2) { check_conv2d("conv2d_groups2", true, {.padding = 1, .groups = 2}); }

TEST(Conv2dParity, Dilation2) {
  check_conv2d("conv2d_dilation2", true, {.padding = 2, .dilation = 2});
}

TEST(Conv2dParity, NoBias) { check_conv2d("conv2d_no_bias", false, {.padding = 1}); }

TEST(Conv2dParity, Kernel1x3Padding0x1) {
  check_conv2d("conv2d_k1x3_p0x1", true, {.padding = {0, 1}});
}

TEST(Conv2dParity, NonSquareStridePaddingDilationWithGroups) {
  check_conv2d("conv2d_mixed", true,
               {.stride = {2, 1}, .padding = {1, 2}, .dilation = {1, 2}, .groups = 2});
}

}  // namespace
}  // namespace cnnlab
