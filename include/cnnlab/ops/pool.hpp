// Pooling: max, average and adaptive average over (N, C, H, W), as torch.nn.functional.
#pragma once

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// Window geometry of max_pool2d and avg_pool2d (torch.nn.functional names in comments).
struct Pool2dParams {
  Size2 kernel = 2;
  Size2 stride = 0;        ///< 0 means "equal to kernel" (PyTorch's default)
  Size2 padding = 0;       ///< at most kernel/2; max pooling pads with -inf, average with zeros
  Size2 dilation = 1;      ///< max pooling only; avg_pool2d requires 1
  bool ceil_mode = false;  ///< round the output size up; a window must start inside the input
  bool count_include_pad = true;  ///< average pooling: divide by the window size incl. padding
};

/// (N, C, H, W) -> (N, C, OH, OW), OH = floor_or_ceil((H + 2p - d(k-1) - 1) / s) + 1, where
/// with ceil_mode a last window starting in the right padding is dropped (PyTorch's rule).
/// NOTE: on ties the first maximum (in row-major window order) wins and gets the gradient; a NaN
/// wins and propagates. Op name "max_pool2d"; backward keeps only an argmax table.
/// Throws ShapeError for a non-4-D input or an output smaller than 1x1, ValueError for
/// kernel <= 0, stride < 0, padding < 0 or > kernel/2, dilation <= 0, or an int64 input.
Tensor max_pool2d(const Tensor& input, const Pool2dParams& params);
/// (N, C, H, W) -> (N, C, OH, OW); the divisor follows PyTorch (count_include_pad, and windows
/// clipped by ceil_mode count only the part inside input + padding). Op name "avg_pool2d".
/// Throws as max_pool2d, and ValueError for dilation != 1.
Tensor avg_pool2d(const Tensor& input, const Pool2dParams& params);
/// (N, C, H, W) -> (N, C, out.h, out.w); window i spans [floor(i*H/OH), ceil((i+1)*H/OH)).
/// Op name "adaptive_avg_pool2d". Throws ShapeError for a non-4-D input or H or W == 0,
/// ValueError for output_size <= 0.
Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size);

}  // namespace cnnlab::ops
