// PyTorch parity of ops::max_pool2d, ops::avg_pool2d and ops::adaptive_avg_pool2d (forward and
// dx) against torch.nn.functional in float64; fixtures from make_fixtures.py (pool_fixtures).
#include <gtest/gtest.h>

#include "cnnlab/ops/pool.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_max_pool(const std::string& fixture, const ops::Pool2dParams& params) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = [params](const Inputs& in) {
         return ops::max_pool2d(in.at("x"), params);
       }});
}

void check_avg_pool(const std::string& fixture, const ops::Pool2dParams& params) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = [params](const Inputs& in) {
         return ops::avg_pool2d(in.at("x"), params);
       }});
}

void check_adaptive(const std::string& fixture, Size2 output_size) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = [output_size](const Inputs& in) {
         return ops::adaptive_avg_pool2d(in.at("x"), output_size);
       }});
}

TEST(MaxPool2dParity, Kernel3Stride2Padding1) {
  check_max_pool("max_pool2d_k3_s2_p1", {.kernel = 3, .stride = 2, .padding = 1});
}

TEST(MaxPool2dParity, CeilMode) {
  check_max_pool("max_pool2d_ceil", {.kernel = 3, .stride = 2, .ceil_mode = true});
}

TEST(MaxPool2dParity, Dilation2) {
  check_max_pool("max_pool2d_dilation2", {.kernel = 3, .stride = 2, .padding = 1, .dilation = 2});
}

TEST(MaxPool2dParity, Kernel2DefaultStrideOddWidth) {
  check_max_pool("max_pool2d_k2", {.kernel = 2});
}

// Inputs are small integers with many ties: PyTorch gives the gradient to the first maximum in
// row-major window order, and so must cnnlab.
TEST(MaxPool2dParity, TiesGoToFirstMaximum) {
  check_max_pool("max_pool2d_ties", {.kernel = 2, .stride = 1});
}

TEST(AvgPool2dParity, CountIncludePad) {
  check_avg_pool("avg_pool2d_include_pad",
                 {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = true});
}

TEST(AvgPool2dParity, CountExcludePad) {
  check_avg_pool("avg_pool2d_exclude_pad",
                 {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = false});
}

TEST(AvgPool2dParity, CeilModeCountIncludePad) {
  check_avg_pool(
      "avg_pool2d_ceil_include_pad",
      {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = true});
}

TEST(AvgPool2dParity, CeilModeCountExcludePad) {
  check_avg_pool(
      "avg_pool2d_ceil_exclude_pad",
      {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false});
}

TEST(AvgPool2dParity, Kernel2DefaultStrideOddWidth) {
  check_avg_pool("avg_pool2d_k2", {.kernel = 2});
}

TEST(AdaptiveAvgPool2dParity, From7x7To3x3) {
  check_adaptive("adaptive_avg_pool2d_7x7_to_3x3", {3, 3});
}

TEST(AdaptiveAvgPool2dParity, From5x7To2x3) {
  check_adaptive("adaptive_avg_pool2d_5x7_to_2x3", {2, 3});
}

TEST(AdaptiveAvgPool2dParity, UpFrom3x4To5x6) {
  check_adaptive("adaptive_avg_pool2d_3x4_to_5x6", {5, 6});
}

}  // namespace
}  // namespace cnnlab
