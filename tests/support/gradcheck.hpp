// The generic float64 gradient checker that every op's gradcheck test uses (STYLE.md 4.5):
//   f(x_1..x_k) = <r, op(x_1..x_k)> with a fixed random r, one backward pass for the analytic
//   gradients, central differences for the numeric ones, Caffe's tolerance
//   |a - n| <= rtol * max(|a|, |n|, 1) + atol, and an accumulation check (a second backward adds
//   the same gradient again, to 1e-12). Fresh memory is NaN-poisoned in test builds, so an element
//   a backward kernel forgets to write fails the check.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cnnlab/cnnlab.hpp"

namespace cnnlab::testing {

struct GradcheckOptions {
  double eps = 1e-6;
  double rtol = 1e-6;
  double atol = 1e-9;
  uint64_t seed = 4242;  ///< seed of the projection r
  /// Indices of inputs to check; empty = every float64 input. Others (labels) are passed as is.
  std::vector<size_t> check_inputs = {};
};

struct GradcheckResult {
  bool ok = true;
  std::string report;  ///< every mismatch: input, flat and multi-index, both values, error
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Checks op's gradients with respect to its float64 inputs at the given point.
GradcheckResult gradcheck(const OpFn& op, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

/// Uniform values in [-1, 1) whose pairwise distances are at least ~1/(2 numel): no ties, so
/// max pooling is differentiable at the sample. A random permutation of an even grid.
Tensor distinct_uniform(const Shape& shape, Rng& rng, Dtype dtype = Dtype::kFloat64);

/// Uniform in [-1, 1) with every |value| >= margin: keeps ReLU-like kinks away from the sample.
Tensor away_from_zero(const Shape& shape, Rng& rng, double margin = 0.1,
                      Dtype dtype = Dtype::kFloat64);

}  // namespace cnnlab::testing
