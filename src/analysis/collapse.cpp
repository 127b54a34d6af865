// Neural-collapse metrics and their measurement on a model: include/cnnlab/analysis/collapse.hpp.
// The formulas are the Han-Papyan-Donoho reference code's (quoted in ../shared/PAPERS.md and
// docs/collapse.md); only the way NC1 is computed differs, giving the same number:
//
//   Tr(Sigma_W Sigma_B^+) = (1/N) sum_i || L^(-1/2) V^T (h_i - mu_y_i) ||^2
//
// with Sigma_B^+ = V L^-1 V^T the rank-(C-1) pseudo-inverse. V and L come from the SVD of the
// small C x p matrix of centred class means, so no p x p matrix is ever formed, and the features
// are read twice in chunks of rows: once for the class means, once for NC1 and NC4.

// NOTE: GCC 12 with -march=native (AVX-512) reports false -Wmaybe-uninitialized warnings inside
// Eigen's vectorized kernels, at the intrinsics' lines; they are silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// NOTE: the products here are small (2,048 x p by p x C); Eigen's OpenMP split of them cost more
// in waiting than it saved (bench/collapse_bench.cpp: 2 threads slower than 1).
#define EIGEN_DONT_PARALLELIZE

#include "cnnlab/analysis/collapse.hpp"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/data/dataloader.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::analysis {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr int64_t kChunkRows = 2048;  // features converted to float64 at a time

std::string shape_text(const Tensor& t) {
  return t.defined() ? t.shape().str() : std::string("an undefined tensor");
}

// A float32 or float64 2-D tensor as float64 values (small matrices only: the classifier).
RowMatrix small_matrix(const Tensor& t, const char* who) {
  const Tensor d = t.detach().to_strided().to(Dtype::kFloat64);
  RowMatrix m = Eigen::Map<const RowMatrix>(d.data<double>(), t.size(0), t.size(1));
  CNNLAB_CHECK(m.allFinite(), ValueError, who,
               ": expected a finite classifier weight, got a non-finite value");
  return m;
}

// Rows [begin, end) of the features as float64, checked to be finite.
RowMatrix feature_rows(const Tensor& features, int64_t begin, int64_t end) {
  const int64_t p = features.size(1);
  RowMatrix chunk(end - begin, p);
  if (features.dtype() == Dtype::kFloat64) {
    chunk = Eigen::Map<const RowMatrix>(features.data<double>() + begin * p, end - begin, p);
  } else {
    using FloatRows = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    chunk = Eigen::Map<const FloatRows>(features.data<float>() + begin * p, end - begin, p)
                .cast<double>();
  }
  // NOTE: x * 0 is NaN exactly for NaN and inf, and one vectorized sum is far cheaper than
  // allFinite(), which walks a row-major matrix down its columns.
  if (!std::isfinite((chunk.array() * 0.0).sum())) {
    for (int64_t r = 0; r < chunk.rows(); ++r) {
      CNNLAB_CHECK(chunk.row(r).allFinite(), ValueError,
                   "analysis::collapse_metrics: expected finite features, got a non-finite value "
                   "in row ",
                   begin + r);
    }
  }
  return chunk;
}

// Unbiased standard deviation (divides by n - 1), as torch.std; 0 for fewer than two values.
double unbiased_std(const std::vector<double>& v) {
  if (v.size() < 2) return 0.0;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

struct RowGeometry {
  double equinorm = 0;     // std / mean of the row norms
  double equiangular = 0;  // std of the cosines over pairs c < c'
  double max_angle = 0;    // mean over c != c' of |cos + 1/(C-1)|
};

// The NC2 quantities of the rows of m (C x p). `what` names the rows in errors.
RowGeometry row_geometry(const RowMatrix& m, const char* what) {
  const int64_t c = m.rows();
  const Eigen::VectorXd norms = m.rowwise().norm();
  for (int64_t i = 0; i < c; ++i) {
    CNNLAB_CHECK(norms(i) > 0, ValueError, "analysis::collapse_metrics: expected non-zero ", what,
                 ", got a zero one for class ", i);
  }
  std::vector<double> norm_values(norms.data(), norms.data() + c);
  double mean_norm = norms.mean();
  RowGeometry g;
  g.equinorm = unbiased_std(norm_values) / mean_norm;
  const RowMatrix unit = norms.cwiseInverse().asDiagonal() * m;
  const RowMatrix cosines = unit * unit.transpose();
  std::vector<double> pairs;
  double coherence = 0;
  const double shift = 1.0 / static_cast<double>(c - 1);
  for (int64_t i = 0; i < c; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      if (i == j) continue;
      coherence += std::abs(cosines(i, j) + shift);
      if (i < j) pairs.push_back(cosines(i, j));
    }
  }
  g.equiangular = unbiased_std(pairs);
  g.max_angle = coherence / static_cast<double>(c * (c - 1));
  return g;
}

