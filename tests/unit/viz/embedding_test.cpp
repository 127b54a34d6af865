// viz/embedding.hpp and viz/scatter.hpp: penultimate features by a hook, PCA against known
// answers, t-SNE (perplexity calibration, cluster separation, determinism, Barnes-Hut against
// exact), the k-NN accuracy, the scatter plot and the CSV.
#include "cnnlab/viz/embedding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cnnlab/core/error.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/viz/scatter.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

/// Flatten -> Linear(4, 3) -> ReLU -> Linear(3, 2), seeded.
std::shared_ptr<nn::Sequential> tiny_mlp() {
  Rng rng(11);
  auto m = std::make_shared<nn::Sequential>();
  m->push_back(std::make_shared<nn::Flatten>());
  m->push_back(
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3}, rng));
  m->push_back(std::make_shared<nn::ReLU>());
  m->push_back(
      std::make_shared<nn::Linear>(nn::LinearOptions{.in_features = 3, .out_features = 2}, rng));
  m->eval();
  return m;
}

/// x W^T + b of the Linear at `layer`, optionally through ReLU, for images (N, 1, 2, 2).
std::vector<double> linear_by_hand(nn::Module& m, const std::string& layer, const Tensor& images,
                                   bool relu) {
  const auto state = m.state_dict();
  const std::vector<double> w = state.at(layer + ".weight").to_vector();
  const std::vector<double> b = state.at(layer + ".bias").to_vector();
  const std::vector<double> x = images.to_vector();
  std::vector<double> out;
  for (int64_t i = 0; i < images.size(0); ++i) {
    for (int64_t o = 0; o < 3; ++o) {
      double s = b[o];
      for (int64_t c = 0; c < 4; ++c) s += w[o * 4 + c] * x[i * 4 + c];
      out.push_back(relu ? std::max(s, 0.0) : s);
    }
  }
  return out;
}

/// `clusters` Gaussian blobs of `per` points in `dim` dimensions, centres 10 apart, sd 1.
Tensor blobs(int64_t clusters, int64_t per, int64_t dim, uint64_t seed,
             std::vector<int64_t>& labels) {
  Rng rng(seed);
  std::vector<double> v;
  labels.clear();
  for (int64_t c = 0; c < clusters; ++c) {
    for (int64_t i = 0; i < per; ++i) {
      for (int64_t d = 0; d < dim; ++d) v.push_back((d == c ? 10.0 : 0.0) + rng.normal());
      labels.push_back(c);
    }
  }
  return Tensor::from_vector(v, {clusters * per, dim}, Dtype::kFloat64);
}

// ---- features ----------------------------------------------------------------------------------

TEST(VizFeatures, PenultimateFeaturesAreTheInputOfTheLastLinearInBatches) {
  auto m = tiny_mlp();
  Rng rng(5);
  const Tensor images = Tensor::normal({5, 1, 2, 2}, 0, 1, rng);
  EXPECT_EQ(viz::last_linear_layer(*m), "3");
  const Tensor f = viz::extract_features(*m, images, {.layer = "", .batch_size = 2});
  ASSERT_EQ(f.shape(), Shape({5, 3}));
  EXPECT_EQ(f.dtype(), Dtype::kFloat32);
  const std::vector<double> want = linear_by_hand(*m, "1", images, true);
  const std::vector<double> got = f.to_vector();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
  EXPECT_FALSE(m->has_forward_hooks());  // the hook is gone
}

