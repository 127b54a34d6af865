// Helpers of the PyTorch parity tests: load a fixture written by tests/parity/gen/make_fixtures.py,
// run a cnnlab op on its tensors in float64 and in float32, and compare the output and every
// gradient with PyTorch's float64 values (format and tolerances: tests/parity/README.md).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cnnlab/cnnlab.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab::parity {

/// |actual - expected| <= atol + rtol * |expected| elementwise (expected: PyTorch, float64).
struct Tolerance {
  double rtol = 0.0;
  double atol = 0.0;
};

/// One tolerance per precision of the cnnlab run. The defaults are the targets of every family;
/// a test that needs a looser value says why (and tests/parity/README.md lists it).
struct Tolerances {
  Tolerance f64 = {1e-10, 1e-12};
  Tolerance f32 = {1e-5, 1e-6};
  const Tolerance& at(Dtype dtype) const { return dtype == Dtype::kFloat64 ? f64 : f32; }
};

/// The two precisions every fixture is run in.
inline const std::vector<Dtype>& run_dtypes() {
  static const std::vector<Dtype> dtypes = {Dtype::kFloat64, Dtype::kFloat32};
  return dtypes;
}

/// CNNLAB_FIXTURE_DIR/<name>.safetensors (CNNLAB_FIXTURE_DIR is set by tests/CMakeLists.txt).
inline std::string fixture_path(const std::string& name) {
  return std::string(CNNLAB_FIXTURE_DIR) + "/" + name + ".safetensors";
}

/// Reads one fixture; throws IoError naming the file if it is missing or malformed.
inline io::TensorFile load_fixture(const std::string& name) {
  return io::load_safetensors(fixture_path(name));
}

inline std::string metadata_or(const io::TensorFile& f, const std::string& key,
                               const std::string& fallback) {
  auto it = f.metadata.find(key);
  return it == f.metadata.end() ? fallback : it->second;
}

/// "fixture 'conv2d_s2_p1.safetensors', float32 run: op conv2d, args {...}" for failure reports
/// (used with SCOPED_TRACE so that every failing expectation prints the generator's arguments).
inline std::string describe(const io::TensorFile& f, Dtype dtype) {
  const std::string file = f.path.substr(f.path.find_last_of('/') + 1);
  return "fixture '" + file + "', " + dtype_name(dtype) + " run: op " + metadata_or(f, "op", "?") +
         ", args " + metadata_or(f, "args", "{}");
}

/// A fresh copy of a fixture tensor for one run: floating tensors converted to `dtype`, int64
/// (targets, indices) kept as they are.
inline Tensor converted(const Tensor& t, Dtype dtype) {
  if (t.dtype() == Dtype::kInt64) return t.clone();
  return t.to(dtype).clone();
}

/// The op's arguments by fixture name.
using Inputs = std::map<std::string, Tensor>;

/// The tensor called `name`, or an undefined Tensor (an absent bias or class weight).
inline Tensor optional_input(const Inputs& in, const std::string& name) {
  auto it = in.find(name);
  return it == in.end() ? Tensor() : it->second;
}

/// Copies `names` from the fixture in `dtype`; those also in `leaves` require grad.
inline Inputs make_inputs(const io::TensorFile& f, const std::vector<std::string>& names,
                          const std::vector<std::string>& leaves, Dtype dtype) {
  Inputs in;
  for (const std::string& name : names) in[name] = converted(f.at(name), dtype);
  for (const std::string& name : leaves) {
    auto it = in.find(name);
    if (it == in.end()) it = in.emplace(name, converted(f.at(name), dtype)).first;
    it->second.set_requires_grad(true);
  }
  return in;
}

/// With CNNLAB_PARITY_REPORT set, prints one line per comparison (how the tolerances in
/// tests/parity/README.md were measured): the largest absolute error, the reference's largest
/// magnitude, their ratio, and the fraction of the tolerance used by the worst element.
inline void print_error_report(const Tensor& actual, const io::TensorFile& f,
                               const std::string& name, const Tolerance& tol) {
  const Tensor& expected = f.at(name);
  if (!(actual.shape() == expected.shape())) return;
  const std::vector<double> a = actual.to_vector(), b = expected.to_vector();
  double max_err = 0, max_ref = 0, used = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double err = std::abs(a[i] - b[i]);
    max_err = std::max(max_err, err);
    max_ref = std::max(max_ref, std::abs(b[i]));
    used = std::max(used, err / (tol.atol + tol.rtol * std::abs(b[i])));
  }
  std::printf("PARITY %s %s %s max_abs_err %.3g max_ref %.3g scaled_err %.3g used_of_tol %.3g\n",
              f.path.substr(f.path.find_last_of('/') + 1).c_str(), dtype_name(actual.dtype()),
              name.c_str(), max_err, max_ref, max_ref > 0 ? max_err / max_ref : max_err, used);
}

/// Compares `actual` (any dtype) with the fixture tensor `name`, naming it on failure.
inline void expect_matches(const Tensor& actual, const io::TensorFile& f, const std::string& name,
                           const Tolerance& tol) {
  if (!actual.defined()) {
    ADD_FAILURE() << "'" << name << "' is undefined (no output or no gradient)";
    return;
  }
  const Tensor& expected = f.at(name);
  EXPECT_TENSOR_NEAR(actual, expected, tol.rtol, tol.atol) << "comparing '" << name << "'";
  if (std::getenv("CNNLAB_PARITY_REPORT") != nullptr) print_error_report(actual, f, name, tol);
}

using OpFn = std::function<Tensor(const Inputs&)>;

/// One parity case: which fixture tensors the op takes, which of them get gradients, the op.
struct OpCase {
  std::string fixture;
  std::vector<std::string> inputs;  ///< passed to op (floating ones in the run's dtype)
  std::vector<std::string> grads;   ///< inputs that require grad; "d" + name is compared
  OpFn op;
  Tolerances tol = {};
  /// Inputs the op updates in place, compared after the forward pass with a fixture tensor
  /// (batch norm's running statistics: {"running_mean", "running_mean_after"}).
  std::vector<std::pair<std::string, std::string>> updated_inputs = {};
};

/// Runs the case in float64 and float32: output "y" (dtype checked too), then backward with the
/// fixture's upstream gradient "dy" and every "d<input>"; every failure prints the fixture's args.
inline void check_op(const OpCase& c) {
  const io::TensorFile f = load_fixture(c.fixture);
  for (Dtype dtype : run_dtypes()) {
    SCOPED_TRACE(describe(f, dtype));
    const Tolerance& tol = c.tol.at(dtype);
    const Inputs in = make_inputs(f, c.inputs, c.grads, dtype);
    const Tensor y = c.op(in);
    ASSERT_TRUE(y.defined()) << "the op returned an undefined tensor";
    EXPECT_EQ(y.dtype(), dtype);
    expect_matches(y, f, "y", tol);
    for (const auto& [input, reference] : c.updated_inputs) {
      expect_matches(in.at(input), f, reference, tol);
    }
    if (c.grads.empty()) continue;
    y.backward(converted(f.at("dy"), dtype));
    for (const std::string& name : c.grads) {
      const Tensor grad = in.at(name).grad();
      if (grad.defined()) {
        EXPECT_EQ(grad.dtype(), dtype) << "gradient of '" << name << "'";
      }
      expect_matches(grad, f, "d" + name, tol);
    }
  }
}

}  // namespace cnnlab::parity
