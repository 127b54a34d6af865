// Neural collapse (Papyan, Han & Donoho, PNAS 2020) and minority collapse (Fang, He, Long & Su,
// PNAS 2021): the geometry of a classifier's penultimate features and last linear layer, measured
// with exactly the conventions of the authors' reference code (docs/collapse.md gives every
// formula). Linear algebra through Eigen; the features are read in chunks, never copied whole.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cnnlab/data/dataset.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "cnnlab/train/evaluate.hpp"

namespace cnnlab::analysis {

/// NC1-NC4 of one set of features. Notation: h_i the feature of sample i (label y_i), mu_c the
/// mean of class c, mu_G the mean of the class means, M = [mu_c - mu_G]_c (p x C), w_c the rows
/// of the classifier weight W (C x p), N samples, C classes. "std" is the unbiased standard
/// deviation (divides by n - 1), as torch.std.
struct CollapseMetrics {
  int64_t samples = 0;      ///< N
  int64_t classes = 0;      ///< C
  int64_t feature_dim = 0;  ///< p
  /// NC1 = Tr(Sigma_W Sigma_B^+) / C, Sigma_W = (1/N) sum_i (h_i - mu_y_i)(h_i - mu_y_i)^T,
  /// Sigma_B = M M^T / C, ^+ the pseudo-inverse of rank min(C - 1, p) (the top eigenpairs of
  /// Sigma_B, as scipy's svds(Sigma_B, k = C - 1); eigenvalues below 1e-12 of the largest count
  /// as zero).
  double nc1 = 0;
  /// NC2 equinorm: std_c ||mu_c - mu_G|| / mean_c ||mu_c - mu_G||, and the same of ||w_c||.
  double equinorm_means = 0;
  double equinorm_classifiers = 0;
  /// NC2 equiangularity: std over the C(C-1)/2 pairs c < c' of cos(mu_c - mu_G, mu_c' - mu_G),
  /// and of cos(w_c, w_c') (classifier rows as they are, not centred, as the reference code).
  /// 0 for C = 2 (a single pair has no spread; torch.std would give NaN).
  double equiangular_means = 0;
  double equiangular_classifiers = 0;
  /// NC2 maximal angle: mean over c != c' of |cos + 1/(C-1)|, of the centred means and of the
  /// classifier rows (the reference code's coherence()).
  double max_angle_means = 0;
  double max_angle_classifiers = 0;
  /// NC3 = || W^T / ||W||_F - M / ||M||_F ||_F^2.
  double nc3 = 0;
  /// NC4: the fraction of samples whose decision (the network's argmax) differs from the
  /// nearest class mean argmin_c ||h_i - mu_c||_2 (ties: the lowest class index).
  double nc4 = 0;
};

/// The metrics of features (N, p) float32 or float64 with labels (N) int64 in [0, C), decisions
/// (N) int64 (the network's predicted classes) and the classifier weight (C, p) float32 or
/// float64; C = weight.size(0). Everything is computed in float64, reading the features in
/// chunks of rows (no copy of the whole matrix).
/// Throws ShapeError when the shapes do not fit together; ValueError for non-int64 labels or
/// decisions, a label or decision outside [0, C), C < 2, a class without samples, a non-finite
/// value, class means that all coincide, or a zero classifier row (its cosines are undefined).
CollapseMetrics collapse_metrics(const Tensor& features, const Tensor& labels,
                                 const Tensor& decisions, const Tensor& weight);

/// Fang et al.'s "average between-class cosine" of a set of classifier rows: the mean over ordered
/// pairs i != j of `rows` of cos(w_i, w_j), the rows of weight (C, p) taken as they are (not
/// centred), as 1 - scipy.spatial.distance.cosine in the authors' code. Throws ValueError unless
/// rows holds at least 2 distinct indices in [0, C), or when a row is zero.
double mean_pairwise_cosine(const Tensor& weight, const std::vector<int64_t>& rows);

/// About `points` epochs in 1..last spaced evenly on a log scale (rounded, duplicates dropped,
/// always holding 1 and last), as the reference code's epoch list. Throws ValueError unless
/// last >= 1 and points >= 2.
std::vector<int64_t> log_spaced_epochs(int64_t last, int64_t points);

// ---- measuring a model
// ---------------------------------------------------------------------------

/// What a model makes of a dataset at its classifier: the classifier's input features and the
/// network's decisions, with the cross-entropy loss and accuracy of its logits.
struct FeatureSet {
  Tensor features;   ///< (N, p) float32: the input of the classifier layer
  Tensor labels;     ///< (N) int64
  Tensor decisions;  ///< (N) int64: argmax of the model's output
  double loss = 0;   ///< mean cross-entropy of the model's output
  double accuracy = 0;
};

/// The name of the layer whose input is the feature and whose weight is W: `name` when given
/// (it must be a Linear layer whose out_features equals num_classes), else the last Linear in
/// named_modules() order. Throws ValueError naming the layer, listing the valid layer names for
/// an unknown one, and for a model without a Linear layer ("expected a model whose last layer is
/// Linear").
std::string classifier_layer(nn::Module& model, int64_t num_classes, const std::string& name = "");

/// Runs `model` in eval mode without a graph over every example of `data` (normalized by norm)
/// in batches, capturing the classifier's input with a forward hook; restores every module's mode
/// (viz::InspectionGuard).
/// Holds the features once, as one (N, p) float32 tensor. Throws what classifier_layer throws,
/// ValueError for an empty dataset or batch_size < 1, and ShapeError when the model's output is
/// not (batch, num_classes).
FeatureSet penultimate_features(nn::Module& model, const data::Dataset& data,
                                const train::Normalization& norm, const std::string& layer = "",
                                int64_t batch_size = 500);

/// One measurement of a model: the metrics on the training set and the loss and accuracy on the
/// training and test sets, both measured in eval mode.
struct CollapseMeasurement {
  std::string layer;  ///< the classifier layer
  CollapseMetrics metrics;
  double train_loss = 0;
  double train_accuracy = 0;
  double test_loss = 0;
  double test_accuracy = 0;
};

/// Measures `model` (see penultimate_features) on `train` and evaluates it on `test`.
CollapseMeasurement measure_collapse(nn::Module& model, const data::Dataset& train,
                                     const data::Dataset& test, const train::Normalization& norm,
                                     const std::string& layer = "");

/// The measurement as (key, value) pairs, the keys used in metrics.jsonl and collapse.json:
/// nc1, nc2_equinorm_means, nc2_equinorm_classifiers, nc2_equiangular_means,
/// nc2_equiangular_classifiers, nc2_max_angle_means, nc2_max_angle_classifiers, nc3, nc4,
/// nc_train_loss, nc_train_accuracy, nc_test_loss, nc_test_accuracy.
std::vector<std::pair<std::string, double>> collapse_fields(const CollapseMeasurement& m);

}  // namespace cnnlab::analysis