TEST(VizFeatures, ANamedLayerGivesItsOutput) {
  auto m = tiny_mlp();
  Rng rng(6);
  const Tensor images = Tensor::normal({3, 1, 2, 2}, 0, 1, rng);
  const Tensor f = viz::extract_features(*m, images, {.layer = "1", .batch_size = 256});
  const std::vector<double> want = linear_by_hand(*m, "1", images, false);
  const std::vector<double> got = f.to_vector();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

TEST(VizFeatures, LeNetFeaturesHave84Dimensions) {
  Rng rng(3);
  auto model = models::make_model("lenet5", {.input_shape = {1, 28, 28}}, rng);
  model->eval();
  const Tensor images = Tensor::uniform({3, 1, 28, 28}, 0, 1, rng);
  const Tensor f = viz::extract_features(*model, images);
  EXPECT_EQ(f.shape(), Shape({3, 84}));
}

TEST(VizFeatures, BadLayerAndModelWithoutLinearAreClearErrors) {
  auto m = tiny_mlp();
  Rng rng(7);
  const Tensor images = Tensor::normal({2, 1, 2, 2}, 0, 1, rng);
  EXPECT_THROW_WITH(viz::extract_features(*m, images, {.layer = "fc9"}), ValueError,
                    "viz::extract_features: unknown layer 'fc9' (layers: 0, 1, 2, 3)");
  EXPECT_THROW_WITH(viz::extract_features(*m, Tensor::zeros({4}), {}), ShapeError,
                    "expected images (N, C, H, W)");
  EXPECT_THROW_WITH(viz::extract_features(*m, images, {.layer = "", .batch_size = 0}), ValueError,
                    "batch_size >= 1");
  auto no_linear = std::make_shared<nn::Sequential>();
  no_linear->push_back(std::make_shared<nn::Flatten>());
  EXPECT_THROW_WITH(viz::extract_features(*no_linear, images), ValueError,
                    "expected a model with a Linear layer, got none (layers: 0)");
}

// ---- PCA ---------------------------------------------------------------------------------------

TEST(VizPca, PointsOnALineGiveItsDirectionWithAllTheVariance) {
  // x_i = (1, 2) + t_i (-0.6, -0.8): the component is (0.6, 0.8) (largest entry positive).
  std::vector<double> v;
  const std::vector<double> t = {-2, -1, 0.5, 1, 1.5};
  for (double ti : t) {
    v.push_back(1 - 0.6 * ti);
    v.push_back(2 - 0.8 * ti);
  }
  const viz::PcaResult r = viz::pca(Tensor::from_vector(v, {5, 2}, Dtype::kFloat64), 2);
  EXPECT_NEAR(r.components.at({0, 0}), 0.6, 1e-12);
  EXPECT_NEAR(r.components.at({0, 1}), 0.8, 1e-12);
  EXPECT_NEAR(r.explained_variance_ratio[0], 1.0, 1e-12);
  EXPECT_NEAR(r.explained_variance_ratio[1], 0.0, 1e-12);
  const double mean_t = 0.0;  // sum of t is 0
  double var = 0;
  for (double ti : t) var += ti * ti;
  EXPECT_NEAR(r.explained_variance[0], var / 4, 1e-12);  // N - 1 = 4
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(r.embedding.at({i, 0}), -(t[i] - mean_t), 1e-12);
    EXPECT_NEAR(r.embedding.at({i, 1}), 0.0, 1e-12);
  }
  EXPECT_NEAR(r.mean.at({0}), 1.0, 1e-12);
  EXPECT_NEAR(r.mean.at({1}), 2.0, 1e-12);
}

TEST(VizPca, PlaneInThreeDimensionsKnownAnswer) {
  // a e1 + b e2 with e1 = (2, -1, 2) / 3, e2 = (1, 2, 0) / sqrt(5); var(a) > var(b), zero means.
  const double e1[3] = {2.0 / 3, -1.0 / 3, 2.0 / 3};
  const double s5 = std::sqrt(5.0), e2[3] = {1 / s5, 2 / s5, 0};
  std::vector<double> v;
  std::vector<std::pair<double, double>> ab;
  for (int a = -3; a <= 3; ++a) {
    for (int b = -1; b <= 1; ++b) {
      ab.push_back({a, b});
      for (int d = 0; d < 3; ++d) v.push_back(a * e1[d] + b * e2[d] + 5.0);
    }
  }
  const int64_t n = static_cast<int64_t>(ab.size());                     // 21
  const viz::PcaResult r = viz::pca(Tensor::from_vector(v, {n, 3}), 2);  // float32 input
  for (int d = 0; d < 3; ++d) {
    EXPECT_NEAR(r.components.at({0, d}), e1[d], 1e-6);  // largest |entry| 2/3 is positive
    EXPECT_NEAR(r.components.at({1, d}), e2[d], 1e-6);
  }
  // var(a) = 3 * 2 * (1 + 4 + 9) / 20 = 4.2, var(b) = 7 * 2 / 20 = 0.7; total 4.9.
  EXPECT_NEAR(r.explained_variance[0], 4.2, 1e-5);
  EXPECT_NEAR(r.explained_variance[1], 0.7, 1e-5);
  EXPECT_NEAR(r.explained_variance_ratio[0], 4.2 / 4.9, 1e-6);
  EXPECT_NEAR(r.explained_variance_ratio[1], 0.7 / 4.9, 1e-6);
  for (int64_t i = 0; i < n; ++i) {
    EXPECT_NEAR(r.embedding.at({i, 0}), ab[i].first, 1e-5);
    EXPECT_NEAR(r.embedding.at({i, 1}), ab[i].second, 1e-5);
  }
}

