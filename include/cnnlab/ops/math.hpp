// Elementwise math with NumPy/PyTorch broadcasting, all differentiable.
//
// Broadcasting: shapes are aligned at their last dims; each pair of dims must be equal or one of
// them 1 (missing leading dims count as 1). The gradient of a broadcast input is summed back to
// its shape. Masks (comparisons) are tensors of 0 and 1 in the input's dtype; where() treats any
// non-zero as true. They carry no gradient.
#pragma once

#include <optional>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::ops {

/// The shape two shapes broadcast to; throws ShapeError naming `op` if they cannot.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Sums `t` over its broadcast dims so that the result has `shape` (the inverse of broadcasting).
Tensor sum_to(const Tensor& t, const Shape& shape);

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
/// Natural log; gives -inf at 0 and NaN below, as PyTorch does.
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
/// x ** exponent. NOTE: the gradient exponent * x^(exponent-1) is inf at x = 0 for exponent < 1.
Tensor pow(const Tensor& x, double exponent);
/// |x|. NOTE: the gradient at 0 is 0 (sign(0) = 0), as in PyTorch.
Tensor abs(const Tensor& x);
/// -1, 0 or 1; gradient zero everywhere.
Tensor sign(const Tensor& x);
/// Clamps into [min, max] (either bound may be absent). NOTE: the gradient passes where
/// min <= x <= max, bounds included, as in PyTorch.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);

// Comparisons: 1 where the relation holds, else 0 (dtype of a). Not differentiable.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);

/// Elementwise condition != 0 ? a : b, broadcasting all three. Differentiable in a and b.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

}  // namespace cnnlab::ops

namespace cnnlab {
// Operators on tensors and scalars (the scalar becomes a 0-d tensor of the tensor's dtype).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
}  // namespace cnnlab
