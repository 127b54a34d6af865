// ops::matmul and ops::linear: hand-computed products, batching and broadcasting, recording, the
// argument checks with their messages; and the reference gemm kernel's transposes, alpha, beta.
#include "cnnlab/ops/linear.hpp"

#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "kernels/gemm.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor t64(const std::vector<double>& v, const Shape& s) {
  return Tensor::from_vector(v, s, Dtype::kFloat64);
}

TEST(MatmulOp, MatchesHandComputedProduct) {
  // [[1, 2, 3], [4, 5, 6]] @ [[1, 0], [0, 1], [2, -1]] = [[7, -1], [16, -1]]
  const Tensor a = t64({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = t64({1, 0, 0, 1, 2, -1}, {3, 2});
  EXPECT_TENSOR_EQ(ops::matmul(a, b), t64({7, -1, 16, -1}, {2, 2}));
}

TEST(MatmulOp, BatchedAndBroadcastMatchPerMatrixProducts) {
  Rng rng(201);
  const Tensor a = Tensor::uniform({2, 3, 4}, -1, 1, rng, Dtype::kFloat64);
  const Tensor b = Tensor::uniform({2, 4, 5}, -1, 1, rng, Dtype::kFloat64);
  const Tensor m = Tensor::uniform({4, 5}, -1, 1, rng, Dtype::kFloat64);
  const Tensor batched = ops::matmul(a, b);
  const Tensor broadcast = ops::matmul(a, m);
  ASSERT_EQ(batched.shape(), Shape({2, 3, 5}));
  ASSERT_EQ(broadcast.shape(), Shape({2, 3, 5}));
  for (int64_t i = 0; i < 2; ++i) {
    const Tensor ai = ops::narrow(a, 0, i, 1).squeeze(0);
    EXPECT_TENSOR_EQ(ops::narrow(batched, 0, i, 1).squeeze(0),
                     ops::matmul(ai, ops::narrow(b, 0, i, 1).squeeze(0)));
    EXPECT_TENSOR_EQ(ops::narrow(broadcast, 0, i, 1).squeeze(0), ops::matmul(ai, m));
  }
  EXPECT_EQ(ops::matmul(Tensor::zeros({3, 4}), Tensor::zeros({2, 6, 4, 5})).shape(),
            Shape({2, 6, 3, 5}));
}

TEST(MatmulOp, RecordsNamedNode) {
  Tensor a = Tensor::ones({2, 2}).set_requires_grad(true);
  const Tensor y = ops::matmul(a, Tensor::ones({2, 3}));
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "matmul");
}

TEST(MatmulShape, RejectsRankBelowTwo) {
  EXPECT_THROW_WITH(ops::matmul(Tensor::zeros({3}), Tensor::zeros({3, 4})), ShapeError,
                    "matmul: expected operands of rank 2 or more, got [3] @ [3, 4]");
}

TEST(MatmulShape, RejectsInnerDimMismatch) {
  EXPECT_THROW_WITH(ops::matmul(Tensor::zeros({2, 4}), Tensor::zeros({5, 3})), ShapeError,
                    "matmul: expected a's last dim to equal b's second-to-last dim, got [2, 4] @ "
                    "[5, 3]");
}

TEST(MatmulShape, RejectsUnequalBatchDims) {
  EXPECT_THROW_WITH(ops::matmul(Tensor::zeros({2, 3, 4}), Tensor::zeros({3, 4, 5})), ShapeError,
                    "matmul: expected equal batch dims (or one 2-D operand), got [2, 3, 4] @ "
                    "[3, 4, 5]");
}

TEST(MatmulArgs, RejectsMixedDtypes) {
  EXPECT_THROW_WITH(ops::matmul(Tensor::zeros({2, 2}), Tensor::zeros({2, 2}, Dtype::kFloat64)),
                    ValueError, "matmul: expected b to have the dtype of a (float32), got float64");
}

TEST(LinearOp, MatchesHandComputedValues) {
  // x = [[1, 2], [3, 4]], W = [[1, -1], [0, 2], [1, 1]], b = [0.5, 0, -1]
  // y = x W^T + b = [[-1 + 0.5, 4, 3 - 1], [-1 + 0.5, 8, 7 - 1]]
  Tensor x = t64({1, 2, 3, 4}, {2, 2}).set_requires_grad(true);
  Tensor w = t64({1, -1, 0, 2, 1, 1}, {3, 2}).set_requires_grad(true);
  Tensor b = t64({0.5, 0, -1}, {3}).set_requires_grad(true);
  const Tensor y = ops::linear(x, w, b);
  EXPECT_TENSOR_EQ(y, t64({-0.5, 4, 2, -0.5, 8, 6}, {2, 3}));
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->name(), "linear");

  // dy = 1: dx rows are the column sums of W, dW rows the column sums of x, db the row count.
  y.sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), t64({2, 2, 2, 2}, {2, 2}));
  EXPECT_TENSOR_EQ(w.grad(), t64({4, 6, 4, 6, 4, 6}, {3, 2}));
  EXPECT_TENSOR_EQ(b.grad(), t64({2, 2, 2}, {3}));
}

