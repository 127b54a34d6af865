// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d).
// Reference kernels: src/kernels/conv2d.cpp; backward derivation:
// docs/derivations/conv2d_backward.md.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// Hyper-parameters of conv2d; each Size2 takes one int (square) or {h, w}.
struct Conv2dParams {
  Size2 stride = 1;    ///< > 0
  Size2 padding = 0;   ///< >= 0; zeros added on each side
  Size2 dilation = 1;  ///< > 0; distance between kernel taps
  int64_t groups = 1;  ///< must divide C_in and C_out
};

/// input (N, C_in, H, W), weight (C_out, C_in/groups, KH, KW), bias (C_out) or undefined
/// -> (N, C_out, OH, OW), OH = (H + 2*padding.h - dilation.h*(KH-1) - 1) / stride.h + 1, and
/// likewise OW.
/// y[n, oc, oh, ow] = b[oc] + sum_{ic in group(oc), kh, kw}
///     w[oc, ic - ic0, kh, kw] * x[n, ic, oh*sh - ph + kh*dil_h, ow*sw - pw + kw*dil_w],
/// where ic0 is the first input channel of oc's group and out-of-range x reads zero.
/// Differentiable in input, weight and bias. Throws ShapeError (wrong ranks, channel mismatch,
/// groups not dividing the channels, bias shape, output smaller than 1x1) or ValueError
/// (non-positive stride/dilation/groups, negative padding, mixed or non-float dtypes).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              const Conv2dParams& params = {});

/// relu(conv2d(input, weight, bias, params)), fused for inference: when no gradient is needed
/// (NoGradGuard, or no input requiring grad) the ReLU runs inside the convolution's pass (oneDNN's
/// post-op) and no separate output is written and re-read. When a gradient is needed it records
/// the two ops, conv2d then relu, so autograd and any backward override of "relu" (guided
/// backprop) see both. Throws as conv2d.
Tensor conv2d_relu(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                   const Conv2dParams& params = {});

}  // namespace cnnlab::ops
