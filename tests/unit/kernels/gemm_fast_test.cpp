// kernels::fast::gemm (OpenBLAS) against the reference kernels::gemm: every transpose combination,
// padded row strides, alpha/beta, beta 0 over NaN, k 0, a product large enough to be split across
// threads; ops::linear on both backends; and the backend selection itself
// (cnnlab/core/backend.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/core/backend.hpp"
#include "kernels/fast/gemm_blas.hpp"
#include "kernels/gemm.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

using kernels::GemmGeometry;

// |fast - ref| <= rtol * max|ref| everywhere (a reordered sum errs in proportion to its terms).
template <typename T>
::testing::AssertionResult close(const std::vector<T>& fast, const std::vector<T>& ref,
                                 double rtol) {
  double scale = 0;
  for (T v : ref) scale = std::max(scale, std::abs(static_cast<double>(v)));
  for (size_t i = 0; i < fast.size(); ++i) {
    const double err = std::abs(static_cast<double>(fast[i]) - static_cast<double>(ref[i]));
    if (!(err <= rtol * scale)) {
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << fast[i] << " vs reference " << ref[i] << " (scale "
             << scale << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
std::vector<T> random_vector(size_t size, Rng& rng) {
  std::vector<T> v(size);
  for (T& e : v) e = static_cast<T>(rng.uniform(-1, 1));
  return v;
}

// Compares one product; `pad` extra elements per stored row exercise lda/ldb/ldc > row length.
template <typename T>
void expect_gemm_matches(int64_t m, int64_t n, int64_t k, bool ta, bool tb, int64_t pad, T alpha,
                         T beta, double rtol, uint64_t seed) {
  SCOPED_TRACE(::testing::Message() << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta
                                    << " tb=" << tb << " pad=" << pad << " beta=" << beta);
  GemmGeometry g{.m = m, .n = n, .k = k, .trans_a = ta, .trans_b = tb};
  g.lda = (ta ? m : k) + pad;
  g.ldb = (tb ? k : n) + pad;
  g.ldc = n + pad;
  Rng rng(seed);
  const std::vector<T> a = random_vector<T>(static_cast<size_t>((ta ? k : m) * g.lda), rng);
  const std::vector<T> b = random_vector<T>(static_cast<size_t>((tb ? n : k) * g.ldb), rng);
  std::vector<T> c_ref = random_vector<T>(static_cast<size_t>(m * g.ldc), rng);
  if (beta == T(0)) std::fill(c_ref.begin(), c_ref.end(), static_cast<T>(NAN));  // must not be read
  std::vector<T> c_fast = c_ref;
  kernels::gemm<T>(c_ref.data(), a.data(), b.data(), alpha, beta, g);
  kernels::fast::gemm<T>(c_fast.data(), a.data(), b.data(), alpha, beta, g);
  // Compare only the m x n window; the padding columns must be left as they were.
  std::vector<T> win_ref, win_fast;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < g.ldc; ++j) {
      const size_t at = static_cast<size_t>(i * g.ldc + j);
      if (j < n) {
        win_ref.push_back(c_ref[at]);
        win_fast.push_back(c_fast[at]);
      } else if (beta != T(0)) {
        EXPECT_EQ(c_fast[at], c_ref[at]) << "padding column overwritten";
      }
    }
  }
  EXPECT_TRUE(close(win_fast, win_ref, rtol));
}

template <typename T>
void run_all_layouts(double rtol) {
  uint64_t seed = 1;
  const int64_t shapes[][3] = {{1, 1, 1}, {1, 7, 5},    {9, 1, 4},
                               {5, 6, 1}, {13, 11, 17}, {64, 10, 84}};
  for (const auto& s : shapes) {
    for (int t = 0; t < 4; ++t) {
      for (int64_t pad : {0, 3}) {
        expect_gemm_matches<T>(s[0], s[1], s[2], t & 1, t & 2, pad, T(1), T(0), rtol, seed++);
        expect_gemm_matches<T>(s[0], s[1], s[2], t & 1, t & 2, pad, T(-0.5), T(1), rtol, seed++);
        expect_gemm_matches<T>(s[0], s[1], s[2], t & 1, t & 2, pad, T(2), T(0.25), rtol, seed++);
      }
    }
  }
}

TEST(GemmFastKernel, MatchesReferenceOnAllLayoutsFloat64) { run_all_layouts<double>(1e-12); }

TEST(GemmFastKernel, MatchesReferenceOnAllLayoutsFloat32) { run_all_layouts<float>(1e-5); }

TEST(GemmFastKernel, MatchesReferenceOnAProductSplitAcrossThreads) {
  // 2^18+ multiply-adds: the row blocks of C go to the OpenMP threads (odd m: uneven blocks).
  for (int t = 0; t < 4; ++t) {
    expect_gemm_matches<double>(101, 67, 45, t & 1, t & 2, 1, 1.0, 1.0, 1e-12, 40 + t);
    expect_gemm_matches<float>(101, 67, 45, t & 1, t & 2, 0, 1.0f, 0.0f, 1e-5, 50 + t);
  }
}

TEST(GemmFastKernel, EmptyInnerDimensionScalesCByBeta) {
  // k == 0: op(A) op(B) is all zeros, so c = beta * c (and 0, unread, for beta 0).
  for (double beta : {0.0, 1.0, 0.5}) {
    expect_gemm_matches<double>(3, 4, 0, false, false, 0, 1.0, beta, 0.0, 9);
  }
}

TEST(GemmFastOp, LinearAndMatmulGiveTheSameResultsOnBothBackends) {
  Rng rng(5);
  const Tensor x0 = Tensor::uniform({7, 13}, -1, 1, rng, Dtype::kFloat64);
  const Tensor w0 = Tensor::uniform({5, 13}, -1, 1, rng, Dtype::kFloat64);
  const Tensor b0 = Tensor::uniform({5}, -1, 1, rng, Dtype::kFloat64);
  const Tensor m0 = Tensor::uniform({1, 5, 3}, -1, 1, rng, Dtype::kFloat64);
  std::vector<double> results[2][5];
  for (Backend which : {Backend::kReference, Backend::kFast}) {
    const BackendGuard guard(which);
    Tensor x = x0.clone().set_requires_grad(true), w = w0.clone().set_requires_grad(true),
           b = b0.clone().set_requires_grad(true), m = m0.clone().set_requires_grad(true);
    const Tensor y = ops::linear(x, w, b);
    const Tensor z = ops::matmul(y.reshape({1, 7, 5}), m);
    (z * z).sum().backward();
    const int i = which == Backend::kFast;
    results[i][0] = z.to_vector();
    results[i][1] = x.grad().to_vector();
    results[i][2] = w.grad().to_vector();
    results[i][3] = b.grad().to_vector();
    results[i][4] = m.grad().to_vector();
  }
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(close(results[1][i], results[0][i], 1e-12)) << i;
}

TEST(BackendSelection, GuardSelectsAndRestores) {
  const Backend before = backend();
  {
    const BackendGuard outer(Backend::kReference);
    EXPECT_EQ(backend(), Backend::kReference);
    {
      const BackendGuard inner(Backend::kFast);
      EXPECT_EQ(backend(), Backend::kFast);
    }
    EXPECT_EQ(backend(), Backend::kReference);
  }
  EXPECT_EQ(backend(), before);
}

TEST(BackendSelection, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_backend("reference"), Backend::kReference);
  EXPECT_EQ(parse_backend("fast"), Backend::kFast);
  EXPECT_STREQ(backend_name(Backend::kReference), "reference");
  EXPECT_STREQ(backend_name(Backend::kFast), "fast");
  EXPECT_THROW_WITH(parse_backend("Fast"), ValueError,
                    "parse_backend: expected 'reference' or 'fast', got 'Fast'");
}

}  // namespace
}  // namespace cnnlab
