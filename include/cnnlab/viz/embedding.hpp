// What a classifier's penultimate layer makes of a set of images, in two dimensions: the features
// (the input of the last Linear layer, by a forward hook), their PCA (through Eigen) and their
// t-SNE (van der Maaten & Hinton 2008; Barnes-Hut after van der Maaten 2014), and the
// leave-one-out k-nearest-neighbour accuracy that says how well an embedding keeps the classes
// apart. The scatter plot of an embedding is in viz/scatter.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::viz {

// ---- features ----------------------------------------------------------------------------------

/// The dotted name of the last module of type Linear in model.named_modules() order: the
/// classifier of every zoo model. Throws ValueError "viz::last_linear_layer: expected a model
/// with a Linear layer, got none (layers: ...)" when there is none.
std::string last_linear_layer(nn::Module& model);

struct FeatureOptions {
  /// Empty: the INPUT of last_linear_layer(model) (the penultimate features). A layer name
  /// (viz::layer_names): that layer's OUTPUT, flattened per image.
  std::string layer;
  int64_t batch_size = 256;  ///< images per forward pass
};

/// Runs `model` (in its current mode; callers put it in eval mode) on images (N, C, H, W) in
/// batches under NoGradGuard and returns the features (N, D) float32, D the flattened size of
/// what the layer sees (see FeatureOptions::layer). Throws ValueError for an unknown layer
/// (listing the valid ones, as viz::find_layer), a batch size < 1, or a model without a Linear
/// layer when no layer is named; ShapeError unless images is 4-D with N >= 1; StateError when
/// the layer does not run in the forward pass; and what the model throws for a wrong image size.
Tensor extract_features(nn::Module& model, const Tensor& images,
                        const FeatureOptions& options = {});

// ---- PCA ---------------------------------------------------------------------------------------

struct PcaResult {
  Tensor embedding;   ///< (N, k) float64: the centred data projected on the components
  Tensor components;  ///< (k, D) float64: unit principal directions, by decreasing variance
  Tensor mean;        ///< (D) float64: the mean that was subtracted
  std::vector<double> explained_variance;        ///< (k): variance along each direction (N - 1)
  std::vector<double> explained_variance_ratio;  ///< (k): that variance / the total variance
};

/// Principal component analysis of x (N, D), float32 or float64, as sklearn's PCA(k) without
/// whitening: centre, then the top-k eigenvectors of the covariance (through Eigen's symmetric
/// eigen-solver on the D x D covariance, or on the N x N Gram matrix when D > N).
/// Sign convention: in each component the entry of largest absolute value is positive (sklearn's
/// svd_flip with u_based_decision=False; the first such entry on exact ties). A direction without
/// variance (rank < k) is still a unit vector orthogonal to the others, with variance 0.
/// The total variance is 0 for constant data; the ratios are then 0.
/// Throws ShapeError unless x is 2-D with N >= 2 and D >= 1, ValueError unless 1 <= k <= D or
/// when x holds a non-finite value.
PcaResult pca(const Tensor& x, int64_t k = 2);

// ---- t-SNE -------------------------------------------------------------------------------------

enum class TsneMethod {
  kAuto,       ///< exact for N <= 1000 points, else Barnes-Hut
  kExact,      ///< O(N^2) per iteration, dense P: the reference
  kBarnesHut,  ///< O(N log N) per iteration: sparse P on 3 * perplexity neighbours, a quadtree
};

enum class TsneInit {
  kRandom,  ///< N(0, 1e-4^2) per coordinate, from Rng(seed) (sklearn's init='random')
  kPca,     ///< the PCA embedding scaled so that column 0 has standard deviation 1e-4 (sklearn)
};

/// t-SNE's settings, with sklearn.manifold.TSNE's names and defaults (n_components = 2, the
/// Student-t with one degree of freedom, Euclidean input distances).
struct TsneOptions {
  double perplexity = 30.0;  ///< must be < N (sklearn's rule); ~ the effective neighbour count
  int64_t max_iter = 1000;   ///< total iterations, early exaggeration included
  double early_exaggeration = 12.0;
  int64_t exaggeration_iter = 250;  ///< iterations with exaggerated P and momentum 0.5
  double learning_rate = 0.0;       ///< <= 0: 'auto', max(N / early_exaggeration / 4, 50)
  double momentum = 0.5;            ///< during early exaggeration
  double final_momentum = 0.8;      ///< afterwards
  double min_gain = 0.01;           ///< the floor of the per-coordinate delta-bar-delta gains
  double min_grad_norm = 1e-7;      ///< stop when ||gradient|| falls below
  TsneMethod method = TsneMethod::kAuto;
  double angle = 0.5;  ///< Barnes-Hut's theta: a cell of width w at distance d is summarized
                       ///< when w / d < angle
  TsneInit init = TsneInit::kRandom;
  uint64_t seed = 0;
  int64_t log_every = 50;  ///< the KL divergence is recorded every log_every iterations
};