void check_labels(const Tensor& t, const char* what, int64_t n, int64_t classes) {
  CNNLAB_CHECK(t.defined() && t.dim() == 1 && t.size(0) == n, ShapeError,
               "analysis::collapse_metrics: expected ", what, " (", n, "), got ", shape_text(t));
  CNNLAB_CHECK(t.dtype() == Dtype::kInt64, ValueError, "analysis::collapse_metrics: expected ",
               what, " as int64, got ", t.dtype());
  const int64_t* v = t.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    CNNLAB_CHECK(v[i] >= 0 && v[i] < classes, ValueError, "analysis::collapse_metrics: expected ",
                 what, " in [0, ", classes, "), got ", v[i], " at sample ", i);
  }
}

}  // namespace

CollapseMetrics collapse_metrics(const Tensor& features, const Tensor& labels,
                                 const Tensor& decisions, const Tensor& weight) {
  CNNLAB_CHECK(
      features.defined() && features.dim() == 2 && features.size(0) >= 1 && features.size(1) >= 1,
      ShapeError, "analysis::collapse_metrics: expected features (N, p) with N, p >= 1, got ",
      shape_text(features));
  CNNLAB_CHECK(weight.defined() && weight.dim() == 2, ShapeError,
               "analysis::collapse_metrics: expected a classifier weight (C, p), got ",
               shape_text(weight));
  for (const Tensor* t : {&features, &weight}) {
    CNNLAB_CHECK(t->dtype() == Dtype::kFloat32 || t->dtype() == Dtype::kFloat64, ValueError,
                 "analysis::collapse_metrics: expected float32 or float64 features and weight, "
                 "got ",
                 t->dtype());
  }
  const int64_t n = features.size(0), p = features.size(1), c = weight.size(0);
  CNNLAB_CHECK(weight.size(1) == p, ShapeError,
               "analysis::collapse_metrics: expected a weight (C, ", p, ") for ", p,
               " features, got ", weight.shape());
  CNNLAB_CHECK(c >= 2, ValueError, "analysis::collapse_metrics: expected C >= 2 classes, got ", c);
  check_labels(labels, "labels", n, c);
  check_labels(decisions, "decisions", n, c);
  const Tensor h = features.detach().to_strided();
  const int64_t* y = labels.data<int64_t>();
  const int64_t* decided = decisions.data<int64_t>();

  // Pass 1: class means mu (C x p).
  RowMatrix mu = RowMatrix::Zero(c, p);
  std::vector<int64_t> count(static_cast<size_t>(c), 0);
  for (int64_t begin = 0; begin < n; begin += kChunkRows) {
    const int64_t end = std::min(n, begin + kChunkRows);
    const RowMatrix chunk = feature_rows(h, begin, end);
    for (int64_t i = begin; i < end; ++i) {
      mu.row(y[i]) += chunk.row(i - begin);
      ++count[static_cast<size_t>(y[i])];
    }
  }
  for (int64_t k = 0; k < c; ++k) {
    CNNLAB_CHECK(count[static_cast<size_t>(k)] > 0, ValueError,
                 "analysis::collapse_metrics: expected samples of every class, got none of class ",
                 k, " (of ", c, ")");
    mu.row(k) /= static_cast<double>(count[static_cast<size_t>(k)]);
  }
  const Eigen::RowVectorXd mu_g = mu.colwise().mean();  // the mean of the class means
  const RowMatrix centred = mu.rowwise() - mu_g;        // M^T (C x p)
  const double centred_norm = centred.norm();
  CNNLAB_CHECK(centred_norm > 0, ValueError,
               "analysis::collapse_metrics: expected distinct class means, got all equal");

  // Sigma_B = M M^T / C = V diag(s^2 / C) V^T from the SVD M^T = U S V^T; its pseudo-inverse of
  // rank min(C - 1, p), dropping eigenvalues below 1e-12 of the largest.
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(Eigen::MatrixXd(centred), Eigen::ComputeThinV);
  const Eigen::VectorXd& sv = svd.singularValues();
  const std::vector<double> s(sv.data(), sv.data() + sv.size());  // decreasing
  const int64_t rank_cap = std::min<int64_t>(c - 1, static_cast<int64_t>(s.size()));
  int64_t rank = 0;  // eigenvalue s^2 / C above 1e-12 of the largest: s above 1e-6 of the largest
  while (rank < rank_cap && s[static_cast<size_t>(rank)] > 1e-6 * s.front()) ++rank;
  // P = V_r diag(eigenvalue^(-1/2)): ||P^T (h - mu)||^2 = (h - mu)^T Sigma_B^+ (h - mu)
  Eigen::MatrixXd proj = svd.matrixV().leftCols(rank);
  for (int64_t k = 0; k < rank; ++k)
    proj.col(k) *= std::sqrt(static_cast<double>(c)) / s[static_cast<size_t>(k)];

  // Pass 2: NC1's trace and NC4's nearest class means.
  const Eigen::RowVectorXd mu_sq = mu.rowwise().squaredNorm().transpose();
  double trace_sum = 0;
  int64_t mismatches = 0;
  for (int64_t begin = 0; begin < n; begin += kChunkRows) {
    const int64_t end = std::min(n, begin + kChunkRows);
    RowMatrix chunk = feature_rows(h, begin, end);
    // nearest class mean: argmin_c ||mu_c||^2 - 2 h.mu_c (||h||^2 is the same for every c)
    RowMatrix dist = -2.0 * chunk * mu.transpose();
    dist.rowwise() += mu_sq;
    for (int64_t i = begin; i < end; ++i) {
      Eigen::Index nearest = 0;
      dist.row(i - begin).minCoeff(&nearest);
      mismatches += static_cast<int64_t>(nearest) != decided[i];
      chunk.row(i - begin) -= mu.row(y[i]);
    }
    trace_sum += (chunk * proj).squaredNorm();
  }

  const RowMatrix w = small_matrix(weight, "analysis::collapse_metrics");
  CollapseMetrics m;
  m.samples = n;
  m.classes = c;
  m.feature_dim = p;
  m.nc1 = trace_sum / static_cast<double>(n) / static_cast<double>(c);
  const RowGeometry means = row_geometry(centred, "centred class means");
  const RowGeometry rows = row_geometry(w, "classifier rows");
  m.equinorm_means = means.equinorm;
  m.equinorm_classifiers = rows.equinorm;
  m.equiangular_means = means.equiangular;
  m.equiangular_classifiers = rows.equiangular;
  m.max_angle_means = means.max_angle;
  m.max_angle_classifiers = rows.max_angle;
  m.nc3 = (w / w.norm() - centred / centred_norm).squaredNorm();
  m.nc4 = static_cast<double>(mismatches) / static_cast<double>(n);
  return m;
}

