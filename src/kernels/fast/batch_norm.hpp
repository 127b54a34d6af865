// Fast batch normalization: the contracts of kernels/batch_norm.hpp (same geometry, same double
// statistics), with the channels split over the OpenMP threads and the per-channel sums
// vectorized (omp simd reductions; the sums are still accumulated in double). The normalization
// itself runs in T, as (x - mean) * scale + shift with the mean rounded to T and the rounding
// corrected in shift, so float results differ from the reference's (which rounds once from
// double) by a few ulps of the output, also for a mean far larger than the spread.
#pragma once

#include "kernels/batch_norm.hpp"

namespace cnnlab::kernels::fast {

template <typename T>
void batch_norm_stats(double* mean, double* var, const T* x, const BatchNormGeometry& g);
template <typename T>
void batch_norm_apply(T* y, const T* x, const double* mean, const double* inv_std, const T* weight,
                      const T* bias, const BatchNormGeometry& g);
/// As kernels::batch_norm_backward; with overwrite_dx, dx is written instead of added to (it is
/// never read: for a fresh gradient, no zero fill and no read pass).
template <typename T>
void batch_norm_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const double* mean,
                         const double* inv_std, const T* weight, const BatchNormGeometry& g,
                         bool training, bool overwrite_dx = false);

}  // namespace cnnlab::kernels::fast
