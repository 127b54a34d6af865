// Gradient checks of the elementwise, reduction and data-movement ops against central differences.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "support/gradcheck.hpp"

namespace cnnlab {
namespace {

using testing::gradcheck;
using V = std::vector<Tensor>;

Tensor rand64(const Shape& s, Rng& rng) {
  return Tensor::uniform(s, -1.0, 1.0, rng, Dtype::kFloat64);
}
Tensor positive64(const Shape& s, Rng& rng) {
  return Tensor::uniform(s, 0.5, 2.0, rng, Dtype::kFloat64);
}

TEST(MathGrad, BroadcastingBinaryOps) {
  Rng rng(1);
  const Tensor a = rand64({2, 3, 4}, rng), b = positive64({3, 1}, rng);
  for (auto op :
       {+[](const V& x) { return x[0] + x[1]; }, +[](const V& x) { return x[0] - x[1]; },
        +[](const V& x) { return x[0] * x[1]; }, +[](const V& x) { return x[0] / x[1]; }}) {
    const auto r = gradcheck(op, {a, b});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(MathGrad, UnaryOps) {
  Rng rng(2);
  const Tensor x = positive64({3, 5}, rng);
  const Tensor s = testing::away_from_zero({3, 5}, rng);
  EXPECT_TRUE(gradcheck([](const V& v) { return ops::exp(v[0]); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const V& v) { return ops::log(v[0]); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const V& v) { return ops::sqrt(v[0]); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const V& v) { return ops::pow(v[0], 2.5); }, {x}).ok);
  EXPECT_TRUE(gradcheck([](const V& v) { return -v[0]; }, {s}).ok);
  EXPECT_TRUE(gradcheck([](const V& v) { return ops::abs(v[0]); }, {s}).ok);
  EXPECT_TRUE(gradcheck([](const V& v) { return ops::clamp(v[0], -0.5, 0.5); }, {s}).ok);
  const auto r =
      gradcheck([](const V& v) { return ops::where(ops::gt(v[0], v[1]), v[0], v[1] * 3.0); },
                {s, rand64({3, 5}, rng)});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(MathGrad, Reductions) {
  Rng rng(3);
  const Tensor x = testing::distinct_uniform({2, 3, 4}, rng);
  for (auto op : {+[](const V& v) { return ops::sum(v[0], {1}); },
                  +[](const V& v) {
                    return ops::sum(v[0], {0, 2}, true);
                  },
                  +[](const V& v) { return ops::mean(v[0], {-1}); },
                  +[](const V& v) { return ops::var(v[0], {1}); },
                  +[](const V& v) { return ops::var(v[0], {}, false); },
                  +[](const V& v) { return ops::norm(v[0], 2.0, {2}); },
                  +[](const V& v) { return ops::norm(v[0], 3.0); },
                  +[](const V& v) { return ops::max(v[0], 1).values; },
                  +[](const V& v) { return ops::min(v[0], 2, true).values; },
                  +[](const V& v) { return ops::max(v[0]); }}) {
    const auto r = gradcheck(op, {x});
    EXPECT_TRUE(r.ok) << r.report;
  }
}

TEST(MathGrad, DataMovement) {
  Rng rng(4);
  const Tensor x = rand64({2, 3, 4}, rng), y = rand64({2, 2, 4}, rng);
  const Tensor idx = Tensor::from_int64(std::vector<int64_t>{2, 0, 2}, {3});
  const Tensor labels = Tensor::from_int64(std::vector<int64_t>{1, 0, 3, 3, 2, 1}, {2, 3, 1});
  for (auto op : {+[](const V& v) { return ops::transpose(v[0], 0, 2); },
                  +[](const V& v) {
                    return ops::permute(v[0], {1, 2, 0});
                  },
                  +[](const V& v) {
                    return ops::stack({v[0], v[0] * 2.0}, 1);
                  },
                  +[](const V& v) { return ops::split(v[0], 2, 1)[1]; },
                  +[](const V& v) { return ops::narrow(v[0], 0, 1, 1); },
                  +[](const V& v) {
                    return v[0].reshape({4, -1}).flatten();
                  }}) {
    const auto r = gradcheck(op, {x});
    EXPECT_TRUE(r.ok) << r.report;
  }
  auto r = gradcheck([](const V& v) { return ops::cat({v[0], v[1]}, 1); }, {x, y});
  EXPECT_TRUE(r.ok) << r.report;
  r = gradcheck([&](const V& v) { return ops::index_select(v[0], 1, idx); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
  r = gradcheck([&](const V& v) { return ops::gather(v[0], 2, labels); }, {x});
  EXPECT_TRUE(r.ok) << r.report;
}

// Gradients at the points where the generic checker cannot go (kinks, infinities), against the
// values PyTorch 1.13 gives there.
TEST(MathGrad, EdgeCasesMatchPyTorch) {
  auto leaf = [](std::vector<double> v) {
    const auto n = static_cast<int64_t>(v.size());
    return Tensor::from_vector(v, {n}, Dtype::kFloat64).set_requires_grad(true);
  };
  // where: an inf in the branch not taken gives no NaN gradient
  Tensor x = leaf({2.0, -1.0});
  const Tensor zero = Tensor::scalar(0.0, Dtype::kFloat64);
  ops::where(ops::gt(x, zero), ops::log(x), zero).sum().backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{0.5, 0.0}));
  // the full max splits the gradient evenly among ties
  Tensor t = leaf({1.0, 3.0, 3.0});
  ops::max(t).backward();
  EXPECT_EQ(t.grad().to_vector(), (std::vector<double>{0.0, 0.5, 0.5}));
  // the per-dim max gives it to the first tie
  Tensor u = leaf({1.0, 3.0, 3.0});
  ops::max(u, 0).values.backward();
  EXPECT_EQ(u.grad().to_vector(), (std::vector<double>{0.0, 1.0, 0.0}));
  // norms of a zero vector have gradient 0
  for (double p : {2.0, 1.0, 3.0}) {
    Tensor z = leaf({0.0, 0.0});
    ops::norm(z, p).backward();
    EXPECT_EQ(z.grad().to_vector(), (std::vector<double>{0.0, 0.0})) << "p = " << p;
  }
}

TEST(MathGrad, PNormsMatchCentralDifferences) {
  Rng rng(9);
  const Tensor x = testing::away_from_zero({3, 4}, rng);
  for (double p : {1.0, 1.5, 2.0, 3.0}) {
    const auto r = gradcheck([p](const V& v) { return ops::norm(v[0], p, {1}); }, {x});
    EXPECT_TRUE(r.ok) << "p = " << p << "\n" << r.report;
  }
}

}  // namespace
}  // namespace cnnlab
