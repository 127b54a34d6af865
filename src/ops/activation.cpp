// Activation ops (relu, leaky_relu, sigmoid, tanh) and softmax / log_softmax along a dim. Forward
// and backward run the kernels in src/kernels/activation.cpp and softmax.cpp (the fast backend
// splits the pointwise ones over its threads); each
// backward saves only the tensor its formula needs (the output, or the input for leaky_relu).
#include "cnnlab/ops/activation.hpp"

#include <algorithm>
#include <vector>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/core/check.hpp"
#include "kernels/activation.hpp"
#include "kernels/fast/parallel.hpp"
#include "kernels/softmax.hpp"

namespace cnnlab::ops {
namespace {

// Runs a pointwise kernel f(offset, count) over [0, n), split over the fast backend's threads.
template <typename F>
void over_elements(int64_t n, F&& f) {
  kernels::fast::parallel_for_backend(n, kernels::fast::kPointwiseGrain,
                                      [&](int64_t begin, int64_t end) { f(begin, end - begin); });
}

// y = forward(x) elementwise through a kernel `fwd(y, x, n)`.
template <typename Fwd>
Tensor pointwise(const Tensor& x, const char* op, Fwd fwd) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    T* yp = y.data<T>();
    const T* xp = x.data<T>();
    over_elements(x.numel(), [&](int64_t at, int64_t n) { fwd(yp + at, xp + at, n, tag); });
  });
  return y;
}

// Records `name` with a backward that adds bwd(dx, dy, saved, n) into a zeroed dx, where `saved`
// is the tensor the formula needs (detached, so the node does not keep the graph alive).
// NOTE: dx is zeroed block by block just before the kernel adds into that block, so the zeros are
// still in cache when they are read: no separate pass over memory for the fill.
template <typename Bwd>
void record_pointwise(const char* name, const Tensor& x, Tensor& y, const Tensor& saved, Bwd bwd) {
  autograd::record(
      name, {x}, y, [name, saved = saved.detach(), bwd](const Tensor& dy) -> std::vector<Tensor> {
        Tensor dx = Tensor::empty(dy.shape(), dy.dtype());
        dispatch_float(dy.dtype(), name, [&](auto tag) {
          using T = decltype(tag);
          T* dxp = dx.data<T>();
          const T* dyp = dy.data<T>();
          const T* sp = saved.data<T>();
          constexpr int64_t kBlock = 4096;  // 16-32 KB: stays in L1/L2 between fill and add
          over_elements(dy.numel(), [&](int64_t at, int64_t n) {
            for (int64_t b = at; b < at + n; b += kBlock) {
              const int64_t m = std::min(kBlock, at + n - b);
              std::fill_n(dxp + b, m, T(0));
              bwd(dxp + b, dyp + b, sp + b, m, tag);
            }
          });
        });
        return {dx};
      });
}

// Views x as (outer, n, inner) around `dim`; a rank-0 tensor is one line of one element.
kernels::SoftmaxGeometry softmax_geometry(const Tensor& x, int64_t dim, const char* op) {
  const int64_t rank = x.dim();
  const int64_t lo = rank == 0 ? -1 : -rank, hi = rank == 0 ? 0 : rank - 1;
  CNNLAB_CHECK(dim >= lo && dim <= hi, ShapeError, op, ": expected dim in [", lo, ", ", hi,
               "], got dim ", dim, " for shape ", x.shape());
  kernels::SoftmaxGeometry g;
  if (rank == 0) return g;
  const int64_t d = dim < 0 ? dim + rank : dim;
  g.n = x.size(d);
  for (int64_t i = 0; i < d; ++i) g.outer *= x.size(i);
  for (int64_t i = d + 1; i < rank; ++i) g.inner *= x.size(i);
  return g;
}

}  // namespace

