// Tensor: creation, metadata, element access, copies, views and the autograd entry points.
// The differentiable math methods (sum, exp, transpose, ...) live with their ops in src/ops/.
#include "cnnlab/tensor/tensor.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string_view>

#include "cnnlab/autograd/engine.hpp"
#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"

namespace cnnlab {
namespace {

int64_t normalize_dim(int64_t d, int64_t rank, const char* op) {
  const int64_t r = rank == 0 ? 1 : rank;
  CNNLAB_CHECK(d >= -r && d < r, ShapeError, op, ": dim ", d,
               " is out of range for a tensor of rank ", rank);
  return d < 0 ? d + r : d;
}

// A tensor over `base`'s storage (shared) with a new shape and offset.
Tensor alias(const Tensor& base, Shape shape, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl_ptr()->storage;
  impl->offset = base.impl_ptr()->offset + offset;
  impl->shape = std::move(shape);
  impl->dtype = base.dtype();
  return Tensor(impl);
}

}  // namespace

int64_t Shape::checked_numel(const char* op) const {
  constexpr int64_t kMaxElements = int64_t{1} << 48;
  int64_t n = 1;
  for (int64_t d : dims_) {
    CNNLAB_CHECK(d >= 0, ShapeError, op, ": expected non-negative dims, got ", *this);
    CNNLAB_CHECK(d == 0 || n <= kMaxElements / d, ShapeError, op, ": shape ", *this,
                 " has more than 2^48 elements");
    n *= d;
  }
  return n;
}

namespace {

// NOTE: read once. The test suites run with CNNLAB_POISON_EMPTY=1 (tests/CMakeLists.txt) so that
// an element a kernel forgets to write is NaN and fails the test that reads it; programs skip the
// fill, which costs a pass over every new tensor.
bool poison_empty() {
  static const bool on = [] {
    const char* env = std::getenv("CNNLAB_POISON_EMPTY");
    return env != nullptr && env[0] != '\0' && std::string_view(env) != "0";
  }();
  return on;
}

Tensor allocate(const Shape& shape, Dtype dtype) {
  shape.checked_numel("Tensor::empty");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(static_cast<size_t>(shape.numel() * dtype_size(dtype)));
  impl->shape = shape;
  impl->dtype = dtype;
  return Tensor(impl);
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, Dtype dtype) {
  Tensor t = allocate(shape, dtype);
  if (poison_empty()) {
    if (dtype == Dtype::kInt64) {
      std::fill_n(t.data<int64_t>(), t.numel(), std::numeric_limits<int64_t>::min());
    } else {
      t.fill_(std::numeric_limits<double>::quiet_NaN());
    }
  }
  return t;
}

Tensor Tensor::zeros(const Shape& shape, Dtype dtype) { return full(shape, 0.0, dtype); }
Tensor Tensor::ones(const Shape& shape, Dtype dtype) { return full(shape, 1.0, dtype); }

Tensor Tensor::full(const Shape& shape, double value, Dtype dtype) {
  Tensor t = allocate(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::arange(double start, double end, double step, Dtype dtype) {
  CNNLAB_CHECK(step != 0.0, ValueError, "arange: expected a non-zero step, got 0");
  const double count = std::ceil((end - start) / step);
  CNNLAB_CHECK(std::isfinite(count) && count < 0x1.0p48, ValueError, "arange: [", start, ", ", end,
               ") with step ", step, " has too many elements");
  const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  Tensor t = empty({n}, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, Rng& rng, Dtype dtype) {
  CNNLAB_CHECK(lo <= hi, ValueError, "uniform: expected lo <= hi, got lo=", lo, ", hi=", hi);
  Tensor t = empty(shape, dtype);
  dispatch_float(dtype, "uniform", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(rng.uniform(lo, hi));
  });
  return t;
}

Tensor Tensor::normal(const Shape& shape, double mean, double stddev, Rng& rng, Dtype dtype) {
  CNNLAB_CHECK(stddev >= 0, ValueError, "normal: expected stddev >= 0, got ", stddev);
  Tensor t = empty(shape, dtype);
  dispatch_float(dtype, "normal", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(rng.normal(mean, stddev));
  });
  return t;
}

Tensor Tensor::from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype) {
  CNNLAB_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), ShapeError,
               "from_vector: shape ", shape, " needs ", shape.numel(), " values, got ",
               values.size());
  Tensor t = empty(shape, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}

Tensor Tensor::from_int64(const std::vector<int64_t>& values, const Shape& shape) {
  CNNLAB_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), ShapeError,
               "from_int64: shape ", shape, " needs ", shape.numel(), " values, got ",
               values.size());
  Tensor t = empty(shape, Dtype::kInt64);
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

