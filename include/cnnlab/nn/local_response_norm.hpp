// nn::LocalResponseNorm (torch.nn.LocalResponseNorm; AlexNet's normalization across channels)
// over ops::local_response_norm (cnnlab/ops/lrn.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

/// Configuration of LocalResponseNorm, with torch.nn.LocalResponseNorm's field names and
/// defaults. AlexNet: {.size = 5, .alpha = 1e-4, .beta = 0.75, .k = 2.0}.
struct LocalResponseNormOptions {
  int64_t size = 0;     ///< channels in the window; required, > 0
  double alpha = 1e-4;  ///< NOTE: divided by size, as PyTorch does
  double beta = 0.75;
  double k = 1.0;
};

/// y = x / (k + alpha / size * sum_{c' in window(c)} x[c']^2)^beta across channels.
///
/// input (N, C, H, W) -> output of the same shape (any rank >= 3 is accepted). No parameters.
/// The constructor throws ValueError for size <= 0; forward throws as ops::local_response_norm.
class LocalResponseNorm final : public Module {
 public:
  explicit LocalResponseNorm(const LocalResponseNormOptions& options);
  /// Same as above; LRN draws nothing, the overload lets model code build every layer with an Rng.
  LocalResponseNorm(const LocalResponseNormOptions& options, Rng& rng);

  Tensor forward(const Tensor& input) override;
  /// PyTorch's format: "LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=2.0)".
  std::string repr() const override;

  const LocalResponseNormOptions& options() const { return options_; }

 private:
  LocalResponseNormOptions options_;
};

}  // namespace cnnlab::nn
