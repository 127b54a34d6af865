// Tensor: a handle to a dense, row-major, n-dimensional array with autograd metadata.
//
// Memory model. A Tensor shares a TensorImpl; the impl holds a Storage (64-byte aligned, from the
// caching allocator), an element offset into it, a Shape and a Dtype. Every tensor is contiguous
// in row-major order: views (reshape, flatten, narrow along dim 0) share storage; transpose and
// permute copy. Kernels therefore see plain pointers plus a geometry struct.
//
// Layout boundary. `layout()` says how the elements are arranged. Today every tensor is
// Layout::kStrided (plain NCHW). The fast backend may store activations in a blocked layout
// (oneDNN's nChw8c) between its own kernels; such a tensor keeps its logical Shape, and data<T>()
// refuses it, so code that reads raw elements must first call to_strided(). Ops, modules and
// models never see the difference: they pass Tensors to ops, and each op either consumes the
// layout its kernel wants or converts.
//
// Autograd. A tensor that requires grad either is a leaf (parameters, input images: its gradient
// accumulates into grad()) or was produced by an op while grad mode was on (grad_fn() is the node
// that will propagate its gradient). See cnnlab/autograd/node.hpp for the contract.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cnnlab/core/check.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/tensor/dtype.hpp"
#include "cnnlab/tensor/shape.hpp"
#include "cnnlab/tensor/storage.hpp"

namespace cnnlab {

namespace autograd {
class Node;
}

/// How elements are arranged in memory; see the file comment.
enum class Layout { kStrided };

class Tensor;
/// A backward hook on a tensor: receives the gradient with respect to that tensor and returns
/// either a replacement or an undefined Tensor to keep it unchanged.
using TensorHook = std::function<Tensor(const Tensor& grad)>;

/// Shared state behind Tensor handles. Users work with Tensor; ops and the engine use this.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  ///< in elements
  Shape shape;
  Dtype dtype = Dtype::kFloat32;
  Layout layout = Layout::kStrided;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;         ///< accumulated gradient (leaves)
  std::shared_ptr<autograd::Node> grad_fn;  ///< producer node (non-leaves)
  std::vector<TensorHook> hooks;            ///< backward hooks of a leaf
};

/// Options of Tensor::backward.
struct BackwardOptions {
  bool retain_graph = false;  ///< keep the graph's saved tensors so backward can run again
};

