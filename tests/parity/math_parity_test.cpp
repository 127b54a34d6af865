// PyTorch parity of the elementwise, reduction and data-movement basics (broadcasting add/mul/div,
// exp, log, pow, sum, mean, var, max along a dim, transpose, cat, gather): forward and gradients
// in float64 and float32; fixtures from make_fixtures.py (basic_fixtures).
#include <gtest/gtest.h>

#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_binary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"a", "b"}, .grads = {"a", "b"}, .op = op});
}

void check_unary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = op});
}

TEST(AddParity, Broadcasting) {
  check_binary("add_broadcast", [](const Inputs& in) { return ops::add(in.at("a"), in.at("b")); });
}

TEST(MulParity, Broadcasting) {
  check_binary("mul_broadcast", [](const Inputs& in) { return ops::mul(in.at("a"), in.at("b")); });
}

TEST(DivParity, Broadcasting) {
  check_binary("div_broadcast", [](const Inputs& in) { return ops::div(in.at("a"), in.at("b")); });
}

TEST(ExpParity, MatchesTorch) {
  check_unary("exp", [](const Inputs& in) { return ops::exp(in.at("x")); });
}

TEST(LogParity, MatchesTorch) {
  check_unary("log", [](const Inputs& in) { return ops::log(in.at("x")); });
}

TEST(PowParity, Exponent2p5) {
  check_unary("pow_2.5", [](const Inputs& in) { return ops::pow(in.at("x"), 2.5); });
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

TEST(MaxParity, ValuesAlongDim1) {
  check_unary("max_dim1", [](const Inputs& in) { return ops::max(in.at("x"), 1).values; });
}

TEST(MaxParity, IndicesAlongDim1) {
  const io::TensorFile f = parity::load_fixture("max_dim1");
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const Tensor indices = ops::max(parity::converted(f.at("x"), dtype), 1).indices;
    EXPECT_EQ(indices.dtype(), Dtype::kInt64);
    EXPECT_TENSOR_EQ(indices, f.at("indices"));
  }
}

TEST(TransposeParity, Dims1And2) {
  check_unary("transpose_1_2", [](const Inputs& in) { return ops::transpose(in.at("x"), 1, 2); });
}

TEST(CatParity, Dim1) {
  check_binary("cat_dim1", [](const Inputs& in) { return ops::cat({in.at("a"), in.at("b")}, 1); });
}

TEST(GatherParity, Dim1) {
  parity::check_op(
      {.fixture = "gather_dim1",
       .inputs = {"x", "index"},
       .grads = {"x"},
       .op = [](const Inputs& in) { return ops::gather(in.at("x"), 1, in.at("index")); }});
}

}  // namespace
}  // namespace cnnlab
