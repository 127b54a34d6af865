// Flatten (torch.nn.Flatten) and Identity (torch.nn.Identity): structural modules without
// arithmetic, used between the feature extractor and the classifier and as placeholders.
#pragma once

#include <cstdint>
#include <string>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

/// Merges dims start_dim..end_dim (negative counts from the end) into one, as torch.flatten:
/// (N, C, H, W) -> (N, C*H*W) with the defaults. A view sharing the input's storage;
/// differentiable. forward throws ShapeError when the dims are out of range for the input.
class Flatten final : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1);

  Tensor forward(const Tensor& input) override;
  /// "Flatten(start_dim=1, end_dim=-1)"
  std::string repr() const override;

  int64_t start_dim() const { return start_dim_; }
  int64_t end_dim() const { return end_dim_; }

 private:
  int64_t start_dim_;
  int64_t end_dim_;
};

/// Returns its input unchanged (the same tensor); repr "Identity()". Stands in for a removed
/// layer, e.g. a classifier replaced to expose features.
class Identity final : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

}  // namespace cnnlab::nn
