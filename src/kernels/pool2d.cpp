// Reference pooling kernels (see pool2d.hpp): naive loop nests over contiguous NCHW planes.
// Average pooling's divisor is computed exactly as PyTorch's CPU kernel does
// (aten/src/ATen/native/cpu/AvgPoolKernel.cpp).
#include "kernels/pool2d.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnnlab::kernels {
namespace {

// One average-pooling window, clipped to the input, with its divisor.
struct AvgWindow {
  int64_t h0, h1, w0, w1;  // input rows [h0, h1), columns [w0, w1)
  int64_t divisor;
};

AvgWindow avg_window(int64_t oh, int64_t ow, const Pool2dGeometry& g, bool count_include_pad) {
  int64_t h0 = oh * g.sh - g.ph;
  int64_t w0 = ow * g.sw - g.pw;
  // NOTE: with ceil_mode the last window may run past the right padding; PyTorch counts only
  // the part inside input + padding, even when count_include_pad.
  int64_t h1 = std::min(h0 + g.kh, g.h + g.ph);
  int64_t w1 = std::min(w0 + g.kw, g.w + g.pw);
  const int64_t padded_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.h);
  w1 = std::min(w1, g.w);
  const int64_t inside = std::max<int64_t>(h1 - h0, 0) * std::max<int64_t>(w1 - w0, 0);
  return {h0, h1, w0, w1, count_include_pad ? padded_size : inside};
}

}  // namespace

template <typename T>
void max_pool2d_forward(T* y, int32_t* argmax, const T* x, const Pool2dGeometry& g) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    const T* xp = x + nc * g.h * g.w;  // seek to plane (n, c)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        T best = -std::numeric_limits<T>::infinity();
        int32_t best_at = -1;
        for (int64_t kh = 0; kh < g.kh; ++kh) {
          const int64_t ih = oh * g.sh - g.ph + kh * g.dh;
          if (ih < 0 || ih >= g.h) continue;  // padding never wins
          for (int64_t kw = 0; kw < g.kw; ++kw) {
            const int64_t iw = ow * g.sw - g.pw + kw * g.dw;
            if (iw < 0 || iw >= g.w) continue;
            const T v = xp[ih * g.w + iw];
            // strict: the first maximum wins ties. The first element inside the input always
            // enters (a window of -inf still has a winner) and a NaN always wins, as in PyTorch.
            if (best_at < 0 || v > best || std::isnan(v)) {
              best = v;
              best_at = static_cast<int32_t>(ih * g.w + iw);
            }
          }
        }
        const int64_t o = (nc * g.oh + oh) * g.ow + ow;
        y[o] = best;
        argmax[o] = best_at;
      }
    }
  }
}

template <typename T>
void max_pool2d_backward(T* dx, const T* dy, const int32_t* argmax, const Pool2dGeometry& g) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    T* dxp = dx + nc * g.h * g.w;  // seek to plane (n, c)
    const int64_t base = nc * g.oh * g.ow;
    for (int64_t i = 0; i < g.oh * g.ow; ++i) {
      const int32_t at = argmax[base + i];
      if (at >= 0) dxp[at] += dy[base + i];  // an all-padding window has no input to feed
    }
  }
}

template <typename T>
void avg_pool2d_forward(T* y, const T* x, const Pool2dGeometry& g, bool count_include_pad) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    const T* xp = x + nc * g.h * g.w;  // seek to plane (n, c)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const AvgWindow win = avg_window(oh, ow, g, count_include_pad);
        T acc = 0;
        for (int64_t ih = win.h0; ih < win.h1; ++ih) {
          for (int64_t iw = win.w0; iw < win.w1; ++iw) acc += xp[ih * g.w + iw];
        }
        const int64_t o = (nc * g.oh + oh) * g.ow + ow;
        y[o] = win.divisor > 0 ? acc / static_cast<T>(win.divisor) : T(0);
      }
    }
  }
}

template <typename T>
void avg_pool2d_backward(T* dx, const T* dy, const Pool2dGeometry& g, bool count_include_pad) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    T* dxp = dx + nc * g.h * g.w;  // seek to plane (n, c)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const AvgWindow win = avg_window(oh, ow, g, count_include_pad);
        if (win.divisor <= 0) continue;
        const T share = dy[(nc * g.oh + oh) * g.ow + ow] / static_cast<T>(win.divisor);
        for (int64_t ih = win.h0; ih < win.h1; ++ih) {
          for (int64_t iw = win.w0; iw < win.w1; ++iw) dxp[ih * g.w + iw] += share;
        }
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_forward(T* y, const T* x, const AdaptivePool2dGeometry& g) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    const T* xp = x + nc * g.h * g.w;  // seek to plane (n, c)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.h, g.oh), h1 = adaptive_end(oh, g.h, g.oh);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.w, g.ow), w1 = adaptive_end(ow, g.w, g.ow);
        T acc = 0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) acc += xp[ih * g.w + iw];
        }
        y[(nc * g.oh + oh) * g.ow + ow] = acc / static_cast<T>((h1 - h0) * (w1 - w0));
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const AdaptivePool2dGeometry& g) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    T* dxp = dx + nc * g.h * g.w;  // seek to plane (n, c)
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.h, g.oh), h1 = adaptive_end(oh, g.h, g.oh);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.w, g.ow), w1 = adaptive_end(ow, g.w, g.ow);
        const T share = dy[(nc * g.oh + oh) * g.ow + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * g.w + iw] += share;
        }
      }
    }
  }
}

// explicit instantiations: float for training, double for gradcheck and parity
template void max_pool2d_forward<float>(float*, int32_t*, const float*, const Pool2dGeometry&);
template void max_pool2d_forward<double>(double*, int32_t*, const double*, const Pool2dGeometry&);
template void max_pool2d_backward<float>(float*, const float*, const int32_t*,
                                         const Pool2dGeometry&);
template void max_pool2d_backward<double>(double*, const double*, const int32_t*,
                                          const Pool2dGeometry&);
template void avg_pool2d_forward<float>(float*, const float*, const Pool2dGeometry&, bool);
template void avg_pool2d_forward<double>(double*, const double*, const Pool2dGeometry&, bool);
template void avg_pool2d_backward<float>(float*, const float*, const Pool2dGeometry&, bool);
template void avg_pool2d_backward<double>(double*, const double*, const Pool2dGeometry&, bool);
template void adaptive_avg_pool2d_forward<float>(float*, const float*,
                                                 const AdaptivePool2dGeometry&);
template void adaptive_avg_pool2d_forward<double>(double*, const double*,
                                                  const AdaptivePool2dGeometry&);
template void adaptive_avg_pool2d_backward<float>(float*, const float*,
                                                  const AdaptivePool2dGeometry&);
template void adaptive_avg_pool2d_backward<double>(double*, const double*,
                                                   const AdaptivePool2dGeometry&);

}  // namespace cnnlab::kernels
