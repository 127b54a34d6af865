// Reference kernels of 2-D convolution (cross-correlation, as PyTorch) over contiguous NCHW
// buffers: plain loop nests, one per formula of docs/derivations/conv2d_backward.md.
//
// Index map shared by all four kernels: output channel oc belongs to group oc / (OC/G), which
// reads input channels ic0 .. ic0 + IC/G - 1, ic0 = (oc / (OC/G)) * (IC/G). Output pixel (oh, ow)
// and tap (kh, kw) read input pixel (ih, iw) = (oh*sh - ph + kh*dil_h, ow*sw - pw + kw*dil_w);
// taps that land in the zero padding contribute nothing, so they are skipped.
//
// NOTE: every element of y, dx, dw and db sums its products in one double accumulator, for float
// buffers too, and is rounded to T once: the readable reference is also the precise one (a
// float32 result is the float64 sum rounded once, unless the sum cancels to below ~1e-9 of its
// terms). Backward data is therefore a gather, not a scatter, so each dx element owns its sum.
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
          double acc = b != nullptr ? static_cast<double>(b[oc]) : 0.0;
          for (int64_t ic = ic0; ic < ic0 + icg; ++ic) {
            const T* xp = x + (n * g.ic + ic) * g.h * g.w;  // input plane (n, ic)
            const T* wk = wp + (ic - ic0) * g.kh * g.kw;    // taps w[oc, ic - ic0, :, :]
            for (int64_t kh = 0; kh < g.kh; ++kh) {
              const int64_t ih = oh * g.sh - g.ph + kh * g.dil_h;
              if (ih < 0 || ih >= g.h) continue;  // padding contributes zero
              for (int64_t kw = 0; kw < g.kw; ++kw) {
                const int64_t iw = ow * g.sw - g.pw + kw * g.dil_w;
                if (iw < 0 || iw >= g.w) continue;
                acc += static_cast<double>(wk[kh * g.kw + kw]) *
                       static_cast<double>(xp[ih * g.w + iw]);
              }
            }
          }
          yp[oh * g.ow + ow] = static_cast<T>(acc);
        }
      }
    }
  }
}

// The adjoint of the forward loop nest, written as a gather so that each dx element owns one
// accumulator: x[n, ic, ih, iw] was read by tap (kh, kw) of output pixel (oh, ow) exactly when
// ih = oh*sh - ph + kh*dil_h (and likewise for columns), i.e. when ih + ph - kh*dil_h is a
// non-negative multiple of sh whose quotient oh lies in [0, OH). Every output channel oc of the
// group of ic contributes w[oc, ic - ic0, kh, kw] * dy[n, oc, oh, ow].
template <typename T>
void conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g) {
  const int64_t icg = g.icg(), ocg = g.ocg();
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t ic = 0; ic < g.ic; ++ic) {
      const int64_t ic0 = (ic / icg) * icg;       // first input channel of ic's group
      const int64_t oc0 = (ic / icg) * ocg;       // first output channel of ic's group
      T* dxp = dx + (n * g.ic + ic) * g.h * g.w;  // seek to gradient plane (n, ic)
      for (int64_t ih = 0; ih < g.h; ++ih) {
        for (int64_t iw = 0; iw < g.w; ++iw) {
          double acc = 0.0;
          for (int64_t oc = oc0; oc < oc0 + ocg; ++oc) {
            const T* wk = w + (oc * icg + (ic - ic0)) * g.kh * g.kw;  // w[oc, ic - ic0, :, :]
            const T* dyp = dy + (n * g.oc + oc) * g.oh * g.ow;        // plane (n, oc)
            for (int64_t kh = 0; kh < g.kh; ++kh) {
              const int64_t th = ih + g.ph - kh * g.dil_h;  // = oh * sh if this tap read ih
              if (th < 0 || th % g.sh != 0 || th / g.sh >= g.oh) continue;
              const int64_t oh = th / g.sh;
              for (int64_t kw = 0; kw < g.kw; ++kw) {
                const int64_t tw = iw + g.pw - kw * g.dil_w;
                if (tw < 0 || tw % g.sw != 0 || tw / g.sw >= g.ow) continue;
                const int64_t ow = tw / g.sw;
                acc += static_cast<double>(wk[kh * g.kw + kw]) *
                       static_cast<double>(dyp[oh * g.ow + ow]);
              }
            }
          }
          T& d = dxp[ih * g.w + iw];
          d = static_cast<T>(static_cast<double>(d) + acc);
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
          double acc = 0.0;
          for (int64_t n = 0; n < g.n; ++n) {
            const T* dyp = dy + (n * g.oc + oc) * g.oh * g.ow;
            const T* xp = x + (n * g.ic + ic) * g.h * g.w;
            for (int64_t oh = 0; oh < g.oh; ++oh) {
              const int64_t ih = oh * g.sh - g.ph + kh * g.dil_h;
              if (ih < 0 || ih >= g.h) continue;  // this tap read padding here
              for (int64_t ow = 0; ow < g.ow; ++ow) {
                const int64_t iw = ow * g.sw - g.pw + kw * g.dil_w;
                if (iw < 0 || iw >= g.w) continue;
                acc += static_cast<double>(dyp[oh * g.ow + ow]) *
                       static_cast<double>(xp[ih * g.w + iw]);
              }
            }
          }
          T& d = dwk[kh * g.kw + kw];
          d = static_cast<T>(static_cast<double>(d) + acc);
        }
      }
    }
  }
}

template <typename T>
void conv2d_backward_bias(T* db, const T* dy, const Conv2dGeometry& g) {
  for (int64_t oc = 0; oc < g.oc; ++oc) {
    double acc = 0.0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* dyp = dy + (n * g.oc + oc) * g.oh * g.ow;
      for (int64_t i = 0; i < g.oh * g.ow; ++i) acc += static_cast<double>(dyp[i]);
    }
    db[oc] = static_cast<T>(static_cast<double>(db[oc]) + acc);
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
