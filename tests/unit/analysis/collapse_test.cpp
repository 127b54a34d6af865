// analysis/collapse.hpp: NC1-NC4 on an exact simplex ETF (all 0), NC1's sigma^2 growth and its
// closed form on an ETF with zero-mean noise, NC4's counting and tie rule, the invariances the
// formulas imply, Fang et al.'s mean pairwise cosine, log-spaced epochs, the bad-input errors,
// and the measurement of a tiny model (features by hook, decisions, loss, mode and hooks restored).
// The NumPy parity of every metric is tests/parity/collapse_parity_test.cpp.
#include "cnnlab/analysis/collapse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "cnnlab/core/error.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/data/dataset.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/dropout.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/train/evaluate.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using Rows = std::vector<std::vector<double>>;
using analysis::CollapseMetrics;

Tensor to_tensor(const Rows& rows, Dtype dtype = Dtype::kFloat64) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return Tensor::from_vector(
      flat, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows.front().size())}, dtype);
}

Tensor to_labels(const std::vector<int64_t>& v) {
  return Tensor::from_int64(v, {static_cast<int64_t>(v.size())});
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

// k orthonormal vectors in R^p: Gram-Schmidt (twice, for accuracy) of seeded Gaussian vectors.
Rows orthonormal(int64_t p, int64_t k, uint64_t seed) {
  Rng rng(seed);
  Rows q;
  for (int64_t j = 0; j < k; ++j) {
    std::vector<double> v(static_cast<size_t>(p));
    for (double& x : v) x = rng.normal();
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& u : q) {
        const double c = dot(v, u);
        for (int64_t i = 0; i < p; ++i) v[i] -= c * u[i];
      }
    }
    const double n = std::sqrt(dot(v, v));
    for (double& x : v) x /= n;
    q.push_back(v);
  }
  return q;
}

// A simplex ETF of C unit vectors in R^p, rotated: column c of sqrt(C/(C-1)) (I - 11^T/C)
// written in a random orthonormal basis u_0..u_{C-1}; times `scale`. Also returns the basis.
Rows etf(int64_t classes, int64_t p, double scale, uint64_t seed, Rows* basis = nullptr) {
  const Rows u = orthonormal(p, classes, seed);
  const double f = std::sqrt(static_cast<double>(classes) / static_cast<double>(classes - 1));
  Rows m(static_cast<size_t>(classes), std::vector<double>(static_cast<size_t>(p), 0.0));
  for (int64_t c = 0; c < classes; ++c) {
    for (int64_t j = 0; j < classes; ++j) {
      const double e = f * ((j == c ? 1.0 : 0.0) - 1.0 / static_cast<double>(classes));
      for (int64_t i = 0; i < p; ++i) m[c][i] += scale * e * u[j][i];
    }
  }
  if (basis != nullptr) *basis = u;
  return m;
}

// Unequal class counts 2 + (c % 4) + c / 4, in a seeded shuffled order.
std::vector<int64_t> shuffled_labels(int64_t classes, uint64_t seed) {
  std::vector<int64_t> y;
  for (int64_t c = 0; c < classes; ++c) y.insert(y.end(), 2 + c % 4 + c / 4, c);
  Rng rng(seed);
  for (size_t i = y.size() - 1; i > 0; --i) std::swap(y[i], y[rng.below(i + 1)]);
  return y;
}

Rows add_offset(Rows m, const std::vector<double>& offset) {
  for (auto& r : m) {
    for (size_t i = 0; i < r.size(); ++i) r[i] += offset[i];
  }
  return m;
}

Rows scaled(Rows m, double s) {
  for (auto& r : m) {
    for (double& x : r) x *= s;
  }
  return m;
}

// h_i = means[y_i] (+ noise_i when given).
Rows features_of(const Rows& means, const std::vector<int64_t>& y, const Rows* noise = nullptr) {
  Rows h;
  for (size_t i = 0; i < y.size(); ++i) {
    h.push_back(means[y[i]]);
    if (noise != nullptr) {
      for (size_t k = 0; k < h.back().size(); ++k) h.back()[k] += (*noise)[i][k];
    }
  }
  return h;
}

