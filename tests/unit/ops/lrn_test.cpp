// Unit tests of ops::local_response_norm and nn::LocalResponseNorm: a hand-computed clipped
// window, a naive reference (PyTorch's pad + avg_pool3d formulation written out), the module's
// repr and options, and the error messages.
#include "cnnlab/ops/lrn.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/nn/local_response_norm.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

// PyTorch's definition: square, zero-pad the channel axis by size/2 before and (size-1)/2 after,
// average over `size` channels (padding included), then x / (k + alpha * avg)^beta.
Tensor naive_lrn(const Tensor& x, const ops::LrnParams& p) {
  const int64_t n = x.size(0), c = x.size(1), s = x.numel() / (n * c);
  const std::vector<double> v = x.to_vector();
  std::vector<double> out(v.size());
  for (int64_t in = 0; in < n; ++in) {
    for (int64_t ic = 0; ic < c; ++ic) {
      for (int64_t i = 0; i < s; ++i) {
        double avg = 0.0;
        for (int64_t kc = 0; kc < p.size; ++kc) {
          const int64_t src = ic - p.size / 2 + kc;  // padded position -> channel
          if (src >= 0 && src < c) {
            const double e = v[static_cast<size_t>((in * c + src) * s + i)];
            avg += e * e;
          }
        }
        avg /= static_cast<double>(p.size);
        const auto at = static_cast<size_t>((in * c + ic) * s + i);
        out[at] = v[at] / std::pow(p.k + p.alpha * avg, p.beta);
      }
    }
  }
  return Tensor::from_vector(out, x.shape(), Dtype::kFloat64);
}

TEST(LocalResponseNormOp, HandComputedClippedWindow) {
  // C = 3, size 2: window(c) = [c - 1, c]. k = alpha = beta = 1:
  // y0 = 1 / (1 + 1/2), y1 = 2 / (1 + 5/2), y2 = 3 / (1 + 13/2)
  const Tensor x = Tensor::from_vector({1, 2, 3}, {1, 3, 1, 1}, Dtype::kFloat64);
  const Tensor y = ops::local_response_norm(x, {.size = 2, .alpha = 1.0, .beta = 1.0, .k = 1.0});
  EXPECT_TENSOR_NEAR(
      y, Tensor::from_vector({1 / 1.5, 2 / 3.5, 3 / 7.5}, {1, 3, 1, 1}, Dtype::kFloat64), 1e-15, 0);
}

TEST(LocalResponseNormOp, MatchesNaiveReference) {
  Rng rng(51);
  const Tensor x = Tensor::uniform({2, 7, 3, 4}, -3.0, 3.0, rng, Dtype::kFloat64);
  for (const ops::LrnParams& p :
       {ops::LrnParams{.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0},
        ops::LrnParams{.size = 4, .alpha = 2.0, .beta = 0.5, .k = 1.0},
        ops::LrnParams{.size = 9, .alpha = 1.0, .beta = 1.25, .k = 0.5}}) {
    EXPECT_TENSOR_NEAR(ops::local_response_norm(x, p), naive_lrn(x, p), 1e-14, 1e-15);
  }
}

TEST(LocalResponseNormOp, Float32MatchesFloat64) {
  Rng rng(52);
  const Tensor x = Tensor::uniform({1, 6, 3, 3}, -3.0, 3.0, rng, Dtype::kFloat64);
  const ops::LrnParams p{.size = 3, .alpha = 1.0, .beta = 0.75, .k = 2.0};
  const Tensor y32 = ops::local_response_norm(x.to(Dtype::kFloat32), p);
  EXPECT_EQ(y32.dtype(), Dtype::kFloat32);
  EXPECT_TENSOR_NEAR(y32.to(Dtype::kFloat64), ops::local_response_norm(x, p), 1e-6, 1e-6);
}

TEST(LocalResponseNormShape, RejectsRankTwoInput) {
  EXPECT_THROW_WITH(ops::local_response_norm(Tensor::zeros({4, 5})), ShapeError,
                    "local_response_norm: expected an input (N, C, H, W) with at least 3 dims, got "
                    "shape [4, 5]");
}

TEST(LocalResponseNormValue, RejectsNonPositiveSize) {
  EXPECT_THROW_WITH(ops::local_response_norm(Tensor::zeros({1, 4, 2, 2}), {.size = 0}), ValueError,
                    "local_response_norm: expected size > 0, got 0");
  EXPECT_THROW_WITH(nn::LocalResponseNorm({.size = -1}), ValueError,
                    "LocalResponseNorm: expected size > 0, got -1");
}

TEST(LocalResponseNormModule, ReprAndNoParameters) {
  nn::LocalResponseNorm lrn({.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0});
  EXPECT_EQ(lrn.repr(), "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)");
  EXPECT_TRUE(lrn.named_parameters().empty());
  EXPECT_TRUE(lrn.named_buffers().empty());
  nn::LocalResponseNorm defaults({.size = 3});
  EXPECT_EQ(defaults.repr(), "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)");
}

TEST(LocalResponseNormModule, ForwardMatchesOp) {
  Rng rng(53);
  nn::LocalResponseNorm lrn({.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0}, rng);
  const Tensor x = Tensor::uniform({2, 6, 3, 3}, -3.0, 3.0, rng);
  EXPECT_TENSOR_EQ(lrn(x),
                   ops::local_response_norm(x, {.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0}));
}

}  // namespace
}  // namespace cnnlab
