// Reference LRN kernels: a sliding sum of squares across channels at every (n, spatial) position.
// See lrn.hpp for shapes and docs/derivations/lrn_backward.md for the backward formula.
#include "kernels/lrn.hpp"

#include <algorithm>
#include <cmath>

namespace cnnlab::kernels {

template <typename T>
void lrn_forward(T* y, T* scale, const T* x, const LrnGeometry& g) {
  const double a = g.alpha / static_cast<double>(g.size);  // NOTE: PyTorch's alpha / size
  const int64_t before = g.size / 2;                       // channels below c in the window
  const int64_t after = (g.size - 1) / 2;                  // channels above c in the window
  for (int64_t n = 0; n < g.n; ++n) {
    const T* xp = x + n * g.c * g.s;  // seek to sample n
    T* yp = y + n * g.c * g.s;
    T* sp = scale + n * g.c * g.s;
    for (int64_t c = 0; c < g.c; ++c) {
      const int64_t lo = std::max<int64_t>(0, c - before);
      const int64_t hi = std::min<int64_t>(g.c - 1, c + after);
      for (int64_t i = 0; i < g.s; ++i) {
        double sq = 0.0;
        for (int64_t cw = lo; cw <= hi; ++cw) {
          const double v = static_cast<double>(xp[cw * g.s + i]);
          sq += v * v;
        }
        const double sc = g.k + a * sq;
        sp[c * g.s + i] = static_cast<T>(sc);
        yp[c * g.s + i] =
            static_cast<T>(static_cast<double>(xp[c * g.s + i]) * std::pow(sc, -g.beta));
      }
    }
  }
}

template <typename T>
void lrn_backward(T* dx, const T* dy, const T* x, const T* scale, const LrnGeometry& g) {
  const double a = g.alpha / static_cast<double>(g.size);
  const int64_t before = g.size / 2;
  const int64_t after = (g.size - 1) / 2;
  for (int64_t n = 0; n < g.n; ++n) {
    const T* xp = x + n * g.c * g.s;
    const T* dyp = dy + n * g.c * g.s;
    const T* sp = scale + n * g.c * g.s;
    T* dxp = dx + n * g.c * g.s;
    for (int64_t j = 0; j < g.c; ++j) {
      // channel j is inside window(c) exactly for c in [j - after, j + before]
      const int64_t lo = std::max<int64_t>(0, j - after);
      const int64_t hi = std::min<int64_t>(g.c - 1, j + before);
      for (int64_t i = 0; i < g.s; ++i) {
        double acc = 0.0;  // sum_c dy[c] * x[c] * scale[c]^(-beta-1)
        for (int64_t c = lo; c <= hi; ++c) {
          const double sc = static_cast<double>(sp[c * g.s + i]);
          acc += static_cast<double>(dyp[c * g.s + i]) * static_cast<double>(xp[c * g.s + i]) *
                 std::pow(sc, -g.beta - 1.0);
        }
        const double xj = static_cast<double>(xp[j * g.s + i]);
        const double sj = static_cast<double>(sp[j * g.s + i]);
        const double direct = static_cast<double>(dyp[j * g.s + i]) * std::pow(sj, -g.beta);
        dxp[j * g.s + i] += static_cast<T>(direct - 2.0 * g.beta * a * xj * acc);
      }
    }
  }
}

template void lrn_forward<float>(float*, float*, const float*, const LrnGeometry&);
template void lrn_forward<double>(double*, double*, const double*, const LrnGeometry&);
template void lrn_backward<float>(float*, const float*, const float*, const float*,
                                  const LrnGeometry&);
template void lrn_backward<double>(double*, const double*, const double*, const double*,
                                   const LrnGeometry&);

}  // namespace cnnlab::kernels
