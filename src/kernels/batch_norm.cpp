// Reference batch-normalization kernels: statistics, normalization, backward and the running-stat
// update. Plain loops over (n, c, s); see batch_norm.hpp for shapes and
// docs/derivations/batch_norm_backward.md for the backward formula.
#include "kernels/batch_norm.hpp"

namespace cnnlab::kernels {

template <typename T>
void batch_norm_stats(double* mean, double* var, const T* x, const BatchNormGeometry& g) {
  const double m = static_cast<double>(g.count());
  for (int64_t c = 0; c < g.c; ++c) {
    // pass 1: mean of channel c over (n, s)
    double acc = 0.0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* xp = x + (n * g.c + c) * g.s;  // seek to plane (n, c)
      for (int64_t i = 0; i < g.s; ++i) acc += static_cast<double>(xp[i]);
    }
    const double mu = acc / m;
    // pass 2: biased variance around that mean
    double sq = 0.0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* xp = x + (n * g.c + c) * g.s;
      for (int64_t i = 0; i < g.s; ++i) {
        const double d = static_cast<double>(xp[i]) - mu;
        sq += d * d;
      }
    }
    mean[c] = mu;
    var[c] = sq / m;
  }
}

template <typename T>
void batch_norm_apply(T* y, const T* x, const double* mean, const double* inv_std, const T* weight,
                      const T* bias, const BatchNormGeometry& g) {
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      // fold the affine map: y = x * scale + shift
      const double w = weight ? static_cast<double>(weight[c]) : 1.0;
      const double b = bias ? static_cast<double>(bias[c]) : 0.0;
      const double scale = inv_std[c] * w;
      const double shift = b - mean[c] * scale;
      const T* xp = x + (n * g.c + c) * g.s;
      T* yp = y + (n * g.c + c) * g.s;
      for (int64_t i = 0; i < g.s; ++i) {
        yp[i] = static_cast<T>(static_cast<double>(xp[i]) * scale + shift);
      }
    }
  }
}

template <typename T>
void batch_norm_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const double* mean,
                         const double* inv_std, const T* weight, const BatchNormGeometry& g,
                         bool training) {
  const double m = static_cast<double>(g.count());
  for (int64_t c = 0; c < g.c; ++c) {
    // sum_dy = sum dy, sum_dy_xhat = sum dy * xhat over (n, s) of channel c
    double sum_dy = 0.0;
    double sum_dy_xhat = 0.0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* xp = x + (n * g.c + c) * g.s;
      const T* dyp = dy + (n * g.c + c) * g.s;
      for (int64_t i = 0; i < g.s; ++i) {
        const double xhat = (static_cast<double>(xp[i]) - mean[c]) * inv_std[c];
        sum_dy += static_cast<double>(dyp[i]);
        sum_dy_xhat += static_cast<double>(dyp[i]) * xhat;
      }
    }
    if (db) db[c] += static_cast<T>(sum_dy);
    if (dw) dw[c] += static_cast<T>(sum_dy_xhat);
    if (!dx) continue;

    const double w = weight ? static_cast<double>(weight[c]) : 1.0;
    const double k = w * inv_std[c];  // d y / d xhat * d xhat / d x for fixed statistics
    for (int64_t n = 0; n < g.n; ++n) {
      const T* xp = x + (n * g.c + c) * g.s;
      const T* dyp = dy + (n * g.c + c) * g.s;
      T* dxp = dx + (n * g.c + c) * g.s;
      for (int64_t i = 0; i < g.s; ++i) {
        double d = static_cast<double>(dyp[i]);
        if (training) {
          // the batch mean and variance depend on x: subtract their contributions
          const double xhat = (static_cast<double>(xp[i]) - mean[c]) * inv_std[c];
          d -= sum_dy / m + xhat * sum_dy_xhat / m;
        }
        dxp[i] += static_cast<T>(k * d);
      }
    }
  }
}

template <typename R>
void batch_norm_update_running(R* running_mean, R* running_var, const double* mean,
                               const double* var, double momentum, const BatchNormGeometry& g) {
  const double m = static_cast<double>(g.count());
  const double unbias = m / (m - 1.0);  // Bessel's correction
  for (int64_t c = 0; c < g.c; ++c) {
    running_mean[c] = static_cast<R>((1.0 - momentum) * static_cast<double>(running_mean[c]) +
                                     momentum * mean[c]);
    running_var[c] = static_cast<R>((1.0 - momentum) * static_cast<double>(running_var[c]) +
                                    momentum * var[c] * unbias);
  }
}

#define CNNLAB_INSTANTIATE_BATCH_NORM(T)                                                         \
  template void batch_norm_stats<T>(double*, double*, const T*, const BatchNormGeometry&);       \
  template void batch_norm_apply<T>(T*, const T*, const double*, const double*, const T*,        \
                                    const T*, const BatchNormGeometry&);                         \
  template void batch_norm_backward<T>(T*, T*, T*, const T*, const T*, const double*,            \
                                       const double*, const T*, const BatchNormGeometry&, bool); \
  template void batch_norm_update_running<T>(T*, T*, const double*, const double*, double,       \
                                             const BatchNormGeometry&);

CNNLAB_INSTANTIATE_BATCH_NORM(float)
CNNLAB_INSTANTIATE_BATCH_NORM(double)
#undef CNNLAB_INSTANTIATE_BATCH_NORM

}  // namespace cnnlab::kernels
