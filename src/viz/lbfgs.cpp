// viz::minimize_lbfgsb (include/cnnlab/viz/lbfgs.hpp) over LBFGSpp's LBFGSBSolver.
// NOTE: why LBFGSpp and not Nocedal's Fortran L-BFGS-B (liblbfgsb-dev): Debian bookworm's
// liblbfgspp-dev 0.1.0 already ships the bounded solver (LBFGSB.h), is header-only on Eigen (which
// viz/ uses anyway) and needs no Fortran runtime or hand-written Fortran calling convention; both
// keep the pixels in [0, 1], which is what the bound is for.
#include "cnnlab/viz/lbfgs.hpp"

#include <LBFGSB.h>

// NOTE: GCC 12 reports false -Wmaybe-uninitialized warnings inside Eigen's AVX-512 kernels (at
// the intrinsics' lines, where no push/pop can reach them); silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

#include "cnnlab/core/check.hpp"

namespace cnnlab::viz {
namespace {

// Thrown by the objective wrapper when the evaluation cap is reached, to leave the solver.
struct EvaluationCapReached {};

}  // namespace

LbfgsResult minimize_lbfgsb(const LbfgsObjective& f, std::vector<double> x0,
                            const LbfgsOptions& options) {
  CNNLAB_CHECK(!x0.empty(), ValueError,
               "viz::minimize_lbfgsb: expected a non-empty x0, got 0 values");
  CNNLAB_CHECK(options.lower < options.upper, ValueError,
               "viz::minimize_lbfgsb: expected lower < upper, got [", options.lower, ", ",
               options.upper, "]");
  CNNLAB_CHECK(options.max_iterations > 0, ValueError,
               "viz::minimize_lbfgsb: expected max_iterations > 0, got ", options.max_iterations);
  CNNLAB_CHECK(options.history > 0, ValueError, "viz::minimize_lbfgsb: expected history > 0, got ",
               options.history);
  CNNLAB_CHECK(options.max_evaluations >= 0, ValueError,
               "viz::minimize_lbfgsb: expected max_evaluations >= 0, got ",
               options.max_evaluations);
  const auto n = static_cast<Eigen::Index>(x0.size());

  LBFGSpp::LBFGSBParam<double> param;
  param.m = static_cast<int>(options.history);
  param.epsilon = 0.0;
  param.epsilon_rel = 0.0;
  param.past = 0;
  param.max_iterations = static_cast<int>(options.max_iterations);
  param.max_linesearch = 20;
  LBFGSpp::LBFGSBSolver<double> solver(param);

  LbfgsResult result;
  result.f = std::numeric_limits<double>::infinity();
  auto objective = [&](const Eigen::VectorXd& x, Eigen::VectorXd& grad) -> double {
    if (options.max_evaluations > 0 && result.evaluations >= options.max_evaluations) {
      throw EvaluationCapReached{};
    }
    const double fx = f(std::span<const double>(x.data(), static_cast<size_t>(x.size())),
                        std::span<double>(grad.data(), static_cast<size_t>(grad.size())));
    if (result.evaluations == 0) result.f_start = fx;
    ++result.evaluations;
    result.history.push_back(fx);
    if (std::isfinite(fx) && fx < result.f) {
      result.f = fx;
      result.x.assign(x.data(), x.data() + x.size());
    }
    return fx;
  };

  Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(x0.data(), n);
  const Eigen::VectorXd lb = Eigen::VectorXd::Constant(n, options.lower);
  const Eigen::VectorXd ub = Eigen::VectorXd::Constant(n, options.upper);
  double fx = 0;
  try {
    const int k = solver.minimize(objective, x, fx, lb, ub);
    result.iterations = k;
    result.stop_reason = k >= options.max_iterations ? "max_iterations" : "converged";
  } catch (const EvaluationCapReached&) {
    result.stop_reason = "max_evaluations";
  } catch (const cnnlab::Error&) {
    throw;  // the objective's own errors are the caller's
  } catch (const std::exception& e) {
    // LBFGSpp signals a failed line search (no decrease found, step bounds) by std exceptions.
    result.stop_reason = e.what();
  }
  if (result.stop_reason != "converged" && result.stop_reason != "max_iterations") {
    result.iterations = -1;  // the solver left by an exception: its count is lost
  }
  if (result.x.empty()) {  // no finite value was seen: return the projected start
    result.x.assign(x.data(), x.data() + x.size());
    result.f = result.history.empty() ? fx : result.history.back();
  }
  return result;
}

}  // namespace cnnlab::viz
