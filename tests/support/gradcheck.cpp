// Implementation of the generic gradient checker; see gradcheck.hpp.
#include "support/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

namespace cnnlab::testing {
namespace {

std::string multi_index(const Shape& s, int64_t flat) {
  std::vector<int64_t> idx(s.size());
  for (size_t d = s.size(); d-- > 0;) {
    idx[d] = flat % s[d];
    flat /= s[d];
  }
  std::string out = "(";
  for (size_t d = 0; d < idx.size(); ++d) out += (d ? ", " : "") + std::to_string(idx[d]);
  return out + ")";
}

double project(const Tensor& y, const Tensor& r) {
  const double* a = y.data<double>();
  const double* b = r.data<double>();
  double s = 0;
  for (int64_t i = 0; i < y.numel(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

GradcheckResult gradcheck(const OpFn& op, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  std::vector<size_t> checked = options.check_inputs;
  if (checked.empty()) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].defined() && inputs[i].dtype() == Dtype::kFloat64) checked.push_back(i);
    }
  }
  // Leaves of our own, so the caller's tensors are untouched.
  std::vector<Tensor> x;
  for (const Tensor& t : inputs) x.push_back(t.defined() ? t.clone() : t);
  for (size_t i : checked) x[i].set_requires_grad(true);

  GradcheckResult result;
  std::ostringstream report;
  Tensor y = op(x);
  if (y.dtype() != Dtype::kFloat64) {
    result.ok = false;
    result.report = "gradcheck: the op must return float64 for float64 inputs";
    return result;
  }
  Rng rng(options.seed);
  const Tensor r = Tensor::uniform(y.shape(), -1.0, 1.0, rng, Dtype::kFloat64);
  (y * r).sum().backward();

  std::vector<Tensor> analytic;
  for (size_t i : checked) {
    const Tensor g = x[i].grad();
    if (!g.defined()) {
      report << "input " << i << ": backward produced no gradient\n";
      result.ok = false;
      analytic.push_back(Tensor::zeros(x[i].shape(), Dtype::kFloat64));
    } else {
      analytic.push_back(g.clone());
    }
  }

  NoGradGuard no_grad;
  for (size_t k = 0; k < checked.size(); ++k) {
    Tensor& xi = x[checked[k]];
    double* p = xi.data<double>();
    const double* a = analytic[k].data<double>();
    int shown = 0;
    for (int64_t j = 0; j < xi.numel(); ++j) {
      const double saved = p[j];
      p[j] = saved + options.eps;
      const double f_plus = project(op(x), r);
      p[j] = saved - options.eps;
      const double f_minus = project(op(x), r);
      p[j] = saved;
      const double numeric = (f_plus - f_minus) / (2 * options.eps);
      const double tol =
          options.rtol * std::max({std::abs(a[j]), std::abs(numeric), 1.0}) + options.atol;
      if (!(std::abs(a[j] - numeric) <= tol)) {  // also catches NaN
        result.ok = false;
        if (shown++ < 10) {
          report << "input " << checked[k] << " " << xi.shape() << " flat " << j << " at "
                 << multi_index(xi.shape(), j) << ": analytic " << a[j] << ", numeric " << numeric
                 << ", |diff| " << std::abs(a[j] - numeric) << " > tol " << tol << "\n";
        }
      }
    }
  }

  // Accumulation: a second backward adds the same gradient again. Exact up to the rounding of
  // the summation order when an input reaches the output along several paths (var uses x twice).
  {
    EnableGradGuard grad_on;
    (op(x) * r).sum().backward();
  }
  for (size_t k = 0; k < checked.size(); ++k) {
    const Tensor g = x[checked[k]].grad();
    if (!g.defined()) continue;
    const double* twice = g.data<double>();
    const double* once = analytic[k].data<double>();
    for (int64_t j = 0; j < g.numel(); ++j) {
      if (!(std::abs(twice[j] - 2 * once[j]) <= 1e-12 * std::max(1.0, std::abs(once[j])))) {
        result.ok = false;
        report << "input " << checked[k] << ": backward does not accumulate: after two passes "
               << twice[j] << " != 2 * " << once[j] << " at flat " << j << "\n";
        break;
      }
    }
  }
  result.report = report.str();
  return result;
}

Tensor distinct_uniform(const Shape& shape, Rng& rng, Dtype dtype) {
  const int64_t n = shape.numel();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(order[static_cast<size_t>(i)], order[rng.below(static_cast<uint64_t>(i + 1))]);
  }
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    v[static_cast<size_t>(i)] =
        -1.0 +
        (2.0 * static_cast<double>(order[static_cast<size_t>(i)]) + 1.0) / static_cast<double>(n);
  }
  return Tensor::from_vector(v, shape, dtype);
}

Tensor away_from_zero(const Shape& shape, Rng& rng, double margin, Dtype dtype) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (double& e : v) {
    const double m = rng.uniform(margin, 1.0);
    e = rng.bernoulli(0.5) ? m : -m;
  }
  return Tensor::from_vector(v, shape, dtype);
}

}  // namespace cnnlab::testing
