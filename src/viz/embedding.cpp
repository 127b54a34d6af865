// viz::extract_features, viz::pca, viz::tsne and viz::knn_accuracy:
// include/cnnlab/viz/embedding.hpp. t-SNE follows sklearn.manifold.TSNE (the _t_sne.py /
// _barnes_hut_tsne.pyx formulas), exact and Barnes-Hut; PCA is Eigen's symmetric eigen-solver;
// neighbours are exact (blocked Gram products through Eigen for wide data).
#include "cnnlab/viz/embedding.hpp"

// NOTE: GCC 12 with -march=native (AVX-512) reports false -Wmaybe-uninitialized warnings inside
// Eigen's vectorized kernels, at the intrinsics' lines; they are silenced for this file only.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <utility>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/viz/layers.hpp"
#include "kernels/fast/parallel.hpp"

namespace cnnlab::viz {

namespace {

using kernels::fast::parallel_for;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr double kMachineEpsilon = std::numeric_limits<double>::epsilon();  // sklearn's
constexpr double kFloat32Tiny = 1.1754943508222875e-38;  // np.finfo(np.float32).tiny

/// x (N, D) as float64 row-major values; checks rank, N >= min_rows and finiteness.
std::vector<double> as_matrix(const Tensor& x, const char* who, int64_t min_rows) {
  CNNLAB_CHECK(x.defined() && x.dim() == 2 && x.size(0) >= min_rows && x.size(1) >= 1, ShapeError,
               who, ": expected a 2-D tensor (N, D) with N >= ", min_rows, " and D >= 1, got ",
               x.defined() ? x.shape().str() : std::string("an undefined tensor"));
  CNNLAB_CHECK(x.dtype() == Dtype::kFloat32 || x.dtype() == Dtype::kFloat64, ValueError, who,
               ": expected float32 or float64 data, got ", x.dtype());
  const Tensor d = x.detach().to_strided().to(Dtype::kFloat64);
  std::vector<double> out(d.data<double>(), d.data<double>() + d.numel());
  for (size_t i = 0; i < out.size(); ++i) {
    CNNLAB_CHECK(std::isfinite(out[i]), ValueError, who, ": expected finite values, got ", out[i],
                 " at row ", static_cast<int64_t>(i) / x.size(1), ", column ",
                 static_cast<int64_t>(i) % x.size(1));
  }
  return out;
}

/// The k nearest other points of every row of x (n, d): idx[i * k + m] and their squared
/// Euclidean distances, sorted by (distance, index). Exact. Wide data (d > 16) goes through
/// Gram blocks ||a||^2 + ||b||^2 - 2 a.b (clamped at 0), narrow data through direct sums.
void nearest_neighbours(const std::vector<double>& x, int64_t n, int64_t d, int64_t k,
                        std::vector<int64_t>& idx, std::vector<double>& dist) {
  idx.assign(static_cast<size_t>(n * k), 0);
  dist.assign(static_cast<size_t>(n * k), 0.0);
  const Eigen::Map<const RowMatrix> X(x.data(), n, d);
  const Eigen::VectorXd norms = X.rowwise().squaredNorm();
  const bool wide = d > 16;
  const int64_t block = 512;
  RowMatrix gram;
  for (int64_t b = 0; b < n; b += block) {
    const int64_t rows = std::min(block, n - b);
    if (wide) gram.noalias() = X.middleRows(b, rows) * X.transpose();
    parallel_for(rows, 8, [&](int64_t begin, int64_t end) {
      std::vector<std::pair<double, int64_t>> row(static_cast<size_t>(n - 1));
      for (int64_t r = begin; r < end; ++r) {
        const int64_t i = b + r;
        size_t m = 0;
        for (int64_t j = 0; j < n; ++j) {
          if (j == i) continue;
          double s;
          if (wide) {
            s = std::max(0.0, norms[i] + norms[j] - 2.0 * gram(r, j));
          } else {
            s = 0;
            for (int64_t c = 0; c < d; ++c) {
              const double t = x[i * d + c] - x[j * d + c];
              s += t * t;
            }
          }
          row[m++] = {s, j};
        }
        std::partial_sort(row.begin(), row.begin() + k, row.end());
        for (int64_t m2 = 0; m2 < k; ++m2) {
          idx[i * k + m2] = row[m2].second;
          dist[i * k + m2] = row[m2].first;
        }
      }
    });
  }
}

/// sklearn's _binary_search_perplexity on one row of n squared distances; writes p (n).
/// NOTE: the distances are shifted by their minimum first. p and the entropy do not change
/// (exp(-beta (d - m)) / sum = exp(-beta d) / sum), but exp() cannot underflow to an all-zero
/// row for far-apart points, which in sklearn costs dozens of halvings of beta.
double calibrate_row(const double* d, int64_t n, double perplexity, double tolerance, int max_steps,
                     double* p, double* beta_out) {
  const double shift = *std::min_element(d, d + n);
  const double desired = std::log(perplexity);
  double beta = 1.0, beta_min = -std::numeric_limits<double>::infinity(),
         beta_max = std::numeric_limits<double>::infinity(), entropy = 0.0;
  for (int step = 0; step < max_steps; ++step) {
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      p[j] = std::exp(-(d[j] - shift) * beta);
      sum += p[j];
    }
    double sum_dp = 0.0;
    for (int64_t j = 0; j < n; ++j) {
      p[j] /= sum;
      sum_dp += (d[j] - shift) * p[j];
    }
    entropy = std::log(sum) + beta * sum_dp;
    const double diff = entropy - desired;
    if (std::fabs(diff) <= tolerance) break;
    if (diff > 0.0) {
      beta_min = beta;
      beta = std::isinf(beta_max) ? beta * 2.0 : (beta + beta_max) / 2.0;
    } else {
      beta_max = beta;
      beta = std::isinf(beta_min) ? beta / 2.0 : (beta + beta_min) / 2.0;
    }
  }
  *beta_out = beta;
  return entropy;
}

void check_tsne_options(const TsneOptions& o, int64_t n) {
  CNNLAB_CHECK(o.perplexity > 0 && o.perplexity < static_cast<double>(n), ValueError,
               "viz::tsne: expected 0 < perplexity < N = ", n, ", got ", o.perplexity);
  CNNLAB_CHECK(o.max_iter >= 1, ValueError, "viz::tsne: expected max_iter >= 1, got ", o.max_iter);
  CNNLAB_CHECK(o.exaggeration_iter >= 0, ValueError,
               "viz::tsne: expected exaggeration_iter >= 0, got ", o.exaggeration_iter);
  CNNLAB_CHECK(o.early_exaggeration > 0, ValueError,
               "viz::tsne: expected early_exaggeration > 0, got ", o.early_exaggeration);
  CNNLAB_CHECK(o.angle >= 0 && o.angle <= 1, ValueError,
               "viz::tsne: expected 0 <= angle <= 1, got ", o.angle);
  CNNLAB_CHECK(o.log_every >= 1, ValueError, "viz::tsne: expected log_every >= 1, got ",
               o.log_every);
}

/// The dense symmetrized P (n x n, zero diagonal, sum 1, off-diagonal floored at machine
/// epsilon as sklearn's _joint_probabilities).
std::vector<double> dense_joint_probabilities(const std::vector<double>& x, int64_t n, int64_t d,
                                              double perplexity) {
  std::vector<double> cond(static_cast<size_t>(n * n), 0.0);
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    std::vector<double> dist(static_cast<size_t>(n - 1)), p(static_cast<size_t>(n - 1));
    for (int64_t i = begin; i < end; ++i) {
      int64_t m = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (j == i) continue;
        double s = 0;
        for (int64_t c = 0; c < d; ++c) {
          const double t = x[i * d + c] - x[j * d + c];
          s += t * t;
        }
        dist[m++] = s;
      }
      double beta;
      calibrate_row(dist.data(), n - 1, perplexity, 1e-5, 100, p.data(), &beta);
      m = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (j != i) cond[i * n + j] = p[m++];
      }
    }
  });
  std::vector<double> P(static_cast<size_t>(n * n), 0.0);
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      if (i != j) total += cond[i * n + j] + cond[j * n + i];
    }
  }
  total = std::max(total, kMachineEpsilon);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      if (i != j)
        P[i * n + j] = std::max((cond[i * n + j] + cond[j * n + i]) / total, kMachineEpsilon);
    }
  }
  return P;
}