// Seeded Gaussian noise (N x p) times sigma with zero mean in each class, so that the class means
// stay where they are.
Rows class_centred_noise(const std::vector<int64_t>& y, int64_t classes, int64_t p, double sigma,
                         uint64_t seed) {
  Rng rng(seed);
  Rows e(y.size(), std::vector<double>(static_cast<size_t>(p)));
  for (auto& r : e) {
    for (double& x : r) x = rng.normal();
  }
  for (int64_t c = 0; c < classes; ++c) {
    std::vector<double> mean(static_cast<size_t>(p), 0.0);
    int64_t n = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] != c) continue;
      ++n;
      for (int64_t k = 0; k < p; ++k) mean[k] += e[i][k];
    }
    for (size_t i = 0; i < y.size(); ++i) {
      if (y[i] != c) continue;
      for (int64_t k = 0; k < p; ++k) e[i][k] = sigma * (e[i][k] - mean[k] / n);
    }
  }
  return e;
}

void expect_all_zero(const CollapseMetrics& m, bool classifier_too = true) {
  EXPECT_NEAR(m.nc1, 0.0, 1e-9);
  EXPECT_NEAR(m.equinorm_means, 0.0, 1e-9);
  EXPECT_NEAR(m.equiangular_means, 0.0, 1e-9);
  EXPECT_NEAR(m.max_angle_means, 0.0, 1e-9);
  EXPECT_NEAR(m.nc4, 0.0, 1e-9);
  if (!classifier_too) return;
  EXPECT_NEAR(m.equinorm_classifiers, 0.0, 1e-9);
  EXPECT_NEAR(m.equiangular_classifiers, 0.0, 1e-9);
  EXPECT_NEAR(m.max_angle_classifiers, 0.0, 1e-9);
  EXPECT_NEAR(m.nc3, 0.0, 1e-9);
}

// ---- exact simplex ETF -------------------------------------------------------------------------

constexpr int64_t kC = 10, kP = 12;

struct EtfCase {
  Rows centred;  // M^T (C x p): the ETF
  Rows means;    // centred + a common offset
  std::vector<int64_t> labels;
};

EtfCase etf_case(double scale = 2.5) {
  EtfCase e;
  e.centred = etf(kC, kP, scale, 3);
  Rng rng(4);
  std::vector<double> offset(kP);
  for (double& x : offset) x = rng.normal(0.0, 3.0);
  e.means = add_offset(e.centred, offset);
  e.labels = shuffled_labels(kC, 5);
  return e;
}

TEST(AnalysisCollapseEtf, ExactEtfGivesZeroForEveryMetric) {
  const EtfCase e = etf_case();
  const Tensor y = to_labels(e.labels);
  const Tensor h = to_tensor(features_of(e.means, e.labels));
  for (double w_scale : {1.0, 3.0}) {
    SCOPED_TRACE("W = " + std::to_string(w_scale) + " M^T");
    const CollapseMetrics m =
        analysis::collapse_metrics(h, y, y, to_tensor(scaled(e.centred, w_scale)));
    EXPECT_EQ(m.samples, static_cast<int64_t>(e.labels.size()));
    EXPECT_EQ(m.classes, kC);
    EXPECT_EQ(m.feature_dim, kP);
    expect_all_zero(m);
  }
}

TEST(AnalysisCollapseEtf, EveryCosineIsMinusOneOverCMinusOne) {
  const EtfCase e = etf_case();
  std::vector<int64_t> all(kC);
  std::iota(all.begin(), all.end(), 0);
  const Tensor w = to_tensor(e.centred);
  EXPECT_NEAR(analysis::mean_pairwise_cosine(w, all), -1.0 / 9.0, 1e-12);
  EXPECT_NEAR(analysis::mean_pairwise_cosine(w, {2, 7}), -1.0 / 9.0, 1e-12);
}

// The classifier rows are taken raw: shifting every row by a common vector changes their angles
// (and NC3), while the features' metrics, centred by mu_G, stay 0.
TEST(AnalysisCollapseEtf, ClassifierRowsAreNotCentred) {
  const EtfCase e = etf_case();
  const Tensor y = to_labels(e.labels);
  const Tensor h = to_tensor(features_of(e.means, e.labels));
  const CollapseMetrics m = analysis::collapse_metrics(
      h, y, y, to_tensor(add_offset(e.centred, std::vector<double>(kP, 0.5))));
  expect_all_zero(m, /*classifier_too=*/false);
  EXPECT_GT(m.max_angle_classifiers, 1e-2);
  EXPECT_GT(m.nc3, 1e-2);
}