Tensor relu(const Tensor& x) {
  Tensor y = pointwise(x, "relu", [](auto* yp, const auto* xp, int64_t n, auto tag) {
    kernels::relu_forward<decltype(tag)>(yp, xp, n);
  });
  if (autograd::needs_grad({x})) {
    // NOTE: backward reads the output: y > 0 exactly where x > 0, so the gradient at 0 is 0.
    record_pointwise("relu", x, y, y,
                     [](auto* dx, const auto* dy, const auto* yp, int64_t n, auto tag) {
                       kernels::relu_backward<decltype(tag)>(dx, dy, yp, n);
                     });
  }
  if (autograd::is_tracing()) autograd::trace_op("relu", {x}, y);
  return y;
}

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  Tensor y =
      pointwise(x, "leaky_relu", [negative_slope](auto* yp, const auto* xp, int64_t n, auto tag) {
        using T = decltype(tag);
        kernels::leaky_relu_forward<T>(yp, xp, n, static_cast<T>(negative_slope));
      });
  if (autograd::needs_grad({x})) {
    // the input, not the output: a slope <= 0 makes the output's sign ambiguous
    record_pointwise(
        "leaky_relu", x, y, x,
        [negative_slope](auto* dx, const auto* dy, const auto* xp, int64_t n, auto tag) {
          using T = decltype(tag);
          kernels::leaky_relu_backward<T>(dx, dy, xp, n, static_cast<T>(negative_slope));
        });
  }
  if (autograd::is_tracing())
    autograd::trace_op("leaky_relu", {x}, y, {{"negative_slope", negative_slope}});
  return y;
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = pointwise(x, "sigmoid", [](auto* yp, const auto* xp, int64_t n, auto tag) {
    kernels::sigmoid_forward<decltype(tag)>(yp, xp, n);
  });
  if (autograd::needs_grad({x})) {
    record_pointwise("sigmoid", x, y, y,
                     [](auto* dx, const auto* dy, const auto* yp, int64_t n, auto tag) {
                       kernels::sigmoid_backward<decltype(tag)>(dx, dy, yp, n);
                     });
  }
  if (autograd::is_tracing()) autograd::trace_op("sigmoid", {x}, y);
  return y;
}

Tensor tanh(const Tensor& x) {
  Tensor y = pointwise(x, "tanh", [](auto* yp, const auto* xp, int64_t n, auto tag) {
    kernels::tanh_forward<decltype(tag)>(yp, xp, n);
  });
  if (autograd::needs_grad({x})) {
    record_pointwise("tanh", x, y, y,
                     [](auto* dx, const auto* dy, const auto* yp, int64_t n, auto tag) {
                       kernels::tanh_backward<decltype(tag)>(dx, dy, yp, n);
                     });
  }
  if (autograd::is_tracing()) autograd::trace_op("tanh", {x}, y);
  return y;
}

Tensor softmax(const Tensor& x, int64_t dim) {
  const kernels::SoftmaxGeometry g = softmax_geometry(x, dim, "softmax");
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    kernels::softmax_forward<T>(y.data<T>(), x.data<T>(), g);
  });
  if (autograd::needs_grad({x})) {
    autograd::record("softmax", {x}, y,
                     [g, y = y.detach()](const Tensor& dy) -> std::vector<Tensor> {
                       Tensor dx = Tensor::zeros(dy.shape(), dy.dtype());
                       dispatch_float(dy.dtype(), "softmax", [&](auto tag) {
                         using T = decltype(tag);
                         kernels::softmax_backward<T>(dx.data<T>(), dy.data<T>(), y.data<T>(), g);
                       });
                       return {dx};
                     });
  }
  if (autograd::is_tracing())
    autograd::trace_op("softmax", {x}, y, {{"dim", dim < 0 ? dim + x.dim() : dim}});
  return y;
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  const kernels::SoftmaxGeometry g = softmax_geometry(x, dim, "log_softmax");
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), "log_softmax", [&](auto tag) {
    using T = decltype(tag);
    kernels::log_softmax_forward<T>(y.data<T>(), x.data<T>(), g);
  });
  if (autograd::needs_grad({x})) {
    autograd::record(
        "log_softmax", {x}, y, [g, y = y.detach()](const Tensor& dy) -> std::vector<Tensor> {
          Tensor dx = Tensor::zeros(dy.shape(), dy.dtype());
          dispatch_float(dy.dtype(), "log_softmax", [&](auto tag) {
            using T = decltype(tag);
            kernels::log_softmax_backward<T>(dx.data<T>(), dy.data<T>(), y.data<T>(), g);
          });
          return {dx};
        });
  }
  if (autograd::is_tracing())
    autograd::trace_op("log_softmax", {x}, y, {{"dim", dim < 0 ? dim + x.dim() : dim}});
  return y;
}

}  // namespace cnnlab::ops