/// Exact KL(P || Q) and its gradient (sklearn's _kl_divergence, one degree of freedom).
/// P is scaled by `exaggeration`. grad may be null (KL only).
// NOTE: the diagonal needs no branch: P_ii = 0 and the kernel value is set to 0 there, so its
// gradient and KL terms vanish. Coordinates are split into x and y arrays so the j loops
// vectorize.
double exact_kl_gradient(const std::vector<double>& P, double exaggeration, const double* y,
                         int64_t n, double* grad, bool compute_kl) {
  std::vector<double> ex(static_cast<size_t>(n)), ey(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ex[i] = y[2 * i];
    ey[i] = y[2 * i + 1];
  }
  std::vector<double> num(static_cast<size_t>(n * n)), row_sum(static_cast<size_t>(n));
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double* row = &num[static_cast<size_t>(i * n)];
      const double xi = ex[i], yi = ey[i];
      double s = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double dx = xi - ex[j], dy = yi - ey[j];
        row[j] = 1.0 / (1.0 + dx * dx + dy * dy);
        s += row[j];
      }
      s -= row[i];
      row[i] = 0.0;
      row_sum[i] = s;
    }
  });
  const double inv_z = 1.0 / std::accumulate(row_sum.begin(), row_sum.end(), 0.0);
  std::vector<double> row_kl(static_cast<size_t>(n), 0.0);
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double* row = &num[static_cast<size_t>(i * n)];
      const double* prow = &P[static_cast<size_t>(i * n)];
      const double xi = ex[i], yi = ey[i];
      double gx = 0, gy = 0, kl = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double p = prow[j] * exaggeration;
        const double q = std::max(row[j] * inv_z, kMachineEpsilon);
        const double f = (p - q) * row[j];
        gx += f * (xi - ex[j]);
        gy += f * (yi - ey[j]);
      }
      if (compute_kl) {
        for (int64_t j = 0; j < n; ++j) {
          if (j == i) continue;
          const double p = prow[j] * exaggeration;
          kl += p *
                std::log(std::max(p, kMachineEpsilon) / std::max(row[j] * inv_z, kMachineEpsilon));
        }
      }
      if (grad != nullptr) {
        grad[2 * i] = 4.0 * gx;
        grad[2 * i + 1] = 4.0 * gy;
      }
      row_kl[i] = kl;
    }
  });
  return std::accumulate(row_kl.begin(), row_kl.end(), 0.0);
}