double mean_pairwise_cosine(const Tensor& weight, const std::vector<int64_t>& rows) {
  CNNLAB_CHECK(weight.defined() && weight.dim() == 2, ShapeError,
               "analysis::mean_pairwise_cosine: expected a weight (C, p), got ",
               shape_text(weight));
  const std::set<int64_t> distinct(rows.begin(), rows.end());
  CNNLAB_CHECK(distinct.size() >= 2 && distinct.size() == rows.size(), ValueError,
               "analysis::mean_pairwise_cosine: expected at least 2 distinct rows, got ",
               rows.size(), " rows (", distinct.size(), " distinct)");
  const RowMatrix w = small_matrix(weight, "analysis::mean_pairwise_cosine");
  for (int64_t r : rows) {
    CNNLAB_CHECK(r >= 0 && r < w.rows(), ValueError,
                 "analysis::mean_pairwise_cosine: expected rows in [0, ", w.rows(), "), got ", r);
    CNNLAB_CHECK(w.row(r).norm() > 0, ValueError,
                 "analysis::mean_pairwise_cosine: expected non-zero rows, got a zero row ", r);
  }
  double sum = 0;
  for (int64_t i : rows) {
    for (int64_t j : rows) {
      if (i != j) sum += w.row(i).dot(w.row(j)) / (w.row(i).norm() * w.row(j).norm());
    }
  }
  const auto k = static_cast<double>(rows.size());
  return sum / (k * (k - 1));
}

