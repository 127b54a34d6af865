// Data-movement ops. Each copies through an (outer, dim, inner) decomposition of the shapes, so
// the loops stay plain; backward is the inverse movement.
#include "cnnlab/ops/shape_ops.hpp"

#include <cstring>
#include <numeric>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "kernels/elementwise.hpp"

namespace cnnlab::ops {
namespace {

int64_t wrap_dim(int64_t d, int64_t rank, const char* op) {
  CNNLAB_CHECK(d >= -rank && d < rank, ShapeError, op, ": dim ", d,
               " is out of range for a tensor of rank ", rank);
  return d < 0 ? d + rank : d;
}

// Product of dims [from, to).
int64_t span(const Shape& s, int64_t from, int64_t to) {
  int64_t n = 1;
  for (int64_t i = from; i < to; ++i) n *= s[static_cast<size_t>(i)];
  return n;
}

// Copies rows of `inner` elements between (outer, n_src, inner) and (outer, n_dst, inner) blocks:
// src rows [src_start, src_start + len) go to dst rows [dst_start, ...). Adds when accumulate.
void copy_rows(const Tensor& dst, int64_t n_dst, int64_t dst_start, const Tensor& src,
               int64_t n_src, int64_t src_start, int64_t len, int64_t outer, int64_t inner,
               bool accumulate) {
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      T* dp = d + (o * n_dst + dst_start) * inner;
      const T* sp = s + (o * n_src + src_start) * inner;
      if (accumulate) {
        for (int64_t i = 0; i < len * inner; ++i) dp[i] += sp[i];
      } else {
        std::memcpy(dp, sp, static_cast<size_t>(len * inner) * sizeof(T));
      }
    }
  });
}