/// Sparse symmetric P in CSR form (both (i, j) and (j, i) stored), sum 1.
struct SparseP {
  std::vector<int64_t> row_start;  // n + 1
  std::vector<int64_t> col;
  std::vector<double> val;
};

SparseP sparse_joint_probabilities(const std::vector<double>& x, int64_t n, int64_t d,
                                   double perplexity) {
  const int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(3.0 * perplexity + 1.0));
  std::vector<int64_t> idx;
  std::vector<double> dist;
  nearest_neighbours(x, n, d, k, idx, dist);
  std::vector<double> cond(static_cast<size_t>(n * k));
  parallel_for(n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double beta;
      calibrate_row(&dist[i * k], k, perplexity, 1e-5, 100, &cond[i * k], &beta);
    }
  });
  // P + P^T: collect both directions, sort by (row, column), merge duplicates.
  std::vector<std::pair<std::pair<int64_t, int64_t>, double>> entries;
  entries.reserve(static_cast<size_t>(2 * n * k));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t m = 0; m < k; ++m) {
      const int64_t j = idx[i * k + m];
      entries.push_back({{i, j}, cond[i * k + m]});
      entries.push_back({{j, i}, cond[i * k + m]});
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  SparseP P;
  P.row_start.assign(static_cast<size_t>(n + 1), 0);
  double total = 0;
  for (size_t e = 0; e < entries.size();) {
    const auto key = entries[e].first;
    double v = 0;
    for (; e < entries.size() && entries[e].first == key; ++e) v += entries[e].second;
    P.col.push_back(key.second);
    P.val.push_back(v);
    P.row_start[key.first + 1]++;
    total += v;
  }
  for (int64_t i = 0; i < n; ++i) P.row_start[i + 1] += P.row_start[i];
  total = std::max(total, kMachineEpsilon);
  for (double& v : P.val) v /= total;
  return P;
}

