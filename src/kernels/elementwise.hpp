// Reference kernels for broadcasting elementwise maps and for sums over dims.
//
// Both walk an n-dimensional index with an odometer and address each operand through its own
// strides, where a broadcast (or reduced) dim has stride 0. Plain loops; no allocation.
#pragma once

#include <cstdint>
#include <vector>

namespace cnnlab::kernels {

/// Geometry of a broadcast: the output dims and, per operand, one stride per output dim
/// (0 where the operand is broadcast along that dim).
struct BroadcastGeometry {
  std::vector<int64_t> out_dims;
  std::vector<std::vector<int64_t>> strides;  // strides[operand][dim]
};

/// Calls fn(out_index, offsets...) for every output element in row-major order, where offsets[k]
/// addresses operand k. K operands, compile-time.
template <size_t K, typename Fn>
void for_each_broadcast(const BroadcastGeometry& g, Fn&& fn) {
  const size_t rank = g.out_dims.size();
  int64_t total = 1;
  for (int64_t d : g.out_dims) total *= d;
  if (total == 0) return;
  std::vector<int64_t> idx(rank, 0);
  int64_t off[K] = {};
  for (int64_t o = 0; o < total; ++o) {
    fn(o, off);
    // advance the odometer, last dim fastest
    for (size_t d = rank; d-- > 0;) {
      ++idx[d];
      for (size_t k = 0; k < K; ++k) off[k] += g.strides[k][d];
      if (idx[d] < g.out_dims[d]) break;
      for (size_t k = 0; k < K; ++k) off[k] -= g.strides[k][d] * idx[d];
      idx[d] = 0;
    }
  }
}

/// y[i] = f(x[i]) over n elements.
template <typename T, typename F>
void unary_forward(T* y, const T* x, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

/// y = f(a, b) with broadcasting; g.strides holds {a, b}.
template <typename T, typename F>
void binary_forward(T* y, const T* a, const T* b, const BroadcastGeometry& g, F f) {
  for_each_broadcast<2>(g, [&](int64_t o, const int64_t* off) { y[o] = f(a[off[0]], b[off[1]]); });
}

/// y = c != 0 ? a : b with broadcasting; g.strides holds {c, a, b}. A select, not arithmetic:
/// an inf or NaN in the branch not taken never reaches y.
template <typename T>
void select_forward(T* y, const T* c, const T* a, const T* b, const BroadcastGeometry& g) {
  for_each_broadcast<3>(
      g, [&](int64_t o, const int64_t* off) { y[o] = c[off[0]] != T(0) ? a[off[1]] : b[off[2]]; });
}

/// Sums x into acc, where g.out_dims are x's dims and g.strides[0] maps them into acc (stride 0
/// on reduced dims). Adds into acc: the caller zero-fills it.
/// NOTE: the accumulator is double for float inputs too, so long float32 sums do not drift.
template <typename T>
void sum_forward(double* acc, const T* x, const BroadcastGeometry& g) {
  for_each_broadcast<1>(g, [&](int64_t i, const int64_t* off) { acc[off[0]] += x[i]; });
}

}  // namespace cnnlab::kernels
