// The fast backend's conv2d entry points (oneDNN or im2col + BLAS per dtype, layer and pass: see
// use_dnnl and docs/fast_backend.md), a fast bias gradient, and im2col + BLAS:
// for each image n and group gi, im2col turns the input patch of every output pixel
// into a column of col (K = IC/G*KH*KW rows, P = OH*OW columns), so that
//   forward         y[n, gi]  = W[gi] (OCg x K) * col (K x P)             (+ bias)
//   backward data   col       = W[gi]^T * dy[n, gi];  dx[n, gi] += col2im(col)
//   backward weight dw[gi]   += dy[n, gi] (OCg x P) * col^T
// each one single-threaded BLAS gemm; OpenMP threads take whole images.
// NOTE: scratch (col, and per-thread dw partial sums) is a thread_local buffer that grows to the
// largest size seen and is kept: no allocation per call in steady state, at the price of holding
// one col buffer per thread. 1x1 kernels with stride 1 and no padding skip im2col (col == x).
#include "kernels/fast/conv2d_gemm.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels/fast/conv2d_dnnl.hpp"
#include "kernels/fast/gemm_blas.hpp"
#include "kernels/fast/parallel.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace cnnlab::kernels::fast {
namespace {

int batch_threads(int64_t n) {
#ifdef _OPENMP
  if (omp_in_parallel()) return 1;
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), n)));
#else
  (void)n;
  return 1;
#endif
}

int thread_index() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// This thread's scratch of at least `size` elements (contents unspecified).
template <typename T>
T* scratch(size_t size) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// A 1x1 kernel at stride 1 without padding reads x exactly as col: skip im2col / col2im.
bool is_pointwise(const Conv2dGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// [lo, hi): the output columns ox whose input column ox*s - p + off lies in [0, size).
void valid_range(int64_t size, int64_t s, int64_t p, int64_t off, int64_t out, int64_t& lo,
                 int64_t& hi) {
  const int64_t shift = off - p;  // ix = ox * s + shift
  lo = shift >= 0 ? 0 : (-shift + s - 1) / s;
  hi = size - shift <= 0 ? 0 : (size - shift - 1) / s + 1;
  lo = std::min(lo, out);
  hi = std::max(lo, std::min(hi, out));
}

// col (ICg*KH*KW, OH*OW) from x_g (ICg, H, W): zero where the tap falls into the padding.
template <typename T>
void im2col(T* col, const T* x_g, const Conv2dGeometry& g) {
  const int64_t p = g.oh * g.ow;
  for (int64_t c = 0; c < g.icg(); ++c) {
    const T* x_c = x_g + c * g.h * g.w;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * p;
        int64_t ox_lo = 0, ox_hi = 0;
        valid_range(g.w, g.sw, g.pw, j * g.dil_w, g.ow, ox_lo, ox_hi);
        const int64_t shift_w = j * g.dil_w - g.pw;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          T* out = row + oy * g.ow;
          const int64_t iy = oy * g.sh - g.ph + i * g.dil_h;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + g.ow, T(0));
            continue;
          }
          const T* in = x_c + iy * g.w;
          std::fill(out, out + ox_lo, T(0));
          if (g.sw == 1) {
            std::copy(in + ox_lo + shift_w, in + ox_hi + shift_w, out + ox_lo);
          } else {
            for (int64_t ox = ox_lo; ox < ox_hi; ++ox) out[ox] = in[ox * g.sw + shift_w];
          }
          std::fill(out + ox_hi, out + g.ow, T(0));
        }
      }
    }
  }
}

// dx_g (ICg, H, W) += col2im(col): the adjoint of im2col.
template <typename T>
void col2im_add(T* dx_g, const T* col, const Conv2dGeometry& g) {
  const int64_t p = g.oh * g.ow;
  for (int64_t c = 0; c < g.icg(); ++c) {
    T* dx_c = dx_g + c * g.h * g.w;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * p;
        int64_t ox_lo = 0, ox_hi = 0;
        valid_range(g.w, g.sw, g.pw, j * g.dil_w, g.ow, ox_lo, ox_hi);
        const int64_t shift_w = j * g.dil_w - g.pw;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const int64_t iy = oy * g.sh - g.ph + i * g.dil_h;
          if (iy < 0 || iy >= g.h) continue;
          const T* in = row + oy * g.ow;
          T* out = dx_c + iy * g.w;
          for (int64_t ox = ox_lo; ox < ox_hi; ++ox) out[ox * g.sw + shift_w] += in[ox];
        }
      }
    }
  }
}

