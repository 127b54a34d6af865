// Pooling ops: max_pool2d, avg_pool2d and adaptive_avg_pool2d. Each checks its arguments with
// PyTorch's rules (Pool.h: pool2d_shape_check, pooling_output_shape), runs the pooling kernel
// of the selected backend (src/kernels/pool2d.cpp or src/kernels/fast/pool2d.cpp) and records a
// node whose backward calls the matching backward kernel.
#include "cnnlab/ops/pool.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/core/check.hpp"
#include "kernels/fast/pool2d.hpp"
#include "kernels/pool2d.hpp"

namespace cnnlab::ops {
namespace {

bool fast() { return backend() == Backend::kFast; }

void check_rank4(const Tensor& x, const char* op) {
  CNNLAB_CHECK(x.dim() == 4, ShapeError, op, ": expected a 4-D input (N, C, H, W), got shape ",
               x.shape());
}

// Validates params against x (rank 4) and returns the kernel geometry. Stride 0 becomes the
// kernel size. Average pooling has no dilation (it must stay 1).
kernels::Pool2dGeometry pool2d_geometry(const char* op, const Tensor& x, const Pool2dParams& p,
                                        bool allow_dilation) {
  check_rank4(x, op);
  CNNLAB_CHECK(p.kernel.h > 0 && p.kernel.w > 0, ValueError, op, ": expected kernel_size > 0, got ",
               p.kernel);
  CNNLAB_CHECK(p.stride.h >= 0 && p.stride.w >= 0, ValueError, op,
               ": expected stride >= 0 (0 means kernel_size), got ", p.stride);
  CNNLAB_CHECK(p.padding.h >= 0 && p.padding.w >= 0, ValueError, op,
               ": expected padding >= 0, got ", p.padding);
  CNNLAB_CHECK(p.padding.h <= p.kernel.h / 2 && p.padding.w <= p.kernel.w / 2, ValueError, op,
               ": expected padding at most half the kernel size, got padding=", p.padding,
               " with kernel_size=", p.kernel);
  if (allow_dilation) {
    CNNLAB_CHECK(p.dilation.h > 0 && p.dilation.w > 0, ValueError, op,
                 ": expected dilation > 0, got ", p.dilation);
  } else {
    CNNLAB_CHECK(p.dilation.h == 1 && p.dilation.w == 1, ValueError, op,
                 ": expected dilation 1 (average pooling has no dilation), got ", p.dilation);
  }

  kernels::Pool2dGeometry g;
  g.n = x.size(0);
  g.c = x.size(1);
  g.h = x.size(2);
  g.w = x.size(3);
  g.kh = p.kernel.h;
  g.kw = p.kernel.w;
  g.sh = p.stride.h == 0 ? p.kernel.h : p.stride.h;
  g.sw = p.stride.w == 0 ? p.kernel.w : p.stride.w;
  g.ph = p.padding.h;
  g.pw = p.padding.w;
  g.dh = p.dilation.h;
  g.dw = p.dilation.w;
  g.oh = kernels::pool_output_size(g.h, g.kh, g.sh, g.ph, g.dh, p.ceil_mode);
  g.ow = kernels::pool_output_size(g.w, g.kw, g.sw, g.pw, g.dw, p.ceil_mode);
  CNNLAB_CHECK(g.oh >= 1 && g.ow >= 1, ShapeError, op, ": expected an output of at least 1x1, got ",
               g.oh, "x", g.ow, " (input ", x.shape(), ", kernel_size=", p.kernel,
               ", stride=", Size2(g.sh, g.sw), ", padding=", p.padding, ", dilation=", p.dilation,
               ", ceil_mode=", p.ceil_mode ? "true" : "false", ")");
  return g;
}

// Records a pooling call for the op tracer (ONNX export): its window as the kernels saw it.
void trace_pool(const char* op, const Tensor& input, const Tensor& y,
                const kernels::Pool2dGeometry& g, const Pool2dParams& params) {
  using V = std::vector<int64_t>;
  autograd::trace_op(op, {input}, y,
                     {{"kernel", V{g.kh, g.kw}},
                      {"stride", V{g.sh, g.sw}},
                      {"padding", V{g.ph, g.pw}},
                      {"dilation", V{g.dh, g.dw}},
                      {"ceil_mode", int64_t{params.ceil_mode}},
                      {"count_include_pad", int64_t{params.count_include_pad}}});
}

}  // namespace

Tensor max_pool2d(const Tensor& input, const Pool2dParams& params) {
  const kernels::Pool2dGeometry g = pool2d_geometry("max_pool2d", input, params, true);
  // the argmax table stores offsets inside one (H, W) plane as int32
  CNNLAB_CHECK(g.h * g.w <= std::numeric_limits<int32_t>::max(), ShapeError,
               "max_pool2d: expected at most 2^31 - 1 elements per (H, W) plane, got shape ",
               input.shape());
  Tensor y = Tensor::empty({g.n, g.c, g.oh, g.ow}, input.dtype());
  // winner per output cell; from the caching allocator, like tensors, so that a training loop
  // does not map and fault in a fresh table every step
  auto argmax_storage = std::make_shared<Storage>(static_cast<size_t>(y.numel()) * sizeof(int32_t));
  auto* argmax = static_cast<int32_t*>(argmax_storage->data());
  dispatch_float(input.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    (fast() ? kernels::fast::max_pool2d_forward<T>
            : kernels::max_pool2d_forward<T>)(y.data<T>(), argmax, input.data<T>(), g);
  });

