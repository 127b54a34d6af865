// EXPECT_TENSOR_NEAR / EXPECT_TENSOR_EQ: compare shapes and every element, report the worst one.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::testing {

/// Passes when shapes match and |a - b| <= atol + rtol * |b| everywhere (b is the reference).
inline ::testing::AssertionResult tensors_near(const char* a_expr, const char* b_expr, const char*,
                                               const char*, const Tensor& a, const Tensor& b,
                                               double rtol, double atol) {
  if (!(a.shape() == b.shape())) {
    return ::testing::AssertionFailure() << a_expr << " has shape " << a.shape() << " but "
                                         << b_expr << " has shape " << b.shape();
  }
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double worst = -1;
  size_t worst_at = 0;
  size_t bad = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    const double err = std::abs(va[i] - vb[i]);
    const double tol = atol + rtol * std::abs(vb[i]);
    if (!(err <= tol)) {
      ++bad;
      if (!(err <= worst)) {
        worst = std::isnan(err) ? INFINITY : err;
        worst_at = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << va.size() << " elements of " << a_expr << " differ from " << b_expr
         << " (rtol " << rtol << ", atol " << atol << "); worst at flat " << worst_at << ": "
         << va[worst_at] << " vs " << vb[worst_at];
}

}  // namespace cnnlab::testing

#define EXPECT_TENSOR_NEAR(a, b, rtol, atol) \
  EXPECT_PRED_FORMAT4(::cnnlab::testing::tensors_near, a, b, rtol, atol)
#define EXPECT_TENSOR_EQ(a, b) EXPECT_TENSOR_NEAR(a, b, 0.0, 0.0)
