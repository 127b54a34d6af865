// Fast 2-D convolution of float32 through oneDNN (libdnnl, OpenMP runtime: the same libgomp pool
// as cnnlab's own loops). Same buffers, geometry and contracts as the reference kernels of
// kernels/conv2d.hpp: plain NCHW / OIHW in and out, forward writes y, the backward kernels ADD.
// Primitive descriptors, primitives and reorders are built once per geometry and cached
// (thread-safe); their blocked buffers and scratchpads share one workspace per thread; steady-state
// calls allocate nothing. docs/fast_backend.md.
#pragma once

#include <cstddef>

#include "kernels/conv2d.hpp"

namespace cnnlab::kernels::fast {

/// The memory formats the oneDNN primitive is created with.
enum class DnnlLayout {
  kAny,    ///< oneDNN picks (usually nChw16c / blocked weights); reorders to and from plain NCHW
  kPlain,  ///< the primitive works on plain NCHW / OIHW itself (oneDNN's gemm-based convolution)
};

/// y = conv(x, w) + b in float32, or with relu = true y = max(conv(x, w) + b, 0) (oneDNN's ReLU
/// post-op, in the same pass). Writes every element of y.
/// y (N, OC, OH, OW), x (N, IC, H, W), w (OC, IC/G, KH, KW), b (OC) or nullptr for no bias.
/// Throws StateError if oneDNN cannot create the primitive (it has a reference implementation for
/// every valid geometry, so this means a broken installation).
void dnnl_conv2d_forward(float* y, const float* x, const float* w, const float* b,
                         const Conv2dGeometry& g, DnnlLayout layout = DnnlLayout::kAny,
                         bool relu = false);

/// dx += d(sum dy*y)/dx in float32, or with accumulate = false dx = d(sum dy*y)/dx (dx is then
/// never read: no zero fill and no read pass for a fresh gradient).
/// dx (N, IC, H, W), dy (N, OC, OH, OW), w (OC, IC/G, KH, KW).
void dnnl_conv2d_backward_data(float* dx, const float* dy, const float* w, const Conv2dGeometry& g,
                               DnnlLayout layout = DnnlLayout::kAny, bool accumulate = true);

/// dw += d(sum dy*y)/dw and, when db is not nullptr, db += sum of dy over N, OH, OW, in one pass.
/// dw (OC, IC/G, KH, KW), db (OC) or nullptr, dy (N, OC, OH, OW), x (N, IC, H, W).
void dnnl_conv2d_backward_weights(float* dw, float* db, const float* dy, const float* x,
                                  const Conv2dGeometry& g, DnnlLayout layout = DnnlLayout::kAny);

/// The number of cached primitive sets (one per geometry, direction, layout and thread count).
size_t dnnl_conv2d_cache_size();

/// Drops every cached primitive and buffer (the next call of each geometry rebuilds them).
void dnnl_conv2d_clear_cache();

}  // namespace cnnlab::kernels::fast
