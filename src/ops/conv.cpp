// ops::conv2d: validates every argument, runs the conv2d kernels of the selected backend (the
// reference ones of src/kernels/conv2d.cpp or the fast ones of src/kernels/fast/conv2d_gemm.hpp:
// oneDNN for float32, im2col + BLAS for float64) and records a backward node that calls the
// backward kernels (the fast weight kernel computes the bias gradient in the same pass); and
// conv2d_relu, the inference-time fusion of conv2d and relu.
#include "cnnlab/ops/conv.hpp"

#include <string>
#include <utility>
#include <vector>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/ops/activation.hpp"
#include "kernels/activation.hpp"
#include "kernels/conv2d.hpp"
#include "kernels/fast/conv2d_gemm.hpp"

namespace cnnlab::ops {
namespace {

const char* channel_word(int64_t c) { return c == 1 ? " channel" : " channels"; }

// "3" for a square pair, "(1, 3)" otherwise, as Size2::str(). NOTE: formatted here because
// inlining Size2::str trips a false -Wrestrict warning in GCC 12 (GCC bug 105329).
std::string size2_text(const Size2& s) {
  return s.square() ? detail::concat(s.h) : detail::concat("(", s.h, ", ", s.w, ")");
}

// Checks input, weight, bias and params, and derives the kernels' geometry.
kernels::Conv2dGeometry conv2d_geometry(const Tensor& x, const Tensor& w, const Tensor& b,
                                        const Conv2dParams& p) {
  CNNLAB_CHECK(x.defined() && w.defined(), ValueError,
               "conv2d: expected a defined input and weight, got an undefined ",
               x.defined() ? "weight" : "input");
  CNNLAB_CHECK(x.dim() == 4, ShapeError, "conv2d: expected a 4-D input (N, C_in, H, W), got shape ",
               x.shape());
  CNNLAB_CHECK(w.dim() == 4, ShapeError,
               "conv2d: expected a 4-D weight (C_out, C_in/groups, KH, KW), got shape ", w.shape());
  CNNLAB_CHECK(is_floating(x.dtype()), ValueError,
               "conv2d: expected a float32 or float64 input, got ", x.dtype());
  CNNLAB_CHECK(w.dtype() == x.dtype(), ValueError,
               "conv2d: expected a weight of the input's dtype ", x.dtype(), ", got ", w.dtype());
  CNNLAB_CHECK(p.stride.h > 0 && p.stride.w > 0, ValueError, "conv2d: expected stride > 0, got ",
               size2_text(p.stride));
  CNNLAB_CHECK(p.dilation.h > 0 && p.dilation.w > 0, ValueError,
               "conv2d: expected dilation > 0, got ", size2_text(p.dilation));
  CNNLAB_CHECK(p.padding.h >= 0 && p.padding.w >= 0, ValueError,
               "conv2d: expected padding >= 0, got ", size2_text(p.padding));
  CNNLAB_CHECK(p.groups > 0, ValueError, "conv2d: expected groups > 0, got ", p.groups);

  const Shape& xs = x.shape();
  const Shape& ws = w.shape();
  CNNLAB_CHECK(ws[0] > 0 && ws[1] > 0 && ws[2] > 0 && ws[3] > 0, ShapeError,
               "conv2d: expected a weight with positive sizes, got shape ", ws);
  CNNLAB_CHECK(xs[1] % p.groups == 0, ShapeError, "conv2d: expected groups=", p.groups,
               " to divide the input's ", xs[1], channel_word(xs[1]), ", got input ", xs);
  CNNLAB_CHECK(ws[0] % p.groups == 0, ShapeError, "conv2d: expected groups=", p.groups,
               " to divide the weight's ", ws[0], " output channels, got weight ", ws);
  if (p.groups == 1) {
    CNNLAB_CHECK(xs[1] == ws[1], ShapeError, "conv2d: input has ", xs[1], channel_word(xs[1]),
                 " but weight expects ", ws[1], " (input ", xs, ", weight ", ws, ")");
  } else {
    CNNLAB_CHECK(xs[1] == ws[1] * p.groups, ShapeError, "conv2d: input has ", xs[1],
                 channel_word(xs[1]), " but weight expects ", ws[1] * p.groups, " = groups ",
                 p.groups, " x ", ws[1], " (input ", xs, ", weight ", ws, ")");
  }
  if (b.defined()) {
    CNNLAB_CHECK(b.dim() == 1 && b.shape()[0] == ws[0], ShapeError,
                 "conv2d: expected a bias of shape [", ws[0], "] (one per output channel), got ",
                 b.shape());
    CNNLAB_CHECK(b.dtype() == x.dtype(), ValueError,
                 "conv2d: expected a bias of the input's dtype ", x.dtype(), ", got ", b.dtype());
  }

  kernels::Conv2dGeometry g;
  g.n = xs[0];
  g.g = p.groups;
  g.ic = xs[1];
  g.h = xs[2];
  g.w = xs[3];
  g.oc = ws[0];
  g.kh = ws[2];
  g.kw = ws[3];
  g.sh = p.stride.h;
  g.sw = p.stride.w;
  g.ph = p.padding.h;
  g.pw = p.padding.w;
  g.dil_h = p.dilation.h;
  g.dil_w = p.dilation.w;

  const int64_t extent_h = g.dil_h * (g.kh - 1) + 1;  // rows spanned by the dilated kernel
  const int64_t extent_w = g.dil_w * (g.kw - 1) + 1;
  const int64_t padded_h = g.h + 2 * g.ph, padded_w = g.w + 2 * g.pw;
  CNNLAB_CHECK(padded_h >= extent_h && padded_w >= extent_w, ShapeError,
               "conv2d: expected the padded input (", padded_h, " x ", padded_w,
               ") to be at least as large as the dilated kernel (", extent_h, " x ", extent_w,
               "), got input ", xs, ", weight ", ws, ", padding ", size2_text(p.padding),
               ", dilation ", size2_text(p.dilation));
  g.oh = (padded_h - extent_h) / g.sh + 1;
  g.ow = (padded_w - extent_w) / g.sw + 1;
  return g;
}

// The hyper-parameters of a traced conv2d (cnnlab/autograd/trace.hpp).
std::vector<std::pair<std::string, autograd::TraceAttr>> trace_attrs(
    const kernels::Conv2dGeometry& g) {
  using V = std::vector<int64_t>;
  return {{"stride", V{g.sh, g.sw}},
          {"padding", V{g.ph, g.pw}},
          {"dilation", V{g.dil_h, g.dil_w}},
          {"groups", g.g}};
}

// The forward kernels of the selected backend into a fresh output; with relu, max(y, 0) in the
// same pass (oneDNN's post-op or the im2col path's bias loop; the reference applies it after).
Tensor forward(const Tensor& input, const Tensor& weight, const Tensor& bias,
               const kernels::Conv2dGeometry& g, bool relu) {
  Tensor y = Tensor::empty({g.n, g.oc, g.oh, g.ow}, input.dtype());
  dispatch_float(input.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if (backend() == Backend::kFast) {
      kernels::fast::conv2d_forward<T>(y.data<T>(), input.data<T>(), weight.data<T>(), b, g, relu);
    } else {
      kernels::conv2d_forward<T>(y.data<T>(), input.data<T>(), weight.data<T>(), b, g);
      if (relu) kernels::relu_forward<T>(y.data<T>(), y.data<T>(), y.numel());
    }
  });
  return y;
}

}  // namespace

