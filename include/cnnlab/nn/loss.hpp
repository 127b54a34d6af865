// Loss modules (torch.nn.CrossEntropyLoss, NLLLoss, MSELoss, KLDivLoss): options checked once at
// construction, then a call on (input, target) forwarding to the functional ops in
// cnnlab/ops/loss.hpp.
//
// NOTE: these do not derive from nn::Module. Module::forward takes one tensor, a loss takes two,
// and a loss has no parameters, buffers or train/eval behaviour; each is a small callable class.
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/ops/loss.hpp"

namespace cnnlab::nn {

using ops::Reduction;

/// Configuration of CrossEntropyLoss, with torch.nn.CrossEntropyLoss's field names and defaults.
struct CrossEntropyLossOptions {
  Tensor weight = {};                      ///< (C) class weights of the logits' dtype, or undefined
  int64_t ignore_index = -100;             ///< targets equal to it contribute nothing
  Reduction reduction = Reduction::kMean;  ///< kMean, kSum or kNone
  double label_smoothing = 0.0;            ///< in [0, 1]
};

/// Softmax cross-entropy: logits (N, C), target (N) int64 -> scalar, or (N) with kNone.
/// See ops::cross_entropy. The constructor throws ValueError on kBatchMean, label_smoothing
/// outside [0, 1] or a weight that is not 1-D.
class CrossEntropyLoss {
 public:
  explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = {});
  Tensor operator()(const Tensor& input, const Tensor& target) const;
  /// "CrossEntropyLoss()", as PyTorch prints it.
  std::string repr() const { return "CrossEntropyLoss()"; }
  const CrossEntropyLossOptions& options() const { return options_; }

 private:
  CrossEntropyLossOptions options_;
};

/// Configuration of NLLLoss, with torch.nn.NLLLoss's field names and defaults.
struct NLLLossOptions {
  Tensor weight = {};                      ///< (C) class weights of the input's dtype, or undefined
  int64_t ignore_index = -100;             ///< targets equal to it contribute nothing
  Reduction reduction = Reduction::kMean;  ///< kMean, kSum or kNone
};

/// Negative log-likelihood: log_probs (N, C), target (N) int64 -> scalar, or (N) with kNone.
/// See ops::nll_loss. The constructor throws ValueError on kBatchMean or a weight that is not 1-D.
class NLLLoss {
 public:
  explicit NLLLoss(const NLLLossOptions& options = {});
  Tensor operator()(const Tensor& input, const Tensor& target) const;
  std::string repr() const { return "NLLLoss()"; }
  const NLLLossOptions& options() const { return options_; }

 private:
  NLLLossOptions options_;
};

/// Configuration of MSELoss (torch.nn.MSELoss).
struct MSELossOptions {
  Reduction reduction = Reduction::kMean;  ///< kMean, kSum or kNone
};

/// Mean squared error: input and target of one shape -> scalar, or that shape with kNone.
/// See ops::mse_loss. The constructor throws ValueError on kBatchMean.
class MSELoss {
 public:
  explicit MSELoss(const MSELossOptions& options = {});
  Tensor operator()(const Tensor& input, const Tensor& target) const;
  std::string repr() const { return "MSELoss()"; }
  const MSELossOptions& options() const { return options_; }

 private:
  MSELossOptions options_;
};

/// Configuration of KLDivLoss (torch.nn.KLDivLoss).
struct KLDivLossOptions {
  /// kMean (PyTorch's default, divides by every element), kBatchMean (the true KL divergence per
  /// sample), kSum or kNone.
  Reduction reduction = Reduction::kMean;
  bool log_target = false;  ///< target given as log-probabilities
};

/// Kullback-Leibler divergence: input log-probabilities and target of one shape. See ops::kl_div.
class KLDivLoss {
 public:
  explicit KLDivLoss(const KLDivLossOptions& options = {}) : options_(options) {}
  Tensor operator()(const Tensor& input, const Tensor& target) const;
  std::string repr() const { return "KLDivLoss()"; }
  const KLDivLossOptions& options() const { return options_; }

 private:
  KLDivLossOptions options_;
};

}  // namespace cnnlab::nn