/// A point-region quadtree over the 2-D embedding, rebuilt every iteration: each cell keeps its
/// point count and the sum of its points (centre of mass = sum / count). A leaf holds one point,
/// or several at identical coordinates (chained through next_), or any number at depth 48.
class QuadTree {
 public:
  QuadTree(const double* y, int64_t n) : y_(y), next_(static_cast<size_t>(n), -1) {
    double lo_x = y[0], hi_x = y[0], lo_y = y[1], hi_y = y[1];
    for (int64_t i = 1; i < n; ++i) {
      lo_x = std::min(lo_x, y[2 * i]);
      hi_x = std::max(hi_x, y[2 * i]);
      lo_y = std::min(lo_y, y[2 * i + 1]);
      hi_y = std::max(hi_y, y[2 * i + 1]);
    }
    const double half = std::max({(hi_x - lo_x) / 2, (hi_y - lo_y) / 2, 1e-12}) * (1 + 1e-6);
    nodes_.reserve(static_cast<size_t>(4 * n));
    nodes_.push_back(Node{(lo_x + hi_x) / 2, (lo_y + hi_y) / 2, half});
    for (int64_t i = 0; i < n; ++i) insert(i);
  }

  /// The repulsive terms of point i: sum over j != i of q_ij^2 (y_i - y_j) into (fx, fy) and of
  /// q_ij = 1 / (1 + |y_i - y_j|^2) into the return value, cells summarized by their centre of
  /// mass when width / distance < theta.
  double repulsion(int64_t i, double theta, double& fx, double& fy) const {
    const double xi = y_[2 * i], yi = y_[2 * i + 1], theta2 = theta * theta;
    double sum_q = 0;
    fx = fy = 0;
    int32_t stack[256];
    int top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const Node& node = nodes_[static_cast<size_t>(stack[--top])];
      if (node.count == 0) continue;
      if (node.child[0] < 0) {  // a leaf: its points one by one
        for (int64_t j = node.point; j >= 0; j = next_[j]) {
          if (j == i) continue;
          const double dx = xi - y_[2 * j], dy = yi - y_[2 * j + 1];
          const double q = 1.0 / (1.0 + dx * dx + dy * dy);
          sum_q += q;
          fx += q * q * dx;
          fy += q * q * dy;
        }
        continue;
      }
      const double cx = xi - node.sum_x / node.count, cy = yi - node.sum_y / node.count;
      const double d2 = cx * cx + cy * cy, width = 2 * node.half;
      if (width * width < theta2 * d2) {
        const double q = 1.0 / (1.0 + d2), c = static_cast<double>(node.count);
        sum_q += c * q;
        fx += c * q * q * cx;
        fy += c * q * q * cy;
      } else {
        for (int32_t c : node.child) stack[top++] = c;
      }
    }
    return sum_q;
  }

 private:
  struct Node {
    double cx, cy, half;  // the square cell: centre and half width
    double sum_x = 0, sum_y = 0;
    int64_t count = 0;
    int32_t child[4] = {-1, -1, -1, -1};
    int64_t point = -1;  // a leaf's first point (chain through next_)
  };

  int quadrant(const Node& node, int64_t i) const {
    return (y_[2 * i] >= node.cx ? 1 : 0) + (y_[2 * i + 1] >= node.cy ? 2 : 0);
  }

  void insert(int64_t i) {
    int32_t at = 0;
    for (int depth = 0;; ++depth) {
      Node& node = nodes_[static_cast<size_t>(at)];
      node.count++;
      node.sum_x += y_[2 * i];
      node.sum_y += y_[2 * i + 1];
      if (node.child[0] >= 0) {
        at = node.child[quadrant(node, i)];
        continue;
      }
      if (node.point < 0) {
        node.point = i;
        return;
      }
      const int64_t p = node.point;
      if ((y_[2 * p] == y_[2 * i] && y_[2 * p + 1] == y_[2 * i + 1]) || depth >= 48) {
        next_[i] = node.point;
        node.point = i;
        return;
      }
      // Split: the resident chain (identical points) moves into one child, then i goes on.
      const double h = node.half / 2, cx = node.cx, cy = node.cy;
      const int32_t first = static_cast<int32_t>(nodes_.size());
      for (int q = 0; q < 4; ++q) {
        nodes_.push_back(Node{cx + ((q & 1) ? h : -h), cy + ((q & 2) ? h : -h), h});
      }
      Node& parent = nodes_[static_cast<size_t>(at)];  // push_back may have moved it
      for (int q = 0; q < 4; ++q) parent.child[q] = first + q;
      Node& child = nodes_[static_cast<size_t>(first + quadrant(parent, p))];
      child.point = p;
      for (int64_t j = p; j >= 0; j = next_[j]) {
        child.count++;
        child.sum_x += y_[2 * j];
        child.sum_y += y_[2 * j + 1];
      }
      parent.point = -1;
      at = parent.child[quadrant(parent, i)];
    }
  }

  const double* y_;
  std::vector<int64_t> next_;
  std::vector<Node> nodes_;
};