int64_t Tensor::size(int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }

void* Tensor::raw_data() const {
  const TensorImpl& i = impl();
  CNNLAB_CHECK(i.layout == Layout::kStrided, StateError,
               "Tensor::data: tensor is in a blocked layout; call to_strided() first");
  return static_cast<char*>(i.storage->data()) + i.offset * dtype_size(i.dtype);
}

double Tensor::item() const {
  CNNLAB_CHECK(numel() == 1, ShapeError, "item: expected a one-element tensor, got shape ",
               shape());
  return dispatch_all(dtype(),
                      [&](auto tag) { return static_cast<double>(*data<decltype(tag)>()); });
}

double Tensor::at(const std::vector<int64_t>& index) const {
  CNNLAB_CHECK(static_cast<int64_t>(index.size()) == dim(), ShapeError, "at: expected ", dim(),
               " indices for shape ", shape(), ", got ", index.size());
  const std::vector<int64_t> strides = shape().strides();
  int64_t flat = 0;
  for (size_t i = 0; i < index.size(); ++i) {
    CNNLAB_CHECK(index[i] >= 0 && index[i] < shape()[i], ShapeError, "at: index ", index[i],
                 " out of range for dim ", i, " of shape ", shape());
    flat += index[i] * strides[i];
  }
  return dispatch_all(dtype(),
                      [&](auto tag) { return static_cast<double>(data<decltype(tag)>()[flat]); });
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out(static_cast<size_t>(numel()));
  dispatch_all(dtype(), [&](auto tag) {
    const auto* p = data<decltype(tag)>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
  });
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype());
  std::memcpy(out.raw_data(), raw_data(), static_cast<size_t>(numel() * dtype_size(dtype())));
  return out;
}

Tensor Tensor::detach() const { return alias(*this, shape(), 0); }

void Tensor::copy_(const Tensor& src) const {
  CNNLAB_CHECK(src.numel() == numel() && src.dtype() == dtype(), ShapeError,
               "copy_: expected a source with ", numel(), " ", dtype(), " elements, got ",
               src.shape(), " ", src.dtype());
  std::memmove(raw_data(), src.raw_data(), static_cast<size_t>(numel() * dtype_size(dtype())));
}

void Tensor::fill_(double value) const {
  dispatch_all(dtype(), [&](auto tag) {
    using T = decltype(tag);
    std::fill_n(data<T>(), numel(), static_cast<T>(value));
  });
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  Shape s = new_shape;
  {
    Shape known_dims = s;  // the -1 counted as 1: checks dims >= 0 and catches a wrapping product
    for (size_t i = 0; i < known_dims.size(); ++i) {
      if (known_dims[i] == -1) known_dims[i] = 1;
    }
    known_dims.checked_numel("reshape");
  }
  int64_t known = 1;
  int64_t infer_at = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      CNNLAB_CHECK(infer_at < 0, ShapeError, "reshape: only one dim may be -1, got ", new_shape);
      infer_at = static_cast<int64_t>(i);
    } else {
      known *= s[i];
    }
  }
  if (infer_at >= 0) {
    CNNLAB_CHECK(known > 0 && numel() % known == 0, ShapeError, "reshape: cannot reshape ", shape(),
                 " (", numel(), " elements) to ", new_shape);
    s[static_cast<size_t>(infer_at)] = numel() / known;
  }
  CNNLAB_CHECK(s.numel() == numel(), ShapeError, "reshape: cannot reshape ", shape(), " (", numel(),
               " elements) to ", new_shape, " (", s.numel(), " elements)");
  Tensor out = alias(*this, s, 0);
  if (autograd::needs_grad({*this})) {
    autograd::record("reshape", {*this}, out, [in_shape = shape()](const Tensor& dy) {
      return std::vector<Tensor>{dy.reshape(in_shape)};
    });
  }
  if (autograd::is_tracing())
    autograd::trace_op("reshape", {*this}, out,
                       {{"shape", std::vector<int64_t>(s.begin(), s.end())}});
  return out;
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int64_t s = normalize_dim(start_dim, dim(), "flatten");
  const int64_t e = normalize_dim(end_dim, dim(), "flatten");
  CNNLAB_CHECK(s <= e, ShapeError, "flatten: start_dim ", start_dim, " comes after end_dim ",
               end_dim, " for shape ", shape());
  Shape out;
  int64_t merged = 1;
  for (int64_t i = 0; i < dim(); ++i) {
    if (i < s || i > e) {
      out.push_back(shape()[i]);
    } else {
      merged *= shape()[i];
      if (i == e) out.push_back(merged);
    }
  }
  return reshape(out);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  CNNLAB_CHECK(d >= -(dim() + 1) && d <= dim(), ShapeError, "unsqueeze: dim ", d,
               " out of range for shape ", shape());
  Shape s = shape();
  s.insert(static_cast<size_t>(d < 0 ? d + dim() + 1 : d), 1);
  return reshape(s);
}

