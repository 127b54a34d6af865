// PyTorch parity of the data-movement ops of include/cnnlab/ops/shape_ops.hpp (transpose,
// permute, cat, stack, split, narrow, index_select, gather, one_hot): forward and gradients in
// float64 and float32; fixtures from make_fixtures.py (shape_fixtures).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnnlab/ops/shape_ops.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_unary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = op});
}

TEST(TransposeParity, Dims1And2) {
  check_unary("transpose_1_2", [](const Inputs& in) { return ops::transpose(in.at("x"), 1, 2); });
}

TEST(PermuteParity, Dims2_0_1) {
  check_unary("permute_2_0_1", [](const Inputs& in) {
    return ops::permute(in.at("x"), {2, 0, 1});
  });
}

TEST(CatParity, Dim1) {
  parity::check_op({.fixture = "cat_dim1",
                    .inputs = {"a", "b"},
                    .grads = {"a", "b"},
                    .op = [](const Inputs& in) {
                      return ops::cat({in.at("a"), in.at("b")}, 1);
                    }});
}

TEST(StackParity, ThreeTensorsAlongDim1) {
  parity::check_op({.fixture = "stack_dim1",
                    .inputs = {"a", "b", "c"},
                    .grads = {"a", "b", "c"},
                    .op = [](const Inputs& in) {
                      return ops::stack({in.at("a"), in.at("b"), in.at("c")}, 1);
                    }});
}

// "y3", "dy3": the fixture name of output i or of its upstream gradient.
std::string piece_name(const char* prefix, size_t i) {
  std::string name = prefix;
  name += std::to_string(i);
  return name;
}

// split has several outputs: the fixture holds y0, y1, ... with one upstream gradient dy<i>
// each, and dx is the gradient of sum_i <y_i, dy_i>.
void check_split(const std::string& fixture, int64_t split_size, int64_t dim) {
  const io::TensorFile f = parity::load_fixture(fixture);
  size_t expected_pieces = 0;
  while (f.tensors.count(piece_name("y", expected_pieces))) ++expected_pieces;
  ASSERT_GT(expected_pieces, 1u);
  const parity::Tolerances tol;
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const Inputs in = parity::make_inputs(f, {}, {"x"}, dtype);
    const std::vector<Tensor> pieces = ops::split(in.at("x"), split_size, dim);
    ASSERT_EQ(pieces.size(), expected_pieces);
    Tensor total;
    for (size_t i = 0; i < pieces.size(); ++i) {
      EXPECT_EQ(pieces[i].dtype(), dtype);
      parity::expect_matches(pieces[i], f, piece_name("y", i), tol.at(dtype));
      const Tensor term = (pieces[i] * parity::converted(f.at(piece_name("dy", i)), dtype)).sum();
      total = total.defined() ? total + term : term;
    }
    total.backward();
    parity::expect_matches(in.at("x").grad(), f, "dx", tol.at(dtype));
  }
}

TEST(SplitParity, Dim0IntoPiecesOf2) { check_split("split_dim0", 2, 0); }

TEST(SplitParity, Dim1WithAShorterLastPiece) { check_split("split_dim1", 3, 1); }

TEST(NarrowParity, Dim1) {
  check_unary("narrow_dim1", [](const Inputs& in) { return ops::narrow(in.at("x"), 1, 2, 3); });
}

// The index repeats an entry, whose gradients must add up.
void check_index_select(const std::string& fixture, int64_t dim) {
  parity::check_op(
      {.fixture = fixture, .inputs = {"x", "index"}, .grads = {"x"}, .op = [dim](const Inputs& in) {
         return ops::index_select(in.at("x"), dim, in.at("index"));
       }});
}

TEST(IndexSelectParity, Dim1WithRepeatedIndex) { check_index_select("index_select_dim1", 1); }

TEST(IndexSelectParity, Dim0WithRepeatedIndex) { check_index_select("index_select_dim0", 0); }

TEST(GatherParity, Dim1) {
  parity::check_op(
      {.fixture = "gather_dim1",
       .inputs = {"x", "index"},
       .grads = {"x"},
       .op = [](const Inputs& in) { return ops::gather(in.at("x"), 1, in.at("index")); }});
}

// Forward only: int64 labels to 0/1 rows in the requested dtype.
TEST(OneHotParity, MatchesTorchInBothDtypes) {
  const io::TensorFile f = parity::load_fixture("one_hot");
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const Tensor y = ops::one_hot(f.at("labels"), 5, dtype);
    EXPECT_EQ(y.dtype(), dtype);
    EXPECT_TENSOR_EQ(y, f.at("y"));
  }
}

}  // namespace
}  // namespace cnnlab
