// Gradient checks of max_pool2d, avg_pool2d and adaptive_avg_pool2d against central differences
// (float64), over strides, padding, dilation, ceil_mode, odd and non-square sizes.
#include <gtest/gtest.h>

#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/pool.hpp"
#include "support/gradcheck.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using testing::gradcheck;
using V = std::vector<Tensor>;

struct PoolCase {
  Shape shape;
  ops::Pool2dParams params;
};

TEST(MaxPool2dGrad, MatchesCentralDifferences) {
  Rng rng(1701);
  // Distinct values keep every window's maximum unique, so max_pool2d is
  // differentiable at the sample point (ties would be kinks).
  const Tensor x = testing::distinct_uniform({2, 3, 7, 6}, rng, Dtype::kFloat64);
  const ops::Pool2dParams p{.kernel = 3, .stride = 2, .padding = 1};

  const testing::GradcheckResult r =
      testing::gradcheck([&](const std::vector<Tensor>& in) { return ops::max_pool2d(in[0], p); },
                         {x}, {.eps = 1e-6, .rtol = 1e-6, .atol = 1e-9});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MaxPool2dGrad, MatchesCentralDifferencesAcrossGeometries) {
  const std::vector<PoolCase> cases = {
      {{1, 2, 6, 6}, {.kernel = 2}},                              // stride = kernel
      {{2, 2, 5, 5}, {.kernel = 3, .stride = 1}},                 // overlapping windows
      {{1, 3, 9, 8}, {.kernel = 3, .stride = 3}},                 // stride 3
      {{1, 2, 7, 7}, {.kernel = 3, .stride = 2, .padding = 1}},   // padding
      {{1, 2, 9, 9}, {.kernel = 3, .stride = 1, .dilation = 2}},  // dilation
      {{1, 2, 8, 9}, {.kernel = 2, .stride = 2, .padding = 1, .dilation = 3}},
      {{2, 1, 7, 5}, {.kernel = 2, .stride = 2, .ceil_mode = true}},  // ceil_mode, odd sizes
      {{1, 2, 9, 7}, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true}},
      {{1, 1, 6, 6}, {.kernel = 3, .stride = 3, .padding = 1, .ceil_mode = true}},
      {{1, 2, 7, 10}, {.kernel = {3, 2}, .stride = {2, 3}, .padding = {1, 0}}},  // non-square
      {{1, 2, 5, 11}, {.kernel = {2, 4}, .stride = {1, 3}, .padding = {1, 2}, .ceil_mode = true}},
  };
  Rng rng(11);
  for (const PoolCase& c : cases) {
    const Tensor x = testing::distinct_uniform(c.shape, rng);
    const auto r = gradcheck([&](const V& in) { return ops::max_pool2d(in[0], c.params); }, {x});
    EXPECT_TRUE(r.ok) << "input " << c.shape << ", kernel " << c.params.kernel << ", stride "
                      << c.params.stride << ", padding " << c.params.padding << ", dilation "
                      << c.params.dilation << ", ceil_mode " << c.params.ceil_mode << "\n"
                      << r.report;
  }
}

TEST(MaxPool2dGrad, BackwardAccumulates) {
  Rng rng(7);
  Tensor x = testing::distinct_uniform({1, 2, 4, 4}, rng, Dtype::kFloat64).set_requires_grad(true);
  ops::max_pool2d(x, {.kernel = 2}).sum().backward();
  const Tensor once = x.grad().clone();
  ops::max_pool2d(x, {.kernel = 2}).sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), once * 2.0);
}

TEST(AvgPool2dGrad, MatchesCentralDifferencesAcrossGeometries) {
  const std::vector<PoolCase> cases = {
      {{2, 2, 6, 6}, {.kernel = 2}},
      {{1, 3, 7, 7}, {.kernel = 3, .stride = 1}},
      {{1, 2, 9, 8}, {.kernel = 3, .stride = 3}},
      {{1, 2, 7, 7}, {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = true}},
      {{1, 2, 7, 7}, {.kernel = 3, .stride = 2, .padding = 1, .count_include_pad = false}},
      {{2, 1, 7, 5}, {.kernel = 2, .stride = 2, .ceil_mode = true}},
      {{1, 2, 8, 6}, {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true}},
      {{1, 2, 8, 6},
       {.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false}},
      {{1, 2, 7, 10}, {.kernel = {3, 2}, .stride = {2, 3}, .padding = {1, 0}}},
      {{1, 1, 5, 11},
       {.kernel = {2, 4},
        .stride = {1, 3},
        .padding = {1, 2},
        .ceil_mode = true,
        .count_include_pad = false}},
  };
  Rng rng(12);
  for (const PoolCase& c : cases) {
    const Tensor x = Tensor::uniform(c.shape, -1.0, 1.0, rng, Dtype::kFloat64);
    const auto r = gradcheck([&](const V& in) { return ops::avg_pool2d(in[0], c.params); }, {x});
    EXPECT_TRUE(r.ok) << "input " << c.shape << ", kernel " << c.params.kernel << ", stride "
                      << c.params.stride << ", padding " << c.params.padding << ", ceil_mode "
                      << c.params.ceil_mode << ", count_include_pad " << c.params.count_include_pad
                      << "\n"
                      << r.report;
  }
}

TEST(AvgPool2dGrad, BackwardAccumulates) {
  Rng rng(8);
  Tensor x = Tensor::uniform({1, 2, 5, 5}, -1.0, 1.0, rng, Dtype::kFloat64).set_requires_grad(true);
  const ops::Pool2dParams p{.kernel = 3, .stride = 2, .padding = 1, .ceil_mode = true};
  ops::avg_pool2d(x, p).sum().backward();
  const Tensor once = x.grad().clone();
  ops::avg_pool2d(x, p).sum().backward();
  EXPECT_TENSOR_EQ(x.grad(), once * 2.0);
}

TEST(AdaptiveAvgPool2dGrad, MatchesCentralDifferences) {
  struct Case {
    Shape shape;
    Size2 out;
  };
  const std::vector<Case> cases = {
      {{2, 2, 6, 6}, 3},       // divides: plain 2x2 average
      {{1, 3, 7, 5}, {3, 2}},  // does not divide: overlapping windows
      {{1, 2, 5, 5}, 4},       // 5 -> 4
      {{1, 2, 3, 2}, {5, 4}},  // output larger than input: windows repeat
      {{2, 2, 4, 6}, 1},       // global average
  };
  Rng rng(13);
  for (const Case& c : cases) {
    const Tensor x = Tensor::uniform(c.shape, -1.0, 1.0, rng, Dtype::kFloat64);
    const auto r =
        gradcheck([&](const V& in) { return ops::adaptive_avg_pool2d(in[0], c.out); }, {x});
    EXPECT_TRUE(r.ok) << "input " << c.shape << ", output_size " << c.out << "\n" << r.report;
  }
}

}  // namespace
}  // namespace cnnlab
