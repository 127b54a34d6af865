// Elementwise ops with broadcasting: forward through the reference kernels, backward composed of
// other ops (sum_to undoes the broadcast). On the fast backend, operands of equal shape (the
// residual add, gradient arithmetic) skip the broadcast indexing and split over the threads.
#include "cnnlab/ops/math.hpp"

#include <cmath>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "kernels/elementwise.hpp"
#include "kernels/fast/parallel.hpp"

namespace cnnlab::ops {
namespace {

// Strides of `s` aligned to an output of rank `rank`, 0 where s is broadcast.
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  const std::vector<int64_t> own = s.strides();
  const size_t lead = out.size() - s.size();
  for (size_t i = 0; i < s.size(); ++i) st[lead + i] = s[i] == 1 ? 0 : own[i];
  return st;
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  CNNLAB_CHECK(a.dtype() == b.dtype(), ValueError, op, ": expected operands of one dtype, got ",
               a.dtype(), " and ", b.dtype());
}

template <typename F>
Tensor binary_forward(const Tensor& a, const Tensor& b, const char* op, F f) {
  check_same_dtype(a, b, op);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), op);
  kernels::BroadcastGeometry g{
      out_shape.dims(),
      {broadcast_strides(a.shape(), out_shape), broadcast_strides(b.shape(), out_shape)}};
  Tensor y = Tensor::empty(out_shape, a.dtype());
  const bool same_shape = a.shape() == b.shape();
  dispatch_float(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    T* yp = y.data<T>();
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    if (same_shape && backend() == Backend::kFast) {
      kernels::fast::parallel_for(y.numel(), kernels::fast::kPointwiseGrain,
                                  [&](int64_t begin, int64_t end) {
                                    for (int64_t i = begin; i < end; ++i)
                                      yp[i] = static_cast<T>(f(ap[i], bp[i]));
                                  });
    } else {
      kernels::binary_forward<T>(yp, ap, bp, g, [&](T u, T v) { return static_cast<T>(f(u, v)); });
    }
  });
  return y;
}

template <typename F>
Tensor unary_forward(const Tensor& x, const char* op, F f) {
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    kernels::unary_forward<T>(y.data<T>(), x.data<T>(), x.numel(),
                              [&](T v) { return static_cast<T>(f(v)); });
  });
  return y;
}

