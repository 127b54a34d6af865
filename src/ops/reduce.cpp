// Reductions: sum through the reference sum kernel, max/min along a dim with an argmax table,
// mean/var/norm composed of differentiable ops.
#include "cnnlab/ops/reduce.hpp"

#include <algorithm>
#include <cmath>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/node.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "kernels/elementwise.hpp"

namespace cnnlab::ops {
namespace {

// Sorted, de-duplicated, non-negative dims; all dims when `dims` is empty.
std::vector<int64_t> reduce_dims(const Shape& s, const std::vector<int64_t>& dims, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t i = 0; i < s.rank(); ++i) out.push_back(i);
    return out;
  }
  for (int64_t d : dims) {
    CNNLAB_CHECK(d >= -s.rank() && d < s.rank(), ShapeError, op, ": dim ", d,
                 " is out of range for shape ", s);
    out.push_back(d < 0 ? d + s.rank() : d);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Shape reduced_shape(const Shape& s, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t i = 0; i < s.rank(); ++i) {
    const bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!reduced) {
      out.push_back(s[static_cast<size_t>(i)]);
    } else if (keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

int64_t count(const Shape& s, const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= s[static_cast<size_t>(d)];
  return n;
}

// Views x as (outer, n, inner) around `dim` and picks the best element of each (outer, inner)
// line; `better(a, b)` is true when a should replace b. First index wins ties.
template <typename Better>
ValuesIndices extreme_along(const Tensor& x, int64_t dim, bool keepdim, const char* op,
                            Better better) {
  CNNLAB_CHECK(x.dim() > 0, ShapeError, op, ": expected a tensor with at least one dim, got ",
               x.shape());
  const int64_t d = reduce_dims(x.shape(), {dim}, op)[0];
  const int64_t n = x.shape()[static_cast<size_t>(d)];
  CNNLAB_CHECK(n > 0, ShapeError, op, ": cannot reduce an empty dim of shape ", x.shape());
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < d; ++i) outer *= x.shape()[static_cast<size_t>(i)];
  for (int64_t i = d + 1; i < x.dim(); ++i) inner *= x.shape()[static_cast<size_t>(i)];
  const Shape out_shape = reduced_shape(x.shape(), {d}, keepdim);
  Tensor values = Tensor::empty(out_shape, x.dtype());
  Tensor indices = Tensor::empty(out_shape, Dtype::kInt64);
  dispatch_float(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* vp = values.data<T>();
    int64_t* ip = indices.data<int64_t>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const T* line = xp + o * n * inner + i;
        int64_t best = 0;
        for (int64_t k = 1; k < n; ++k) {
          if (better(line[k * inner], line[best * inner])) best = k;
        }
        vp[o * inner + i] = line[best * inner];
        ip[o * inner + i] = best;
      }
    }
  });
  if (autograd::needs_grad({x})) {
    autograd::record(op, {x}, values,
                     [indices, d, keepdim, in_shape = x.shape()](const Tensor& dy) {
                       // scatter dy back to the winning positions
                       const Tensor dyk = keepdim ? dy : dy.unsqueeze(d);
                       const Tensor idx = keepdim ? indices : indices.unsqueeze(d);
                       Tensor dx = Tensor::zeros(in_shape, dy.dtype());
                       dispatch_float(dy.dtype(), "max", [&](auto tag) {
                         using T = decltype(tag);
                         const int64_t n_d = in_shape[static_cast<size_t>(d)];
                         int64_t inner_d = 1;
                         for (int64_t i = d + 1; i < in_shape.rank(); ++i)
                           inner_d *= in_shape[static_cast<size_t>(i)];
                         const T* g = dyk.data<T>();
                         const int64_t* ix = idx.data<int64_t>();
                         T* out = dx.data<T>();
                         for (int64_t j = 0, m = dyk.numel(); j < m; ++j) {
                           const int64_t o = j / inner_d, i = j % inner_d;
                           out[(o * n_d + ix[j]) * inner_d + i] += g[j];
                         }
                       });
                       return std::vector<Tensor>{dx};
                     });
  }
  return {values, indices};
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const std::vector<int64_t> rd = reduce_dims(x.shape(), dims, "sum");
  const Shape kept = reduced_shape(x.shape(), rd, true);
  // map x's dims into the result: stride 0 on reduced dims
  std::vector<int64_t> y_strides = kept.strides();
  for (int64_t d : rd) y_strides[static_cast<size_t>(d)] = 0;
  const kernels::BroadcastGeometry g{x.shape().dims(), {y_strides}};
  Tensor acc = Tensor::zeros(kept, Dtype::kFloat64);
  dispatch_float(x.dtype(), "sum", [&](auto tag) {
    using T = decltype(tag);
    kernels::sum_forward<T>(acc.data<double>(), x.data<T>(), g);
  });
  Tensor out = to_dtype(acc, x.dtype()).reshape(reduced_shape(x.shape(), rd, keepdim));
  if (autograd::needs_grad({x})) {
    autograd::record("sum", {x}, out, [kept, in_shape = x.shape()](const Tensor& dy) {
      // broadcast dy back over the reduced dims
      return std::vector<Tensor>{add(Tensor::zeros(in_shape, dy.dtype()), dy.reshape(kept))};
    });
  }
  return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  const std::vector<int64_t> rd = reduce_dims(x.shape(), dims, "mean");
  return sum(x, rd, keepdim) / static_cast<double>(count(x.shape(), rd));
}

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  const std::vector<int64_t> rd = reduce_dims(x.shape(), dims, "var");
  const int64_t n = count(x.shape(), rd);
  CNNLAB_CHECK(n > (unbiased ? 1 : 0), ShapeError, "var: expected more than ", unbiased ? 1 : 0,
               " elements to reduce, got ", n, " (shape ", x.shape(), ")");
  const Tensor centred = x - mean(x, rd, true);
  return sum(centred * centred, rd, keepdim) / static_cast<double>(unbiased ? n - 1 : n);
}

Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim) {
  CNNLAB_CHECK(p > 0, ValueError, "norm: expected p > 0, got ", p);
  const std::vector<int64_t> rd = reduce_dims(x.shape(), dims, "norm");
  Tensor y;
  {
    NoGradGuard no_grad;  // recorded below as one node
    y = p == 2.0 ? sqrt(sum(x * x, rd, keepdim)) : pow(sum(pow(abs(x), p), rd, keepdim), 1.0 / p);
  }
  if (autograd::needs_grad({x})) {
    autograd::record("norm", {x}, y,
                     [x = x.detach(), y = y.detach(), p, rd, keepdim](const Tensor& dy) {
                       // d||x||_p / dx = sign(x) |x|^(p-1) / ||x||^(p-1); taken as 0 where ||x|| =
                       // 0, as PyTorch
                       const Shape kept = reduced_shape(x.shape(), rd, true);
                       const Tensor yk = keepdim ? y : y.reshape(kept);
                       const Tensor dyk = keepdim ? dy : dy.reshape(kept);
                       const Tensor zero = Tensor::scalar(0.0, yk.dtype());
                       const Tensor is_zero = eq(yk, zero);
                       const Tensor safe = where(is_zero, Tensor::scalar(1.0, yk.dtype()), yk);
                       const Tensor scale = where(is_zero, zero, dyk / pow(safe, p - 1.0));
                       const Tensor local = p == 2.0 ? x : sign(x) * pow(abs(x), p - 1.0);
                       return std::vector<Tensor>{local * scale};
                     });
  }
  return y;
}

