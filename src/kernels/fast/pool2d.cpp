// Fast pooling (see pool2d.hpp). Planes are independent in every pooling kernel, so each thread
// runs a kernel on a contiguous run of planes: the reference kernel itself for average and
// adaptive pooling and max-pool backward (their loops are already plane-local), and a clipped-
// window max-pool forward.
#include "kernels/fast/pool2d.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/fast/parallel.hpp"

namespace cnnlab::kernels::fast {
namespace {

// Input + output elements below which a run of planes is not worth a thread.
constexpr int64_t kPlaneGrain = 8192;

// Runs f(geometry of planes [begin, end), first plane) on chunks of the N*C planes. The chunk's
// geometry has n = end - begin, c = 1; f offsets its pointers by the first plane.
template <typename G, typename F>
void over_plane_chunks(const G& g, F&& f) {
  const int64_t planes = g.n * g.c;
  const int64_t per_plane = g.h * g.w + g.oh * g.ow;
  const int64_t grain = std::max<int64_t>(1, kPlaneGrain / std::max<int64_t>(per_plane, 1));
  parallel_for(planes, grain, [&](int64_t begin, int64_t end) {
    G part = g;
    part.n = end - begin;
    part.c = 1;
    f(part, begin);
  });
}

// The taps k in [k0, k1) of a window starting at `start` with dilation d that fall in [0, size).
struct Taps {
  int64_t k0, k1;
};
Taps clip_taps(int64_t start, int64_t k, int64_t d, int64_t size) {
  const int64_t k0 = start >= 0 ? 0 : (-start + d - 1) / d;
  const int64_t k1 = size - start <= 0 ? 0 : std::min<int64_t>(k, (size - start + d - 1) / d);
  return {k0, k1};
}

// The clipped taps of every output row (or column), computed once per call: the integer
// divisions would otherwise cost more than a 2x2 window itself.
std::vector<Taps> taps_along(int64_t out, int64_t s, int64_t p, int64_t k, int64_t d,
                             int64_t size) {
  std::vector<Taps> taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) taps[static_cast<size_t>(o)] = clip_taps(o * s - p, k, d, size);
  return taps;
}

template <typename T>
void max_pool_planes(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g,
                     const std::vector<Taps>& rows, const std::vector<Taps>& cols) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    const T* xp = x + nc * g.h * g.w;
    T* yp = y + nc * g.oh * g.ow;
    int32_t* ap = argmax + nc * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t hs = oh * g.sh - g.ph;
      const Taps th = rows[static_cast<size_t>(oh)];
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t ws = ow * g.sw - g.pw;
        const Taps tw = cols[static_cast<size_t>(ow)];
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_at = -1;
        if (th.k0 < th.k1 && tw.k0 < tw.k1) {
          // the first tap inside the input enters, then strict > (first maximum wins ties);
          // a NaN always takes over, as in the reference kernel and PyTorch
          best_at = (hs + th.k0 * g.dh) * g.w + ws + tw.k0 * g.dw;
          best = xp[best_at];
          for (int64_t kh = th.k0; kh < th.k1; ++kh) {
            const int64_t row = (hs + kh * g.dh) * g.w + ws;
            for (int64_t kw = tw.k0; kw < tw.k1; ++kw) {
              const int64_t at = row + kw * g.dw;
              const T v = xp[at];
              if (v > best || std::isnan(v)) {
                best = v;
                best_at = at;
              }
            }
          }
        }
        yp[oh * g.ow + ow] = best;
        ap[oh * g.ow + ow] = static_cast<int32_t>(best_at);
      }
    }
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g) {
  const std::vector<Taps> rows = taps_along(g.oh, g.sh, g.ph, g.kh, g.dh, g.h);
  const std::vector<Taps> cols = taps_along(g.ow, g.sw, g.pw, g.kw, g.dw, g.w);
  over_plane_chunks(g, [&](const Pool2dGeometry& part, int64_t p) {
    max_pool_planes<T>(y + p * g.oh * g.ow, argmax + p * g.oh * g.ow, x + p * g.h * g.w, part, rows,
                       cols);
  });
}

template <typename T>
void max_pool2d_backward(T* dx, const T* dy, const int32_t* argmax, const Pool2dGeometry& g) {
  over_plane_chunks(g, [&](const Pool2dGeometry& part, int64_t p) {
    kernels::max_pool2d_backward<T>(dx + p * g.h * g.w, dy + p * g.oh * g.ow,
                                    argmax + p * g.oh * g.ow, part);
  });
}

template <typename T>
void avg_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g, bool count_include_pad) {
  over_plane_chunks(g, [&](const Pool2dGeometry& part, int64_t p) {
    kernels::avg_pool2d_forward<T>(y + p * g.oh * g.ow, x + p * g.h * g.w, part, count_include_pad);
  });
}

template <typename T>
void avg_pool2d_backward(T* dx, const T* dy, const Pool2dGeometry& g, bool count_include_pad) {
  over_plane_chunks(g, [&](const Pool2dGeometry& part, int64_t p) {
    kernels::avg_pool2d_backward<T>(dx + p * g.h * g.w, dy + p * g.oh * g.ow, part,
                                    count_include_pad);
  });
}

template <typename T>
void adaptive_avg_pool2d_forward(T* y, const T* x, const AdaptivePool2dGeometry& g) {
  over_plane_chunks(g, [&](const AdaptivePool2dGeometry& part, int64_t p) {
    kernels::adaptive_avg_pool2d_forward<T>(y + p * g.oh * g.ow, x + p * g.h * g.w, part);
  });
}

template <typename T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const AdaptivePool2dGeometry& g) {
  over_plane_chunks(g, [&](const AdaptivePool2dGeometry& part, int64_t p) {
    kernels::adaptive_avg_pool2d_backward<T>(dx + p * g.h * g.w, dy + p * g.oh * g.ow, part);
  });
}

#define CNNLAB_INSTANTIATE(T)                                                                \
  template void max_pool2d_forward<T>(T*, int32_t*, const T*, const Pool2dGeometry&);        \
  template void max_pool2d_backward<T>(T*, const T*, const int32_t*, const Pool2dGeometry&); \
  template void avg_pool2d_forward<T>(T*, const T*, const Pool2dGeometry&, bool);            \
  template void avg_pool2d_backward<T>(T*, const T*, const Pool2dGeometry&, bool);           \
  template void adaptive_avg_pool2d_forward<T>(T*, const T*, const AdaptivePool2dGeometry&); \
  template void adaptive_avg_pool2d_backward<T>(T*, const T*, const AdaptivePool2dGeometry&);
CNNLAB_INSTANTIATE(float)
CNNLAB_INSTANTIATE(double)
#undef CNNLAB_INSTANTIATE

}  // namespace cnnlab::kernels::fast
