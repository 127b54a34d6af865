// Reference pooling kernels (see pool2d.hpp): naive loop nests over contiguous NCHW planes.
// Average pooling's divisor is computed exactly as PyTorch's CPU kernel does
// (aten/src/ATen/native/cpu/AvgPoolKernel.cpp).
// NOTE: average pooling sums each output element (a window in forward, the windows that cover
// one input element in backward) in one double accumulator, for float buffers too, and rounds
// it to T once. The backward kernels are therefore gathers over the covering windows rather
// than scatters, so every dx element owns its accumulator.
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

// The first output position along one axis whose window (start o*s - p, size k) covers the
// input index i: the smallest o >= 0 with o*s + k > i + p, i.e. ceil((i + p - k + 1) / s).
// `ip` is i + p.
int64_t first_window(int64_t ip, int64_t k, int64_t s) {
  const int64_t num = ip - k + 1;
  return num <= 0 ? 0 : (num + s - 1) / s;
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
        double acc = 0.0;
        for (int64_t ih = win.h0; ih < win.h1; ++ih) {
          for (int64_t iw = win.w0; iw < win.w1; ++iw)
            acc += static_cast<double>(xp[ih * g.w + iw]);
        }
        const int64_t o = (nc * g.oh + oh) * g.ow + ow;
        y[o] = win.divisor > 0 ? static_cast<T>(acc / static_cast<double>(win.divisor)) : T(0);
      }
    }
  }
}

// Gather form of the adjoint: input row ih lies in the (unclipped) window of output row oh when
// oh*sh - ph <= ih < oh*sh - ph + kh, i.e. oh in [ceil((ih + ph - kh + 1) / sh), (ih + ph) / sh]
// (floor), clipped to [0, OH); likewise for columns. Each such window sends dy / divisor.
template <typename T>
void avg_pool2d_backward(T* dx, const T* dy, const Pool2dGeometry& g, bool count_include_pad) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    T* dxp = dx + nc * g.h * g.w;          // seek to plane (n, c)
    const T* dyp = dy + nc * g.oh * g.ow;  // and to its gradient plane
    for (int64_t ih = 0; ih < g.h; ++ih) {
      const int64_t oh0 = first_window(ih + g.ph, g.kh, g.sh);
      const int64_t oh1 = std::min((ih + g.ph) / g.sh + 1, g.oh);
      for (int64_t iw = 0; iw < g.w; ++iw) {
        const int64_t ow0 = first_window(iw + g.pw, g.kw, g.sw);
        const int64_t ow1 = std::min((iw + g.pw) / g.sw + 1, g.ow);
        double acc = 0.0;
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          for (int64_t ow = ow0; ow < ow1; ++ow) {
            const AvgWindow win = avg_window(oh, ow, g, count_include_pad);
            if (win.divisor <= 0) continue;
            acc += static_cast<double>(dyp[oh * g.ow + ow]) / static_cast<double>(win.divisor);
          }
        }
        T& d = dxp[ih * g.w + iw];
        d = static_cast<T>(static_cast<double>(d) + acc);
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
        double acc = 0.0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) acc += static_cast<double>(xp[ih * g.w + iw]);
        }
        y[(nc * g.oh + oh) * g.ow + ow] =
            static_cast<T>(acc / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
    }
  }
}

// Gather form of the adjoint: input row ih lies in output window oh exactly when
// floor(oh*H/OH) <= ih < ceil((oh+1)*H/OH), i.e. oh in [floor(ih*OH/H), ceil((ih+1)*OH/H)):
// the same start/end formulas with the roles of input and output swapped. Likewise for columns.
template <typename T>
void adaptive_avg_pool2d_backward(T* dx, const T* dy, const AdaptivePool2dGeometry& g) {
  for (int64_t nc = 0; nc < g.n * g.c; ++nc) {
    T* dxp = dx + nc * g.h * g.w;          // seek to plane (n, c)
    const T* dyp = dy + nc * g.oh * g.ow;  // and to its gradient plane
    for (int64_t ih = 0; ih < g.h; ++ih) {
      const int64_t oh0 = adaptive_start(ih, g.oh, g.h), oh1 = adaptive_end(ih, g.oh, g.h);
      for (int64_t iw = 0; iw < g.w; ++iw) {
        const int64_t ow0 = adaptive_start(iw, g.ow, g.w), ow1 = adaptive_end(iw, g.ow, g.w);
        double acc = 0.0;
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t rows = adaptive_end(oh, g.h, g.oh) - adaptive_start(oh, g.h, g.oh);
          for (int64_t ow = ow0; ow < ow1; ++ow) {
            const int64_t cols = adaptive_end(ow, g.w, g.ow) - adaptive_start(ow, g.w, g.ow);
            acc += static_cast<double>(dyp[oh * g.ow + ow]) / static_cast<double>(rows * cols);
          }
        }
        T& d = dxp[ih * g.w + iw];
        d = static_cast<T>(static_cast<double>(d) + acc);
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