TEST(VizPca, MoreDimensionsThanPointsUsesTheGramMatrixWithTheSameAnswer) {
  // 3 points in 6-D along (1, 1, 0, 0, 0, 0)/sqrt(2) only: one direction, the second completes
  // an orthonormal pair with variance 0.
  std::vector<double> v = {1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 6, 6, 0, 0, 0, 0};
  const viz::PcaResult r = viz::pca(Tensor::from_vector(v, {3, 6}, Dtype::kFloat64), 2);
  EXPECT_NEAR(r.components.at({0, 0}), 1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r.components.at({0, 1}), 1 / std::sqrt(2.0), 1e-12);
  double dot = 0, norm = 0;
  for (int64_t d = 0; d < 6; ++d) {
    dot += r.components.at({0, d}) * r.components.at({1, d});
    norm += r.components.at({1, d}) * r.components.at({1, d});
  }
  EXPECT_NEAR(dot, 0, 1e-12);
  EXPECT_NEAR(norm, 1, 1e-12);
  EXPECT_NEAR(r.explained_variance_ratio[0], 1, 1e-12);
  EXPECT_EQ(r.explained_variance[1], 0);
  // projections: (x - mean) . (1, 1)/sqrt(2), mean = (3, 3)
  EXPECT_NEAR(r.embedding.at({0, 0}), -4 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(r.embedding.at({2, 0}), 6 / std::sqrt(2.0), 1e-12);
}

TEST(VizPca, BadInputIsAClearError) {
  EXPECT_THROW_WITH(viz::pca(Tensor::zeros({4})), ShapeError,
                    "viz::pca: expected a 2-D tensor (N, D) with N >= 2");
  EXPECT_THROW_WITH(viz::pca(Tensor::zeros({1, 3})), ShapeError, "N >= 2");
  EXPECT_THROW_WITH(viz::pca(Tensor::zeros({4, 3}), 4), ValueError,
                    "viz::pca: expected 1 <= k <= D = 3, got 4");
  EXPECT_THROW_WITH(viz::pca(Tensor::full({4, 3}, std::nan(""))), ValueError,
                    "expected finite values");
}

// ---- t-SNE -------------------------------------------------------------------------------------

TEST(VizTsne, PerplexityCalibrationReachesTheTargetEntropy) {
  Rng rng(1);
  for (double scale : {1.0, 1e4}) {  // far-apart points must not underflow
    std::vector<double> d;
    for (int i = 0; i < 90; ++i) d.push_back(scale * (1 + 5 * rng.uniform()));
    for (double perplexity : {5.0, 30.0}) {
      const viz::PerplexityRow row = viz::binary_search_perplexity(d, perplexity);
      EXPECT_NEAR(row.entropy, std::log(perplexity), 1e-5) << scale << " " << perplexity;
      double sum = 0, h = 0;
      for (double p : row.p) {
        sum += p;
        if (p > 0) h -= p * std::log(p);
      }
      EXPECT_NEAR(sum, 1, 1e-12);
      EXPECT_NEAR(h, std::log(perplexity), 1e-5);  // the reported entropy is the real one
    }
  }
  EXPECT_THROW_WITH(viz::binary_search_perplexity({}, 5), ValueError, "at least one distance");
}

TEST(VizTsne, KlDivergenceEqualsSklearns) {
  // sklearn 1.2.1 (Debian's python3-sklearn), the values below:
  //   X[i, d] = sin(1.3 i + 0.7 d) + 0.1 d, Y[i] = (cos(0.5 i), sin(0.9 i)), i < 30, d < 4
  //   P = _joint_probabilities(pairwise_distances(X, squared=True), perplexity, 0)
  //   _kl_divergence(Y.ravel(), P, 1, 30, 2)[0]
  // This checks the calibration, the symmetrization and the KL formula at once.
  std::vector<double> x, y;
  for (int i = 0; i < 30; ++i) {
    for (int d = 0; d < 4; ++d) x.push_back(std::sin(1.3 * i + 0.7 * d) + 0.1 * d);
    y.push_back(std::cos(0.5 * i));
    y.push_back(std::sin(0.9 * i));
  }
  const Tensor tx = Tensor::from_vector(x, {30, 4}, Dtype::kFloat64);
  const Tensor ty = Tensor::from_vector(y, {30, 2}, Dtype::kFloat64);
  EXPECT_NEAR(viz::tsne_kl_divergence(tx, ty, 5), 2.1047420023059167, 1e-6);
  EXPECT_NEAR(viz::tsne_kl_divergence(tx, ty, 12), 1.1011048745222776, 1e-6);
}

TEST(VizTsne, SeparatesGaussianClustersAndLowersTheKl) {
  std::vector<int64_t> labels;
  const Tensor x = blobs(3, 30, 10, 2, labels);
  const viz::TsneResult r = viz::tsne(x, {.perplexity = 10, .max_iter = 500, .seed = 4});
  EXPECT_FALSE(r.barnes_hut);
  EXPECT_EQ(r.embedding.shape(), Shape({90, 2}));
  EXPECT_EQ(r.learning_rate, 50);  // auto: max(90 / 12 / 4, 50)
  EXPECT_EQ(viz::knn_accuracy(r.embedding, labels, 5), 1.0);
  // After early exaggeration the KL keeps falling, and the result's KL is the exact one.
  ASSERT_GE(r.kl_history.size(), 8u);
  const double after_exaggeration = r.kl_history[5].second;  // iteration 300
  EXPECT_EQ(r.kl_history[5].first, 300);
  EXPECT_LT(r.kl_divergence, after_exaggeration);
  EXPECT_NEAR(r.kl_divergence, viz::tsne_kl_divergence(x, r.embedding, 10), 1e-9);
  // A random embedding of the same points has a much larger KL.
  Rng rng(9);
  const Tensor random = Tensor::normal({90, 2}, 0, 1, rng, Dtype::kFloat64);
  EXPECT_GT(viz::tsne_kl_divergence(x, random, 10), 2 * r.kl_divergence);
}

TEST(VizTsne, SameSeedSameEmbeddingOtherSeedAnother) {
  std::vector<int64_t> labels;
  const Tensor x = blobs(2, 20, 5, 3, labels);
  for (viz::TsneMethod method : {viz::TsneMethod::kExact, viz::TsneMethod::kBarnesHut}) {
    const viz::TsneOptions o{.perplexity = 8, .max_iter = 300, .method = method, .seed = 1};
    const viz::TsneResult a = viz::tsne(x, o), b = viz::tsne(x, o);
    EXPECT_EQ(a.embedding.to_vector(), b.embedding.to_vector());
    EXPECT_EQ(a.kl_divergence, b.kl_divergence);
    viz::TsneOptions other = o;
    other.seed = 2;
    EXPECT_NE(viz::tsne(x, other).embedding.to_vector(), a.embedding.to_vector());
  }
}

TEST(VizTsne, BarnesHutComesCloseToExact) {
  std::vector<int64_t> labels;
  const Tensor x = blobs(4, 40, 8, 5, labels);
  const viz::TsneOptions base{.perplexity = 15, .max_iter = 600, .seed = 3};
  viz::TsneOptions exact = base, bh = base;
  exact.method = viz::TsneMethod::kExact;
  bh.method = viz::TsneMethod::kBarnesHut;
  const viz::TsneResult e = viz::tsne(x, exact), b = viz::tsne(x, bh);
  EXPECT_TRUE(b.barnes_hut);
  // The exact KL of the Barnes-Hut embedding (dense P) is within 10% of the exact method's...
  const double b_exact_kl = viz::tsne_kl_divergence(x, b.embedding, 15);
  EXPECT_NEAR(b_exact_kl, e.kl_divergence, 0.1 * e.kl_divergence);
  // ...and Barnes-Hut's own estimate (sparse P, approximate Q) is close to it.
  EXPECT_NEAR(b.kl_divergence, b_exact_kl, 0.1 * b_exact_kl);
  EXPECT_EQ(viz::knn_accuracy(b.embedding, labels, 5), 1.0);
}

TEST(VizTsne, BarnesHutCopesWithDuplicatePoints) {
  // 10 copies of each of 3 points: identical coordinates share quadtree leaves.
  std::vector<double> v;
  std::vector<int64_t> labels;
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 10; ++i) {
      for (int d = 0; d < 3; ++d) v.push_back(d == c ? 5.0 : 0.0);
      labels.push_back(c);
    }
  }
  const Tensor x = Tensor::from_vector(v, {30, 3}, Dtype::kFloat64);
  const viz::TsneResult r = viz::tsne(
      x, {.perplexity = 5, .max_iter = 300, .method = viz::TsneMethod::kBarnesHut, .seed = 0});
  for (double c : r.embedding.to_vector()) EXPECT_TRUE(std::isfinite(c));
  EXPECT_TRUE(std::isfinite(r.kl_divergence));
  EXPECT_EQ(viz::knn_accuracy(r.embedding, labels, 5), 1.0);
}