TEST(AnalysisCollapseEtf, Float32InputGivesZeroToFloat32Rounding) {
  const EtfCase e = etf_case();
  const Tensor y = to_labels(e.labels);
  const Tensor h = to_tensor(features_of(e.means, e.labels), Dtype::kFloat32);
  const CollapseMetrics m =
      analysis::collapse_metrics(h, y, y, to_tensor(e.centred, Dtype::kFloat32));
  EXPECT_LT(m.nc1, 1e-9);  // features equal within a class in float32 too: Sigma_W = 0
  EXPECT_LT(m.equinorm_means, 1e-5);
  EXPECT_LT(m.max_angle_means, 1e-5);
  EXPECT_LT(m.nc3, 1e-10);
  EXPECT_EQ(m.nc4, 0.0);
}

// ---- NC1
// -----------------------------------------------------------------------------------------

// Noise with zero mean per class keeps the means (an ETF of norm `scale`), so Sigma_B^+ =
// (C-1)/scale^2 P with P the projector on the ETF's span, and NC1 = (C-1)/(C scale^2 N)
// sum_i ||P e_i||^2: a closed form, and exactly sigma^2 times the value at sigma = 1.
TEST(AnalysisCollapseNc1, GrowsLikeSigmaSquaredAndMatchesClosedForm) {
  const double scale = 2.5;
  Rows basis;
  const Rows centred = etf(kC, kP, scale, 3, &basis);
  const std::vector<int64_t> labels = shuffled_labels(kC, 5);
  const Tensor y = to_labels(labels);
  const Tensor w = to_tensor(centred);
  const Rows e1 = class_centred_noise(labels, kC, kP, 0.1, 6);
  const Rows e2 = scaled(e1, 2.0);  // exactly twice the same pattern
  CollapseMetrics m1 =
      analysis::collapse_metrics(to_tensor(features_of(centred, labels, &e1)), y, y, w);
  CollapseMetrics m2 =
      analysis::collapse_metrics(to_tensor(features_of(centred, labels, &e2)), y, y, w);
  ASSERT_GT(m1.nc1, 1e-4);
  EXPECT_NEAR(m2.nc1 / m1.nc1, 4.0, 4e-9);

  // closed form: P e = sum_j (u_j . e) u_j - (v . e) v, v = sum_j u_j / sqrt(C)
  double sum_sq = 0;
  for (const auto& e : e1) {
    double along_v = 0, in_span = 0;
    for (const auto& u : basis) {
      const double c = dot(u, e);
      in_span += c * c;
      along_v += c / std::sqrt(static_cast<double>(kC));
    }
    sum_sq += in_span - along_v * along_v;
  }
  const double n = static_cast<double>(labels.size());
  const double expected = (kC - 1) / (kC * scale * scale * n) * sum_sq;
  EXPECT_NEAR(m1.nc1, expected, 1e-9 * expected);
  // the means did not move: the rest stays 0 (the noise is far below half the ETF's spacing)
  m1.nc1 = m2.nc1 = 0;
  expect_all_zero(m1);
  expect_all_zero(m2);
}

// p == C - 1: the ETF (a regular tetrahedron) spans the whole space, Sigma_B = I / (C - 1) is
// invertible and NC1 = (C - 1) / (C N) sum_i ||e_i||^2; the other metrics stay 0.
TEST(AnalysisCollapseNc1, RankEdgePEqualsCMinusOne) {
  const int64_t c = 4, p = 3;
  // an ETF of 4 classes in R^3: the vertices of a regular tetrahedron, norm 1
  const double s = 1.0 / std::sqrt(3.0);
  const Rows centred = {{s, s, s}, {s, -s, -s}, {-s, s, -s}, {-s, -s, s}};
  const std::vector<int64_t> labels = shuffled_labels(c, 8);
  const Rows noise = class_centred_noise(labels, c, p, 0.05, 9);
  const Tensor y = to_labels(labels);
  CollapseMetrics m = analysis::collapse_metrics(to_tensor(features_of(centred, labels, &noise)), y,
                                                 y, to_tensor(centred));
  double sum_sq = 0;
  for (const auto& e : noise) sum_sq += dot(e, e);
  const double expected = (c - 1) / (c * static_cast<double>(labels.size())) * sum_sq;
  EXPECT_NEAR(m.nc1, expected, 1e-9 * expected);
  m.nc1 = 0;
  expect_all_zero(m);
}

// ---- NC4
// -----------------------------------------------------------------------------------------

