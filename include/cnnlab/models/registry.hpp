// The model registry: every model cnnlab can build by name, in one explicit table.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::models {

/// What a model needs to know about its data.
struct ModelConfig {
  Shape input_shape = {1, 28, 28};  ///< (C, H, W)
  int64_t num_classes = 10;
  std::vector<int64_t> hidden = {256, 128};  ///< MLP hidden widths ("mlp" only)
  /// Which variant of a family with a small-input variant (docs/models.md): true the small one,
  /// false torchvision's, unset (the default) the small one exactly when H or W is below 64.
  std::optional<bool> small_input = std::nullopt;
};

/// One registry entry.
struct ModelInfo {
  std::string name;
  std::string description;
  std::shared_ptr<nn::Module> (*make)(const ModelConfig& config, Rng& rng);
};

/// Every registered model, in the order `cnnlab --help` lists them.
const std::vector<ModelInfo>& model_table();

/// Builds `name` for `config`, drawing initial weights from rng. Throws ValueError for an
/// unknown name ("unknown model 'resnet19' (known: lenet5, ...)") or an input shape the model
/// cannot take.
std::shared_ptr<nn::Module> make_model(const std::string& name, const ModelConfig& config,
                                       Rng& rng);

/// The --variant flag's values: "auto" -> unset (by input size), "small" -> true, "full" ->
/// false, for ModelConfig::small_input. Throws ValueError for anything else.
std::optional<bool> parse_variant(const std::string& text);

/// Weight of each auxiliary classifier's loss in training: loss(main) + 0.3 * sum of
/// loss(aux_i), as in the GoogLeNet paper (Szegedy et al. 2015, section 5) and torchvision.
inline constexpr double kAuxLossWeight = 0.3;

/// The auxiliary classifiers' logits of `model`'s last training-mode forward, and forgets them
/// (so that their graph is freed): {aux1, aux2} for googlenet_aux, empty for every other model.
/// The training loop adds kAuxLossWeight * cross_entropy of each to the loss.
std::vector<Tensor> take_auxiliary_logits(nn::Module& model);

}  // namespace cnnlab::models