/// Barnes-Hut KL(P || Q) gradient (sklearn's _barnes_hut_tsne.gradient, times 4 as
/// _kl_divergence_bh). Returns the KL divergence when compute_kl, with P scaled by exaggeration.
double barnes_hut_kl_gradient(const SparseP& P, double exaggeration, const double* y, int64_t n,
                              double theta, double* grad, bool compute_kl) {
  const QuadTree tree(y, n);
  std::vector<double> neg(static_cast<size_t>(2 * n)), sum_q(static_cast<size_t>(n));
  parallel_for(n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      sum_q[i] = tree.repulsion(i, theta, neg[2 * i], neg[2 * i + 1]);
    }
  });
  const double z = std::accumulate(sum_q.begin(), sum_q.end(), 0.0);
  std::vector<double> row_kl(static_cast<size_t>(n), 0.0);
  parallel_for(n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double px = 0, py = 0, kl = 0;
      for (int64_t e = P.row_start[i]; e < P.row_start[i + 1]; ++e) {
        const int64_t j = P.col[e];
        const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        const double q = 1.0 / (1.0 + dx * dx + dy * dy), p = P.val[e] * exaggeration;
        px += p * q * dx;
        py += p * q * dy;
        if (compute_kl)
          kl += p * std::log(std::max(p, kFloat32Tiny) / std::max(q / z, kFloat32Tiny));
      }
      grad[2 * i] = 4.0 * (px - neg[2 * i] / z);
      grad[2 * i + 1] = 4.0 * (py - neg[2 * i + 1] / z);
      row_kl[i] = kl;
    }
  });
  return std::accumulate(row_kl.begin(), row_kl.end(), 0.0);
}

}  // namespace

// ---- features ----------------------------------------------------------------------------------

std::string last_linear_layer(nn::Module& model) {
  std::string last;
  for (const auto& [name, module] : model.named_modules()) {
    if (!name.empty() && module->type_name() == "Linear") last = name;
  }
  if (last.empty()) {
    std::string valid;
    for (const std::string& n : layer_names(model)) valid += (valid.empty() ? "" : ", ") + n;
    throw ValueError(
        "viz::last_linear_layer: expected a model with a Linear layer, got none "
        "(layers: " +
        valid + ")");
  }
  return last;
}

