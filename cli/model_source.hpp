// The model a command runs, from a registry name and an input shape, with an optional safetensors
// state_dict loaded strictly: the start of `cnnlab forward` and of `cnnlab export` with a
// weights file. (A run directory has its own loader, train::load_run.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::cli {

struct ModelFromWeights {
  std::shared_ptr<nn::Module> model;  ///< in eval mode
  models::ModelConfig config;
  std::string classes_from;  ///< where num_classes came from, for messages
};

/// Throws UsageError ("--model: unknown model 'x' (known: ...)") unless `name` is registered.
void check_model_name(const std::string& name);

/// Builds `name` for `config` and loads `weights` (a safetensors file; empty: the registry's
/// initial weights from seed 0). With config.num_classes 0 the class count is the first dim of
/// the weights' tensor named as the model's last rank-2 parameter (its output Linear), else 10.
/// Throws ValueError naming `command`, the file and the first offending tensors when the weights
/// do not fit (load_state_dict is strict), and the io errors of load_safetensors.
ModelFromWeights model_from_weights(const std::string& command, const std::string& name,
                                    const models::ModelConfig& config, const std::string& weights);

}  // namespace cnnlab::cli
