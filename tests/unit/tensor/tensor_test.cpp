// Tensor basics: creation, views, printing, element access, broadcasting ops, reductions, data
// movement, and their error messages.
#include <gtest/gtest.h>

#include <cmath>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor vec(std::vector<double> v, Shape s, Dtype d = Dtype::kFloat32) {
  return Tensor::from_vector(v, s, d);
}

TEST(TensorCreation, FactoriesFillAsDocumented) {
  EXPECT_EQ(Tensor::zeros({2, 3}).to_vector(), std::vector<double>(6, 0.0));
  EXPECT_EQ(Tensor::ones({2}, Dtype::kFloat64).to_vector(), std::vector<double>(2, 1.0));
  EXPECT_EQ(Tensor::full({3}, 2.5).to_vector(), std::vector<double>(3, 2.5));
  EXPECT_EQ(Tensor::arange(0, 5, 2).to_vector(), (std::vector<double>{0, 2, 4}));
  EXPECT_EQ(Tensor::arange(3, 0, -1, Dtype::kInt64).to_vector(), (std::vector<double>{3, 2, 1}));
  EXPECT_EQ(Tensor::scalar(4.0).dim(), 0);
  EXPECT_EQ(Tensor::scalar(4.0).item(), 4.0);
}

TEST(TensorCreation, StorageIs64ByteAligned) {
  for (int64_t n : {1, 3, 17, 1000}) {
    const Tensor t = Tensor::empty({n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u) << n;
  }
}

TEST(TensorCreation, EmptyIsPoisonedWithNan) {
  const Tensor t = Tensor::empty({4});
  for (double v : t.to_vector()) EXPECT_TRUE(std::isnan(v));
}

TEST(TensorCreation, RandomDrawsAreSeeded) {
  Rng a(7), b(7), c(8);
  const Tensor x = Tensor::normal({100}, 0, 1, a), y = Tensor::normal({100}, 0, 1, b);
  EXPECT_TENSOR_EQ(x, y);
  EXPECT_NE(Tensor::normal({100}, 0, 1, c).to_vector(), x.to_vector());
  Rng u(3);
  const Tensor z = Tensor::uniform({10000}, -2, 3, u, Dtype::kFloat64);
  EXPECT_GE(ops::min(z).item(), -2.0);
  EXPECT_LT(ops::max(z).item(), 3.0);
  EXPECT_NEAR(z.mean().item(), 0.5, 0.05);
  Rng n(4);
  const Tensor w = Tensor::normal({20000}, 1.0, 2.0, n, Dtype::kFloat64);
  EXPECT_NEAR(w.mean().item(), 1.0, 0.05);
  EXPECT_NEAR(std::sqrt(ops::var(w).item()), 2.0, 0.05);
}

TEST(TensorAllocator, ReusesFreedBlocks) {
  { Tensor warm = Tensor::empty({1234}); }
  const AllocatorStats before = CachingAllocator::instance().stats();
  for (int i = 0; i < 10; ++i) Tensor t = Tensor::empty({1234});
  const AllocatorStats after = CachingAllocator::instance().stats();
  EXPECT_EQ(after.fresh_allocations, before.fresh_allocations);
  EXPECT_EQ(after.cache_hits, before.cache_hits + 10);
}

TEST(TensorView, ReshapeAndNarrowShareStorage) {
  Tensor x = Tensor::arange(0, 12).reshape({3, 4});
  Tensor row = x.narrow(0, 1, 2);
  EXPECT_EQ(row.shape(), (Shape{2, 4}));
  EXPECT_EQ(row.at({0, 0}), 4.0);
  row.fill_(-1);
  EXPECT_EQ(x.at({1, 3}), -1.0);
  EXPECT_EQ(x.at({0, 3}), 3.0);
  EXPECT_EQ(x.reshape({-1}).shape(), (Shape{12}));
  EXPECT_EQ(x.reshape({2, -1, 2}).shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(Tensor::zeros({2, 3, 4, 5}).flatten(1).shape(), (Shape{2, 60}));
  EXPECT_EQ(Tensor::zeros({2, 3}).unsqueeze(1).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(Tensor::zeros({2, 1, 3}).squeeze(1).shape(), (Shape{2, 3}));
}

TEST(TensorView, RejectsShapesWhoseSizeWouldOverflow) {
  const int64_t big = int64_t{1} << 31;
  EXPECT_THROW_WITH(Tensor::empty({big, big}), ShapeError,
                    "Tensor::empty: shape [2147483648, 2147483648] has more than 2^48 elements");
  EXPECT_THROW_WITH(Tensor::zeros({3, 4}).reshape({(int64_t{1} << 62) + 3, 4}), ShapeError,
                    "reshape: shape [4611686018427387907, 4] has more than 2^48 elements");
  EXPECT_THROW_WITH(Tensor::empty({2, -1}), ShapeError, "expected non-negative dims, got [2, -1]");
  EXPECT_THROW_WITH(Tensor::arange(0, 1e300), ValueError, "has too many elements");
}

TEST(TensorView, RejectsBadShapes) {
  EXPECT_THROW_WITH(Tensor::zeros({2, 3}).reshape({4, 2}), ShapeError,
                    "reshape: cannot reshape [2, 3] (6 elements) to [4, 2] (8 elements)");
  EXPECT_THROW_WITH(Tensor::zeros({2, 3}).reshape({-1, -1}), ShapeError, "only one dim may be -1");
  EXPECT_THROW_WITH(Tensor::zeros({2, 3}).narrow(0, 1, 2), ShapeError,
                    "narrow: range [1, 3) is outside dim 0 of shape [2, 3]");
  EXPECT_THROW_WITH(Tensor::zeros({2, 3}).size(2), ShapeError, "size: dim 2 is out of range");
  EXPECT_THROW_WITH(Tensor().shape(), StateError, "undefined tensor");
  EXPECT_THROW_WITH(Tensor::zeros({2}).data<double>(), ValueError,
                    "Tensor::data: tensor is float32, asked for float64");
}

TEST(TensorPrint, ReadsLikePyTorch) {
  EXPECT_EQ(vec({1, 2, 3, 4.5}, {2, 2}).str(), "tensor([[1., 2.],\n        [3., 4.5]])");
  EXPECT_EQ(Tensor::arange(0, 3, 1, Dtype::kInt64).str(), "tensor([0, 1, 2], dtype=int64)");
  EXPECT_EQ(Tensor::arange(0, 20).str(), "tensor([0., 1., 2., ..., 17., 18., 19.])");
  EXPECT_EQ(Tensor::scalar(2.0).str(), "tensor(2.)");
  EXPECT_EQ(Tensor::from_int64({123456}, {}).str(), "tensor(123456, dtype=int64)");
  EXPECT_EQ(Tensor::from_vector({123456, 0.5, 1e-7}, {3}).str(), "tensor([123456., 0.5, 1e-07])");
  Tensor p = Tensor::ones({1}).set_requires_grad();
  EXPECT_EQ(p.str(), "tensor([1.], requires_grad=True)");
  EXPECT_EQ((p * 2.0).str(), "tensor([2.], grad_fn=<mul>)");
}

TEST(TensorMath, BroadcastingArithmetic) {
  const Tensor a = vec({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = vec({10, 20, 30}, {3});
  EXPECT_EQ((a + b).to_vector(), (std::vector<double>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ((a - vec({1, 2}, {2, 1})).to_vector(), (std::vector<double>{0, 1, 2, 2, 3, 4}));
  EXPECT_EQ((a * 2.0).to_vector(), (std::vector<double>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ((1.0 / vec({2, 4}, {2})).to_vector(), (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ((-a).at({1, 2}), -6.0);
  EXPECT_THROW_WITH(a + vec({1, 2}, {2}), ShapeError,
                    "add: cannot broadcast shapes [2, 3] and [2]");
  EXPECT_THROW_WITH(a + Tensor::zeros({3}, Dtype::kFloat64), ValueError,
                    "add: expected operands of one dtype, got float32 and float64");
}

TEST(TensorMath, UnaryAndComparisons) {
  const Tensor x = vec({-2, 0, 3}, {3}, Dtype::kFloat64);
  EXPECT_EQ(ops::abs(x).to_vector(), (std::vector<double>{2, 0, 3}));
  EXPECT_EQ(ops::sign(x).to_vector(), (std::vector<double>{-1, 0, 1}));
  EXPECT_EQ(ops::clamp(x, -1.0, 2.0).to_vector(), (std::vector<double>{-1, 0, 2}));
  EXPECT_EQ(ops::clamp(x, 0.0, std::nullopt).to_vector(), (std::vector<double>{0, 0, 3}));
  EXPECT_EQ(ops::pow(x, 2).to_vector(), (std::vector<double>{4, 0, 9}));
  EXPECT_DOUBLE_EQ(ops::exp(x).at({2}), std::exp(3.0));
  EXPECT_DOUBLE_EQ(ops::log(ops::abs(x)).at({2}), std::log(3.0));
  EXPECT_DOUBLE_EQ(ops::sqrt(ops::abs(x)).at({0}), std::sqrt(2.0));
  const Tensor zero = Tensor::scalar(0, Dtype::kFloat64);
  EXPECT_EQ(ops::gt(x, zero).to_vector(), (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(ops::ge(x, zero).to_vector(), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(ops::lt(x, zero).to_vector(), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(ops::le(x, zero).to_vector(), (std::vector<double>{1, 1, 0}));
  EXPECT_EQ(ops::eq(x, zero).to_vector(), (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(ops::ne(x, zero).to_vector(), (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(ops::where(ops::gt(x, zero), x, x * 10.0).to_vector(),
            (std::vector<double>{-20, 0, 3}));
  // a select: the branch not taken may hold inf or NaN (where(x > 0, log(x), 0) is common)
  const Tensor safe_log = ops::where(ops::gt(x, zero), ops::log(x), zero);
  EXPECT_EQ(safe_log.to_vector(), (std::vector<double>{0, 0, std::log(3.0)}));
  EXPECT_THROW_WITH(ops::clamp(x, 2.0, 1.0), ValueError, "clamp: expected min <= max");
}

TEST(TensorReduce, SumMeanVarNormMax) {
  const Tensor x = vec({1, 2, 3, 4, 5, 6}, {2, 3}, Dtype::kFloat64);
  EXPECT_EQ(x.sum().item(), 21.0);
  EXPECT_EQ(x.sum({0}).to_vector(), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(x.sum({1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(x.mean({-1}).to_vector(), (std::vector<double>{2, 5}));
  EXPECT_DOUBLE_EQ(ops::var(x).item(), 3.5);  // unbiased: 17.5 / 5
  EXPECT_DOUBLE_EQ(ops::var(x, {}, false).item(), 17.5 / 6);
  EXPECT_DOUBLE_EQ(ops::norm(x).item(), std::sqrt(91.0));
  EXPECT_DOUBLE_EQ(ops::norm(x, 1.0, {1}).at({0}), 6.0);
  const auto m = ops::max(x, 1);
  EXPECT_EQ(m.values.to_vector(), (std::vector<double>{3, 6}));
  EXPECT_EQ(m.indices.to_vector(), (std::vector<double>{2, 2}));
  EXPECT_EQ(m.indices.dtype(), Dtype::kInt64);
  EXPECT_EQ(ops::min(x, 0).values.to_vector(), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(ops::argmax(vec({0, 5, 5, 1}, {4}), 0).item(), 1.0);  // first maximum wins ties
  const Tensor with_nan = vec({1, NAN, 0, NAN}, {4});             // NaN wins, as in PyTorch
  EXPECT_TRUE(std::isnan(ops::max(with_nan).item()));
  EXPECT_TRUE(std::isnan(ops::min(with_nan).item()));
  EXPECT_EQ(ops::argmax(with_nan, 0).item(), 1.0);
  EXPECT_THROW_WITH(x.sum({2}), ShapeError, "sum: dim 2 is out of range for shape [2, 3]");
  EXPECT_THROW_WITH(ops::var(Tensor::ones({1})), ShapeError, "var: expected more than 1 elements");
}

TEST(TensorShapeOps, PermuteCatStackSplitIndex) {
  const Tensor x = Tensor::arange(0, 6).reshape({2, 3});
  EXPECT_EQ(x.t().to_vector(), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(ops::permute(Tensor::zeros({2, 3, 4}), {2, 0, 1}).shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(ops::cat({x, x}, 1).shape(), (Shape{2, 6}));
  EXPECT_EQ(ops::cat({x, x}, 1).at({1, 4}), 4.0);
  EXPECT_EQ(ops::stack({x, x, x}, 0).shape(), (Shape{3, 2, 3}));
  const auto parts = ops::split(Tensor::arange(0, 5), 2);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[2].to_vector(), (std::vector<double>{4}));
  const Tensor idx = Tensor::from_int64(std::vector<int64_t>{2, 0}, {2});
  EXPECT_EQ(ops::index_select(x, 1, idx).to_vector(), (std::vector<double>{2, 0, 5, 3}));
  const Tensor labels = Tensor::from_int64(std::vector<int64_t>{1, 2}, {2, 1});
  EXPECT_EQ(ops::gather(x, 1, labels).to_vector(), (std::vector<double>{1, 5}));
  EXPECT_EQ(ops::one_hot(Tensor::from_int64(std::vector<int64_t>{2, 0}, {2}), 3).to_vector(),
            (std::vector<double>{0, 0, 1, 1, 0, 0}));
  EXPECT_EQ(x.to(Dtype::kFloat64).dtype(), Dtype::kFloat64);
  EXPECT_THROW_WITH(ops::cat({x, Tensor::zeros({3, 3})}, 1), ShapeError,
                    "cat: tensor 1 has shape [3, 3] but tensor 0 has shape [2, 3]");
  EXPECT_THROW_WITH(ops::gather(x, 1, Tensor::from_int64(std::vector<int64_t>{3, 0}, {2, 1})),
                    ShapeError, "gather: index 3 is out of range for dim 1 of size 3");
  EXPECT_THROW_WITH(ops::one_hot(Tensor::from_int64(std::vector<int64_t>{5}, {1}), 3), ValueError,
                    "one_hot: label 5 at position 0 is outside [0, 3)");
  EXPECT_THROW_WITH(ops::index_select(x, 0, Tensor::zeros({1})), ValueError,
                    "index_select: expected an int64 index tensor, got float32");
  EXPECT_THROW_WITH(ops::permute(x, {0, 0}), ShapeError, "permute: dims must be a permutation");
}

}  // namespace
}  // namespace cnnlab