class Tensor {
 public:
  /// An undefined tensor (no storage). Used for "no gradient" and absent bias.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation -------------------------------------------------------------------------
  /// Uninitialised memory. With the environment variable CNNLAB_POISON_EMPTY=1 (set for every
  /// test) it is filled with NaN (int64: a large sentinel) so that an element a kernel forgets to
  /// write shows up in tests.
  static Tensor empty(const Shape& shape, Dtype dtype = Dtype::kFloat32);
  static Tensor zeros(const Shape& shape, Dtype dtype = Dtype::kFloat32);
  static Tensor ones(const Shape& shape, Dtype dtype = Dtype::kFloat32);
  static Tensor full(const Shape& shape, double value, Dtype dtype = Dtype::kFloat32);
  /// [start, start + step, ...) up to but excluding end, as torch.arange.
  static Tensor arange(double start, double end, double step = 1.0, Dtype dtype = Dtype::kFloat32);
  /// Uniform in [lo, hi), drawn from rng in row-major order.
  static Tensor uniform(const Shape& shape, double lo, double hi, Rng& rng,
                        Dtype dtype = Dtype::kFloat32);
  /// Normal(mean, stddev), drawn from rng in row-major order.
  static Tensor normal(const Shape& shape, double mean, double stddev, Rng& rng,
                       Dtype dtype = Dtype::kFloat32);
  /// Copies values (row-major) into a new tensor; throws ShapeError if the count differs.
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape,
                            Dtype dtype = Dtype::kFloat32);
  /// Copies int64 values (labels, indices) into a new int64 tensor. A separate name, so that
  /// from_vector({0.5, 1.0}, shape) is never ambiguous.
  static Tensor from_int64(const std::vector<int64_t>& values, const Shape& shape);
  static Tensor scalar(double value, Dtype dtype = Dtype::kFloat32) {
    return full({}, value, dtype);
  }
  static Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }

  // ---- metadata --------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  int64_t dim() const { return shape().rank(); }
  /// Size of dimension d; negative d counts from the end.
  int64_t size(int64_t d) const;
  int64_t numel() const { return shape().numel(); }
  Dtype dtype() const { return impl().dtype; }
  Layout layout() const { return impl().layout; }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True when both handles share one TensorImpl.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- element access --------------------------------------------------------------------
  /// Typed pointer to the first element; throws ValueError if T is not the dtype.
  template <typename T>
  T* data() const {
    CNNLAB_CHECK(dtype_of<T>() == dtype(), ValueError, "Tensor::data: tensor is ", dtype(),
                 ", asked for ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(raw_data());
  }
  void* raw_data() const;
  /// The single element of a one-element tensor, as double.
  double item() const;
  /// Element at a multi-index, as double (slow; for tests and printing).
  double at(const std::vector<int64_t>& index) const;
  /// All elements as doubles, row-major (for tests and I/O).
  std::vector<double> to_vector() const;

  // ---- copies and conversions ------------------------------------------------------------
  /// A copy with its own storage, outside the graph (no grad_fn, requires_grad false).
  Tensor clone() const;
  /// Differentiable dtype conversion (float32 <-> float64); returns *this if already `dtype`.
  Tensor to(Dtype dtype) const;
  /// Same data, cut from the graph: no grad_fn, requires_grad false.
  Tensor detach() const;
  /// Copies src's values into this tensor's storage in place (same numel and dtype); not
  /// recorded. const like PyTorch's: the handle is const, the elements are not.
  void copy_(const Tensor& src) const;
  /// Sets every element to value in place; not recorded.
  void fill_(double value) const;
  /// Returns a kStrided tensor with the same values (itself when already strided).
  Tensor to_strided() const { return *this; }

  // ---- views (share storage; differentiable) --------------------------------------------------
  /// Same elements, new shape; one dim may be -1. Throws ShapeError if numel differs.
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const { return reshape(shape); }
  /// Merges dims start_dim..end_dim into one (torch.flatten).
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  /// Elements [start, start + length) along dim. NOTE: along dim 0 (a batch slice) the result
  /// shares storage with this tensor, so in-place writes show through; along any other dim it
  /// is a copy (cnnlab tensors are always contiguous).
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;

  // ---- autograd ----------------------------------------------------------------------------
  bool requires_grad() const { return impl().requires_grad; }
  /// Marks a leaf as needing a gradient. Throws StateError on a non-leaf.
  Tensor& set_requires_grad(bool on = true);
  /// The accumulated gradient of a leaf (undefined until a backward pass reaches it).
  Tensor grad() const;
  /// Replaces the accumulated gradient (used by optimizers and tests).
  void set_grad(const Tensor& grad);
  /// Drops the accumulated gradient (as PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  const std::shared_ptr<autograd::Node>& grad_fn() const { return impl().grad_fn; }
  /// Back-propagates from this one-element tensor (d self / d self = 1).
  void backward(const BackwardOptions& options = {}) const;
  /// Back-propagates grad_output (same shape as this tensor).
  void backward(const Tensor& grad_output, const BackwardOptions& options = {}) const;
  /// Registers a hook called with this tensor's gradient during backward; it may return a
  /// replacement gradient (same shape) or an undefined Tensor to leave it as is.
  void register_hook(TensorHook hook) const;

  // ---- math (differentiable; implemented in src/ops/) ----------------------------------------
  Tensor sum() const;
  Tensor sum(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor abs() const;
  Tensor pow(double exponent) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const { return transpose(0, 1); }

  /// Pretty-prints like PyTorch: tensor([[1., 2.], [3., 4.]], dtype=float64).
  std::string str() const;

 private:
  TensorImpl& impl() const {
    CNNLAB_CHECK(impl_ != nullptr, StateError, "Tensor: operation on an undefined tensor");
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);

}  // namespace cnnlab