// NOTE: NaN wins, as in PyTorch: a NaN anywhere in a line makes its max (and min) NaN, and the
// index is the first NaN's.
ValuesIndices max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along(x, dim, keepdim, "max",
                       [](auto a, auto b) { return a > b || (std::isnan(a) && !std::isnan(b)); });
}

ValuesIndices min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_along(x, dim, keepdim, "min",
                       [](auto a, auto b) { return a < b || (std::isnan(a) && !std::isnan(b)); });
}

namespace {
// max() / min() of all elements. NOTE: unlike the per-dim reductions, the gradient is split
// evenly among tied extremes, as PyTorch 1.13 does for the full reduction.
Tensor extreme_all(const Tensor& x, bool is_max, const char* op) {
  CNNLAB_CHECK(x.numel() > 0, ShapeError, op, ": expected a non-empty tensor, got shape ",
               x.shape());
  const Tensor flat = x.detach().reshape({-1});
  Tensor y = (is_max ? max(flat, 0) : min(flat, 0)).values;
  if (autograd::needs_grad({x})) {
    autograd::record(op, {x}, y, [x = x.detach(), value = y.detach()](const Tensor& dy) {
      const Tensor tied = eq(x, value);  // 1 at every element equal to the extreme
      return std::vector<Tensor>{tied * (dy / sum(tied))};
    });
  }
  return y;
}
}  // namespace

Tensor max(const Tensor& x) { return extreme_all(x, true, "max"); }
Tensor min(const Tensor& x) { return extreme_all(x, false, "min"); }

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return max(x.detach(), dim, keepdim).indices;
}

}  // namespace cnnlab::ops

namespace cnnlab {
Tensor Tensor::sum() const { return ops::sum(*this); }
Tensor Tensor::sum(const std::vector<int64_t>& dims, bool keepdim) const {
  return ops::sum(*this, dims, keepdim);
}
Tensor Tensor::mean() const { return ops::mean(*this); }
Tensor Tensor::mean(const std::vector<int64_t>& dims, bool keepdim) const {
  return ops::mean(*this, dims, keepdim);
}
}  // namespace cnnlab