TEST(AnalysisCollapseNc4, CountsDecisionsThatDifferFromTheNearestMean) {
  const EtfCase e = etf_case();
  const Tensor h = to_tensor(features_of(e.means, e.labels));
  const Tensor w = to_tensor(e.centred);
  std::vector<int64_t> decisions = e.labels;
  for (int i : {0, 3, 4, 9, 15, 22, 30}) decisions[i] = (decisions[i] + 1) % kC;
  const CollapseMetrics m =
      analysis::collapse_metrics(h, to_labels(e.labels), to_labels(decisions), w);
  EXPECT_DOUBLE_EQ(m.nc4, 7.0 / static_cast<double>(e.labels.size()));
}

// Class means (-1, 0), (1, 0), (0, 3); sample 4, (0, 0) of class 2, is at distance 1 of both
// mean 0 and mean 1: the nearest is class 0 (the lowest index), not its label.
struct TieCase {
  Tensor features = to_tensor({{-1, 0}, {-1, 0}, {1, 0}, {1, 0}, {0, 0}, {0, 6}});
  Tensor labels = to_labels({0, 0, 1, 1, 2, 2});
  Tensor weight = to_tensor({{-1, 0}, {1, 0}, {0, 1}});
};

TEST(AnalysisCollapseNc4, TiesGoToTheLowestClassIndex) {
  const TieCase t;
  const double n = 6;
  auto nc4 = [&](int64_t decision4) {
    return analysis::collapse_metrics(t.features, t.labels, to_labels({0, 0, 1, 1, decision4, 2}),
                                      t.weight)
        .nc4;
  };
  EXPECT_DOUBLE_EQ(nc4(0), 0.0);
  EXPECT_DOUBLE_EQ(nc4(1), 1.0 / n);
  EXPECT_DOUBLE_EQ(nc4(2), 1.0 / n);  // its label, but not its nearest mean
}

// ---- invariances
// ---------------------------------------------------------------------------------

struct NoisyCase {
  Tensor features, labels, decisions, weight;
};

// C = 5, p = 7, N = 33 unbalanced: Gaussian class centres plus noise, a random classifier and
// random decisions.
NoisyCase noisy_case(double feature_scale = 1.0, double shift = 0.0,
                     const std::vector<size_t>* order = nullptr) {
  const int64_t c = 5, p = 7;
  Rng rng(21);
  Rows centres(c, std::vector<double>(p));
  for (auto& r : centres) {
    for (double& x : r) x = rng.normal(0.5, 2.0);
  }
  const std::vector<int64_t> y = shuffled_labels(c, 22);
  Rows h = features_of(centres, y);
  for (auto& r : h) {
    for (double& x : r) x = feature_scale * (x + rng.normal()) + shift;
  }
  std::vector<int64_t> d;
  for (size_t i = 0; i < y.size(); ++i) d.push_back(static_cast<int64_t>(rng.below(c)));
  Rows w(c, std::vector<double>(p));
  for (auto& r : w) {
    for (double& x : r) x = rng.normal();
  }
  if (order != nullptr) {
    Rows h2;
    std::vector<int64_t> y2, d2;
    for (size_t i : *order) {
      h2.push_back(h[i]);
      y2.push_back(y[i]);
      d2.push_back(d[i]);
    }
    h = h2;
    return {to_tensor(h), to_labels(y2), to_labels(d2), to_tensor(w)};
  }
  return {to_tensor(h), to_labels(y), to_labels(d), to_tensor(w)};
}

CollapseMetrics metrics_of(const NoisyCase& c) {
  return analysis::collapse_metrics(c.features, c.labels, c.decisions, c.weight);
}

void expect_same(double a, double b, const char* what) {
  EXPECT_NEAR(a, b, 1e-10 * std::abs(b)) << what;
}

TEST(AnalysisCollapseInvariance, PermutingSamplesChangesNothing) {
  const NoisyCase base = noisy_case();
  std::vector<size_t> order(static_cast<size_t>(base.labels.numel()));
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  std::swap(order[1], order[12]);
  const CollapseMetrics a = metrics_of(base), b = metrics_of(noisy_case(1.0, 0.0, &order));
  ASSERT_GT(a.nc4, 0.0);
  expect_same(b.nc1, a.nc1, "nc1");
  expect_same(b.equinorm_means, a.equinorm_means, "equinorm_means");
  expect_same(b.equinorm_classifiers, a.equinorm_classifiers, "equinorm_classifiers");
  expect_same(b.equiangular_means, a.equiangular_means, "equiangular_means");
  expect_same(b.equiangular_classifiers, a.equiangular_classifiers, "equiangular_classifiers");
  expect_same(b.max_angle_means, a.max_angle_means, "max_angle_means");
  expect_same(b.max_angle_classifiers, a.max_angle_classifiers, "max_angle_classifiers");
  expect_same(b.nc3, a.nc3, "nc3");
  EXPECT_EQ(b.nc4, a.nc4);
}