TEST(VizTsne, PcaInitStartsFromTheScaledPcaEmbedding) {
  std::vector<int64_t> labels;
  const Tensor x = blobs(2, 10, 4, 6, labels);
  // One step with a negligible learning rate: the embedding is the initial one.
  const viz::TsneResult r = viz::tsne(
      x, {.perplexity = 5, .max_iter = 1, .learning_rate = 1e-12, .init = viz::TsneInit::kPca});
  EXPECT_EQ(r.iterations, 1);
  const Tensor p = viz::pca(x, 2).embedding;
  double mean = 0, var = 0;
  for (int64_t i = 0; i < 20; ++i) mean += p.at({i, 0}) / 20;
  for (int64_t i = 0; i < 20; ++i) var += (p.at({i, 0}) - mean) * (p.at({i, 0}) - mean) / 20;
  const double scale = 1e-4 / std::sqrt(var);
  for (int64_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(r.embedding.at({i, 0}), p.at({i, 0}) * scale, 1e-9);
    EXPECT_NEAR(r.embedding.at({i, 1}), p.at({i, 1}) * scale, 1e-9);
  }
}

TEST(VizTsne, BadInputIsAClearError) {
  const Tensor x = Tensor::zeros({10, 3});
  EXPECT_THROW_WITH(viz::tsne(x, {.perplexity = 10}), ValueError,
                    "viz::tsne: expected 0 < perplexity < N = 10, got 10");
  EXPECT_THROW_WITH(viz::tsne(x, {.perplexity = 0}), ValueError, "got 0");
  EXPECT_THROW_WITH(viz::tsne(Tensor::zeros({1, 3}), {.perplexity = 0.5}), ShapeError,
                    "viz::tsne: expected a 2-D tensor (N, D) with N >= 2");
  EXPECT_THROW_WITH(viz::tsne(x, {.perplexity = 3, .max_iter = 0}), ValueError,
                    "expected max_iter >= 1, got 0");
  EXPECT_THROW_WITH(viz::tsne(x, {.perplexity = 3, .angle = 2}), ValueError,
                    "expected 0 <= angle <= 1, got 2");
  EXPECT_THROW_WITH(viz::tsne(Tensor::zeros({10, 3}, Dtype::kInt64), {.perplexity = 3}), ValueError,
                    "expected float32 or float64 data");
}