Tensor extract_features(nn::Module& model, const Tensor& images, const FeatureOptions& options) {
  CNNLAB_CHECK(images.defined() && images.dim() == 4 && images.size(0) >= 1, ShapeError,
               "viz::extract_features: expected images (N, C, H, W) with N >= 1, got ",
               images.defined() ? images.shape().str() : std::string("an undefined tensor"));
  CNNLAB_CHECK(options.batch_size >= 1, ValueError,
               "viz::extract_features: expected batch_size >= 1, got ", options.batch_size);
  const bool penultimate = options.layer.empty();
  const std::string name = penultimate ? last_linear_layer(model) : options.layer;
  nn::Module& layer = find_layer(model, name, "viz::extract_features");

  const int64_t n = images.size(0);
  Tensor features;  // (n, D) float32, allocated at the first batch
  int64_t offset = 0, rows = 0;
  bool seen = false;
  struct HookGuard {
    nn::Module& m;
    int id;
    ~HookGuard() { m.remove_forward_hook(id); }
  } guard{layer, layer.register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor& out) {
            const Tensor t = (penultimate ? in : out).to_strided().to(Dtype::kFloat32);
            CNNLAB_CHECK(t.dim() >= 1 && t.size(0) == rows, ShapeError,
                         "viz::extract_features: ", "expected layer '", name,
                         "' to see a batch of ", rows, ", got ", t.shape());
            const int64_t dim = t.numel() / rows;
            if (!features.defined()) features = Tensor::empty({n, dim});
            CNNLAB_CHECK(features.size(1) == dim, ShapeError, "viz::extract_features: expected ",
                         features.size(1), " features per image at layer '", name, "', got ", dim);
            std::memcpy(features.data<float>() + offset * dim, t.data<float>(),
                        static_cast<size_t>(t.numel()) * sizeof(float));
            seen = true;
            return Tensor();
          })};
  NoGradGuard no_grad;
  for (offset = 0; offset < n; offset += options.batch_size) {
    rows = std::min(options.batch_size, n - offset);
    seen = false;
    model(images.narrow(0, offset, rows));
    CNNLAB_CHECK(seen, StateError, "viz::extract_features: layer '", name,
                 "' did not run in the forward pass");
  }
  return features;
}

// ---- PCA ---------------------------------------------------------------------------------------

PcaResult pca(const Tensor& x, int64_t k) {
  const std::vector<double> values = as_matrix(x, "viz::pca", 2);
  const int64_t n = x.size(0), d = x.size(1);
  CNNLAB_CHECK(k >= 1 && k <= d, ValueError, "viz::pca: expected 1 <= k <= D = ", d, ", got ", k);
  RowMatrix X = Eigen::Map<const RowMatrix>(values.data(), n, d);
  const Eigen::RowVectorXd mean = X.colwise().mean();
  X.rowwise() -= mean;
  const double total = X.squaredNorm() / static_cast<double>(n - 1);

  // Components as rows of V (k, D) and their variances.
  RowMatrix V(k, d);
  std::vector<double> variance(static_cast<size_t>(k));
  if (d <= n) {
    const Eigen::MatrixXd cov = (X.transpose() * X) / static_cast<double>(n - 1);
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
    for (int64_t c = 0; c < k; ++c) {  // eigenvalues ascend: take from the end
      V.row(c) = eig.eigenvectors().col(d - 1 - c).transpose();
      variance[c] = std::max(0.0, eig.eigenvalues()(d - 1 - c));
    }
  } else {
    // NOTE: D > N: the Gram matrix X X^T (N x N) has the same non-zero eigenvalues; its unit
    // eigenvectors u give the components X^T u / ||X^T u||. Directions beyond the rank are
    // completed by Gram-Schmidt on the coordinate axes.
    const Eigen::MatrixXd gram = X * X.transpose();
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram);
    int64_t filled = 0;
    for (int64_t c = 0; c < k && c < n; ++c) {
      const double lambda = eig.eigenvalues()(n - 1 - c);
      Eigen::RowVectorXd v = (X.transpose() * eig.eigenvectors().col(n - 1 - c)).transpose();
      const double norm = v.norm();
      if (lambda <= 1e-12 * std::max(1.0, eig.eigenvalues()(n - 1)) || norm == 0) break;
      V.row(c) = v / norm;
      variance[c] = lambda / static_cast<double>(n - 1);
      filled = c + 1;
    }
    for (int64_t c = filled, axis = 0; c < k && axis < d; ++axis) {
      Eigen::RowVectorXd v = Eigen::RowVectorXd::Unit(d, axis);
      for (int64_t o = 0; o < c; ++o) v -= v.dot(V.row(o)) * V.row(o);
      if (v.norm() < 1e-6) continue;
      V.row(c) = v / v.norm();
      variance[c] = 0;
      ++c;
    }
  }
  // Sign: the entry of largest magnitude positive (sklearn's svd_flip, u_based_decision=False).
  for (int64_t c = 0; c < k; ++c) {
    Eigen::Index at = 0;
    V.row(c).cwiseAbs().maxCoeff(&at);
    if (V(c, at) < 0) V.row(c) *= -1.0;
  }
  const RowMatrix Y = X * V.transpose();  // (N, k)

  PcaResult result;
  result.embedding = Tensor::empty({n, k}, Dtype::kFloat64);
  std::memcpy(result.embedding.data<double>(), Y.data(),
              sizeof(double) * static_cast<size_t>(n * k));
  result.components = Tensor::empty({k, d}, Dtype::kFloat64);
  std::memcpy(result.components.data<double>(), V.data(),
              sizeof(double) * static_cast<size_t>(k * d));
  result.mean = Tensor::empty({d}, Dtype::kFloat64);
  std::memcpy(result.mean.data<double>(), mean.data(), sizeof(double) * static_cast<size_t>(d));
  result.explained_variance = variance;
  for (double v : variance) result.explained_variance_ratio.push_back(total > 0 ? v / total : 0.0);
  return result;
}