Tensor scalar_like(double v, const Tensor& t) { return Tensor::scalar(v, t.dtype()); }

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(std::vector<int64_t>(rank, 1));
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    CNNLAB_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": cannot broadcast shapes ", a,
                 " and ", b);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  const size_t lead = t.shape().size() - shape.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < t.shape().size(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && t.shape()[i] != 1))
      dims.push_back(static_cast<int64_t>(i));
  }
  return sum(t, dims, true).reshape(shape);
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(a, b, "add", [](auto u, auto v) { return u + v; });
  if (autograd::needs_grad({a, b})) {
    autograd::record("add", {a, b}, y, [sa = a.shape(), sb = b.shape()](const Tensor& dy) {
      return std::vector<Tensor>{sum_to(dy, sa), sum_to(dy, sb)};
    });
  }
  if (autograd::is_tracing()) autograd::trace_op("add", {a, b}, y);
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(a, b, "sub", [](auto u, auto v) { return u - v; });
  if (autograd::needs_grad({a, b})) {
    autograd::record("sub", {a, b}, y, [sa = a.shape(), sb = b.shape()](const Tensor& dy) {
      return std::vector<Tensor>{sum_to(dy, sa), sum_to(neg(dy), sb)};
    });
  }
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(a, b, "mul", [](auto u, auto v) { return u * v; });
  if (autograd::needs_grad({a, b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("mul", {a, b}, y, [a = a.detach(), b = b.detach(), ga, gb](const Tensor& dy) {
      return std::vector<Tensor>{ga ? sum_to(mul(dy, b), a.shape()) : Tensor(),
                                 gb ? sum_to(mul(dy, a), b.shape()) : Tensor()};
    });
  }
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary_forward(a, b, "div", [](auto u, auto v) { return u / v; });
  if (autograd::needs_grad({a, b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record("div", {a, b}, y, [a = a.detach(), b = b.detach(), ga, gb](const Tensor& dy) {
      // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2
      return std::vector<Tensor>{
          ga ? sum_to(div(dy, b), a.shape()) : Tensor(),
          gb ? sum_to(neg(div(mul(dy, a), mul(b, b))), b.shape()) : Tensor()};
    });
  }
  return y;
}

Tensor neg(const Tensor& x) {
  Tensor y = unary_forward(x, "neg", [](auto v) { return -v; });
  if (autograd::needs_grad({x})) {
    autograd::record("neg", {x}, y, [](const Tensor& dy) { return std::vector<Tensor>{neg(dy)}; });
  }
  return y;
}

Tensor exp(const Tensor& x) {
  Tensor y = unary_forward(x, "exp", [](auto v) { return std::exp(v); });
  if (autograd::needs_grad({x})) {
    autograd::record("exp", {x}, y, [y = y.detach()](const Tensor& dy) {
      return std::vector<Tensor>{mul(dy, y)};
    });
  }
  return y;
}

Tensor log(const Tensor& x) {
  Tensor y = unary_forward(x, "log", [](auto v) { return std::log(v); });
  if (autograd::needs_grad({x})) {
    autograd::record("log", {x}, y, [x = x.detach()](const Tensor& dy) {
      return std::vector<Tensor>{div(dy, x)};
    });
  }
  return y;
}

Tensor sqrt(const Tensor& x) {
  Tensor y = unary_forward(x, "sqrt", [](auto v) { return std::sqrt(v); });
  if (autograd::needs_grad({x})) {
    autograd::record("sqrt", {x}, y, [y = y.detach()](const Tensor& dy) {
      return std::vector<Tensor>{div(dy, mul(y, scalar_like(2.0, y)))};
    });
  }
  return y;
}

Tensor pow(const Tensor& x, double exponent) {
  Tensor y = unary_forward(x, "pow", [exponent](auto v) { return std::pow(v, exponent); });
  if (autograd::needs_grad({x})) {
    autograd::record("pow", {x}, y, [x = x.detach(), exponent](const Tensor& dy) {
      if (exponent == 0.0) return std::vector<Tensor>{Tensor::zeros_like(x)};
      return std::vector<Tensor>{mul(dy, mul(pow(x, exponent - 1.0), scalar_like(exponent, x)))};
    });
  }
  return y;
}

Tensor sign(const Tensor& x) {
  Tensor y = unary_forward(x, "sign", [](auto v) { return (v > 0) - (v < 0); });
  if (autograd::needs_grad({x})) {
    autograd::record("sign", {x}, y,
                     [](const Tensor& dy) { return std::vector<Tensor>{Tensor::zeros_like(dy)}; });
  }
  return y;
}

Tensor abs(const Tensor& x) {
  Tensor y = unary_forward(x, "abs", [](auto v) { return std::abs(v); });
  if (autograd::needs_grad({x})) {
    autograd::record("abs", {x}, y, [s = sign(x.detach())](const Tensor& dy) {
      return std::vector<Tensor>{mul(dy, s)};
    });
  }
  return y;
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  CNNLAB_CHECK(!min || !max || *min <= *max, ValueError,
               "clamp: expected min <= max, got min=", *min, ", max=", *max);
  const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
  Tensor y = unary_forward(x, "clamp", [lo, hi](auto v) {
    using T = decltype(v);
    return v < static_cast<T>(lo) ? static_cast<T>(lo)
                                  : (v > static_cast<T>(hi) ? static_cast<T>(hi) : v);
  });
  if (autograd::needs_grad({x})) {
    Tensor pass = unary_forward(x.detach(), "clamp", [lo, hi](auto v) {
      return (v >= static_cast<decltype(v)>(lo) && v <= static_cast<decltype(v)>(hi)) ? 1 : 0;
    });
    autograd::record("clamp", {x}, y,
                     [pass](const Tensor& dy) { return std::vector<Tensor>{mul(dy, pass)}; });
  }
  return y;
}

Tensor gt(const Tensor& a, const Tensor& b) {
  return binary_forward(a, b, "gt", [](auto u, auto v) { return u > v; });
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return binary_forward(a, b, "ge", [](auto u, auto v) { return u >= v; });
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return binary_forward(a, b, "lt", [](auto u, auto v) { return u < v; });
}
Tensor le(const Tensor& a, const Tensor& b) {
  return binary_forward(a, b, "le", [](auto u, auto v) { return u <= v; });
}
Tensor eq(const Tensor& a, const Tensor& b) {
  return binary_forward(a, b, "eq", [](auto u, auto v) { return u == v; });
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return binary_forward(a, b, "ne", [](auto u, auto v) { return u != v; });
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check_same_dtype(a, b, "where");
  const Tensor c = condition.dtype() == a.dtype()
                       ? condition.detach()
                       : Tensor::from_vector(condition.to_vector(), condition.shape(), a.dtype());
  const Shape out_shape =
      broadcast_shapes(c.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  const kernels::BroadcastGeometry g{
      out_shape.dims(),
      {broadcast_strides(c.shape(), out_shape), broadcast_strides(a.shape(), out_shape),
       broadcast_strides(b.shape(), out_shape)}};
  Tensor y = Tensor::empty(out_shape, a.dtype());
  dispatch_float(a.dtype(), "where", [&](auto tag) {
    using T = decltype(tag);
    kernels::select_forward<T>(y.data<T>(), c.data<T>(), a.data<T>(), b.data<T>(), g);
  });
  if (autograd::needs_grad({a, b})) {
    autograd::record("where", {a, b}, y, [c, sa = a.shape(), sb = b.shape()](const Tensor& dy) {
      // route dy to the branch each element took (a select again, so no 0 * inf)
      const Tensor zero = Tensor::scalar(0.0, dy.dtype());
      return std::vector<Tensor>{sum_to(where(c, dy, zero), sa), sum_to(where(c, zero, dy), sb)};
    });
  }
  return y;
}

}  // namespace cnnlab::ops

namespace cnnlab {
Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
Tensor operator-(const Tensor& x) { return ops::neg(x); }
Tensor operator+(const Tensor& a, double b) { return ops::add(a, Tensor::scalar(b, a.dtype())); }
Tensor operator-(const Tensor& a, double b) { return ops::sub(a, Tensor::scalar(b, a.dtype())); }
Tensor operator*(const Tensor& a, double b) { return ops::mul(a, Tensor::scalar(b, a.dtype())); }
Tensor operator/(const Tensor& a, double b) { return ops::div(a, Tensor::scalar(b, a.dtype())); }
Tensor operator+(double a, const Tensor& b) { return ops::add(Tensor::scalar(a, b.dtype()), b); }
Tensor operator-(double a, const Tensor& b) { return ops::sub(Tensor::scalar(a, b.dtype()), b); }
Tensor operator*(double a, const Tensor& b) { return ops::mul(Tensor::scalar(a, b.dtype()), b); }
Tensor operator/(double a, const Tensor& b) { return ops::div(Tensor::scalar(a, b.dtype()), b); }

Tensor Tensor::exp() const { return ops::exp(*this); }
Tensor Tensor::log() const { return ops::log(*this); }
Tensor Tensor::sqrt() const { return ops::sqrt(*this); }
Tensor Tensor::abs() const { return ops::abs(*this); }
Tensor Tensor::pow(double exponent) const { return ops::pow(*this, exponent); }
}  // namespace cnnlab