// ---- k-NN accuracy -----------------------------------------------------------------------------

TEST(VizKnn, LeaveOneOutMajorityWithTiesToTheNearest) {
  // On a line: 0, 1, 2 (class 0), 10, 11 (class 1), 12 (class 0: an outlier).
  const Tensor x = Tensor::from_vector({0, 1, 2, 10, 11, 12}, {6, 1});
  const std::vector<int64_t> y = {0, 0, 0, 1, 1, 0};
  // k = 1: point 2's nearest is 1 (ok); 10 -> 11 (ok); 11 -> 10 and 12 tie at 1, the lower
  // index 10 is nearer (ok); 12 -> 11 (wrong). 5 of 6.
  EXPECT_NEAR(viz::knn_accuracy(x, y, 1), 5.0 / 6, 1e-12);
  // k = 2: 10 -> {11, 12}: labels 1 and 0 tie, 11 is nearer -> 1 (ok); 11 -> {10, 12}: tie,
  // 10 first -> 1 (ok); 12 -> {11, 10}: 1 (wrong); 0, 1, 2 ok. 5 of 6.
  EXPECT_NEAR(viz::knn_accuracy(x, y, 2), 5.0 / 6, 1e-12);
  // k = 5 sees everyone: 3 votes class 0 except for the class-0 points themselves (2 + 1).
  EXPECT_NEAR(viz::knn_accuracy(x, y, 5), 4.0 / 6, 1e-12);
  EXPECT_THROW_WITH(viz::knn_accuracy(x, y, 6), ValueError,
                    "viz::knn_accuracy: expected 1 <= k <= N - 1 = 5, got 6");
  EXPECT_THROW_WITH(viz::knn_accuracy(x, {0, 1}, 1), ShapeError, "expected 6 labels, got 2");
}