// ---- t-SNE -------------------------------------------------------------------------------------

PerplexityRow binary_search_perplexity(const std::vector<double>& squared_distances,
                                       double perplexity, double tolerance, int max_steps) {
  CNNLAB_CHECK(!squared_distances.empty(), ValueError,
               "viz::binary_search_perplexity: expected at least one distance, got none");
  CNNLAB_CHECK(perplexity > 0, ValueError,
               "viz::binary_search_perplexity: expected perplexity > 0, got ", perplexity);
  PerplexityRow row;
  row.p.resize(squared_distances.size());
  row.entropy =
      calibrate_row(squared_distances.data(), static_cast<int64_t>(squared_distances.size()),
                    perplexity, tolerance, max_steps, row.p.data(), &row.beta);
  return row;
}

TsneResult tsne(const Tensor& x, const TsneOptions& options) {
  const std::vector<double> values = as_matrix(x, "viz::tsne", 2);
  const int64_t n = x.size(0), d = x.size(1);
  check_tsne_options(options, n);
  TsneResult result;
  result.barnes_hut =
      options.method == TsneMethod::kBarnesHut || (options.method == TsneMethod::kAuto && n > 1000);
  result.learning_rate =
      options.learning_rate > 0
          ? options.learning_rate
          : std::max(static_cast<double>(n) / options.early_exaggeration / 4.0, 50.0);

  std::vector<double> dense;
  SparseP sparse;
  if (result.barnes_hut) {
    sparse = sparse_joint_probabilities(values, n, d, options.perplexity);
  } else {
    dense = dense_joint_probabilities(values, n, d, options.perplexity);
  }

  // Initial embedding.
  std::vector<double> y(static_cast<size_t>(2 * n));
  if (options.init == TsneInit::kPca) {
    // NOTE: D = 1 has one component; the second coordinate is then seeded noise.
    const PcaResult p = pca(x, std::min<int64_t>(2, d));
    const std::vector<double> e = p.embedding.to_vector();
    const int64_t k = p.embedding.size(1);
    double mean0 = 0, var0 = 0;
    for (int64_t i = 0; i < n; ++i) mean0 += e[i * k];
    mean0 /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) var0 += (e[i * k] - mean0) * (e[i * k] - mean0);
    const double std0 = std::sqrt(var0 / static_cast<double>(n));
    const double scale = std0 > 0 ? 1e-4 / std0 : 0.0;
    Rng rng(options.seed);
    for (int64_t i = 0; i < n; ++i) {
      y[2 * i] = e[i * k] * scale;
      y[2 * i + 1] = k > 1 ? e[i * k + 1] * scale : 1e-4 * rng.normal();
      if (std0 == 0) y[2 * i] = 1e-4 * rng.normal();
    }
  } else {
    Rng rng(options.seed);
    for (double& v : y) v = 1e-4 * rng.normal();
  }

  std::vector<double> grad(y.size()), update(y.size(), 0.0), gains(y.size(), 1.0);
  const auto objective = [&](double exaggeration, bool compute_kl) {
    return result.barnes_hut
               ? barnes_hut_kl_gradient(sparse, exaggeration, y.data(), n, options.angle,
                                        grad.data(), compute_kl)
               : exact_kl_gradient(dense, exaggeration, y.data(), n, grad.data(), compute_kl);
  };
  int64_t it = 0;
  for (; it < options.max_iter; ++it) {
    const bool exaggerated = it < options.exaggeration_iter;
    if (it == options.exaggeration_iter && it > 0) {
      // NOTE: sklearn runs the two stages as two calls of _gradient_descent, each starting from
      // zero update and unit gains; so do we.
      std::fill(update.begin(), update.end(), 0.0);
      std::fill(gains.begin(), gains.end(), 1.0);
    }
    const double exaggeration = exaggerated ? options.early_exaggeration : 1.0;
    const double momentum = exaggerated ? options.momentum : options.final_momentum;
    const bool log_now = (it + 1) % options.log_every == 0;
    const double kl = objective(exaggeration, log_now);
    double norm2 = 0;
    for (size_t c = 0; c < y.size(); ++c) {
      gains[c] = update[c] * grad[c] < 0.0 ? gains[c] + 0.2 : gains[c] * 0.8;
      gains[c] = std::max(gains[c], options.min_gain);
      const double g = grad[c] * gains[c];
      norm2 += g * g;
      update[c] = momentum * update[c] - result.learning_rate * g;
      y[c] += update[c];
    }
    if (log_now) result.kl_history.push_back({it + 1, kl});
    if (std::sqrt(norm2) <= options.min_grad_norm) {
      ++it;
      break;
    }
  }
  result.iterations = it;
  // The final KL, of the embedding returned, with the unexaggerated P.
  result.kl_divergence =
      result.barnes_hut
          ? barnes_hut_kl_gradient(sparse, 1.0, y.data(), n, options.angle, grad.data(), true)
          : exact_kl_gradient(dense, 1.0, y.data(), n, grad.data(), true);
  if (result.kl_history.empty() || result.kl_history.back().first != it) {
    result.kl_history.push_back({it, result.kl_divergence});
  }
  result.embedding = Tensor::empty({n, 2}, Dtype::kFloat64);
  std::memcpy(result.embedding.data<double>(), y.data(), sizeof(double) * y.size());
  return result;
}