TEST(LinearOp, LeadingDimsFoldIntoRows) {
  Rng rng(202);
  const Tensor x = Tensor::uniform({2, 3, 4}, -1, 1, rng, Dtype::kFloat64);
  const Tensor w = Tensor::uniform({5, 4}, -1, 1, rng, Dtype::kFloat64);
  const Tensor b = Tensor::uniform({5}, -1, 1, rng, Dtype::kFloat64);
  const Tensor y = ops::linear(x, w, b);
  ASSERT_EQ(y.shape(), Shape({2, 3, 5}));
  EXPECT_TENSOR_EQ(y.reshape({6, 5}), ops::linear(x.reshape({6, 4}), w, b));
  EXPECT_TENSOR_NEAR(ops::linear(x, w), ops::matmul(x, w.t()), 0.0, 1e-15);
  EXPECT_EQ(ops::linear(Tensor::zeros({4}), Tensor::zeros({5, 4})).shape(), Shape({5}));
}

TEST(LinearShape, RejectsFeatureMismatch) {
  EXPECT_THROW_WITH(ops::linear(Tensor::zeros({8, 256}), Tensor::zeros({120, 400})), ShapeError,
                    "linear: input has 256 features but weight expects 400 (input [8, 256], "
                    "weight [120, 400])");
}

TEST(LinearShape, RejectsNon2dWeightAndScalarInput) {
  EXPECT_THROW_WITH(ops::linear(Tensor::zeros({8, 4}), Tensor::zeros({4})), ShapeError,
                    "linear: expected a 2-D weight (out_features, in_features), got shape [4]");
  EXPECT_THROW_WITH(ops::linear(Tensor::scalar(1.0), Tensor::zeros({3, 1})), ShapeError,
                    "linear: expected an input of shape (*, in_features), got shape []");
}

TEST(LinearShape, RejectsBadBiasShape) {
  EXPECT_THROW_WITH(ops::linear(Tensor::zeros({2, 4}), Tensor::zeros({3, 4}), Tensor::zeros({4})),
                    ShapeError,
                    "linear: expected a bias of shape [3] (one per output feature), got [4]");
}

TEST(LinearArgs, RejectsMixedDtypes) {
  EXPECT_THROW_WITH(ops::linear(Tensor::zeros({2, 4}), Tensor::zeros({3, 4}, Dtype::kFloat64)),
                    ValueError,
                    "linear: expected weight to have the dtype of input (float32), got float64");
}

// ---- the reference gemm kernel --------------------------------------------------------------

TEST(GemmKernel, AllTransposesWithAlphaAndBeta) {
  Rng rng(203);
  const int64_t m = 3, n = 4, k = 5;
  const Tensor a = Tensor::uniform({m, k}, -1, 1, rng, Dtype::kFloat64);  // op(A)
  const Tensor b = Tensor::uniform({k, n}, -1, 1, rng, Dtype::kFloat64);  // op(B)
  const Tensor c0 = Tensor::uniform({m, n}, -1, 1, rng, Dtype::kFloat64);
  const double alpha = 0.5, beta = -2.0;
  std::vector<double> expected(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += a.at({i, p}) * b.at({p, j});
      expected[static_cast<size_t>(i * n + j)] = alpha * s + beta * c0.at({i, j});
    }
  }
  for (const bool ta : {false, true}) {
    for (const bool tb : {false, true}) {
      const Tensor as = ta ? a.t().clone() : a, bs = tb ? b.t().clone() : b;  // stored layouts
      Tensor c = c0.clone();
      kernels::gemm<double>(c.data<double>(), as.data<double>(), bs.data<double>(), alpha, beta,
                            kernels::packed_gemm(m, n, k, ta, tb));
      EXPECT_TENSOR_NEAR(c, t64(expected, {m, n}), 0.0, 1e-14)
          << "trans_a=" << ta << " trans_b=" << tb;
    }
  }
}

TEST(GemmKernel, BetaZeroNeverReadsC) {
  const Tensor a = t64({1, 2}, {1, 2}), b = t64({3, 4}, {2, 1});
  Tensor c = Tensor::full({1, 1}, NAN, Dtype::kFloat64);
  kernels::gemm<double>(c.data<double>(), a.data<double>(), b.data<double>(), 1.0, 0.0,
                        kernels::packed_gemm(1, 1, 2));
  EXPECT_EQ(c.item(), 11.0);
}

}  // namespace
}  // namespace cnnlab