std::vector<int64_t> log_spaced_epochs(int64_t last, int64_t points) {
  CNNLAB_CHECK(last >= 1 && points >= 2, ValueError,
               "analysis::log_spaced_epochs: expected last >= 1 and points >= 2, got last ", last,
               ", points ", points);
  std::vector<int64_t> epochs;
  const double top = std::log10(static_cast<double>(last));
  for (int64_t i = 0; i < points; ++i) {
    const double e = std::pow(10.0, top * static_cast<double>(i) / static_cast<double>(points - 1));
    const auto epoch = std::clamp<int64_t>(std::llround(e), 1, last);
    if (epochs.empty() || epoch > epochs.back()) epochs.push_back(epoch);
  }
  if (epochs.back() != last) epochs.push_back(last);
  return epochs;
}

// ---- measuring a model
// ---------------------------------------------------------------------------

std::string classifier_layer(nn::Module& model, int64_t num_classes, const std::string& name) {
  std::string chosen = name;
  if (chosen.empty()) {
    for (const auto& [n, module] : model.named_modules()) {
      if (!n.empty() && module->type_name() == "Linear") chosen = n;
    }
    if (chosen.empty()) {
      std::string valid;
      for (const std::string& n : viz::layer_names(model)) valid += (valid.empty() ? "" : ", ") + n;
      throw ValueError(
          "analysis::classifier_layer: expected a model whose last layer is Linear, got none "
          "(layers: " +
          valid + ")");
    }
  }
  nn::Module& layer = viz::find_layer(model, chosen, "analysis::classifier_layer");
  const auto* linear = dynamic_cast<const nn::Linear*>(&layer);
  CNNLAB_CHECK(linear != nullptr, ValueError, "analysis::classifier_layer: expected layer '",
               chosen, "' to be Linear (the classifier), got ", layer.type_name());
  CNNLAB_CHECK(linear->options().out_features == num_classes, ValueError,
               "analysis::classifier_layer: expected layer '", chosen, "' to output the ",
               num_classes, " class scores, got ", linear->options().out_features,
               " outputs (is it the last layer?)");
  return chosen;
}

