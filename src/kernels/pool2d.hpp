// Reference pooling kernels over contiguous NCHW buffers: max (with an argmax table), average and
// adaptive average, forward and backward. Plain loops, no allocation, no autograd; the ops in
// src/ops/pool.cpp validate the geometry. Output sizes and divisors follow PyTorch
// (aten/src/ATen/native/Pool.h and AveragePool2d.cpp).
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// Geometry of max/avg pooling. Input (N, C, H, W), output (N, C, OH, OW); window (KH, KW),
/// stride (SH, SW), padding (PH, PW) on both sides, dilation (DH, DW; 1 for average pooling).
/// Window (oh, ow) covers rows oh*SH - PH + kh*DH, kh in [0, KH), and likewise columns.
struct Pool2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t oh = 0, ow = 0;
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t ph = 0, pw = 0;
  int64_t dh = 1, dw = 1;  // dilation (benchdnn's dh/dw); pooling has no weight gradient
};

/// Geometry of adaptive average pooling: input (N, C, H, W) -> output (N, C, OH, OW), where
/// output row i averages input rows [floor(i*H/OH), ceil((i+1)*H/OH)), and likewise columns.
struct AdaptivePool2dGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t oh = 0, ow = 0;
};

/// x (N, C, H, W) -> y (N, C, OH, OW) and argmax (N, C, OH, OW): argmax[o] is the flat offset
/// ih * W + iw of the winner inside its (n, c) plane, or -1 (and y = -inf) for a window that
/// lies wholly in the padding (possible only with dilation > 1).
/// NOTE: the first maximum in row-major window order wins ties; a NaN wins (and propagates) as
/// in PyTorch.
template <typename T>
void max_pool2d_forward(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g);

/// dy (N, C, OH, OW), argmax from the forward -> adds into dx (N, C, H, W).
template <typename T>
void max_pool2d_backward(T* dx, const T* dy, const int32_t* argmax, const Pool2dGeometry& g);

/// x (N, C, H, W) -> y (N, C, OH, OW): the mean over each window. The divisor is the window
/// clipped to input + padding when count_include_pad, else the window clipped to the input.
template <typename T>
void avg_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g, bool count_include_pad);

/// dy (N, C, OH, OW) -> adds dy / divisor into dx (N, C, H, W) over each window.
template <typename T>
void avg_pool2d_backward(T* dx, const T* dy, const Pool2dGeometry& g, bool count_include_pad);

/// x (N, C, H, W) -> y (N, C, OH, OW), see AdaptivePool2dGeometry.
template <typename T>
void adaptive_avg_pool2d_forward(T* y, const T* x, const AdaptivePool2dGeometry& g);

/// dy (N, C, OH, OW) -> adds into dx (N, C, H, W).
template <typename T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const AdaptivePool2dGeometry& g);

/// PyTorch's output size along one axis: floor or ceil of (in + 2p - d(k-1) - 1) / s, plus one;
/// with ceil_mode the last window must start inside the input or the left padding, else it is
/// dropped. May return <= 0; the caller checks.
inline int64_t pool_output_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d,
                                bool ceil_mode) {
  const int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  // floor division (PyTorch's div_rtn): num may be negative for a too-small input
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

/// First input index of adaptive window i: floor(i * in / out).
inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
/// One past the last input index of adaptive window i: ceil((i + 1) * in / out).
inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

}  // namespace cnnlab::kernels
