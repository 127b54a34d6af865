// Reference kernels of softmax cross-entropy and NLL. One row of (n, c) per sample; log-softmax
// with the max subtracted, sums in double. See loss.hpp and
// docs/derivations/softmax_cross_entropy.md.
#include "kernels/loss.hpp"

#include <algorithm>
#include <cmath>

namespace cnnlab::kernels {
namespace {

template <typename T>
double class_weight(const T* weight, int64_t k) {
  return weight ? static_cast<double>(weight[k]) : 1.0;
}

}  // namespace

template <typename T>
void cross_entropy_forward(T* loss, T* log_probs, const T* logits, const int64_t* target,
                           const T* weight, const CrossEntropyGeometry& g) {
  const double ls = g.label_smoothing;
  for (int64_t i = 0; i < g.n; ++i) {
    const T* z = logits + i * g.c;  // seek to row i
    T* lp = log_probs + i * g.c;
    // log_softmax: lp[k] = z[k] - max - log sum exp(z - max)
    double zmax = static_cast<double>(z[0]);
    for (int64_t k = 1; k < g.c; ++k) zmax = std::max(zmax, static_cast<double>(z[k]));
    double sum_exp = 0.0;
    for (int64_t k = 0; k < g.c; ++k) sum_exp += std::exp(static_cast<double>(z[k]) - zmax);
    const double lse = zmax + std::log(sum_exp);
    double smooth = 0.0;  // -sum_k w_k * lp[k]
    for (int64_t k = 0; k < g.c; ++k) {
      const double v = static_cast<double>(z[k]) - lse;
      lp[k] = static_cast<T>(v);
      smooth -= class_weight(weight, k) * v;
    }
    const int64_t t = target[i];
    if (t == g.ignore_index) {
      loss[i] = T(0);
      continue;
    }
    const double nll = -class_weight(weight, t) * (static_cast<double>(z[t]) - lse);
    loss[i] = static_cast<T>((1.0 - ls) * nll + ls / static_cast<double>(g.c) * smooth);
  }
}

template <typename T>
void cross_entropy_backward(T* dx, const T* dloss, const T* log_probs, const int64_t* target,
                            const T* weight, const CrossEntropyGeometry& g) {
  const double ls = g.label_smoothing;
  double sum_w = 0.0;  // S_w
  for (int64_t k = 0; k < g.c; ++k) sum_w += class_weight(weight, k);
  for (int64_t i = 0; i < g.n; ++i) {
    const int64_t t = target[i];
    if (t == g.ignore_index) continue;  // ignored samples get no gradient
    const double d = static_cast<double>(dloss[i]);
    const double w_t = class_weight(weight, t);
    const T* lp = log_probs + i * g.c;
    T* dxp = dx + i * g.c;
    for (int64_t k = 0; k < g.c; ++k) {
      const double p = std::exp(static_cast<double>(lp[k]));
      const double hard = w_t * (p - (k == t ? 1.0 : 0.0));
      const double soft = sum_w * p - class_weight(weight, k);
      dxp[k] += static_cast<T>(d * ((1.0 - ls) * hard + ls / static_cast<double>(g.c) * soft));
    }
  }
}

template <typename T>
void nll_loss_forward(T* loss, const T* log_probs, const int64_t* target, const T* weight,
                      const CrossEntropyGeometry& g) {
  for (int64_t i = 0; i < g.n; ++i) {
    const int64_t t = target[i];
    loss[i] = t == g.ignore_index ? T(0)
                                  : static_cast<T>(-class_weight(weight, t) *
                                                   static_cast<double>(log_probs[i * g.c + t]));
  }
}

template <typename T>
void nll_loss_backward(T* dx, const T* dloss, const int64_t* target, const T* weight,
                       const CrossEntropyGeometry& g) {
  for (int64_t i = 0; i < g.n; ++i) {
    const int64_t t = target[i];
    if (t == g.ignore_index) continue;
    dx[i * g.c + t] += static_cast<T>(-class_weight(weight, t) * static_cast<double>(dloss[i]));
  }
}

template <typename T>
double class_weight_total(const int64_t* target, const T* weight, const CrossEntropyGeometry& g) {
  double total = 0.0;
  for (int64_t i = 0; i < g.n; ++i) {
    if (target[i] != g.ignore_index) total += class_weight(weight, target[i]);
  }
  return total;
}

#define CNNLAB_INSTANTIATE_LOSS(T)                                                          \
  template void cross_entropy_forward<T>(T*, T*, const T*, const int64_t*, const T*,        \
                                         const CrossEntropyGeometry&);                      \
  template void cross_entropy_backward<T>(T*, const T*, const T*, const int64_t*, const T*, \
                                          const CrossEntropyGeometry&);                     \
  template void nll_loss_forward<T>(T*, const T*, const int64_t*, const T*,                 \
                                    const CrossEntropyGeometry&);                           \
  template void nll_loss_backward<T>(T*, const T*, const int64_t*, const T*,                \
                                     const CrossEntropyGeometry&);                          \
  template double class_weight_total<T>(const int64_t*, const T*, const CrossEntropyGeometry&);

CNNLAB_INSTANTIATE_LOSS(float)
CNNLAB_INSTANTIATE_LOSS(double)
#undef CNNLAB_INSTANTIATE_LOSS

}  // namespace cnnlab::kernels
