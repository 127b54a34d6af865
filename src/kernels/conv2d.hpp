// Reference (direct, naive) kernels of 2-D convolution over contiguous NCHW buffers: forward,
// backward with respect to the data, the weights and the bias. They are the specification that
// faster kernels (im2col + GEMM) are tested against. Each output element accumulates in double
// and is rounded once. Derivation: docs/derivations/conv2d_backward.md.
#pragma once

#include <cstdint>

namespace cnnlab::kernels {

/// Everything a convolution kernel needs to know, already validated by ops::conv2d.
/// Names follow the benchdnn glossary; dilation is dil_h/dil_w so that `dw` stays free for the
/// weight gradient.
struct Conv2dGeometry {
  int64_t n = 0;                   ///< batch size N
  int64_t g = 1;                   ///< groups
  int64_t ic = 0, h = 0, w = 0;    ///< input (N, IC, H, W)
  int64_t oc = 0, kh = 0, kw = 0;  ///< weight (OC, IC/G, KH, KW)
  int64_t oh = 0, ow = 0;          ///< output (N, OC, OH, OW)
  int64_t sh = 1, sw = 1;          ///< stride
  int64_t ph = 0, pw = 0;          ///< zero padding on each side
  int64_t dil_h = 1, dil_w = 1;    ///< dilation: distance between kernel taps

  int64_t icg() const { return ic / g; }  ///< input channels per group
  int64_t ocg() const { return oc / g; }  ///< output channels per group
};

/// y = conv(x, w) + b. Writes every element of y.
/// y (N, OC, OH, OW), x (N, IC, H, W), w (OC, IC/G, KH, KW), b (OC) or nullptr for no bias.
template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g);

/// dx += d(sum dy*y)/dx. Adds into dx: the caller zero-fills it or passes gradients to add onto.
/// dx (N, IC, H, W), dy (N, OC, OH, OW), w (OC, IC/G, KH, KW).
template <typename T>
void conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g);

/// dw += d(sum dy*y)/dw. Adds into dw.
/// dw (OC, IC/G, KH, KW), dy (N, OC, OH, OW), x (N, IC, H, W).
template <typename T>
void conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g);

/// db += sum of dy over N, OH, OW. Adds into db.
/// db (OC), dy (N, OC, OH, OW).
template <typename T>
void conv2d_backward_bias(T* db, const T* dy, const Conv2dGeometry& g);

}  // namespace cnnlab::kernels