  if (autograd::needs_grad({input})) {
    // Backward needs only the argmax table, not the input itself: do not keep it alive.
    autograd::record(
        "max_pool2d", {input}, y,
        [g, argmax_storage = std::move(argmax_storage)](const Tensor& dy) -> std::vector<Tensor> {
          Tensor dx = Tensor::zeros({g.n, g.c, g.h, g.w}, dy.dtype());
          dispatch_float(dy.dtype(), "max_pool2d", [&](auto tag) {
            using T = decltype(tag);
            (fast() ? kernels::fast::max_pool2d_backward<T>
                    : kernels::max_pool2d_backward<T>)(dx.data<T>(), dy.data<T>(),
                                                       static_cast<const int32_t*>(
                                                           argmax_storage->data()),
                                                       g);
          });
          return {dx};
        });
  }
  if (autograd::is_tracing()) trace_pool("max_pool2d", input, y, g, params);
  return y;
}

Tensor avg_pool2d(const Tensor& input, const Pool2dParams& params) {
  const kernels::Pool2dGeometry g = pool2d_geometry("avg_pool2d", input, params, false);
  const bool include_pad = params.count_include_pad;
  Tensor y = Tensor::empty({g.n, g.c, g.oh, g.ow}, input.dtype());
  dispatch_float(input.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    (fast() ? kernels::fast::avg_pool2d_forward<T>
            : kernels::avg_pool2d_forward<T>)(y.data<T>(), input.data<T>(), g, include_pad);
  });

  if (autograd::needs_grad({input})) {
    // the gradient of a mean depends only on the geometry
    autograd::record(
        "avg_pool2d", {input}, y, [g, include_pad](const Tensor& dy) -> std::vector<Tensor> {
          Tensor dx = Tensor::zeros({g.n, g.c, g.h, g.w}, dy.dtype());
          dispatch_float(dy.dtype(), "avg_pool2d", [&](auto tag) {
            using T = decltype(tag);
            (fast() ? kernels::fast::avg_pool2d_backward<T>
                    : kernels::avg_pool2d_backward<T>)(dx.data<T>(), dy.data<T>(), g, include_pad);
          });
          return {dx};
        });
  }
  if (autograd::is_tracing()) trace_pool("avg_pool2d", input, y, g, params);
  return y;
}

Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size) {
  check_rank4(input, "adaptive_avg_pool2d");
  CNNLAB_CHECK(output_size.h > 0 && output_size.w > 0, ValueError,
               "adaptive_avg_pool2d: expected output_size > 0, got ", output_size);
  CNNLAB_CHECK(input.size(2) > 0 && input.size(3) > 0, ShapeError,
               "adaptive_avg_pool2d: expected non-empty H and W, got shape ", input.shape());
  kernels::AdaptivePool2dGeometry g;
  g.n = input.size(0);
  g.c = input.size(1);
  g.h = input.size(2);
  g.w = input.size(3);
  g.oh = output_size.h;
  g.ow = output_size.w;
  Tensor y = Tensor::empty({g.n, g.c, g.oh, g.ow}, input.dtype());
  dispatch_float(input.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    (fast() ? kernels::fast::adaptive_avg_pool2d_forward<T>
            : kernels::adaptive_avg_pool2d_forward<T>)(y.data<T>(), input.data<T>(), g);
  });

  if (autograd::needs_grad({input})) {
    autograd::record(
        "adaptive_avg_pool2d", {input}, y, [g](const Tensor& dy) -> std::vector<Tensor> {
          Tensor dx = Tensor::zeros({g.n, g.c, g.h, g.w}, dy.dtype());
          dispatch_float(dy.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
            using T = decltype(tag);
            (fast() ? kernels::fast::adaptive_avg_pool2d_backward<T>
                    : kernels::adaptive_avg_pool2d_backward<T>)(dx.data<T>(), dy.data<T>(), g);
          });
          return {dx};
        });
  }
  if (autograd::is_tracing())
    autograd::trace_op("adaptive_avg_pool2d", {input}, y,
                       {{"output_size", std::vector<int64_t>{output_size.h, output_size.w}}});
  return y;
}

}  // namespace cnnlab::ops
