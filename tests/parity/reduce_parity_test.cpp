// PyTorch parity of the reductions of include/cnnlab/ops/reduce.hpp (sum, mean, var, p-norms,
// max/min along a dim with their indices, full max/min with ties): forward and gradients in
// float64 and float32; fixtures from make_fixtures.py (reduce_fixtures).
#include <gtest/gtest.h>

#include "cnnlab/ops/reduce.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_unary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = op});
}

TEST(SumParity, OverDims0And2) {
  check_unary("sum_dims_0_2", [](const Inputs& in) { return ops::sum(in.at("x"), {0, 2}); });
}

TEST(SumParity, Dim1Keepdim) {
  check_unary("sum_dim1_keepdim", [](const Inputs& in) { return ops::sum(in.at("x"), {1}, true); });
}

TEST(MeanParity, LastDim) {
  check_unary("mean_dim_last", [](const Inputs& in) { return ops::mean(in.at("x"), {-1}); });
}

TEST(MeanParity, AllElements) {
  check_unary("mean_all", [](const Inputs& in) { return ops::mean(in.at("x")); });
}

TEST(VarParity, UnbiasedDim1) {
  check_unary("var_unbiased_dim1",
              [](const Inputs& in) { return ops::var(in.at("x"), {1}, true); });
}

TEST(VarParity, BiasedAllElements) {
  check_unary("var_biased_all", [](const Inputs& in) { return ops::var(in.at("x"), {}, false); });
}

// Each dims fixture has one all-zero slice: its norm is 0 and PyTorch's gradient there is 0.
TEST(NormParity, P2OverDims1And2WithAZeroSlice) {
  check_unary("norm_p2_dims_1_2", [](const Inputs& in) {
    return ops::norm(in.at("x"), 2.0, {1, 2});
  });
}

TEST(NormParity, P1Dim1WithAZeroRow) {
  check_unary("norm_p1_dim1", [](const Inputs& in) { return ops::norm(in.at("x"), 1.0, {1}); });
}

TEST(NormParity, P3Dim1KeepdimWithAZeroRow) {
  check_unary("norm_p3_dim1_keepdim",
              [](const Inputs& in) { return ops::norm(in.at("x"), 3.0, {1}, true); });
}

TEST(NormParity, P2AllElements) {
  check_unary("norm_p2_all", [](const Inputs& in) { return ops::norm(in.at("x")); });
}

TEST(MaxParity, ValuesAlongDim1) {
  check_unary("max_dim1", [](const Inputs& in) { return ops::max(in.at("x"), 1).values; });
}

TEST(MinParity, ValuesAlongDim1) {
  check_unary("min_dim1", [](const Inputs& in) { return ops::min(in.at("x"), 1).values; });
}

// The int64 indices of a reduction along dim 1 equal PyTorch's in both precisions.
void check_indices(const std::string& fixture, bool is_max) {
  const io::TensorFile f = parity::load_fixture(fixture);
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const Tensor x = parity::converted(f.at("x"), dtype);
    const Tensor indices = is_max ? ops::max(x, 1).indices : ops::min(x, 1).indices;
    EXPECT_EQ(indices.dtype(), Dtype::kInt64);
    EXPECT_TENSOR_EQ(indices, f.at("indices"));
  }
}

TEST(MaxParity, IndicesAlongDim1) { check_indices("max_dim1", true); }

TEST(MinParity, IndicesAlongDim1) { check_indices("min_dim1", false); }

// x holds small integers, so the extreme of all elements is tied several times: PyTorch 1.13
// splits the gradient evenly among the tied elements.
TEST(MaxParity, AllElementsSplitsGradientAmongTies) {
  check_unary("max_all_ties", [](const Inputs& in) { return ops::max(in.at("x")); });
}

TEST(MinParity, AllElementsSplitsGradientAmongTies) {
  check_unary("min_all_ties", [](const Inputs& in) { return ops::min(in.at("x")); });
}

}  // namespace
}  // namespace cnnlab