TEST(AnalysisCollapseInvariance, ScalingFeaturesChangesNothing) {
  const CollapseMetrics a = metrics_of(noisy_case()), b = metrics_of(noisy_case(7.5));
  ASSERT_GT(a.nc1, 0.0);
  expect_same(b.nc1, a.nc1, "nc1");
  expect_same(b.equinorm_means, a.equinorm_means, "equinorm_means");
  expect_same(b.equiangular_means, a.equiangular_means, "equiangular_means");
  expect_same(b.max_angle_means, a.max_angle_means, "max_angle_means");
  expect_same(b.nc3, a.nc3, "nc3");
  expect_same(b.equinorm_classifiers, a.equinorm_classifiers, "equinorm_classifiers");
  EXPECT_EQ(b.nc4, a.nc4);
}

// Every metric depends on the features only through differences h - mu and mu_c - mu_G: moving
// all features by a common vector (here 40 in every coordinate, 20x their spread) changes none.
TEST(AnalysisCollapseInvariance, TranslatingFeaturesChangesNothing) {
  const CollapseMetrics a = metrics_of(noisy_case()), b = metrics_of(noisy_case(1.0, 40.0));
  auto same = [](double x, double y, const char* what) {
    EXPECT_NEAR(x, y, 1e-9 * std::abs(y)) << what;
  };
  same(b.nc1, a.nc1, "nc1");
  same(b.equinorm_means, a.equinorm_means, "equinorm_means");
  same(b.equiangular_means, a.equiangular_means, "equiangular_means");
  same(b.max_angle_means, a.max_angle_means, "max_angle_means");
  same(b.nc3, a.nc3, "nc3");
  EXPECT_EQ(b.nc4, a.nc4);
}

// ---- bad input
// -----------------------------------------------------------------------------------

TEST(AnalysisCollapseErrors, RejectsBadShapesAndDtypes) {
  const TieCase t;
  const Tensor& y = t.labels;
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, y.reshape({6, 1}), y, t.weight),
                    ShapeError, "labels");
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, y.narrow(0, 0, 5), y, t.weight),
                    ShapeError, "labels");
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, y, y.narrow(0, 0, 5), t.weight),
                    ShapeError, "decisions");
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features.reshape({12}), y, y, t.weight),
                    ShapeError, "features");
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, y, y, to_tensor({{1, 0, 0}, {0, 1, 0}})),
                    ShapeError, "weight");
  // NOTE: error.hpp files a wrong dtype under ValueError.
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, y.to(Dtype::kFloat64), y, t.weight),
                    ValueError, "labels");
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features.to(Dtype::kInt64), y, y, t.weight),
                    ValueError, "float32 or float64");
}

TEST(AnalysisCollapseErrors, RejectsBadLabelsDecisionsAndValues) {
  const TieCase t;
  const Tensor& y = t.labels;
  EXPECT_THROW_WITH(
      analysis::collapse_metrics(t.features, to_labels({0, 0, 1, 1, 3, 2}), y, t.weight),
      ValueError, "labels in [0, 3), got 3");
  EXPECT_THROW_WITH(
      analysis::collapse_metrics(t.features, to_labels({0, -1, 1, 1, 2, 2}), y, t.weight),
      ValueError, "labels in [0, 3), got -1");
  EXPECT_THROW_WITH(
      analysis::collapse_metrics(t.features, y, to_labels({0, 0, 1, 1, 2, 5}), t.weight),
      ValueError, "decisions in [0, 3), got 5");
  EXPECT_THROW_WITH(
      analysis::collapse_metrics(t.features, to_labels({0, 0, 1, 1, 1, 0}), y, t.weight),
      ValueError, "class 2");
  Tensor nan_features = t.features.clone();
  nan_features.data<double>()[7] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW_WITH(analysis::collapse_metrics(nan_features, y, y, t.weight), ValueError, "finite");
  Tensor inf_weight = t.weight.clone();
  inf_weight.data<double>()[1] = std::numeric_limits<double>::infinity();
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, y, y, inf_weight), ValueError, "finite");
  const Tensor zeros = to_labels({0, 0, 0, 0, 0, 0});
  EXPECT_THROW_WITH(analysis::collapse_metrics(t.features, zeros, zeros, to_tensor({{1, 0}})),
                    ValueError, "C >= 2");
  // a zero classifier row has no angle
  EXPECT_THROW_WITH(
      analysis::collapse_metrics(t.features, y, y, to_tensor({{-1, 0}, {0, 0}, {0, 1}})),
      ValueError, "zero");
}