Tensor Tensor::squeeze(int64_t d) const {
  const int64_t k = normalize_dim(d, dim(), "squeeze");
  if (dim() == 0 || shape()[k] != 1) return *this;
  Shape s = shape();
  s.erase(static_cast<size_t>(k));
  return reshape(s);
}

Tensor& Tensor::set_requires_grad(bool on) {
  CNNLAB_CHECK(is_leaf(), StateError,
               "set_requires_grad: only leaf tensors can change requires_grad; this one was made "
               "by '",
               grad_fn()->name(), "' (use detach() first)");
  CNNLAB_CHECK(!on || is_floating(dtype()), ValueError,
               "set_requires_grad: only float tensors can require grad, got ", dtype());
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(impl().grad); }

void Tensor::set_grad(const Tensor& grad) {
  if (grad.defined()) {
    CNNLAB_CHECK(grad.shape() == shape() && grad.dtype() == dtype(), ShapeError,
                 "set_grad: expected a gradient of shape ", shape(), " (", dtype(), "), got ",
                 grad.shape(), " (", grad.dtype(), ")");
  }
  impl().grad = grad.impl_ptr();
}

void Tensor::zero_grad() { impl().grad.reset(); }

void Tensor::backward(const BackwardOptions& options) const {
  CNNLAB_CHECK(numel() == 1, ShapeError,
               "backward: a gradient can be implied only for a one-element output, got shape ",
               shape(), "; pass grad_output explicitly");
  autograd::backward(*this, Tensor::ones(shape(), dtype()), options);
}

void Tensor::backward(const Tensor& grad_output, const BackwardOptions& options) const {
  autograd::backward(*this, grad_output, options);
}

void Tensor::register_hook(TensorHook hook) const {
  CNNLAB_CHECK(requires_grad(), StateError,
               "register_hook: the tensor does not require grad, so no gradient will reach it");
  if (is_leaf()) {
    impl().hooks.push_back(std::move(hook));
  } else {
    grad_fn()->output_hooks().push_back(std::move(hook));
  }
}

// ---- printing ------------------------------------------------------------------------------

namespace {
// One element as PyTorch prints it: integers of an int64 tensor plainly; integral floats as
// "3."; other floats with 4 significant digits ("0.1235", "1.235e+05").
void print_element(std::ostream& out, double x, Dtype dtype) {
  if (dtype == Dtype::kInt64) {
    out << static_cast<int64_t>(x);
  } else if (std::isfinite(x) && x == std::floor(x) && std::abs(x) < 1e15) {
    out << std::fixed << std::setprecision(0) << x << '.' << std::defaultfloat;
  } else {
    out << std::setprecision(4) << x;
  }
}

void print_block(std::ostream& out, const Tensor& t, const std::vector<double>& v, int64_t d,
                 int64_t offset, int indent) {
  const int64_t n = t.shape()[static_cast<size_t>(d)];
  const int64_t stride = t.shape().strides()[static_cast<size_t>(d)];
  constexpr int64_t kEdge = 3;  // elements shown at each end of a long dim
  const bool cut = n > 2 * kEdge + 1;
  out << '[';
  for (int64_t i = 0; i < n; ++i) {
    if (cut && i == kEdge) {
      out << "...";
      i = n - kEdge - 1;
      out << (d + 1 == t.dim() ? ", " : ",\n" + std::string(static_cast<size_t>(indent + 1), ' '));
      continue;
    }
    if (d + 1 == t.dim()) {
      print_element(out, v[static_cast<size_t>(offset + i)], t.dtype());
    } else {
      print_block(out, t, v, d + 1, offset + i * stride, indent + 1);
    }
    if (i + 1 < n) {
      out << (d + 1 == t.dim() ? ", " : ",\n" + std::string(static_cast<size_t>(indent + 1), ' '));
    }
  }
  out << ']';
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream out;
  const std::vector<double> v = to_vector();
  out << "tensor(";
  if (dim() == 0) {
    print_element(out, v[0], dtype());
  } else {
    print_block(out, *this, v, 0, 0, 7);
  }
  if (dtype() != Dtype::kFloat32) out << ", dtype=" << dtype();
  if (requires_grad())
    out << (grad_fn() ? ", grad_fn=<" + grad_fn()->name() + ">" : ", requires_grad=True");
  out << ')';
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.str(); }

}  // namespace cnnlab
