// check_model_name and model_from_weights (cli/model_source.hpp).
#include "model_source.hpp"

#include "cnnlab/io/safetensors.hpp"
#include "commands.hpp"

namespace cnnlab::cli {
namespace {

// The number of classes of `weights` for `model`: the first dim of the weights' tensor named as
// the model's last rank-2 parameter (its output Linear, (classes, features)), or 0 if there is
// no such tensor. NOTE: every registered model ends in a Linear; a model that ended in a
// convolution would need --num-classes.
int64_t classes_in_weights(nn::Module& model, const io::TensorFile& weights,
                           std::string& from_name) {
  std::string last;
  for (const auto& [name, p] : model.named_parameters()) {
    if (p.dim() == 2) last = name;
  }
  const auto it = weights.tensors.find(last);
  if (last.empty() || it == weights.tensors.end() || it->second.dim() != 2) return 0;
  from_name = last;
  return it->second.size(0);
}

}  // namespace

void check_model_name(const std::string& name) {
  std::string names;
  for (const auto& m : models::model_table()) {
    if (m.name == name) return;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  throw UsageError("--model: unknown model '" + name + "' (known: " + names + ")");
}

ModelFromWeights model_from_weights(const std::string& command, const std::string& name,
                                    const models::ModelConfig& config, const std::string& weights) {
  const int64_t num_classes = config.num_classes;
  const Shape& chw = config.input_shape;
  ModelFromWeights out;
  out.config = config;
  out.config.num_classes = num_classes > 0 ? num_classes : 10;
  out.classes_from = "default";
  io::TensorFile state;
  if (!weights.empty()) state = io::load_safetensors(weights);
  if (num_classes > 0) out.classes_from = "--num-classes";
  Rng rng(0);
  out.model = models::make_model(name, out.config, rng);
  if (num_classes == 0 && !weights.empty()) {
    std::string tensor;
    const int64_t found = classes_in_weights(*out.model, state, tensor);
    if (found > 0) {
      out.classes_from = "'" + tensor + "' in --weights";
      if (found != out.config.num_classes) {
        out.config.num_classes = found;
        out.model = models::make_model(name, out.config, rng);
      }
    }
  }
  if (!weights.empty()) {
    try {
      out.model->load_state_dict(state.tensors);  // strict: every name, shape and kind must match
    } catch (const Error& e) {
      throw ValueError(detail::concat(command, ": '", weights, "' does not fit ", name,
                                      " for input ", chw, " and ", out.config.num_classes,
                                      " classes: ", e.what()));
    }
  }
  out.model->eval();
  return out;
}

}  // namespace cnnlab::cli