// ---- mean_pairwise_cosine
// ------------------------------------------------------------------------

TEST(AnalysisCollapseCosine, HandMadeRows) {
  const double h = std::sqrt(3.0) / 2;
  // three vectors at 120 degrees (lengths differ: only directions count), then a fourth row
  const Tensor w = to_tensor({{2, 0}, {-0.25, 0.5 * h}, {-2.5, -5 * h}, {4, 0}});
  EXPECT_NEAR(analysis::mean_pairwise_cosine(w, {0, 1, 2}), -0.5, 1e-15);
  EXPECT_NEAR(analysis::mean_pairwise_cosine(w, {2, 0, 1}), -0.5, 1e-15);
  EXPECT_NEAR(analysis::mean_pairwise_cosine(w, {0, 3}), 1.0, 1e-15);
  // (0, 1, 3): pairs 0-1 and 1-3 at -0.5, 0-3 at 1: (2 (-0.5 - 0.5 + 1)) / 6 = 0
  EXPECT_NEAR(analysis::mean_pairwise_cosine(w, {0, 1, 3}), 0.0, 1e-15);
  // raw rows, not centred: (4, 3) and (3, 4) have cosine 24/25
  EXPECT_NEAR(analysis::mean_pairwise_cosine(to_tensor({{4, 3}, {3, 4}}), {0, 1}), 0.96, 1e-15);
  EXPECT_NEAR(analysis::mean_pairwise_cosine(to_tensor({{4, 3}, {3, 4}}, Dtype::kFloat32), {0, 1}),
              0.96, 1e-7);
}

TEST(AnalysisCollapseCosine, RejectsBadRows) {
  const Tensor w = to_tensor({{1, 0}, {0, 1}, {0, 0}});
  EXPECT_THROW_WITH(analysis::mean_pairwise_cosine(w, {}), ValueError, "at least 2");
  EXPECT_THROW_WITH(analysis::mean_pairwise_cosine(w, {1}), ValueError, "at least 2");
  EXPECT_THROW_WITH(analysis::mean_pairwise_cosine(w, {1, 1}), ValueError, "distinct");
  EXPECT_THROW_WITH(analysis::mean_pairwise_cosine(w, {0, 3}), ValueError, "got 3");
  EXPECT_THROW_WITH(analysis::mean_pairwise_cosine(w, {-1, 0}), ValueError, "got -1");
  EXPECT_THROW_WITH(analysis::mean_pairwise_cosine(w, {0, 2}), ValueError, "zero row");
}

// ---- log_spaced_epochs
// ---------------------------------------------------------------------------

TEST(AnalysisCollapseEpochs, LogSpacedFrom1ToLast) {
  const std::vector<int64_t> e = analysis::log_spaced_epochs(350, 50);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e.front(), 1);
  EXPECT_EQ(e.back(), 350);
  EXPECT_TRUE(std::adjacent_find(e.begin(), e.end(), std::greater_equal<>()) == e.end())
      << "not strictly increasing";
  EXPECT_LE(e.size(), 50U);
  EXPECT_GE(e.size(), 30U);
  // numpy.unique(numpy.round(numpy.logspace(0, numpy.log10(350), 50)))
  const std::vector<int64_t> numpy = {
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10,  11,  12,  14,  16,  18,  20,  22,  25,  28,  32,
      36, 41, 46, 52, 58, 66, 74, 83, 94, 106, 119, 134, 152, 171, 193, 217, 245, 276, 311, 350};
  EXPECT_EQ(e, numpy);
}

TEST(AnalysisCollapseEpochs, SmallRanges) {
  EXPECT_EQ(analysis::log_spaced_epochs(1, 10), std::vector<int64_t>({1}));
  EXPECT_EQ(analysis::log_spaced_epochs(5, 50), std::vector<int64_t>({1, 2, 3, 4, 5}));
  EXPECT_EQ(analysis::log_spaced_epochs(100, 2), std::vector<int64_t>({1, 100}));
}

