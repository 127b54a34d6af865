// NumPy parity of the neural-collapse metrics (analysis/collapse.hpp): every NC1-NC4 metric and
// Fang et al.'s mean pairwise cosine against a float64 NumPy re-implementation of the authors'
// reference code (tests/parity/gen/make_collapse_fixture.py): C = 10, p = 16, N = 300 unbalanced,
// and the rank edge C = 4, p = 3 = C - 1. float64 input to 1e-9 relative; the same features and
// weight cast to float32 to 1e-4 (the generator measured 1.4e-7 as the cost of the rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cnnlab/analysis/collapse.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

std::vector<int64_t> as_indices(const Tensor& t) {
  std::vector<int64_t> out;
  for (double v : t.to_vector()) out.push_back(static_cast<int64_t>(v));
  return out;
}

// |actual - expected| <= rtol |expected|, or <= 1e-12 when the expected value is about 0.
void expect_close(double actual, const io::TensorFile& f, const std::string& key, double rtol) {
  const double expected = f.at(key).item();
  const double tol = std::abs(expected) < 1e-12 ? 1e-12 : rtol * std::abs(expected);
  const double rel = std::abs(actual - expected) / std::abs(expected);
  EXPECT_NEAR(actual, expected, tol) << key << " (relative error " << rel << ")";
  // CNNLAB_PARITY_REPORT=1 prints every comparison (how the numbers in the report were measured)
  if (std::getenv("CNNLAB_PARITY_REPORT") != nullptr) {
    std::printf("PARITY %s %s %.17g vs numpy %.17g relative error %.3g\n",
                f.path.substr(f.path.find_last_of('/') + 1).c_str(), key.c_str(), actual, expected,
                rel);
  }
}

void check_case(const std::string& fixture, Dtype dtype, double rtol) {
  const io::TensorFile f = parity::load_fixture("collapse/" + fixture);
  SCOPED_TRACE(parity::describe(f, dtype));
  const Tensor features = f.at("features").to(dtype);
  const Tensor weight = f.at("weight").to(dtype);
  const Tensor& labels = f.at("labels");
  const analysis::CollapseMetrics m =
      analysis::collapse_metrics(features, labels, f.at("decisions"), weight);
  EXPECT_EQ(m.samples, features.size(0));
  EXPECT_EQ(m.feature_dim, features.size(1));
  EXPECT_EQ(m.classes, weight.size(0));
  expect_close(m.nc1, f, "nc1", rtol);
  expect_close(m.equinorm_means, f, "equinorm_means", rtol);
  expect_close(m.equinorm_classifiers, f, "equinorm_classifiers", rtol);
  expect_close(m.equiangular_means, f, "equiangular_means", rtol);
  expect_close(m.equiangular_classifiers, f, "equiangular_classifiers", rtol);
  expect_close(m.max_angle_means, f, "max_angle_means", rtol);
  expect_close(m.max_angle_classifiers, f, "max_angle_classifiers", rtol);
  expect_close(m.nc3, f, "nc3", rtol);
  // NC4 is a count over N: the discrete choices must be identical, so exact up to rounding.
  expect_close(m.nc4, f, "nc4", 1e-12);
  EXPECT_GT(m.nc4, 0.0) << "the fixture has a few mismatches; 0 would not test NC4";
  expect_close(analysis::mean_pairwise_cosine(weight, as_indices(f.at("rows_a"))), f, "cos_a",
               rtol);
  expect_close(analysis::mean_pairwise_cosine(weight, as_indices(f.at("rows_b"))), f, "cos_b",
               rtol);
}

TEST(CollapseParity, C10Float64MatchesNumpy) { check_case("c10_p16", Dtype::kFloat64, 1e-9); }
TEST(CollapseParity, C10Float32InputMatchesNumpy) { check_case("c10_p16", Dtype::kFloat32, 1e-4); }
TEST(CollapseParity, RankEdgeFloat64MatchesNumpy) {
  check_case("rank_edge_c4_p3", Dtype::kFloat64, 1e-9);
}
TEST(CollapseParity, RankEdgeFloat32InputMatchesNumpy) {
  check_case("rank_edge_c4_p3", Dtype::kFloat32, 1e-4);
}

// Mixed precisions: float32 features with a float64 weight (and the reverse) are accepted and
// give the float32-input values.
TEST(CollapseParity, MixedPrecisionInputsMatchNumpy) {
  const io::TensorFile f = parity::load_fixture("collapse/c10_p16");
  const Tensor& labels = f.at("labels");
  const Tensor& decisions = f.at("decisions");
  const analysis::CollapseMetrics a = analysis::collapse_metrics(
      f.at("features").to(Dtype::kFloat32), labels, decisions, f.at("weight"));
  const analysis::CollapseMetrics b = analysis::collapse_metrics(
      f.at("features"), labels, decisions, f.at("weight").to(Dtype::kFloat32));
  expect_close(a.nc1, f, "nc1", 1e-4);
  expect_close(a.nc3, f, "nc3", 1e-4);
  expect_close(a.equiangular_classifiers, f, "equiangular_classifiers", 1e-9);
  expect_close(b.nc1, f, "nc1", 1e-9);
  expect_close(b.nc3, f, "nc3", 1e-4);
  expect_close(b.equiangular_means, f, "equiangular_means", 1e-9);
}

}  // namespace
}  // namespace cnnlab