void check_index(const Tensor& index, const char* op) {
  CNNLAB_CHECK(index.dtype() == Dtype::kInt64, ValueError, op,
               ": expected an int64 index tensor, got ", index.dtype());
}

}  // namespace

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  CNNLAB_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), ShapeError, "permute: expected ",
               x.dim(), " dims for shape ", x.shape(), ", got ", dims.size());
  std::vector<int64_t> perm(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    perm[i] = wrap_dim(dims[i], x.dim(), "permute");
    CNNLAB_CHECK(!seen[static_cast<size_t>(perm[i])], ShapeError,
                 "permute: dims must be a permutation, got a repeated dim ", dims[i]);
    seen[static_cast<size_t>(perm[i])] = true;
  }
  Shape out_shape;
  const std::vector<int64_t> in_strides = x.shape().strides();
  kernels::BroadcastGeometry g;
  g.strides.resize(1);
  for (int64_t p : perm) {
    out_shape.push_back(x.shape()[static_cast<size_t>(p)]);
    g.strides[0].push_back(in_strides[static_cast<size_t>(p)]);
  }
  g.out_dims = out_shape.dims();
  Tensor y = Tensor::empty(out_shape, x.dtype());
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* yp = y.data<T>();
    const T* xp = x.data<T>();
    kernels::for_each_broadcast<1>(g, [&](int64_t o, const int64_t* off) { yp[o] = xp[off[0]]; });
  });
  if (autograd::needs_grad({x})) {
    std::vector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i)
      inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    autograd::record("permute", {x}, y, [inverse](const Tensor& dy) {
      return std::vector<Tensor>{permute(dy, inverse)};
    });
  }
  return y;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  std::vector<int64_t> perm(static_cast<size_t>(x.dim()));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<size_t>(wrap_dim(dim0, x.dim(), "transpose"))],
            perm[static_cast<size_t>(wrap_dim(dim1, x.dim(), "transpose"))]);
  return permute(x, perm);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  const int64_t d = wrap_dim(dim, x.dim(), "narrow");
  const int64_t n = x.shape()[static_cast<size_t>(d)];
  CNNLAB_CHECK(start >= 0 && length >= 0 && start + length <= n, ShapeError, "narrow: range [",
               start, ", ", start + length, ") is outside dim ", d, " of shape ", x.shape());
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(d)] = length;
  const int64_t outer = span(x.shape(), 0, d), inner = span(x.shape(), d + 1, x.dim());
  Tensor y;
  if (d == 0) {  // rows of dim 0 are contiguous: share the storage
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = x.impl_ptr()->storage;
    impl->offset = x.impl_ptr()->offset + start * inner;
    impl->shape = out_shape;
    impl->dtype = x.dtype();
    y = Tensor(impl);
  } else {
    y = Tensor::empty(out_shape, x.dtype());
    copy_rows(y, length, 0, x, n, start, length, outer, inner, false);
  }
  if (autograd::needs_grad({x})) {
    autograd::record("narrow", {x}, y,
                     [in_shape = x.shape(), n, start, length, outer, inner](const Tensor& dy) {
                       Tensor dx = Tensor::zeros(in_shape, dy.dtype());
                       copy_rows(dx, n, start, dy, length, 0, length, outer, inner, false);
                       return std::vector<Tensor>{dx};
                     });
  }
  return y;
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  CNNLAB_CHECK(!tensors.empty(), ShapeError, "cat: expected at least one tensor, got none");
  const Tensor& first = tensors[0];
  const int64_t d = wrap_dim(dim, first.dim(), "cat");
  int64_t total = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const Tensor& t = tensors[k];
    CNNLAB_CHECK(t.dtype() == first.dtype(), ValueError, "cat: tensor ", k, " is ", t.dtype(),
                 " but tensor 0 is ", first.dtype());
    bool same = t.dim() == first.dim();
    for (int64_t i = 0; same && i < t.dim(); ++i) {
      same = i == d || t.shape()[static_cast<size_t>(i)] == first.shape()[static_cast<size_t>(i)];
    }
    CNNLAB_CHECK(same, ShapeError, "cat: tensor ", k, " has shape ", t.shape(),
                 " but tensor 0 has shape ", first.shape(), "; all dims except dim ", d,
                 " must match");
    total += t.shape()[static_cast<size_t>(d)];
  }
  Shape out_shape = first.shape();
  out_shape[static_cast<size_t>(d)] = total;
  const int64_t outer = span(first.shape(), 0, d), inner = span(first.shape(), d + 1, first.dim());
  Tensor y = Tensor::empty(out_shape, first.dtype());
  std::vector<int64_t> sizes;
  int64_t at = 0;
  for (const Tensor& t : tensors) {
    const int64_t len = t.shape()[static_cast<size_t>(d)];
    copy_rows(y, total, at, t, len, 0, len, outer, inner, false);
    sizes.push_back(len);
    at += len;
  }
  if (autograd::needs_grad(tensors)) {
    autograd::record("cat", tensors, y, [sizes, d](const Tensor& dy) {
      std::vector<Tensor> dxs;
      int64_t start = 0;
      for (int64_t len : sizes) {
        dxs.push_back(narrow(dy, d, start, len).clone());
        start += len;
      }
      return dxs;
    });
  }
  if (autograd::is_tracing()) autograd::trace_op("cat", tensors, y, {{"dim", d}});
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  CNNLAB_CHECK(!tensors.empty(), ShapeError, "stack: expected at least one tensor, got none");
  std::vector<Tensor> expanded;
  for (const Tensor& t : tensors) {
    CNNLAB_CHECK(t.shape() == tensors[0].shape(), ShapeError,
                 "stack: expected tensors of one shape, got ", tensors[0].shape(), " and ",
                 t.shape());
    expanded.push_back(t.unsqueeze(dim));
  }
  return cat(expanded, dim < 0 ? dim + tensors[0].dim() + 1 : dim);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  CNNLAB_CHECK(split_size > 0, ValueError, "split: expected split_size > 0, got ", split_size);
  const int64_t d = wrap_dim(dim, x.dim(), "split");
  const int64_t n = x.shape()[static_cast<size_t>(d)];
  std::vector<Tensor> parts;
  for (int64_t start = 0; start < n; start += split_size) {
    parts.push_back(narrow(x, d, start, std::min(split_size, n - start)));
  }
  return parts;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  check_index(index, "index_select");
  CNNLAB_CHECK(index.dim() == 1, ShapeError, "index_select: expected a 1-D index, got shape ",
               index.shape());
  const int64_t d = wrap_dim(dim, x.dim(), "index_select");
  const int64_t n = x.shape()[static_cast<size_t>(d)];
  const int64_t* ix = index.data<int64_t>();
  for (int64_t k = 0; k < index.numel(); ++k) {
    CNNLAB_CHECK(ix[k] >= 0 && ix[k] < n, ShapeError, "index_select: index ", ix[k],
                 " is out of range for dim ", d, " of size ", n, " (shape ", x.shape(), ")");
  }
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(d)] = index.numel();
  const int64_t outer = span(x.shape(), 0, d), inner = span(x.shape(), d + 1, x.dim());
  Tensor y = Tensor::empty(out_shape, x.dtype());
  for (int64_t k = 0; k < index.numel(); ++k) {
    copy_rows(y, index.numel(), k, x, n, ix[k], 1, outer, inner, false);
  }
  if (autograd::needs_grad({x})) {
    autograd::record(
        "index_select", {x}, y, [index, in_shape = x.shape(), n, outer, inner](const Tensor& dy) {
          Tensor dx = Tensor::zeros(in_shape, dy.dtype());
          const int64_t* ixp = index.data<int64_t>();
          for (int64_t k = 0; k < index.numel(); ++k) {
            copy_rows(dx, n, ixp[k], dy, index.numel(), k, 1, outer, inner, true);  // index_add
          }
          return std::vector<Tensor>{dx};
        });
  }
  return y;
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  check_index(index, "gather");
  CNNLAB_CHECK(index.dim() == x.dim(), ShapeError, "gather: index has rank ", index.dim(),
               " (shape ", index.shape(), ") but input has rank ", x.dim(), " (shape ", x.shape(),
               ")");
  const int64_t d = wrap_dim(dim, x.dim(), "gather");
  for (int64_t i = 0; i < x.dim(); ++i) {
    CNNLAB_CHECK(
        i == d || index.shape()[static_cast<size_t>(i)] <= x.shape()[static_cast<size_t>(i)],
        ShapeError, "gather: index shape ", index.shape(), " exceeds input shape ", x.shape(),
        " in dim ", i);
  }
  const int64_t n = x.shape()[static_cast<size_t>(d)];
  // offsets: element j of index -> flat position in x
  std::vector<int64_t> in_strides = x.shape().strides();
  kernels::BroadcastGeometry g{index.shape().dims(), {in_strides}};
  g.strides[0][static_cast<size_t>(d)] = 0;  // the dim is addressed by the index value
  const int64_t stride_d = in_strides[static_cast<size_t>(d)];
  std::vector<int64_t> where(static_cast<size_t>(index.numel()));
  const int64_t* ix = index.data<int64_t>();
  kernels::for_each_broadcast<1>(g, [&](int64_t j, const int64_t* off) {
    CNNLAB_CHECK(ix[j] >= 0 && ix[j] < n, ShapeError, "gather: index ", ix[j],
                 " is out of range for dim ", d, " of size ", n, " (shape ", x.shape(), ")");
    where[static_cast<size_t>(j)] = off[0] + ix[j] * stride_d;
  });
  Tensor y = Tensor::empty(index.shape(), x.dtype());
  dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    for (size_t j = 0; j < where.size(); ++j) yp[j] = xp[where[j]];
  });
  if (autograd::needs_grad({x})) {
    autograd::record("gather", {x}, y,
                     [where = std::move(where), in_shape = x.shape()](const Tensor& dy) {
                       Tensor dx = Tensor::zeros(in_shape, dy.dtype());
                       dispatch_float(dy.dtype(), "gather", [&](auto tag) {
                         using T = decltype(tag);
                         const T* grad = dy.data<T>();
                         T* out = dx.data<T>();
                         for (size_t j = 0; j < where.size(); ++j)
                           out[where[j]] += grad[j];  // scatter_add
                       });
                       return std::vector<Tensor>{dx};
                     });
  }
  return y;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, Dtype dtype) {
  check_index(labels, "one_hot");
  CNNLAB_CHECK(num_classes > 0, ValueError, "one_hot: expected num_classes > 0, got ", num_classes);
  Shape out_shape = labels.shape();
  out_shape.push_back(num_classes);
  Tensor y = Tensor::zeros(out_shape, dtype);
  const int64_t* lp = labels.data<int64_t>();
  dispatch_float(dtype, "one_hot", [&](auto tag) {
    using T = decltype(tag);
    T* yp = y.data<T>();
    for (int64_t i = 0; i < labels.numel(); ++i) {
      CNNLAB_CHECK(lp[i] >= 0 && lp[i] < num_classes, ValueError, "one_hot: label ", lp[i],
                   " at position ", i, " is outside [0, ", num_classes, ")");
      yp[i * num_classes + lp[i]] = T(1);
    }
  });
  return y;
}

Tensor to_dtype(const Tensor& x, Dtype dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = Tensor::empty(x.shape(), dtype);
  dispatch_all(x.dtype(), [&](auto src_tag) {
    using S = decltype(src_tag);
    dispatch_all(dtype, [&](auto dst_tag) {
      using D = decltype(dst_tag);
      const S* s = x.data<S>();
      D* d = y.data<D>();
      for (int64_t i = 0; i < x.numel(); ++i) d[i] = static_cast<D>(s[i]);
    });
  });
  if (is_floating(dtype) && autograd::needs_grad({x})) {
    autograd::record("to", {x}, y, [src = x.dtype()](const Tensor& dy) {
      return std::vector<Tensor>{to_dtype(dy, src)};
    });
  }
  return y;
}

}  // namespace cnnlab::ops

namespace cnnlab {
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  return ops::narrow(*this, dim, start, length);
}
Tensor Tensor::to(Dtype dtype) const { return ops::to_dtype(*this, dtype); }
Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  return ops::transpose(*this, dim0, dim1);
}
}  // namespace cnnlab