TEST(AnalysisCollapseEpochs, RejectsBadArguments) {
  EXPECT_THROW_WITH(analysis::log_spaced_epochs(0, 10), ValueError, "last >= 1");
  EXPECT_THROW_WITH(analysis::log_spaced_epochs(-5, 10), ValueError, "last >= 1");
  EXPECT_THROW_WITH(analysis::log_spaced_epochs(10, 1), ValueError, "points >= 2");
}

// ---- measuring a model
// ---------------------------------------------------------------------------

// "0" Flatten -> "1" Linear(4, 6) -> "2" ReLU [-> "3" Dropout(0.5)] -> Linear(6, 3) [-> Flatten(0)]
std::shared_ptr<nn::Sequential> tiny_model(bool dropout = false, bool flat_output = false) {
  Rng rng(31);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Flatten>());
  m->push_back(
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 6}, rng));
  m->push_back(std::make_shared<nn::ReLU>());
  if (dropout) m->push_back(std::make_shared<nn::Dropout>(nn::DropoutOptions{.p = 0.5}, rng));
  m->push_back(
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 6, .out_features = 3}, rng));
  if (flat_output) m->push_back(std::make_shared<nn::Flatten>(0));
  m->eval();
  return m;
}

// n images (1, 2, 2) from Rng(seed), labels 0, 1, 2, 0, ...
std::shared_ptr<data::TensorDataset> tiny_data(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<int64_t> y;
  for (int64_t i = 0; i < n; ++i) y.push_back(i % 3);
  return std::make_shared<data::TensorDataset>(Tensor::normal({n, 1, 2, 2}, 0.5, 1.0, rng),
                                               to_labels(y));
}

const train::Normalization kNorm{.mean = {0.2}, .std = {0.5}};

TEST(AnalysisCollapseModel, PenultimateFeaturesAreTheClassifierInput) {
  auto model = tiny_model();
  const auto ds = tiny_data(10, 32);
  // batches of 4: the last one is partial
  const analysis::FeatureSet f = analysis::penultimate_features(*model, *ds, kNorm, "", 4);
  Rng rng(32);  // the draw of tiny_data(10, 32)
  const Tensor x = kNorm.apply(Tensor::normal({10, 1, 2, 2}, 0.5, 1.0, rng));
  nn::ReLU relu;
  const Tensor hidden = relu((*model)[1]((*model)[0](x)));
  const Tensor logits = (*model)(x);
  EXPECT_EQ(f.features.dtype(), Dtype::kFloat32);
  EXPECT_TENSOR_NEAR(f.features, hidden, 0.0, 1e-6);
  EXPECT_TENSOR_EQ(f.labels, to_labels({0, 1, 2, 0, 1, 2, 0, 1, 2, 0}));
  std::vector<int64_t> argmax;
  for (int64_t i = 0; i < 10; ++i) {
    const std::vector<double> row = logits.narrow(0, i, 1).to_vector();
    argmax.push_back(std::max_element(row.begin(), row.end()) - row.begin());
  }
  EXPECT_TENSOR_EQ(f.decisions, to_labels(argmax));
  const train::Evaluation e = train::evaluate(*model, *ds, kNorm);
  EXPECT_NEAR(f.loss, e.loss, 1e-6 * e.loss);
  EXPECT_DOUBLE_EQ(f.accuracy, e.accuracy);
  EXPECT_FALSE((*model)[3].has_forward_hooks());
}

TEST(AnalysisCollapseModel, RunsInEvalModeAndRestoresTheMode) {
  auto model = tiny_model(/*dropout=*/true);
  const auto ds = tiny_data(9, 33);
  const analysis::FeatureSet eval_features = analysis::penultimate_features(*model, *ds, kNorm);
  model->train();
  const analysis::FeatureSet f = analysis::penultimate_features(*model, *ds, kNorm);
  EXPECT_TRUE(model->is_training());
  EXPECT_TRUE((*model)[3].is_training());
  EXPECT_TENSOR_EQ(f.features, eval_features.features);  // no dropout: eval mode
  model->eval();
  (void)analysis::penultimate_features(*model, *ds, kNorm);
  EXPECT_FALSE(model->is_training());
}

