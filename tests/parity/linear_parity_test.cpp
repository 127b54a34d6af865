// PyTorch parity of ops::linear and ops::matmul (forward and the gradients of every operand)
// against F.linear / torch.matmul in float64; fixtures from make_fixtures.py (linear_fixtures).
#include <gtest/gtest.h>

#include "cnnlab/ops/linear.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_linear(const std::string& fixture, bool bias) {
  std::vector<std::string> names = {"x", "weight"};
  if (bias) names.push_back("bias");
  parity::check_op(
      {.fixture = fixture, .inputs = names, .grads = names, .op = [](const Inputs& in) {
         return ops::linear(in.at("x"), in.at("weight"), parity::optional_input(in, "bias"));
       }});
}

void check_matmul(const std::string& fixture) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"a", "b"}, .grads = {"a", "b"}, .op = [](const Inputs& in) {
         return ops::matmul(in.at("a"), in.at("b"));
       }});
}

TEST(LinearParity, WithBias) { check_linear("linear", true); }

TEST(LinearParity, WithoutBias) { check_linear("linear_no_bias", false); }

TEST(LinearParity, ThreeDimensionalInput) { check_linear("linear_3d_input", true); }

TEST(MatmulParity, TwoDimensional) { check_matmul("matmul_2d"); }

TEST(MatmulParity, Batched) { check_matmul("matmul_batched"); }

TEST(MatmulParity, BatchedTimes2dBroadcasts) { check_matmul("matmul_batched_times_2d"); }

TEST(MatmulParity, TwoBatchDims) { check_matmul("matmul_two_batch_dims"); }

}  // namespace
}  // namespace cnnlab
