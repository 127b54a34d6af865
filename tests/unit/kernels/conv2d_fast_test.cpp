// kernels::fast conv2d against the reference kernels of kernels/conv2d.hpp on hand-picked and
// random geometries (odd sizes, stride, padding, dilation, groups, depthwise, 1x1, batch 1, no
// bias): the dispatching entry points, im2col + BLAS (float64, float32) and oneDNN (float32, both
// layouts) each on its own, forward, backward data / weights / bias (which add); the oneDNN plan
// cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/core/backend.hpp"
#include "kernels/conv2d.hpp"
#include "kernels/fast/conv2d_dnnl.hpp"
#include "kernels/fast/conv2d_gemm.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using kernels::Conv2dGeometry;

Conv2dGeometry make_geometry(int64_t n, int64_t g, int64_t ic, int64_t h, int64_t w, int64_t oc,
                             int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                             int64_t dil_h, int64_t dil_w) {
  Conv2dGeometry geo{.n = n, .g = g, .ic = ic, .h = h, .w = w, .oc = oc, .kh = kh, .kw = kw};
  geo.sh = sh;
  geo.sw = sw;
  geo.ph = ph;
  geo.pw = pw;
  geo.dil_h = dil_h;
  geo.dil_w = dil_w;
  geo.oh = (h + 2 * ph - dil_h * (kh - 1) - 1) / sh + 1;
  geo.ow = (w + 2 * pw - dil_w * (kw - 1) - 1) / sw + 1;
  return geo;
}

std::string describe(const Conv2dGeometry& g) {
  std::ostringstream out;
  out << "n=" << g.n << " g=" << g.g << " ic=" << g.ic << " " << g.h << "x" << g.w << " oc=" << g.oc
      << " k=" << g.kh << "x" << g.kw << " s=" << g.sh << "," << g.sw << " p=" << g.ph << ","
      << g.pw << " d=" << g.dil_h << "," << g.dil_w;
  return out.str();
}

// A random valid geometry: small odd sizes, any stride/padding/dilation, 1-3 groups or depthwise.
Conv2dGeometry random_geometry(Rng& rng) {
  for (;;) {
    const int64_t g = rng.bernoulli(0.2) ? 0 : 1 + static_cast<int64_t>(rng.below(3));
    const int64_t icg = 1 + static_cast<int64_t>(rng.below(3));
    const int64_t groups = g == 0 ? 2 + static_cast<int64_t>(rng.below(3)) : g;  // 0: depthwise
    const int64_t ic = icg * groups, oc = (g == 0 ? 1 : 1 + rng.below(3)) * groups;
    const int64_t n = 1 + static_cast<int64_t>(rng.below(4));
    const int64_t h = 1 + static_cast<int64_t>(rng.below(9)),
                  w = 1 + static_cast<int64_t>(rng.below(9));
    const int64_t kh = 1 + static_cast<int64_t>(rng.below(4)),
                  kw = 1 + static_cast<int64_t>(rng.below(4));
    const int64_t sh = 1 + static_cast<int64_t>(rng.below(3)),
                  sw = 1 + static_cast<int64_t>(rng.below(3));
    const int64_t ph = static_cast<int64_t>(rng.below(3)), pw = static_cast<int64_t>(rng.below(3));
    const int64_t dh = 1 + static_cast<int64_t>(rng.below(2)),
                  dw = 1 + static_cast<int64_t>(rng.below(2));
    if (h + 2 * ph < dh * (kh - 1) + 1 || w + 2 * pw < dw * (kw - 1) + 1) continue;
    return make_geometry(n, groups, ic, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw);
  }
}