// Whether the float32 entry points run oneDNN; the rule and the measurements behind it are in
// docs/fast_backend.md (bench/conv_kernels). oneDNN's direct convolution wins everywhere (1.1x to
// 8x, depthwise and grouped included) except on ungrouped layers with fewer than 4 input channels
// (the first layer of a network): there its backward-data kernel runs at a tenth to a third of
// im2col + BLAS, and its forward kernel loses slightly while the output channels are few.
enum class Pass { kForward, kBackwardData, kBackwardWeights };

bool use_dnnl(const Conv2dGeometry& g, Pass pass) {
  const bool few_inputs = g.g == 1 && g.ic < 4;
  switch (pass) {
    case Pass::kForward:
      return !(few_inputs && g.oc < 32);
    case Pass::kBackwardData:
      return !few_inputs;
    case Pass::kBackwardWeights:
      return true;
  }
  return true;
}

}  // namespace

template <typename T>
void gemm_conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g,
                         bool relu) {
  init_blas_threads();
  const int64_t k = g.icg() * g.kh * g.kw, p = g.oh * g.ow, ocg = g.ocg();
  const bool pointwise = is_pointwise(g);
  RegionErrors errors;  // scratch() may throw bad_alloc
#pragma omp parallel for num_threads(batch_threads(g.n)) schedule(static)
  for (int64_t n = 0; n < g.n; ++n) {
    errors.run([&] {
      T* col = pointwise ? nullptr : scratch<T>(static_cast<size_t>(k * p));
      for (int64_t gi = 0; gi < g.g; ++gi) {
        const T* x_g = x + (n * g.ic + gi * g.icg()) * g.h * g.w;
        T* y_g = y + (n * g.oc + gi * ocg) * p;
        if (!pointwise) im2col(col, x_g, g);
        blas_gemm(false, false, ocg, p, k, T(1), w + gi * ocg * k, k, pointwise ? x_g : col, p,
                  T(0), y_g, p);
        if (b != nullptr || relu) {  // while this image's output is still in cache
          for (int64_t o = 0; o < ocg; ++o) {
            const T bias = b != nullptr ? b[gi * ocg + o] : T(0);
            T* plane = y_g + o * p;
            if (relu) {
              for (int64_t q = 0; q < p; ++q) plane[q] = std::max(plane[q] + bias, T(0));
            } else {
              for (int64_t q = 0; q < p; ++q) plane[q] += bias;
            }
          }
        }
      }
    });
  }
  errors.rethrow();
}

template <typename T>
void gemm_conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g) {
  init_blas_threads();
  const int64_t k = g.icg() * g.kh * g.kw, p = g.oh * g.ow, ocg = g.ocg();
  const bool pointwise = is_pointwise(g);
  RegionErrors errors;  // scratch() may throw bad_alloc
#pragma omp parallel for num_threads(batch_threads(g.n)) schedule(static)
  for (int64_t n = 0; n < g.n; ++n) {
    errors.run([&] {
      T* col = pointwise ? nullptr : scratch<T>(static_cast<size_t>(k * p));
      for (int64_t gi = 0; gi < g.g; ++gi) {
        T* dx_g = dx + (n * g.ic + gi * g.icg()) * g.h * g.w;
        const T* dy_g = dy + (n * g.oc + gi * ocg) * p;
        if (pointwise) {  // add straight into dx (beta 1)
          blas_gemm(true, false, k, p, ocg, T(1), w + gi * ocg * k, k, dy_g, p, T(1), dx_g, p);
        } else {
          blas_gemm(true, false, k, p, ocg, T(1), w + gi * ocg * k, k, dy_g, p, T(0), col, p);
          col2im_add(dx_g, col, g);
        }
      }
    });
  }
  errors.rethrow();
}

template <typename T>
void gemm_conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g) {
  init_blas_threads();
  const int64_t k = g.icg() * g.kh * g.kw, p = g.oh * g.ow, ocg = g.ocg();
  const int64_t dw_size = g.oc * k;
  const bool pointwise = is_pointwise(g);
  const int threads = batch_threads(g.n);
  // Thread 0 adds straight into dw; threads 1.. into zeroed partial sums, added to dw at the end.
  // NOTE: so the summation order over the batch depends on the thread count (as in any parallel
  // reduction); results agree with the reference to rounding, not bit for bit.
  std::vector<T> partial(static_cast<size_t>(threads - 1) * static_cast<size_t>(dw_size), T(0));
  RegionErrors errors;  // scratch() may throw bad_alloc
#pragma omp parallel num_threads(threads)
  {
    const int t = thread_index();
    T* acc = t == 0 ? dw : partial.data() + static_cast<size_t>(t - 1) * dw_size;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.n; ++n) {
      errors.run([&] {
        T* col = pointwise ? nullptr : scratch<T>(static_cast<size_t>(k * p));
        for (int64_t gi = 0; gi < g.g; ++gi) {
          const T* x_g = x + (n * g.ic + gi * g.icg()) * g.h * g.w;
          const T* dy_g = dy + (n * g.oc + gi * ocg) * p;
          if (!pointwise) im2col(col, x_g, g);
          blas_gemm(false, true, ocg, k, p, T(1), dy_g, p, pointwise ? x_g : col, p, T(1),
                    acc + gi * ocg * k, k);
        }
      });
    }
  }
  errors.rethrow();
  for (int t = 1; t < threads; ++t) {
    const T* part = partial.data() + static_cast<size_t>(t - 1) * dw_size;
    for (int64_t i = 0; i < dw_size; ++i) dw[i] += part[i];
  }
}

