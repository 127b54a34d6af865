// Reference kernels of 2-D convolution (cross-correlation, as PyTorch) over contiguous NCHW
// buffers: plain loop nests, one per formula of docs/derivations/conv2d_backward.md.
//
// Index map shared by all four kernels: output channel oc belongs to group oc / (OC/G), which
// reads input channels ic0 .. ic0 + IC/G - 1, ic0 = (oc / (OC/G)) * (IC/G). Output pixel (oh, ow)
// and tap (kh, kw) read input pixel (ih, iw) = (oh*sh - ph + kh*dil_h, ow*sw - pw + kw*dil_w);
// taps that land in the zero padding contribute nothing, so they are skipped.
#include "kernels/conv2d.hpp"

namespace cnnlab::kernels {

template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g) {
  const int64_t icg = g.icg(), ocg = g.ocg();
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t oc = 0; oc < g.oc; ++oc) {
      const int64_t ic0 = (oc / ocg) * icg;       // first input channel of oc's group
      const T* wp = w + oc * icg * g.kh * g.kw;   // seek to filter oc: (IC/G, KH, KW)
      T* yp = y + (n * g.oc + oc) * g.oh * g.ow;  // seek to output plane (n, oc)
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          T acc = 0;
          for (int64_t ic = ic0; ic < ic0 + icg; ++ic) {
            const T* xp = x + (n * g.ic + ic) * g.h * g.w;  // input plane (n, ic)
            const T* wk = wp + (ic - ic0) * g.kh * g.kw;    // taps w[oc, ic - ic0, :, :]
            for (int64_t kh = 0; kh < g.kh; ++kh) {
              const int64_t ih = oh * g.sh - g.ph + kh * g.dil_h;
              if (ih < 0 || ih >= g.h) continue;  // padding contributes zero
              for (int64_t kw = 0; kw < g.kw; ++kw) {
                const int64_t iw = ow * g.sw - g.pw + kw * g.dil_w;
                if (iw < 0 || iw >= g.w) continue;
                acc += wk[kh * g.kw + kw] * xp[ih * g.w + iw];
              }
            }
          }
          yp[oh * g.ow + ow] = b != nullptr ? acc + b[oc] : acc;
        }
      }
    }
  }
}

// The adjoint of the forward loop nest: every product w * x that forward added into y[n, oc, oh,
// ow] now sends w * dy[n, oc, oh, ow] back to the x element it read (a scatter).
template <typename T>
void conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g) {
  const int64_t icg = g.icg(), ocg = g.ocg();
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t oc = 0; oc < g.oc; ++oc) {
      const int64_t ic0 = (oc / ocg) * icg;
      const T* wp = w + oc * icg * g.kh * g.kw;
      const T* dyp = dy + (n * g.oc + oc) * g.oh * g.ow;  // seek to gradient plane (n, oc)
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const T d = dyp[oh * g.ow + ow];
          for (int64_t ic = ic0; ic < ic0 + icg; ++ic) {
            T* dxp = dx + (n * g.ic + ic) * g.h * g.w;  // gradient plane (n, ic)
            const T* wk = wp + (ic - ic0) * g.kh * g.kw;
            for (int64_t kh = 0; kh < g.kh; ++kh) {
              const int64_t ih = oh * g.sh - g.ph + kh * g.dil_h;
              if (ih < 0 || ih >= g.h) continue;  // padding has no gradient to receive
              for (int64_t kw = 0; kw < g.kw; ++kw) {
                const int64_t iw = ow * g.sw - g.pw + kw * g.dil_w;
                if (iw < 0 || iw >= g.w) continue;
                dxp[ih * g.w + iw] += wk[kh * g.kw + kw] * d;
              }
            }
          }
        }
      }
    }
  }
}

// One weight tap sees, over the batch and every output pixel, the input pixel it multiplied:
// dw[oc, ic - ic0, kh, kw] += sum_{n, oh, ow} dy[n, oc, oh, ow] * x[n, ic, ih, iw] (a gather).
template <typename T>
void conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g) {
  const int64_t icg = g.icg(), ocg = g.ocg();
  for (int64_t oc = 0; oc < g.oc; ++oc) {
    const int64_t ic0 = (oc / ocg) * icg;
    for (int64_t ic = ic0; ic < ic0 + icg; ++ic) {
      T* dwk = dw + (oc * icg + (ic - ic0)) * g.kh * g.kw;  // taps dw[oc, ic - ic0, :, :]
      for (int64_t kh = 0; kh < g.kh; ++kh) {
        for (int64_t kw = 0; kw < g.kw; ++kw) {
          T acc = 0;
          for (int64_t n = 0; n < g.n; ++n) {
            const T* dyp = dy + (n * g.oc + oc) * g.oh * g.ow;
            const T* xp = x + (n * g.ic + ic) * g.h * g.w;
            for (int64_t oh = 0; oh < g.oh; ++oh) {
              const int64_t ih = oh * g.sh - g.ph + kh * g.dil_h;
              if (ih < 0 || ih >= g.h) continue;  // this tap read padding here
              for (int64_t ow = 0; ow < g.ow; ++ow) {
                const int64_t iw = ow * g.sw - g.pw + kw * g.dil_w;
                if (iw < 0 || iw >= g.w) continue;
                acc += dyp[oh * g.ow + ow] * xp[ih * g.w + iw];
              }
            }
          }
          dwk[kh * g.kw + kw] += acc;
        }
      }
    }
  }
}

template <typename T>
void conv2d_backward_bias(T* db, const T* dy, const Conv2dGeometry& g) {
  for (int64_t oc = 0; oc < g.oc; ++oc) {
    T acc = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* dyp = dy + (n * g.oc + oc) * g.oh * g.ow;
      for (int64_t i = 0; i < g.oh * g.ow; ++i) acc += dyp[i];
    }
    db[oc] += acc;
  }
}

template void conv2d_forward<float>(float*, const float*, const float*, const float*,
                                    const Conv2dGeometry&);
template void conv2d_forward<double>(double*, const double*, const double*, const double*,
                                     const Conv2dGeometry&);
template void conv2d_backward_data<float>(float*, const float*, const float*,
                                          const Conv2dGeometry&);
template void conv2d_backward_data<double>(double*, const double*, const double*,
                                           const Conv2dGeometry&);
template void conv2d_backward_weights<float>(float*, const float*, const float*,
                                             const Conv2dGeometry&);
template void conv2d_backward_weights<double>(double*, const double*, const double*,
                                              const Conv2dGeometry&);
template void conv2d_backward_bias<float>(float*, const float*, const Conv2dGeometry&);
template void conv2d_backward_bias<double>(double*, const double*, const Conv2dGeometry&);

}  // namespace cnnlab::kernels