// Passes when |fast - ref| <= rtol * max|ref| everywhere: the error of a reordered sum scales with
// the magnitudes summed, not with the (possibly cancelled) result.
::testing::AssertionResult close(const Tensor& fast, const Tensor& ref, double rtol) {
  const std::vector<double> f = fast.to_vector(), r = ref.to_vector();
  double scale = 0;
  for (double v : r) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < f.size(); ++i) {
    if (!(std::abs(f[i] - r[i]) <= rtol * scale)) {
      return ::testing::AssertionFailure()
             << "element " << i << ": fast " << f[i] << " vs reference " << r[i] << " (rtol "
             << rtol << " of " << scale << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// Which fast implementation a test runs.
enum class Impl {
  kDispatch,   // kernels::fast::conv2d_*: what ops::conv2d calls on the fast backend
  kGemm,       // im2col + BLAS
  kDnnlAny,    // oneDNN in the layouts it picks, with reorders (float32 only)
  kDnnlPlain,  // oneDNN on plain NCHW (float32 only)
};

template <typename T>
void fast_forward(Impl impl, T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g) {
  namespace f = kernels::fast;
  if constexpr (std::is_same_v<T, float>) {
    if (impl == Impl::kDnnlAny || impl == Impl::kDnnlPlain) {
      return f::dnnl_conv2d_forward(
          y, x, w, b, g, impl == Impl::kDnnlAny ? f::DnnlLayout::kAny : f::DnnlLayout::kPlain);
    }
  }
  if (impl == Impl::kGemm) return f::gemm_conv2d_forward<T>(y, x, w, b, g);
  f::conv2d_forward<T>(y, x, w, b, g);
}

template <typename T>
void fast_backward_data(Impl impl, T* dx, const T* dy, const T* w, const Conv2dGeometry& g) {
  namespace f = kernels::fast;
  if constexpr (std::is_same_v<T, float>) {
    if (impl == Impl::kDnnlAny || impl == Impl::kDnnlPlain) {
      return f::dnnl_conv2d_backward_data(
          dx, dy, w, g, impl == Impl::kDnnlAny ? f::DnnlLayout::kAny : f::DnnlLayout::kPlain);
    }
  }
  if (impl == Impl::kGemm) return f::gemm_conv2d_backward_data<T>(dx, dy, w, g);
  f::conv2d_backward_data<T>(dx, dy, w, g);
}

// dx overwritten (never read): the dispatcher's form, or oneDNN's accumulate = false.
template <typename T>
void fast_backward_data_overwrite(Impl impl, T* dx, const T* dy, const T* w,
                                  const Conv2dGeometry& g) {
  namespace f = kernels::fast;
  if constexpr (std::is_same_v<T, float>) {
    if (impl == Impl::kDnnlAny || impl == Impl::kDnnlPlain) {
      return f::dnnl_conv2d_backward_data(
          dx, dy, w, g, impl == Impl::kDnnlAny ? f::DnnlLayout::kAny : f::DnnlLayout::kPlain,
          /*accumulate=*/false);
    }
  }
  f::conv2d_backward_data_overwrite<T>(dx, dy, w, g);
}

// dw and, when db is not nullptr, db.
template <typename T>
void fast_backward_weights(Impl impl, T* dw, T* db, const T* dy, const T* x,
                           const Conv2dGeometry& g) {
  namespace f = kernels::fast;
  if constexpr (std::is_same_v<T, float>) {
    if (impl == Impl::kDnnlAny || impl == Impl::kDnnlPlain) {
      return f::dnnl_conv2d_backward_weights(
          dw, db, dy, x, g, impl == Impl::kDnnlAny ? f::DnnlLayout::kAny : f::DnnlLayout::kPlain);
    }
  }
  if (impl == Impl::kGemm) {
    f::gemm_conv2d_backward_weights<T>(dw, dy, x, g);
    if (db != nullptr) f::conv2d_backward_bias<T>(db, dy, g);
    return;
  }
  f::conv2d_backward_weights_bias<T>(dw, db, dy, x, g);
}

// Runs the kernels both ways on random data and compares. dx, dw and db start from random values
// (the same for both) so that the add-into contract is checked too. with_bias: forward adds a bias
// and the weight gradient comes with the bias gradient.
template <typename T>
void expect_fast_matches_reference(const Conv2dGeometry& g, bool with_bias, double rtol,
                                   uint64_t seed, Impl impl = Impl::kDispatch) {
  SCOPED_TRACE(describe(g) + (with_bias ? " bias" : " no bias"));
  constexpr Dtype dt = dtype_of<T>();
  Rng rng(seed);
  const Tensor x = Tensor::uniform({g.n, g.ic, g.h, g.w}, -1, 1, rng, dt);
  const Tensor w = Tensor::uniform({g.oc, g.icg(), g.kh, g.kw}, -1, 1, rng, dt);
  const Tensor b = Tensor::uniform({g.oc}, -1, 1, rng, dt);
  const Tensor dy = Tensor::uniform({g.n, g.oc, g.oh, g.ow}, -1, 1, rng, dt);
  const Tensor dx0 = Tensor::uniform(x.shape(), -1, 1, rng, dt);
  const Tensor dw0 = Tensor::uniform(w.shape(), -1, 1, rng, dt);
  const Tensor db0 = Tensor::uniform(b.shape(), -1, 1, rng, dt);
  const T* bias = with_bias ? b.data<T>() : nullptr;

  const Tensor y_ref = Tensor::empty(dy.shape(), dt), y_fast = Tensor::empty(dy.shape(), dt);
  kernels::conv2d_forward<T>(y_ref.data<T>(), x.data<T>(), w.data<T>(), bias, g);
  fast_forward<T>(impl, y_fast.data<T>(), x.data<T>(), w.data<T>(), bias, g);
  EXPECT_TRUE(close(y_fast, y_ref, rtol)) << "forward";

  const Tensor dx_ref = dx0.clone(), dx_fast = dx0.clone();
  kernels::conv2d_backward_data<T>(dx_ref.data<T>(), dy.data<T>(), w.data<T>(), g);
  fast_backward_data<T>(impl, dx_fast.data<T>(), dy.data<T>(), w.data<T>(), g);
  EXPECT_TRUE(close(dx_fast, dx_ref, rtol)) << "backward data";
  if (impl == Impl::kDispatch || impl == Impl::kDnnlAny || impl == Impl::kDnnlPlain) {
    // the overwrite form on a NaN-filled buffer: equal to the reference added into zeros
    const Tensor dx_zero_ref = Tensor::zeros(x.shape(), dt);
    kernels::conv2d_backward_data<T>(dx_zero_ref.data<T>(), dy.data<T>(), w.data<T>(), g);
    const Tensor dx_over = Tensor::full(x.shape(), std::nan(""), dt);
    fast_backward_data_overwrite<T>(impl, dx_over.data<T>(), dy.data<T>(), w.data<T>(), g);
    EXPECT_TRUE(close(dx_over, dx_zero_ref, rtol)) << "backward data, overwriting";
  }

  const Tensor dw_ref = dw0.clone(), dw_fast = dw0.clone();
  const Tensor db_ref = db0.clone(), db_fast = db0.clone();
  kernels::conv2d_backward_weights<T>(dw_ref.data<T>(), dy.data<T>(), x.data<T>(), g);
  kernels::conv2d_backward_bias<T>(db_ref.data<T>(), dy.data<T>(), g);
  fast_backward_weights<T>(impl, dw_fast.data<T>(), with_bias ? db_fast.data<T>() : nullptr,
                           dy.data<T>(), x.data<T>(), g);
  EXPECT_TRUE(close(dw_fast, dw_ref, rtol)) << "backward weights";
  if (with_bias) {
    EXPECT_TRUE(close(db_fast, db_ref, rtol)) << "backward bias (with the weights)";
  } else {
    EXPECT_TRUE(close(db_fast, db0, 0)) << "db must stay untouched without a bias";
  }
  const Tensor db_alone = db0.clone();
  kernels::fast::conv2d_backward_bias<T>(db_alone.data<T>(), dy.data<T>(), g);
  EXPECT_TRUE(close(db_alone, db_ref, rtol)) << "backward bias (alone)";
}

// Hand-picked cases: each exercises one path of im2col/col2im or the batch split.
std::vector<Conv2dGeometry> named_geometries() {
  return {
      make_geometry(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1),     // 1x1x1: the smallest
      make_geometry(3, 1, 4, 5, 7, 6, 1, 1, 1, 1, 0, 0, 1, 1),     // pointwise: no im2col
      make_geometry(2, 1, 3, 9, 6, 5, 1, 1, 2, 1, 1, 0, 1, 1),     // 1x1 but strided and padded
      make_geometry(1, 1, 3, 11, 8, 4, 3, 2, 2, 3, 1, 2, 2, 1),    // batch 1, non-square all over
      make_geometry(5, 3, 6, 7, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1),     // groups 3, odd batch
      make_geometry(4, 4, 4, 6, 5, 8, 3, 3, 2, 2, 1, 1, 1, 1),     // depthwise, multiplier 2
      make_geometry(2, 1, 2, 4, 4, 3, 2, 2, 1, 1, 0, 0, 3, 3),     // kernel extent == input
      make_geometry(7, 1, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1),   // LeNet-5 conv1
      make_geometry(8, 1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0, 1, 1),  // LeNet-5 conv2
      make_geometry(2, 1, 2, 3, 3, 2, 3, 3, 4, 4, 2, 2, 1, 1),     // stride > kernel, big padding
  };
}

TEST(Conv2dFastKernel, MatchesReferenceOnNamedShapesFloat64) {
  uint64_t seed = 1;
  for (const Conv2dGeometry& g : named_geometries()) {
    expect_fast_matches_reference<double>(g, true, 1e-12, seed++);
    expect_fast_matches_reference<double>(g, false, 1e-12, seed++);
  }
}

TEST(Conv2dFastKernel, MatchesReferenceOnRandomShapesFloat64) {
  Rng rng(2024);
  for (int i = 0; i < 60; ++i) {
    expect_fast_matches_reference<double>(random_geometry(rng), rng.bernoulli(0.5), 1e-12,
                                          rng.next_u64());
  }
}

// NOTE: float32 tolerance 1e-4 of the largest reference magnitude: oneDNN sums in float32 in its
// own order (over up to N*OH*OW terms for the weight gradient).
constexpr double kFloat32Rtol = 1e-4;

class Conv2dFastKernelFloat32 : public ::testing::TestWithParam<Impl> {};

TEST_P(Conv2dFastKernelFloat32, MatchesReferenceOnNamedShapes) {
  uint64_t seed = 100;
  for (const Conv2dGeometry& g : named_geometries()) {
    expect_fast_matches_reference<float>(g, true, kFloat32Rtol, seed++, GetParam());
    expect_fast_matches_reference<float>(g, false, kFloat32Rtol, seed++, GetParam());
  }
}

TEST_P(Conv2dFastKernelFloat32, MatchesReferenceOnRandomShapes) {
  Rng rng(7);
  for (int i = 0; i < 60; ++i) {
    expect_fast_matches_reference<float>(random_geometry(rng), rng.bernoulli(0.5), kFloat32Rtol,
                                         rng.next_u64(), GetParam());
  }
}

std::string impl_name(const ::testing::TestParamInfo<Impl>& param) {
  switch (param.param) {
    case Impl::kDispatch:
      return "Dispatch";
    case Impl::kGemm:
      return "Gemm";
    case Impl::kDnnlAny:
      return "DnnlAny";
    case Impl::kDnnlPlain:
      return "DnnlPlain";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(Impls, Conv2dFastKernelFloat32,
                         ::testing::Values(Impl::kDispatch, Impl::kGemm, Impl::kDnnlAny,
                                           Impl::kDnnlPlain),
                         impl_name);

TEST(Conv2dFastKernel, GemmMatchesReferenceFloat64OnNamedShapes) {
  uint64_t seed = 300;
  for (const Conv2dGeometry& g : named_geometries()) {
    const bool bias = seed % 2 == 0;
    expect_fast_matches_reference<double>(g, bias, 1e-12, seed++, Impl::kGemm);
  }
}

TEST(Conv2dDnnlKernel, ReusesTheCachedPlanPerGeometryAndThreadCount) {
  // The same geometry twice: one plan per direction; another thread count: new plans.
  kernels::fast::dnnl_conv2d_clear_cache();
  const Conv2dGeometry g = make_geometry(2, 1, 3, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1);
  for (int i = 0; i < 2; ++i)
    expect_fast_matches_reference<float>(g, true, kFloat32Rtol, 5, Impl::kDnnlAny);
  EXPECT_EQ(kernels::fast::dnnl_conv2d_cache_size(), 3u);
  const int threads = num_threads();
  set_num_threads(threads == 1 ? 2 : 1);
  expect_fast_matches_reference<float>(g, true, kFloat32Rtol, 6, Impl::kDnnlAny);
  set_num_threads(threads);
  EXPECT_EQ(kernels::fast::dnnl_conv2d_cache_size(), 6u);
  kernels::fast::dnnl_conv2d_clear_cache();
  EXPECT_EQ(kernels::fast::dnnl_conv2d_cache_size(), 0u);
}

TEST(Conv2dDnnlKernel, PlansSharingTheWorkspaceStayCorrectWhenInterleaved) {
  // Every plan puts its blocked buffers and scratchpad in the thread's one workspace: a large and
  // a small geometry (both reordered to blocked layouts) alternate, each call checked in all
  // three directions, so a buffer left over from the other plan would show.
  const Conv2dGeometry large = make_geometry(2, 1, 20, 15, 15, 32, 3, 3, 2, 2, 1, 1, 1, 1);
  const Conv2dGeometry small = make_geometry(1, 1, 17, 6, 6, 16, 1, 1, 1, 1, 0, 0, 1, 1);
  for (uint64_t seed = 40; seed < 44; ++seed) {
    expect_fast_matches_reference<float>(large, true, kFloat32Rtol, seed, Impl::kDnnlAny);
    expect_fast_matches_reference<float>(small, false, kFloat32Rtol, seed + 10, Impl::kDnnlAny);
  }
}

TEST(Conv2dDnnlKernel, GivesCorrectResultsFromConcurrentThreads) {
  // Two threads run the same geometry (one shared plan) at the same time, several times each.
  const Conv2dGeometry g = make_geometry(3, 2, 4, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1);
  Rng rng(21);
  const Tensor x = Tensor::uniform({g.n, g.ic, g.h, g.w}, -1, 1, rng, Dtype::kFloat32);
  const Tensor w = Tensor::uniform({g.oc, g.icg(), g.kh, g.kw}, -1, 1, rng, Dtype::kFloat32);
  const Tensor y_ref = Tensor::empty({g.n, g.oc, g.oh, g.ow}, Dtype::kFloat32);
  kernels::conv2d_forward<float>(y_ref.data<float>(), x.data<float>(), w.data<float>(), nullptr, g);
  Tensor outs[2] = {Tensor::empty(y_ref.shape(), Dtype::kFloat32),
                    Tensor::empty(y_ref.shape(), Dtype::kFloat32)};
  bool ok[2] = {true, true};
  auto work = [&](int t) {
    for (int i = 0; i < 20; ++i) {
      kernels::fast::dnnl_conv2d_forward(outs[t].data<float>(), x.data<float>(), w.data<float>(),
                                         nullptr, g);
      ok[t] = ok[t] && static_cast<bool>(close(outs[t], y_ref, kFloat32Rtol));
    }
  };
  std::thread other(work, 1);
  work(0);
  other.join();
  EXPECT_TRUE(ok[0]);
  EXPECT_TRUE(ok[1]);
}

TEST(Conv2dFastKernel, WritesEveryOutputElementOverGarbage) {
  // The forward kernel writes y (beta 0); NaN left in y must not leak into the result.
  const Conv2dGeometry g = make_geometry(2, 2, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1);
  Rng rng(3);
  const Tensor x = Tensor::uniform({g.n, g.ic, g.h, g.w}, -1, 1, rng, Dtype::kFloat64);
  const Tensor w = Tensor::uniform({g.oc, g.icg(), g.kh, g.kw}, -1, 1, rng, Dtype::kFloat64);
  const Tensor y = Tensor::full({g.n, g.oc, g.oh, g.ow}, NAN, Dtype::kFloat64);
  const Tensor y_ref = Tensor::empty(y.shape(), Dtype::kFloat64);
  kernels::fast::conv2d_forward<double>(y.data<double>(), x.data<double>(), w.data<double>(),
                                        nullptr, g);
  kernels::conv2d_forward<double>(y_ref.data<double>(), x.data<double>(), w.data<double>(), nullptr,
                                  g);
  EXPECT_TRUE(close(y, y_ref, 1e-12));
}

// ops::conv2d dispatches on backend(): forward and the wanted gradients agree across backends.
// with_* pick which of input / weight / bias require grad (the fast weight kernel also computes
// db).
void expect_op_same_on_both_backends(Dtype dt, bool with_x, bool with_w, bool with_b, double rtol) {
  SCOPED_TRACE(detail::concat(dt, " grads x ", with_x, " w ", with_w, " b ", with_b));
  Rng rng(11);
  const Tensor x0 = Tensor::uniform({3, 4, 9, 8}, -1, 1, rng, dt);
  const Tensor w0 = Tensor::uniform({6, 2, 3, 3}, -1, 1, rng, dt);
  const Tensor b0 = Tensor::uniform({6}, -1, 1, rng, dt);
  const ops::Conv2dParams p{.stride = {2, 1}, .padding = 1, .dilation = {1, 2}, .groups = 2};
  std::vector<Tensor> results[2];
  for (Backend which : {Backend::kReference, Backend::kFast}) {
    const BackendGuard guard(which);
    Tensor x = x0.clone().set_requires_grad(with_x), w = w0.clone().set_requires_grad(with_w),
           b = b0.clone().set_requires_grad(with_b);
    const Tensor y = ops::conv2d(x, w, b, p);
    (y * y).sum().backward();
    results[which == Backend::kFast] = {y.detach()};
    for (const Tensor* t : {&x, &w, &b}) {
      if (t->requires_grad()) results[which == Backend::kFast].push_back(t->grad());
    }
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i) {
    EXPECT_TRUE(close(results[1][i], results[0][i], rtol)) << i;
  }
}

TEST(Conv2dFastOp, Conv2dGivesTheSameResultsOnBothBackendsFloat64) {
  expect_op_same_on_both_backends(Dtype::kFloat64, true, true, true, 1e-12);
  expect_op_same_on_both_backends(Dtype::kFloat64, false, false, true, 1e-12);
}

TEST(Conv2dFastOp, Conv2dGivesTheSameResultsOnBothBackendsFloat32) {
  expect_op_same_on_both_backends(Dtype::kFloat32, true, true, true, kFloat32Rtol);
  expect_op_same_on_both_backends(Dtype::kFloat32, false, true, false, kFloat32Rtol);
  expect_op_same_on_both_backends(Dtype::kFloat32, true, false, true, kFloat32Rtol);
}

}  // namespace
}  // namespace cnnlab
