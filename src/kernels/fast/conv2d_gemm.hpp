// Fast 2-D convolution kernels: im2col / col2im per image and group, one BLAS gemm each, OpenMP
// threads over the batch. Same buffers, geometry and contracts as the reference kernels of
// kernels/conv2d.hpp (forward writes y; the backward kernels ADD into dx / dw), against which
// tests/unit/kernels/conv2d_fast_test.cpp checks them.
#pragma once

#include "kernels/conv2d.hpp"

namespace cnnlab::kernels::fast {

/// y = conv(x, w) + b. Writes every element of y.
/// y (N, OC, OH, OW), x (N, IC, H, W), w (OC, IC/G, KH, KW), b (OC) or nullptr for no bias.
template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g);

/// dx += d(sum dy*y)/dx. Adds into dx. dx (N, IC, H, W), dy (N, OC, OH, OW), w (OC, IC/G, KH, KW).
template <typename T>
void conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g);

/// dw += d(sum dy*y)/dw. Adds into dw. dw (OC, IC/G, KH, KW), dy (N, OC, OH, OW), x (N, IC, H, W).
template <typename T>
void conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g);

}  // namespace cnnlab::kernels::fast