struct TsneResult {
  Tensor embedding;          ///< (N, 2) float64
  double kl_divergence = 0;  ///< KL(P || Q) of the final embedding (Barnes-Hut: with its Q)
  int64_t iterations = 0;    ///< iterations run (fewer than max_iter after a tiny gradient)
  bool barnes_hut = false;   ///< which method ran
  double learning_rate = 0;  ///< the learning rate used ('auto' resolved)
  /// (iteration, KL) every log_every iterations and at the end; during early exaggeration the
  /// KL is that of the exaggerated P (as sklearn reports it), which is why it jumps down at
  /// exaggeration_iter.
  std::vector<std::pair<int64_t, double>> kl_history;
};

/// t-SNE of x (N, D), float32 or float64, into 2-D. Input affinities: Gaussian conditionals
/// p_{j|i} calibrated per point by binary search to the perplexity (binary_search_perplexity),
/// symmetrized P = (p_{j|i} + p_{i|j}) / (2N) (dense in the exact method; in Barnes-Hut on each
/// point's min(N - 1, floor(3 * perplexity) + 1) nearest neighbours, exact kNN). Then gradient
/// descent on KL(P || Q), Q the Student-t kernel, as sklearn's _gradient_descent: early
/// exaggeration (P * early_exaggeration, momentum 0.5) for exaggeration_iter iterations, then
/// momentum 0.8; per-coordinate gains (+0.2 when the gradient's sign differs from the last
/// update's, else * 0.8, floored at min_gain). Points in parallel (OpenMP); the result does not
/// depend on the thread count. Deterministic for a given seed.
/// Throws ShapeError unless x is 2-D with N >= 2; ValueError unless 0 < perplexity < N,
/// max_iter >= 1, exaggeration_iter >= 0, early_exaggeration > 0, 0 <= angle <= 1, log_every >= 1,
/// or when x holds a non-finite value.
TsneResult tsne(const Tensor& x, const TsneOptions& options = {});

/// One point's calibration: the conditional probabilities p_j = exp(-beta d_j) / sum_k exp(-beta
/// d_k) over the given squared distances d (the point itself excluded), with beta found by
/// binary search (at most max_steps halvings, as sklearn's _binary_search_perplexity) so that the
/// entropy H = -sum p_j log p_j (natural log) is within `tolerance` of log(perplexity).
struct PerplexityRow {
  std::vector<double> p;  ///< sums to 1
  double beta = 1;        ///< the precision 1 / (2 sigma^2)
  double entropy = 0;     ///< H(p) in nats
};
/// Throws ValueError when distances is empty or perplexity <= 0.
PerplexityRow binary_search_perplexity(const std::vector<double>& squared_distances,
                                       double perplexity, double tolerance = 1e-5,
                                       int max_steps = 100);

/// KL(P || Q) of an embedding y (N, 2) for the exact symmetrized P of x (N, D) at a perplexity:
/// a reference figure (O(N^2) memory) to compare methods on small sets.
/// Throws what tsne() throws for x and perplexity, ShapeError unless y is (N, 2).
double tsne_kl_divergence(const Tensor& x, const Tensor& y, double perplexity);

// ---- quality -----------------------------------------------------------------------------------

/// Leave-one-out k-nearest-neighbour accuracy of points (N, D), float32 or float64, with labels
/// (N): the fraction of points whose label is the majority label among their k nearest other
/// points (Euclidean). Ties: among equidistant neighbours the lower index is nearer; between
/// labels with the same vote count, the label of the nearest neighbour among them wins.
/// Throws ShapeError unless points is 2-D with N == labels.size(); ValueError unless
/// 1 <= k <= N - 1.
double knn_accuracy(const Tensor& points, const std::vector<int64_t>& labels, int64_t k = 5);

}  // namespace cnnlab::viz
