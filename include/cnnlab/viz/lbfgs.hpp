// Box-constrained L-BFGS (L-BFGS-B, Byrd, Lu, Nocedal & Zhu 1995) for the image optimizations of
// viz/ (texture synthesis, style transfer): a thin adapter over LBFGSpp's LBFGSBSolver
// (Debian's header-only liblbfgspp-dev, on Eigen), so that no Eigen type reaches the public API.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace cnnlab::viz {

/// The objective: returns f(x) and writes df/dx into grad (same length as x).
using LbfgsObjective = std::function<double(std::span<const double> x, std::span<double> grad)>;

struct LbfgsOptions {
  int64_t max_iterations = 100;  ///< L-BFGS iterations (each one line search); > 0
  int64_t max_evaluations = 0;   ///< cap on objective calls (line searches included); 0: none
  int64_t history = 10;          ///< m, the correction pairs kept; > 0
  double lower = 0.0;            ///< the box [lower, upper] for every coordinate
  double upper = 1.0;
};

struct LbfgsResult {
  std::vector<double> x;        ///< the best point evaluated (inside the box)
  double f = 0;                 ///< f at x
  double f_start = 0;           ///< f at the (projected) start
  int64_t iterations = 0;       ///< completed L-BFGS iterations; -1 when the solver left early
  int64_t evaluations = 0;      ///< objective calls
  std::vector<double> history;  ///< f of every objective call, in order
  /// "max_iterations", "max_evaluations", "converged" (zero projected gradient) or the
  /// solver's message when its line search gave up (float32 objectives reach that near a
  /// minimum: the best point so far is returned, not an error).
  std::string stop_reason;
};

/// Minimizes f over the box [lower, upper]^n from x0 (projected into the box first) with
/// LBFGSpp's L-BFGS-B (More-Thuente line search). NOTE: LBFGSpp's gradient and relative
/// convergence tests are switched off (epsilon = 0, past = 0): the objectives here are float32
/// sums whose absolute scale says nothing, so only the iteration / evaluation caps stop it.
/// Throws ValueError for an empty x0, lower >= upper, non-positive max_iterations or history,
/// negative max_evaluations; rethrows what f throws.
LbfgsResult minimize_lbfgsb(const LbfgsObjective& f, std::vector<double> x0,
                            const LbfgsOptions& options);

}  // namespace cnnlab::viz