TEST(VizKnn, WideDataThroughGramBlocksAgreesWithTheLabels) {
  std::vector<int64_t> labels;
  const Tensor x = blobs(3, 20, 40, 8, labels);  // D = 40 > 16: the Gram path
  EXPECT_EQ(viz::knn_accuracy(x, labels, 5), 1.0);
  std::vector<int64_t> shuffled = labels;
  std::rotate(shuffled.begin(), shuffled.begin() + 10, shuffled.end());
  EXPECT_LT(viz::knn_accuracy(x, shuffled, 5), 0.8);
}

// ---- scatter plot and CSV ----------------------------------------------------------------------

TEST(VizScatter, DotsInClassColoursAndALegendInClassOrder) {
  const Tensor pts = Tensor::from_vector({0, 0, 1, 1, 0, 1}, {3, 2});
  const std::vector<int64_t> labels = {0, 1, 2};
  const Tensor img = viz::scatter_plot(
      pts, labels,
      {.size = 100, .dot_radius = 2, .class_names = {"a", "b", "c", "d"}, .title = ""});
  ASSERT_EQ(img.dim(), 3);
  EXPECT_EQ(img.size(0), 3);
  EXPECT_EQ(img.size(1), 16 + 100 + 16);  // margins; 4 legend lines fit in the plot's height
  const auto pixel = [&](int64_t y, int64_t x) {
    return std::array<float, 3>{static_cast<float>(img.at({0, y, x})),
                                static_cast<float>(img.at({1, y, x})),
                                static_cast<float>(img.at({2, y, x}))};
  };
  // (0, 0) is the bottom-left corner of the fitted box: 4% inside the 100-pixel square.
  const int64_t lo = 16 + std::lround(49.5 - 0.5 * 99 * 0.92),
                hi = 16 + std::lround(49.5 + 0.5 * 99 * 0.92);
  EXPECT_EQ(pixel(hi, lo), viz::class_color(0));                        // (0, 0): bottom left
  EXPECT_EQ(pixel(lo, hi), viz::class_color(1));                        // (1, 1): top right
  EXPECT_EQ(pixel(lo, lo), viz::class_color(2));                        // (0, 1): top left
  EXPECT_EQ(pixel(lo + 25, lo + 25), (std::array<float, 3>{1, 1, 1}));  // background
  // Legend squares at x = 16 + 100 + 20, one line (22 px) per class, class 3 included.
  for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(pixel(16 + c * 22 + 5, 136 + 5), viz::class_color(c));
  EXPECT_EQ(viz::class_color(0), (std::array<float, 3>{0x1f / 255.f, 0x77 / 255.f, 0xb4 / 255.f}));
  EXPECT_EQ(viz::class_color(13), viz::class_color(3));
}

TEST(VizScatter, BadInputIsAClearError) {
  const Tensor pts = Tensor::zeros({2, 2});
  EXPECT_THROW_WITH(viz::scatter_plot(pts, {0}), ShapeError,
                    "viz::scatter_plot: expected points (N, 2) with N = 1 labels, got [2, 2]");
  EXPECT_THROW_WITH(viz::scatter_plot(pts, {0, -1}), ValueError, "expected labels >= 0, got -1");
  EXPECT_THROW_WITH(
      viz::scatter_plot(pts, {0, 1}, {.size = 10, .dot_radius = 2, .class_names = {}, .title = ""}),
      ValueError, "size in [64, 8192]");
  EXPECT_THROW_WITH(viz::scatter_plot(Tensor::full({1, 2}, INFINITY), {0}), ValueError,
                    "expected finite coordinates");
}

TEST(VizScatter, CsvHoldsTheCoordinatesAndLabels) {
  const std::string path =
      (std::filesystem::temp_directory_path() / "cnnlab_embedding_test.csv").string();
  viz::write_embedding_csv(path, Tensor::from_vector({0.5, -1.25, 3, 4}, {2, 2}), {7, 1});
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "x,y,label\n0.5,-1.25,7\n3,4,1\n");
  std::filesystem::remove(path);
  EXPECT_THROW_WITH(viz::write_embedding_csv("/nonexistent/e.csv", Tensor::zeros({1, 2}), {0}),
                    IoError, "/nonexistent/e.csv");
}

}  // namespace
}  // namespace cnnlab
