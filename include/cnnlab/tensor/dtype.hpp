// Element types and the dispatch helper that turns a runtime Dtype into a kernel's template type.
#pragma once

#include <cstdint>
#include <ostream>
#include <type_traits>

#include "cnnlab/core/check.hpp"

namespace cnnlab {

/// Element type of a tensor. float32 is the working type; float64 is for gradient checks and
/// parity; int64 holds labels and indices (as torch.long does).
enum class Dtype { kFloat32, kFloat64, kInt64 };

inline const char* dtype_name(Dtype d) {
  switch (d) {
    case Dtype::kFloat32:
      return "float32";
    case Dtype::kFloat64:
      return "float64";
    case Dtype::kInt64:
      return "int64";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& out, Dtype d) { return out << dtype_name(d); }

inline int64_t dtype_size(Dtype d) { return d == Dtype::kFloat32 ? 4 : 8; }

inline bool is_floating(Dtype d) { return d == Dtype::kFloat32 || d == Dtype::kFloat64; }

template <typename T>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return Dtype::kFloat32;
  else if constexpr (std::is_same_v<T, double>)
    return Dtype::kFloat64;
  else {
    static_assert(std::is_same_v<T, int64_t>, "cnnlab tensors hold float, double or int64_t");
    return Dtype::kInt64;
  }
}

/// Calls fn(T{}) with T = float or double according to d; throws ValueError naming `op` for
/// int64, which no floating-point op accepts.
template <typename Fn>
decltype(auto) dispatch_float(Dtype d, const char* op, Fn&& fn) {
  CNNLAB_CHECK(is_floating(d), ValueError, op, ": expected a float32 or float64 tensor, got ",
               dtype_name(d));
  if (d == Dtype::kFloat64) return fn(double{});
  return fn(float{});
}

/// Calls fn(T{}) with T = float, double or int64_t according to d.
template <typename Fn>
decltype(auto) dispatch_all(Dtype d, Fn&& fn) {
  if (d == Dtype::kFloat64) return fn(double{});
  if (d == Dtype::kInt64) return fn(int64_t{});
  return fn(float{});
}

}  // namespace cnnlab
