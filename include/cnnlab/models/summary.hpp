// summarize(): per-layer output shapes, the output-size rule of conv and pooling layers,
// parameter counts and FLOPs of any model, found by running one forward pass with forward hooks
// on its leaf modules (`cnnlab summary`).
#pragma once

#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::models {

struct LayerSummary {
  std::string name;    ///< dotted path ("features.0")
  std::string repr;    ///< the module's one-line description
  Shape output_shape;  ///< without the batch dim
  /// For conv and pooling: the lecture's rule with the numbers filled in,
  /// "(28 - 5 + 2*2)/1 + 1 = 28" (the width's too when it differs); empty otherwise.
  std::string rule;
  int64_t parameters = 0;
  /// Floating-point operations of one forward pass for one image; a multiply-add counts as 2.
  int64_t flops = 0;
};

struct ModelSummary {
  std::vector<LayerSummary> layers;
  int64_t total_parameters = 0;
  int64_t total_flops = 0;
  int64_t activation_bytes = 0;  ///< float32 outputs of every layer for one image
};

/// Runs `model` once on zeros of shape (1, C, H, W) in eval mode without a graph and restores
/// its mode. Throws what the model throws for an input it cannot take.
ModelSummary summarize(nn::Module& model, const Shape& input_shape);

/// The summary as an aligned text table with totals.
std::string format_summary(const ModelSummary& summary);

}  // namespace cnnlab::models
