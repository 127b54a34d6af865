// The fast backend's 2-D convolution: the entry points ops::conv2d calls (conv2d_forward, ...),
// which pick oneDNN (kernels/fast/conv2d_dnnl.hpp) for float32 and im2col + BLAS otherwise, and the
// im2col + BLAS kernels themselves (gemm_conv2d_*: im2col / col2im per image and group, one BLAS
// gemm each, OpenMP threads over the batch). Same buffers, geometry and contracts as the reference
// kernels of kernels/conv2d.hpp (forward writes y; the backward kernels ADD into dx / dw / db),
// against which tests/unit/kernels/conv2d_fast_test.cpp checks them. docs/fast_backend.md.
#pragma once

#include "kernels/conv2d.hpp"

namespace cnnlab::kernels::fast {

// ---- Entry points of the fast backend: oneDNN for float32, im2col + BLAS for float64. ----

/// y = conv(x, w) + b, or with relu = true y = max(conv(x, w) + b, 0) in the same pass (for
/// inference; ops::conv2d_relu). Writes every element of y.
/// y (N, OC, OH, OW), x (N, IC, H, W), w (OC, IC/G, KH, KW), b (OC) or nullptr for no bias.
template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g,
                    bool relu = false);

/// dx += d(sum dy*y)/dx. Adds into dx. dx (N, IC, H, W), dy (N, OC, OH, OW), w (OC, IC/G, KH, KW).
template <typename T>
void conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g);
/// As conv2d_backward_data, but dx is overwritten, never read: for a freshly allocated gradient,
/// where oneDNN then skips the zero fill and the read of an accumulation (the im2col path zero-
/// fills dx itself and adds).
template <typename T>
void conv2d_backward_data_overwrite(T* dx, const T* dy, const T* w, const Conv2dGeometry& g);

/// dw += d(sum dy*y)/dw. Adds into dw. dw (OC, IC/G, KH, KW), dy (N, OC, OH, OW), x (N, IC, H, W).
template <typename T>
void conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g);

/// dw += d(sum dy*y)/dw and, when db is not nullptr, db += sum of dy over N, OH, OW (oneDNN
/// computes both in one pass). dw (OC, IC/G, KH, KW), db (OC) or nullptr, dy, x as above.
template <typename T>
void conv2d_backward_weights_bias(T* dw, T* db, const T* dy, const T* x, const Conv2dGeometry& g);

/// db += sum of dy over N, OH, OW. Adds into db. db (OC), dy (N, OC, OH, OW). OpenMP over channels.
template <typename T>
void conv2d_backward_bias(T* db, const T* dy, const Conv2dGeometry& g);

// ---- im2col + single-threaded BLAS gemm, OpenMP over the batch (float32 and float64). ----

/// As conv2d_forward.
template <typename T>
void gemm_conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g,
                         bool relu = false);

/// As conv2d_backward_data.
template <typename T>
void gemm_conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g);

/// As conv2d_backward_weights.
template <typename T>
void gemm_conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g);

}  // namespace cnnlab::kernels::fast
