// The model registry: every model cnnlab can build by name, in one explicit table.
#pragma once

#include <memory>
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

}  // namespace cnnlab::models
