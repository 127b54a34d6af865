// The fast backend's pooling, pointwise and batch-norm kernels against the reference backend,
// through the ops (forward and the gradients autograd computes): random geometries with odd
// sizes, stride, padding, dilation, ceil_mode, batch 1, and tensors large enough to be split over
// threads. Pooling and pointwise kernels must agree exactly (they reorder no sum); batch norm to
// float rounding (it normalizes in float where the reference rounds once from double).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/core/backend.hpp"

namespace cnnlab {
namespace {

struct Result {
  std::vector<double> y, dx;
};

// y = op(x) and dx = d<y, w>/dx for a fixed random w, on the given backend.
Result run(Backend b, const Tensor& x0, const std::function<Tensor(const Tensor&)>& op,
           uint64_t seed) {
  BackendGuard guard(b);
  Tensor x = x0.clone().set_requires_grad(true);
  Tensor y = op(x);
  Rng rng(seed);
  Tensor w = Tensor::normal(y.shape(), 0.0, 1.0, rng, y.dtype());
  y.backward(w);
  return {y.to_vector(), x.grad().to_vector()};
}

// Exact agreement, NaN matching NaN.
::testing::AssertionResult same(const std::vector<double>& fast, const std::vector<double>& ref) {
  if (fast.size() != ref.size()) {
    return ::testing::AssertionFailure() << "sizes " << fast.size() << " vs " << ref.size();
  }
  for (size_t i = 0; i < fast.size(); ++i) {
    const bool both_nan = std::isnan(fast[i]) && std::isnan(ref[i]);
    if (!both_nan && fast[i] != ref[i]) {
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << fast[i] << " vs reference " << ref[i];
    }
  }
  return ::testing::AssertionSuccess();
}

void expect_backends_agree(const Tensor& x, const std::function<Tensor(const Tensor&)>& op,
                           const std::string& what) {
  const Result ref = run(Backend::kReference, x, op, 7);
  const Result fast = run(Backend::kFast, x, op, 7);
  EXPECT_TRUE(same(fast.y, ref.y)) << what << " (forward)";
  EXPECT_TRUE(same(fast.dx, ref.dx)) << what << " (input gradient)";
}

struct PoolCase {
  Shape shape;
  ops::Pool2dParams params;
  std::string describe() const {
    std::ostringstream out;
    out << "input " << shape << " kernel " << params.kernel << " stride " << params.stride
        << " padding " << params.padding << " dilation " << params.dilation << " ceil_mode "
        << params.ceil_mode;
    return out.str();
  }
};

// A random valid pooling case; every fifth is big enough (>= 64 planes of 16x16) to be split
// over the threads.
PoolCase random_pool_case(Rng& rng, bool allow_dilation) {
  for (;;) {
    PoolCase c;
    const bool big = rng.bernoulli(0.2);
    const int64_t n = big ? 4 : 1 + static_cast<int64_t>(rng.below(3));
    const int64_t ch = big ? 16 : 1 + static_cast<int64_t>(rng.below(4));
    const int64_t h = (big ? 16 : 1) + static_cast<int64_t>(rng.below(9));
    const int64_t w = (big ? 16 : 1) + static_cast<int64_t>(rng.below(9));
    c.shape = {n, ch, h, w};
    auto& p = c.params;
    p.kernel =
        Size2(1 + static_cast<int64_t>(rng.below(4)), 1 + static_cast<int64_t>(rng.below(4)));
    p.stride =
        Size2(1 + static_cast<int64_t>(rng.below(3)), 1 + static_cast<int64_t>(rng.below(3)));
    p.padding = Size2(static_cast<int64_t>(rng.below(static_cast<uint64_t>(p.kernel.h / 2 + 1))),
                      static_cast<int64_t>(rng.below(static_cast<uint64_t>(p.kernel.w / 2 + 1))));
    if (allow_dilation) {
      p.dilation =
          Size2(1 + static_cast<int64_t>(rng.below(2)), 1 + static_cast<int64_t>(rng.below(2)));
    }
    p.ceil_mode = rng.bernoulli(0.5);
    p.count_include_pad = rng.bernoulli(0.5);
    const int64_t span_h = p.dilation.h * (p.kernel.h - 1) + 1;
    const int64_t span_w = p.dilation.w * (p.kernel.w - 1) + 1;
    if (h + 2 * p.padding.h < span_h || w + 2 * p.padding.w < span_w) continue;
    return c;
  }
}

TEST(FastPoolKernels, MaxPoolMatchesReferenceOnRandomGeometries) {
  Rng rng(2024);
  for (int trial = 0; trial < 60; ++trial) {
    const PoolCase c = random_pool_case(rng, true);
    for (Dtype dtype : {Dtype::kFloat32, Dtype::kFloat64}) {
      // few distinct values, so that ties (first maximum wins) happen often
      Tensor x = Tensor::uniform(c.shape, -2.0, 2.0, rng, Dtype::kFloat64);
      std::vector<double> v = x.to_vector();
      for (double& e : v) e = std::round(e * 2) / 2;
      x = Tensor::from_vector(v, c.shape).to(dtype);
      expect_backends_agree(
          x, [&](const Tensor& t) { return ops::max_pool2d(t, c.params); }, c.describe());
    }
  }
}

TEST(FastPoolKernels, MaxPoolPropagatesNaNAndInfinityAsTheReference) {
  Tensor x = Tensor::from_vector(
      {1, std::numeric_limits<double>::quiet_NaN(), 3, 4, -std::numeric_limits<double>::infinity(),
       -std::numeric_limits<double>::infinity(), 2, 5, 0, 1, 7, 7, 9, -1, 8, 6},
      {1, 1, 4, 4});
  ops::Pool2dParams p;
  p.kernel = 2;
  p.padding = 1;
  expect_backends_agree(
      x, [&](const Tensor& t) { return ops::max_pool2d(t, p); }, "NaN and -inf input");
}

// The 2x2 stride-2 fast path (LeNet, VGG): ties, NaNs, -inf, odd sizes (a last row and column
// that no window covers), and a tensor split over the threads.
TEST(FastPoolKernels, MaxPool2x2Stride2PathMatchesReference) {
  Rng rng(8);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const Shape& shape : {Shape{1, 1, 4, 4}, Shape{2, 3, 7, 9}, Shape{8, 16, 28, 28}}) {
    std::vector<double> v(static_cast<size_t>(shape.numel()));
    for (double& e : v) {
      const uint64_t pick = rng.below(20);
      e = pick == 0 ? nan : pick == 1 ? -inf : std::round(rng.uniform(-2.0, 2.0));
    }
    const Tensor x = Tensor::from_vector(v, shape).to(Dtype::kFloat32);
    ops::Pool2dParams p;  // kernel 2, stride = kernel, no padding
    std::ostringstream what;
    what << "input " << shape;
    expect_backends_agree(
        x, [&](const Tensor& t) { return ops::max_pool2d(t, p); }, what.str());
  }
}

TEST(FastPoolKernels, AvgPoolMatchesReferenceOnRandomGeometries) {
  Rng rng(77);
  for (int trial = 0; trial < 60; ++trial) {
    const PoolCase c = random_pool_case(rng, false);
    const Tensor x = Tensor::normal(c.shape, 0.0, 1.0, rng, Dtype::kFloat32);
    expect_backends_agree(
        x, [&](const Tensor& t) { return ops::avg_pool2d(t, c.params); }, c.describe());
  }
}

TEST(FastPoolKernels, AdaptiveAvgPoolMatchesReference) {
  Rng rng(5);
  for (const Shape& shape : {Shape{1, 1, 7, 5}, Shape{3, 40, 9, 9}, Shape{8, 64, 8, 8}}) {
    for (const Size2 out : {Size2(1, 1), Size2(3, 2), Size2(4, 4)}) {
      const Tensor x = Tensor::normal(shape, 0.0, 1.0, rng, Dtype::kFloat32);
      std::ostringstream what;
      what << "input " << shape << " output " << out;
      expect_backends_agree(
          x, [&](const Tensor& t) { return ops::adaptive_avg_pool2d(t, out); }, what.str());
    }
  }
}

TEST(FastPointwiseKernels, ActivationsMatchReferenceAcrossThreadChunks) {
  Rng rng(11);
  // 1 element, a size below the threading grain, and an odd size above it (split unevenly)
  for (const Shape& shape : {Shape{1}, Shape{3, 1001}, Shape{5, 7, 31, 37}}) {
    const Tensor x = Tensor::normal(shape, 0.0, 2.0, rng, Dtype::kFloat32);
    const std::vector<std::pair<std::string, std::function<Tensor(const Tensor&)>>> activations = {
        {"relu", [](const Tensor& t) { return ops::relu(t); }},
        {"leaky_relu", [](const Tensor& t) { return ops::leaky_relu(t, 0.1); }},
        {"sigmoid", [](const Tensor& t) { return ops::sigmoid(t); }},
        {"tanh", [](const Tensor& t) { return ops::tanh(t); }},
    };
    for (const auto& [name, op] : activations) {
      std::ostringstream what;
      what << name << " on " << shape;
      expect_backends_agree(x, op, what.str());
    }
  }
}

TEST(FastPointwiseKernels, LocalResponseNormMatchesReferenceAcrossImageRuns) {
  Rng rng(13);
  // batch 1, and a batch large enough to be split over threads
  for (const Shape& shape : {Shape{1, 7, 3, 5}, Shape{16, 12, 13, 13}}) {
    const Tensor x = Tensor::normal(shape, 0.0, 1.0, rng, Dtype::kFloat32);
    ops::LrnParams p;
    p.size = 5;
    std::ostringstream what;
    what << "local_response_norm on " << shape;
    expect_backends_agree(
        x, [&](const Tensor& t) { return ops::local_response_norm(t, p); }, what.str());
  }
}

// |fast - ref| <= tol * max(1, max|ref|) everywhere.
::testing::AssertionResult near(const std::vector<double>& fast, const std::vector<double>& ref,
                                double tol) {
  double scale = 1;
  for (double v : ref) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < fast.size(); ++i) {
    if (!(std::abs(fast[i] - ref[i]) <= tol * scale)) {
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << fast[i] << " vs reference " << ref[i];
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(FastBatchNormKernels, TrainingAndEvalMatchReference) {
  Rng rng(31);
  // (N, C) input, batch 1 with spatial size, odd sizes, and one split over threads; a mean far
  // larger than the spread (1000 against 0.01) checks that the fast kernels cancel no digits
  // (shape, mean, std of the input)
  const std::vector<std::tuple<Shape, double, double>> cases = {{{7, 3}, 0.0, 2.0},
                                                                {{1, 4, 5, 3}, 0.5, 2.0},
                                                                {{3, 5, 7, 9}, 100.0, 2.0},
                                                                {{8, 4, 8, 8}, 1000.0, 0.01},
                                                                {{8, 32, 16, 16}, -1.0, 2.0}};
  for (const auto& [shape, mean, stddev] : cases) {
    for (bool training : {true, false}) {
      const int64_t c = shape[1];
      const Tensor x0 = Tensor::normal(shape, mean, stddev, rng, Dtype::kFloat32);
      const Tensor weight0 = Tensor::uniform({c}, 0.5, 1.5, rng, Dtype::kFloat32);
      const Tensor bias0 = Tensor::normal({c}, 0.0, 1.0, rng, Dtype::kFloat32);
      const Tensor dy = Tensor::normal(shape, 0.0, 1.0, rng, Dtype::kFloat32);
      std::vector<std::vector<double>> out[2];
      for (int side = 0; side < 2; ++side) {
        BackendGuard guard(side == 0 ? Backend::kReference : Backend::kFast);
        Tensor x = x0.clone().set_requires_grad(true);
        Tensor weight = weight0.clone().set_requires_grad(true);
        Tensor bias = bias0.clone().set_requires_grad(true);
        Tensor running_mean = Tensor::full({c}, mean, Dtype::kFloat32);
        Tensor running_var = Tensor::full({c}, stddev * stddev, Dtype::kFloat32);
        ops::BatchNormParams p;
        p.training = training;
        Tensor y = ops::batch_norm(x, running_mean, running_var, weight, bias, p);
        y.backward(dy);
        out[side] = {y.to_vector(),           x.grad().to_vector(),     weight.grad().to_vector(),
                     bias.grad().to_vector(), running_mean.to_vector(), running_var.to_vector()};
      }
      const char* names[] = {"y", "dx", "dweight", "dbias", "running_mean", "running_var"};
      for (size_t k = 0; k < 6; ++k) {
        EXPECT_TRUE(near(out[1][k], out[0][k], 2e-6))
            << names[k] << " for input " << shape << " mean " << mean << " training " << training;
      }
    }
  }
}

}  // namespace
}  // namespace cnnlab
