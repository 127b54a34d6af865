// nn::BatchNorm1d and nn::BatchNorm2d (torch.nn names, options and buffers) over ops::batch_norm
// (cnnlab/ops/norm.hpp; backward derived in docs/derivations/batch_norm_backward.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

/// Configuration of BatchNorm1d / BatchNorm2d, with torch.nn.BatchNorm2d's field names and
/// defaults.
struct BatchNormOptions {
  int64_t num_features = 0;  ///< C; required, > 0
  double eps = 1e-5;         ///< added to the variance, >= 0
  /// running = (1 - momentum) * running + momentum * batch statistic, in [0, 1]. std::nullopt
  /// means a cumulative average (momentum 1 / num_batches_tracked), as PyTorch's None.
  std::optional<double> momentum = 0.1;
  bool affine = true;               ///< learnable "weight" and "bias"
  bool track_running_stats = true;  ///< keep "running_mean", "running_var", "num_batches_tracked"
};

/// Shared implementation of BatchNorm1d and BatchNorm2d: y = (x - mean) / sqrt(var + eps) *
/// weight + bias per channel.
///
/// Training mode (is_training()): normalizes with the batch statistics over every dim but C
/// (biased variance), increments num_batches_tracked and updates the running statistics in
/// place with the unbiased variance. Eval mode: normalizes with the running statistics; without
/// them (track_running_stats = false) it uses batch statistics in both modes, as PyTorch does.
/// Parameters (when affine): "weight" (C) ones, "bias" (C) zeros. Buffers (when
/// track_running_stats): "running_mean" (C) zeros, "running_var" (C) ones, and
/// "num_batches_tracked" an int64 scalar 0. All float tensors are float32.
/// The constructor throws ValueError on num_features <= 0, eps < 0 or momentum outside [0, 1].
class BatchNormBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  /// PyTorch's format: "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True,
  /// track_running_stats=True)".
  std::string repr() const override;

  const BatchNormOptions& options() const { return options_; }
  const Tensor& weight() const { return weight_; }              ///< undefined unless affine
  const Tensor& bias() const { return bias_; }                  ///< undefined unless affine
  const Tensor& running_mean() const { return running_mean_; }  ///< undefined unless tracking
  const Tensor& running_var() const { return running_var_; }    ///< undefined unless tracking
  /// Training forward passes so far (int64 scalar); undefined unless tracking.
  const Tensor& num_batches_tracked() const { return num_batches_tracked_; }

 protected:
  BatchNormBase(std::string type_name, const BatchNormOptions& options);
  /// Throws ShapeError unless the input has a rank this module accepts.
  virtual void check_input(const Tensor& input) const = 0;

 private:
  BatchNormOptions options_;
  Tensor weight_;
  Tensor bias_;
  Tensor running_mean_;
  Tensor running_var_;
  Tensor num_batches_tracked_;
};

/// Batch normalization of (N, C) or (N, C, L) input (torch.nn.BatchNorm1d); statistics per
/// channel over N (and L). forward throws ShapeError for other ranks or a channel mismatch.
class BatchNorm1d final : public BatchNormBase {
 public:
  explicit BatchNorm1d(const BatchNormOptions& options);
  /// Same as above; BatchNorm draws nothing, the overload lets model code build every layer
  /// with an Rng.
  BatchNorm1d(const BatchNormOptions& options, Rng& rng);

 protected:
  void check_input(const Tensor& input) const override;
};

/// Batch normalization of (N, C, H, W) input (torch.nn.BatchNorm2d); statistics per channel
/// over (N, H, W). forward throws ShapeError for other ranks or a channel mismatch.
class BatchNorm2d final : public BatchNormBase {
 public:
  explicit BatchNorm2d(const BatchNormOptions& options);
  /// Same as above; BatchNorm draws nothing, the overload lets model code build every layer
  /// with an Rng.
  BatchNorm2d(const BatchNormOptions& options, Rng& rng);

 protected:
  void check_input(const Tensor& input) const override;
};

}  // namespace cnnlab::nn