template <typename T>
void conv2d_backward_bias(T* db, const T* dy, const Conv2dGeometry& g) {
  const int64_t p = g.oh * g.ow;
  // NOTE: OpenMP over channels, each summed in double in the reference kernel's order (n, then
  // pixels), so the result is that of the reference up to the final rounding.
#pragma omp parallel for num_threads(batch_threads(g.oc)) schedule(static)
  for (int64_t o = 0; o < g.oc; ++o) {
    double sum = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* plane = dy + (n * g.oc + o) * p;
      double part = 0;
#pragma omp simd reduction(+ : part)
      for (int64_t q = 0; q < p; ++q) part += static_cast<double>(plane[q]);
      sum += part;
    }
    db[o] += static_cast<T>(sum);
  }
}

// ---- Dispatch (docs/fast_backend.md): oneDNN for float32, im2col + BLAS for float64. ----

// NOTE: float64 stays on im2col + BLAS: oneDNN 2.6 has no f64 convolution on CPU, and float64 is
// what gradcheck and the parity tests run.
template <typename T>
void conv2d_forward(T* y, const T* x, const T* w, const T* b, const Conv2dGeometry& g, bool relu) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_dnnl(g, Pass::kForward)) {
      return dnnl_conv2d_forward(y, x, w, b, g, DnnlLayout::kAny, relu);
    }
  }
  gemm_conv2d_forward(y, x, w, b, g, relu);
}

template <typename T>
void conv2d_backward_data(T* dx, const T* dy, const T* w, const Conv2dGeometry& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_dnnl(g, Pass::kBackwardData)) return dnnl_conv2d_backward_data(dx, dy, w, g);
  }
  gemm_conv2d_backward_data(dx, dy, w, g);
}

template <typename T>
void conv2d_backward_data_overwrite(T* dx, const T* dy, const T* w, const Conv2dGeometry& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_dnnl(g, Pass::kBackwardData)) {
      return dnnl_conv2d_backward_data(dx, dy, w, g, DnnlLayout::kAny, /*accumulate=*/false);
    }
  }
  std::fill_n(dx, g.n * g.ic * g.h * g.w, T(0));
  gemm_conv2d_backward_data(dx, dy, w, g);
}

template <typename T>
void conv2d_backward_weights_bias(T* dw, T* db, const T* dy, const T* x, const Conv2dGeometry& g) {
  if constexpr (std::is_same_v<T, float>) {
    if (use_dnnl(g, Pass::kBackwardWeights)) return dnnl_conv2d_backward_weights(dw, db, dy, x, g);
  }
  gemm_conv2d_backward_weights(dw, dy, x, g);
  if (db != nullptr) fast::conv2d_backward_bias<T>(db, dy, g);
}

template <typename T>
void conv2d_backward_weights(T* dw, const T* dy, const T* x, const Conv2dGeometry& g) {
  conv2d_backward_weights_bias<T>(dw, nullptr, dy, x, g);
}

#define CNNLAB_INSTANTIATE(T)                                                                     \
  template void gemm_conv2d_forward<T>(T*, const T*, const T*, const T*, const Conv2dGeometry&,   \
                                       bool);                                                     \
  template void gemm_conv2d_backward_data<T>(T*, const T*, const T*, const Conv2dGeometry&);      \
  template void gemm_conv2d_backward_weights<T>(T*, const T*, const T*, const Conv2dGeometry&);   \
  template void conv2d_forward<T>(T*, const T*, const T*, const T*, const Conv2dGeometry&, bool); \
  template void conv2d_backward_data<T>(T*, const T*, const T*, const Conv2dGeometry&);           \
  template void conv2d_backward_data_overwrite<T>(T*, const T*, const T*, const Conv2dGeometry&); \
  template void conv2d_backward_weights<T>(T*, const T*, const T*, const Conv2dGeometry&);        \
  template void conv2d_backward_weights_bias<T>(T*, T*, const T*, const T*,                       \
                                                const Conv2dGeometry&);                           \
  template void conv2d_backward_bias<T>(T*, const T*, const Conv2dGeometry&);
CNNLAB_INSTANTIATE(float)
CNNLAB_INSTANTIATE(double)
#undef CNNLAB_INSTANTIATE

}  // namespace cnnlab::kernels::fast
