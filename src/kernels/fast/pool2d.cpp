// Fast pooling (see pool2d.hpp). Planes are independent in every pooling kernel, so each thread
// runs a kernel on a contiguous run of planes: the reference kernel itself for average and
// adaptive pooling and max-pool backward (their loops are already plane-local), and a branch-free
// max-pool forward.
#include "kernels/fast/pool2d.hpp"

#include <algorithm>
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

// The clipped taps of every output row, computed once per call.
std::vector<Taps> taps_along(int64_t out, int64_t s, int64_t p, int64_t k, int64_t d,
                             int64_t size) {
  std::vector<Taps> taps(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) taps[static_cast<size_t>(o)] = clip_taps(o * s - p, k, d, size);
  return taps;
}

// One tap (fixed kh, kw) of max pooling for the output columns [lo, hi) of one row: each column
// compares the tap's value against its running maximum. Branch-free (selects), so that it
// vectorizes; kStride > 0 fixes the column stride at compile time (2, the common case, becomes
// shuffles instead of gathers), 0 reads it from `sw`.
template <int kStride, typename T>
void max_pool_tap(T* yrow, int32_t* arow, const T* xrow, int64_t lo, int64_t hi, int64_t sw_runtime,
                  int64_t shift, int32_t base) {
  const int64_t sw = kStride > 0 ? kStride : sw_runtime;
  for (int64_t ow = lo; ow < hi; ++ow) {
    const T v = xrow[ow * sw + shift];
    const bool take = (arow[ow] < 0) | (v > yrow[ow]) | (v != v);
    yrow[ow] = take ? v : yrow[ow];
    arow[ow] = take ? base + static_cast<int32_t>(ow * sw) : arow[ow];
  }
}

// Max pooling, one output row at a time with the taps outermost: for each tap (kh, kw) in the
// reference's row-major order, every output column of the row updates its running maximum, so
// each output still sees its taps in the reference's order: the first maximum wins ties, a NaN
// always takes over, and the first tap inside the input enters even when it is -inf.
template <typename T>
void max_pool_planes(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g,
                     const std::vector<Taps>& rows) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    const T* xp = x + nc * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      T* yrow = y + (nc * g.oh + oh) * g.ow;
      int32_t* arow = argmax + (nc * g.oh + oh) * g.ow;
      std::fill_n(yrow, g.ow, -std::numeric_limits<T>::infinity());
      std::fill_n(arow, g.ow, -1);
      const int64_t hs = oh * g.sh - g.ph;
      const Taps th = rows[static_cast<size_t>(oh)];
      for (int64_t kh = th.k0; kh < th.k1; ++kh) {
        const int64_t ih = hs + kh * g.dh;
        const T* xrow = xp + ih * g.w;
        for (int64_t kw = 0; kw < g.kw; ++kw) {
          // the output columns whose tap kw lies inside the input: iw = ow * sw + shift
          const int64_t shift = kw * g.dw - g.pw;
          const int64_t lo = shift >= 0 ? 0 : (-shift + g.sw - 1) / g.sw;
          const int64_t hi = std::min(g.ow, g.w - shift <= 0 ? 0 : (g.w - shift - 1) / g.sw + 1);
          const int32_t base = static_cast<int32_t>(ih * g.w + shift);
          if (g.sw == 2) {
            max_pool_tap<2>(yrow, arow, xrow, lo, hi, g.sw, shift, base);
          } else {
            max_pool_tap<0>(yrow, arow, xrow, lo, hi, g.sw, shift, base);
          }
        }
      }
    }
  }
}

// The common 2x2 window at stride 2, without padding or dilation, every window inside the input:
// the four taps in registers, compared in the reference's order (a NaN takes over, the first
// maximum wins ties) with selects, so the column loop vectorizes.
bool is_plain_2x2(const Pool2dGeometry& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 &&
         g.dw == 1 && 2 * g.oh <= g.h && 2 * g.ow <= g.w;
}

template <typename T>
void max_pool_2x2_planes(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g) {
  const int32_t w = static_cast<int32_t>(g.w);
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const T* r0 = x + nc * g.h * g.w + 2 * oh * g.w;
      const T* r1 = r0 + g.w;
      T* yrow = y + (nc * g.oh + oh) * g.ow;
      int32_t* arow = argmax + (nc * g.oh + oh) * g.ow;
      const int32_t base = static_cast<int32_t>(2 * oh * g.w);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
        T m = a;
        int32_t at = 0;
        const bool tb = (b > m) | (b != b);
        m = tb ? b : m;
        at = tb ? 1 : at;
        const bool tc = (c > m) | (c != c);
        m = tc ? c : m;
        at = tc ? w : at;
        const bool td = (d > m) | (d != d);
        m = td ? d : m;
        at = td ? w + 1 : at;
        yrow[ow] = m;
        arow[ow] = base + static_cast<int32_t>(2 * ow) + at;
      }
    }
  }
}

}  // namespace

template <typename T>
void max_pool2d_forward(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g) {
  const std::vector<Taps> rows = taps_along(g.oh, g.sh, g.ph, g.kh, g.dh, g.h);
  const bool plain = is_plain_2x2(g);
  over_plane_chunks(g, [&](const Pool2dGeometry& part, int64_t p) {
    if (plain) {
      max_pool_2x2_planes<T>(y + p * g.oh * g.ow, argmax + p * g.oh * g.ow, x + p * g.h * g.w,
                             part);
      return;
    }
    max_pool_planes<T>(y + p * g.oh * g.ow, argmax + p * g.oh * g.ow, x + p * g.h * g.w, part,
                       rows);
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
  if (g.oh == 1 && g.ow == 1) {
    // global average pooling (ResNet's head): every input of a plane gets dy / (H * W), in the
    // reference's arithmetic, without its per-element window search
    const int64_t hw = g.h * g.w;
    over_plane_chunks(g, [&](const AdaptivePool2dGeometry& part, int64_t p) {
      for (int64_t q = p; q < p + part.n; ++q) {
        const double share = static_cast<double>(dy[q]) / static_cast<double>(hw);
        T* dxp = dx + q * hw;
        for (int64_t i = 0; i < hw; ++i)
          dxp[i] = static_cast<T>(static_cast<double>(dxp[i]) + share);
      }
    });
    return;
  }
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
