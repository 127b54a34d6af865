// Fast batch normalization (see batch_norm.hpp): the reference's loops over (n, c, s), run per
// channel range on each thread. Channels are independent in every pass, so each thread owns its
// channels' statistics, outputs and gradients; no reduction crosses threads.
#include "kernels/fast/batch_norm.hpp"

#include <algorithm>

#include "kernels/fast/parallel.hpp"

namespace cnnlab::kernels::fast {
namespace {

// f(c_begin, c_end) over chunks of the channels, each chunk at least ~kPointwiseGrain elements.
template <typename F>
void over_channels(const BatchNormGeometry& g, F&& f) {
  const int64_t per_channel = std::max<int64_t>(g.count(), 1);
  parallel_for(g.c, std::max<int64_t>(1, kPointwiseGrain / per_channel), f);
}

}  // namespace

template <typename T>
void batch_norm_stats(double* mean, double* var, const T* x, const BatchNormGeometry& g) {
  const double m = static_cast<double>(g.count());
  over_channels(g, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double acc = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        const T* xp = x + (n * g.c + c) * g.s;
#pragma omp simd reduction(+ : acc)
        for (int64_t i = 0; i < g.s; ++i) acc += static_cast<double>(xp[i]);
      }
      const double mu = acc / m;
      double sq = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        const T* xp = x + (n * g.c + c) * g.s;
#pragma omp simd reduction(+ : sq)
        for (int64_t i = 0; i < g.s; ++i) {
          const double d = static_cast<double>(xp[i]) - mu;
          sq += d * d;
        }
      }
      mean[c] = mu;
      var[c] = sq / m;
    }
  });
}

template <typename T>
void batch_norm_apply(T* y, const T* x, const double* mean, const double* inv_std, const T* weight,
                      const T* bias, const BatchNormGeometry& g) {
  over_channels(g, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double w = weight ? static_cast<double>(weight[c]) : 1.0;
      const double b = bias ? static_cast<double>(bias[c]) : 0.0;
      // y = (x - mu_t) * scale + shift with mu_t = mean rounded to T and the rounding's
      // correction in shift: x - mu_t is exact where x is close to the mean, so a large mean
      // against a small spread cancels no digits (x * scale + (b - mean * scale) would)
      const T mu_t = static_cast<T>(mean[c]);
      const T scale = static_cast<T>(inv_std[c] * w);
      const T shift = static_cast<T>(b + (static_cast<double>(mu_t) - mean[c]) * inv_std[c] * w);
      for (int64_t n = 0; n < g.n; ++n) {
        const T* xp = x + (n * g.c + c) * g.s;
        T* yp = y + (n * g.c + c) * g.s;
#pragma omp simd
        for (int64_t i = 0; i < g.s; ++i) yp[i] = (xp[i] - mu_t) * scale + shift;
      }
    }
  });
}

template <typename T>
void batch_norm_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const double* mean,
                         const double* inv_std, const T* weight, const BatchNormGeometry& g,
                         bool training, bool overwrite_dx) {
  const double m = static_cast<double>(g.count());
  over_channels(g, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      // sum dy and sum dy * (x - mean), so sum dy * xhat = inv_std * the latter
      const double mu = mean[c];
      double sum_dy = 0.0, sum_dy_xc = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        const T* xp = x + (n * g.c + c) * g.s;
        const T* dyp = dy + (n * g.c + c) * g.s;
#pragma omp simd reduction(+ : sum_dy, sum_dy_xc)
        for (int64_t i = 0; i < g.s; ++i) {
          sum_dy += static_cast<double>(dyp[i]);
          sum_dy_xc += static_cast<double>(dyp[i]) * (static_cast<double>(xp[i]) - mu);
        }
      }
      const double sum_dy_xhat = sum_dy_xc * inv_std[c];
      if (db) db[c] += static_cast<T>(sum_dy);
      if (dw) dw[c] += static_cast<T>(sum_dy_xhat);
      if (!dx) continue;

      // dx = k * (dy - a - xhat * b), xhat = (x - mean) * inv_std, as k * dy - p * (x - mean) - q
      // NOTE: x - mu_t is formed before scaling, so a large mean does not cancel digits
      const double w = weight ? static_cast<double>(weight[c]) : 1.0;
      const double k = w * inv_std[c];
      const double a = training ? sum_dy / m : 0.0;
      const double b = training ? sum_dy_xhat / m : 0.0;
      const T kk = static_cast<T>(k), mu_t = static_cast<T>(mu);
      // -p * (x - mean) = -p * (x - mu_t) - p * (mu_t - mean): the second part goes into q
      const double pd = k * b * inv_std[c];
      const T p = static_cast<T>(pd);
      const T q = static_cast<T>(k * a + pd * (static_cast<double>(mu_t) - mu));
      for (int64_t n = 0; n < g.n; ++n) {
        const T* xp = x + (n * g.c + c) * g.s;
        const T* dyp = dy + (n * g.c + c) * g.s;
        T* dxp = dx + (n * g.c + c) * g.s;
        if (overwrite_dx) {
#pragma omp simd
          for (int64_t i = 0; i < g.s; ++i) dxp[i] = kk * dyp[i] - p * (xp[i] - mu_t) - q;
        } else {
#pragma omp simd
          for (int64_t i = 0; i < g.s; ++i) dxp[i] += kk * dyp[i] - p * (xp[i] - mu_t) - q;
        }
      }
    }
  });
}

#define CNNLAB_INSTANTIATE(T)                                                                   \
  template void batch_norm_stats<T>(double*, double*, const T*, const BatchNormGeometry&);      \
  template void batch_norm_apply<T>(T*, const T*, const double*, const double*, const T*,       \
                                    const T*, const BatchNormGeometry&);                        \
  template void batch_norm_backward<T>(T*, T*, T*, const T*, const T*, const double*,           \
                                       const double*, const T*, const BatchNormGeometry&, bool, \
                                       bool);
CNNLAB_INSTANTIATE(float)
CNNLAB_INSTANTIATE(double)
#undef CNNLAB_INSTANTIATE

}  // namespace cnnlab::kernels::fast
