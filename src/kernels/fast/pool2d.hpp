// Fast pooling kernels: the contracts of kernels/pool2d.hpp (same geometry, same argmax table,
// same tie and NaN rules), with the (n, c) planes split over the OpenMP threads. Max pooling
// forward clips each window to the input once instead of testing every tap.
#pragma once

#include <cstdint>

#include "kernels/pool2d.hpp"

namespace cnnlab::kernels::fast {

template <typename T>
void max_pool2d_forward(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g);
template <typename T>
void max_pool2d_backward(T* dx, const T* dy, const int32_t* argmax, const Pool2dGeometry& g);
template <typename T>
void avg_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g, bool count_include_pad);
template <typename T>
void avg_pool2d_backward(T* dx, const T* dy, const Pool2dGeometry& g, bool count_include_pad);
template <typename T>
void adaptive_avg_pool2d_forward(T* y, const T* x, const AdaptivePool2dGeometry& g);
template <typename T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const AdaptivePool2dGeometry& g);

}  // namespace cnnlab::kernels::fast