Tensor conv2d_relu(const Tensor& input, const Tensor& weight, const Tensor& bias,
                   const Conv2dParams& params) {
  if (autograd::needs_grad({input, weight, bias})) {
    return relu(conv2d(input, weight, bias, params));  // two nodes: overrides of "relu" apply
  }
  const kernels::Conv2dGeometry g = conv2d_geometry(input, weight, bias, params);
  Tensor y = forward(input, weight, bias, g, /*relu=*/true);
  if (autograd::is_tracing())
    autograd::trace_op("conv2d_relu", {input, weight, bias}, y, trace_attrs(g));
  return y;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              const Conv2dParams& params) {
  const kernels::Conv2dGeometry g = conv2d_geometry(input, weight, bias, params);
  Tensor y = forward(input, weight, bias, g, /*relu=*/false);

  if (autograd::needs_grad({input, weight, bias})) {
    const bool gx = input.requires_grad();
    const bool gw = weight.requires_grad();
    const bool gb = bias.defined() && bias.requires_grad();
    // dx needs only w and dw needs only x: keep alive just what the wanted gradients read.
    autograd::record(
        "conv2d", {input, weight, bias}, y,
        [g, gx, gw, gb, x = gw ? input.detach() : Tensor(),
         w = gx ? weight.detach() : Tensor()](const Tensor& dy) -> std::vector<Tensor> {
          std::vector<Tensor> grads(3);
          dispatch_float(dy.dtype(), "conv2d", [&](auto tag) {
            using T = decltype(tag);
            if (gx && backend() == Backend::kFast) {  // dx is fresh: written, not added to
              grads[0] = Tensor::empty({g.n, g.ic, g.h, g.w}, dy.dtype());
              kernels::fast::conv2d_backward_data_overwrite<T>(grads[0].data<T>(), dy.data<T>(),
                                                               w.data<T>(), g);
            } else if (gx) {
              grads[0] = Tensor::zeros({g.n, g.ic, g.h, g.w}, dy.dtype());
              kernels::conv2d_backward_data<T>(grads[0].data<T>(), dy.data<T>(), w.data<T>(), g);
            }
            const bool fast = backend() == Backend::kFast;
            if (gb) grads[2] = Tensor::zeros({g.oc}, dy.dtype());
            T* db = gb ? grads[2].data<T>() : nullptr;
            if (gw) {
              grads[1] = Tensor::zeros({g.oc, g.ic / g.g, g.kh, g.kw}, dy.dtype());
              if (fast) {  // the fast kernel computes db in the same pass
                kernels::fast::conv2d_backward_weights_bias<T>(grads[1].data<T>(), db, dy.data<T>(),
                                                               x.data<T>(), g);
              } else {
                kernels::conv2d_backward_weights<T>(grads[1].data<T>(), dy.data<T>(), x.data<T>(),
                                                    g);
              }
            }
            if (gb && !(gw && fast)) {
              (fast ? kernels::fast::conv2d_backward_bias<T>
                    : kernels::conv2d_backward_bias<T>)(db, dy.data<T>(), g);
            }
          });
          return grads;
        });
  }
  if (autograd::is_tracing())
    autograd::trace_op("conv2d", {input, weight, bias}, y, trace_attrs(g));
  return y;
}

}  // namespace cnnlab::ops