TEST(AnalysisCollapseModel, MeasureCollapseCombinesMetricsAndEvaluation) {
  auto model = tiny_model();
  const auto train_set = tiny_data(12, 34), test_set = tiny_data(7, 35);
  const analysis::CollapseMeasurement m =
      analysis::measure_collapse(*model, *train_set, *test_set, kNorm);
  EXPECT_EQ(m.layer, "3");
  const analysis::FeatureSet f = analysis::penultimate_features(*model, *train_set, kNorm);
  const auto& linear = dynamic_cast<const nn::Linear&>((*model)[3]);
  const CollapseMetrics expected =
      analysis::collapse_metrics(f.features, f.labels, f.decisions, linear.weight());
  EXPECT_EQ(m.metrics.samples, 12);
  EXPECT_EQ(m.metrics.feature_dim, 6);
  EXPECT_DOUBLE_EQ(m.metrics.nc1, expected.nc1);
  EXPECT_DOUBLE_EQ(m.metrics.nc3, expected.nc3);
  EXPECT_DOUBLE_EQ(m.metrics.nc4, expected.nc4);
  const train::Evaluation tr = train::evaluate(*model, *train_set, kNorm);
  const train::Evaluation te = train::evaluate(*model, *test_set, kNorm);
  EXPECT_NEAR(m.train_loss, tr.loss, 1e-6 * tr.loss);
  EXPECT_DOUBLE_EQ(m.train_accuracy, tr.accuracy);
  EXPECT_NEAR(m.test_loss, te.loss, 1e-6 * te.loss);
  EXPECT_DOUBLE_EQ(m.test_accuracy, te.accuracy);

  const auto fields = analysis::collapse_fields(m);
  const std::vector<std::string> keys = {"nc1",
                                         "nc2_equinorm_means",
                                         "nc2_equinorm_classifiers",
                                         "nc2_equiangular_means",
                                         "nc2_equiangular_classifiers",
                                         "nc2_max_angle_means",
                                         "nc2_max_angle_classifiers",
                                         "nc3",
                                         "nc4",
                                         "nc_train_loss",
                                         "nc_train_accuracy",
                                         "nc_test_loss",
                                         "nc_test_accuracy"};
  ASSERT_EQ(fields.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(fields[i].first, keys[i]);
  EXPECT_EQ(fields[0].second, m.metrics.nc1);
  EXPECT_EQ(fields[6].second, m.metrics.max_angle_classifiers);
  EXPECT_EQ(fields[12].second, m.test_accuracy);
}

TEST(AnalysisCollapseModel, ClassifierLayerChoosesTheLastLinear) {
  auto model = tiny_model();
  EXPECT_EQ(analysis::classifier_layer(*model, 3), "3");
  EXPECT_EQ(analysis::classifier_layer(*model, 3, "3"), "3");
  EXPECT_THROW_WITH(analysis::classifier_layer(*model, 3, "0"), ValueError, "'0'");
  EXPECT_THROW_WITH(analysis::classifier_layer(*model, 3, "0"), ValueError, "Linear");
  EXPECT_THROW_WITH(analysis::classifier_layer(*model, 3, "1"), ValueError, "'1'");
  EXPECT_THROW_WITH(analysis::classifier_layer(*model, 3, "9"), ValueError, "'9'");
  EXPECT_THROW_WITH(analysis::classifier_layer(*model, 3, "9"), ValueError, "0, 1, 2, 3");
  nn::Sequential no_linear{std::make_shared<nn::Flatten>(), std::make_shared<nn::ReLU>()};
  EXPECT_THROW_WITH(analysis::classifier_layer(no_linear, 3), ValueError,
                    "expected a model whose last layer is Linear");
}

TEST(AnalysisCollapseModel, PenultimateFeaturesRejectsBadInput) {
  auto model = tiny_model();
  const auto ds = tiny_data(6, 36);
  EXPECT_THROW_WITH(analysis::penultimate_features(*model, *ds, kNorm, "", 0), ValueError,
                    "batch_size");
  const data::TensorDataset empty(Tensor::zeros({0, 1, 2, 2}), Tensor::from_int64({}, {0}),
                                  {"a", "b", "c"});
  EXPECT_THROW_WITH(analysis::penultimate_features(*model, empty, kNorm), ValueError, "empty");
  EXPECT_THROW_WITH(analysis::penultimate_features(*model, *ds, kNorm, "2"), ValueError, "'2'");
  // the classifier's output is reshaped after it: not (batch, classes)
  auto flat = tiny_model(false, /*flat_output=*/true);
  EXPECT_THROW_WITH(analysis::penultimate_features(*flat, *ds, kNorm), ShapeError, "(6, 3)");
  EXPECT_FALSE((*flat)[3].has_forward_hooks()) << "the hook outlived an exception";
}

}  // namespace
}  // namespace cnnlab