FeatureSet penultimate_features(nn::Module& model, const data::Dataset& data,
                                const train::Normalization& norm, const std::string& layer,
                                int64_t batch_size) {
  const int64_t n = data.size(), classes = data.num_classes();
  CNNLAB_CHECK(n >= 1, ValueError,
               "analysis::penultimate_features: expected a dataset with "
               "examples, got an empty one");
  CNNLAB_CHECK(batch_size >= 1, ValueError,
               "analysis::penultimate_features: expected batch_size >= 1, got ", batch_size);
  const std::string name = classifier_layer(model, classes, layer);
  nn::Module& classifier = viz::find_layer(model, name, "analysis::penultimate_features");

  FeatureSet out;
  out.labels = Tensor::empty({n}, Dtype::kInt64);
  out.decisions = Tensor::empty({n}, Dtype::kInt64);
  int64_t offset = 0, rows = 0;
  bool seen = false;
  // the classifier's input, copied into out.features (allocated at the first batch)
  struct HookGuard {
    nn::Module& m;
    int id;
    ~HookGuard() { m.remove_forward_hook(id); }
  } guard{classifier,
          classifier.register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor&) {
            const Tensor t = in.to_strided().to(Dtype::kFloat32);
            CNNLAB_CHECK(t.dim() == 2 && t.size(0) == rows, ShapeError,
                         "analysis::penultimate_features: expected layer '", name, "' to see (",
                         rows, ", p), got ", t.shape());
            if (!out.features.defined()) out.features = Tensor::empty({n, t.size(1)});
            std::memcpy(out.features.data<float>() + offset * t.size(1), t.data<float>(),
                        static_cast<size_t>(t.numel()) * sizeof(float));
            seen = true;
            return Tensor();
          })};

  const viz::InspectionGuard inspection(model);  // eval mode; every module's mode is restored
  NoGradGuard no_grad;
  double loss_sum = 0;
  int64_t correct = 0;
  data::DataLoader loader(std::shared_ptr<const data::Dataset>(&data, [](const data::Dataset*) {}),
                          {.batch_size = batch_size, .shuffle = false});
  for (const data::Batch& batch : loader) {
    rows = batch.targets.numel();
    seen = false;
    const Tensor logits = model(norm.apply(batch.inputs));
    CNNLAB_CHECK(seen, StateError, "analysis::penultimate_features: layer '", name,
                 "' did not run in the forward pass");
    CNNLAB_CHECK(logits.dim() == 2 && logits.size(0) == rows && logits.size(1) == classes,
                 ShapeError, "analysis::penultimate_features: expected the model to output (", rows,
                 ", ", classes, "), got ", logits.shape());
    loss_sum +=
        ops::cross_entropy(logits, batch.targets, {.reduction = ops::Reduction::kSum}).item();
    const Tensor predicted = ops::argmax(logits, 1);
    const int64_t* pr = predicted.data<int64_t>();
    const int64_t* yb = batch.targets.data<int64_t>();
    for (int64_t i = 0; i < rows; ++i) {
      out.labels.data<int64_t>()[offset + i] = yb[i];
      out.decisions.data<int64_t>()[offset + i] = pr[i];
      correct += pr[i] == yb[i];
    }
    offset += rows;
  }
  out.loss = loss_sum / static_cast<double>(n);
  out.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return out;
}

CollapseMeasurement measure_collapse(nn::Module& model, const data::Dataset& train,
                                     const data::Dataset& test, const train::Normalization& norm,
                                     const std::string& layer) {
  CollapseMeasurement m;
  m.layer = classifier_layer(model, train.num_classes(), layer);
  const auto* linear = dynamic_cast<const nn::Linear*>(
      &viz::find_layer(model, m.layer, "analysis::measure_collapse"));
  {
    const FeatureSet f = penultimate_features(model, train, norm, m.layer);
    m.metrics = collapse_metrics(f.features, f.labels, f.decisions, linear->weight());
    m.train_loss = f.loss;
    m.train_accuracy = f.accuracy;
  }  // the features are freed before the test set is evaluated
  const train::Evaluation e = train::evaluate(model, test, norm);
  m.test_loss = e.loss;
  m.test_accuracy = e.accuracy;
  return m;
}

std::vector<std::pair<std::string, double>> collapse_fields(const CollapseMeasurement& m) {
  const CollapseMetrics& c = m.metrics;
  return {{"nc1", c.nc1},
          {"nc2_equinorm_means", c.equinorm_means},
          {"nc2_equinorm_classifiers", c.equinorm_classifiers},
          {"nc2_equiangular_means", c.equiangular_means},
          {"nc2_equiangular_classifiers", c.equiangular_classifiers},
          {"nc2_max_angle_means", c.max_angle_means},
          {"nc2_max_angle_classifiers", c.max_angle_classifiers},
          {"nc3", c.nc3},
          {"nc4", c.nc4},
          {"nc_train_loss", m.train_loss},
          {"nc_train_accuracy", m.train_accuracy},
          {"nc_test_loss", m.test_loss},
          {"nc_test_accuracy", m.test_accuracy}};
}

}  // namespace cnnlab::analysis
