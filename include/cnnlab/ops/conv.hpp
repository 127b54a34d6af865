// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d).
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

struct Conv2dParams {
  Size2 stride = 1;
  Size2 padding = 0;   ///< zeros added on each side
  Size2 dilation = 1;
  int64_t groups = 1;  ///< must divide C_in and C_out
};

/// input (N, C_in, H, W), weight (C_out, C_in/groups, KH, KW), bias (C_out) or undefined
/// -> (N, C_out, OH, OW), OH = (H + 2*padding.h - dilation.h*(KH-1) - 1) / stride.h + 1.
/// y[n, oc, oh, ow] = b[oc] + sum_{ic in group(oc), kh, kw}
///                    w[oc, ic, kh, kw] * x[n, ic, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw].
/// Differentiable in input, weight and bias. Throws ShapeError (wrong ranks, channel mismatch,
/// output smaller than 1) or ValueError (non-positive stride/dilation/groups, negative padding).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              const Conv2dParams& params = {});

}  // namespace cnnlab::ops