double tsne_kl_divergence(const Tensor& x, const Tensor& y, double perplexity) {
  const std::vector<double> values = as_matrix(x, "viz::tsne_kl_divergence", 2);
  const int64_t n = x.size(0), d = x.size(1);
  CNNLAB_CHECK(perplexity > 0 && perplexity < static_cast<double>(n), ValueError,
               "viz::tsne_kl_divergence: expected 0 < perplexity < N = ", n, ", got ", perplexity);
  const std::vector<double> emb = as_matrix(y, "viz::tsne_kl_divergence", 2);
  CNNLAB_CHECK(y.size(0) == n && y.size(1) == 2, ShapeError,
               "viz::tsne_kl_divergence: expected an embedding (", n, ", 2), got ", y.shape());
  const std::vector<double> P = dense_joint_probabilities(values, n, d, perplexity);
  return exact_kl_gradient(P, 1.0, emb.data(), n, nullptr, true);
}

// ---- quality -----------------------------------------------------------------------------------

double knn_accuracy(const Tensor& points, const std::vector<int64_t>& labels, int64_t k) {
  const std::vector<double> values = as_matrix(points, "viz::knn_accuracy", 1);
  const int64_t n = points.size(0), d = points.size(1);
  CNNLAB_CHECK(static_cast<int64_t>(labels.size()) == n, ShapeError, "viz::knn_accuracy: expected ",
               n, " labels, got ", labels.size());
  CNNLAB_CHECK(k >= 1 && k <= n - 1, ValueError,
               "viz::knn_accuracy: expected 1 <= k <= N - 1 = ", n - 1, ", got ", k);
  std::vector<int64_t> idx;
  std::vector<double> dist;
  nearest_neighbours(values, n, d, k, idx, dist);
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    // Votes per label; the winner has the most votes, ties going to the label seen first
    // (its nearest neighbour is the nearer one, as neighbours come sorted).
    int64_t best = -1, best_votes = 0;
    for (int64_t m = 0; m < k; ++m) {
      const int64_t label = labels[idx[i * k + m]];
      int64_t votes = 0;
      for (int64_t m2 = 0; m2 < k; ++m2) votes += labels[idx[i * k + m2]] == label ? 1 : 0;
      if (votes > best_votes) {
        best_votes = votes;
        best = label;
      }
    }
    correct += best == labels[i] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace cnnlab::viz
