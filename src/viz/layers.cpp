// viz::layer_names, viz::find_layer and viz::LayerCapture: include/cnnlab/viz/layers.hpp.
#include "cnnlab/viz/layers.hpp"

#include "cnnlab/core/check.hpp"

namespace cnnlab::viz {

std::vector<std::string> layer_names(nn::Module& model) {
  std::vector<std::string> names;
  for (const auto& [name, module] : model.named_modules()) {
    if (!name.empty()) names.push_back(name);
  }
  return names;
}

nn::Module& find_layer(nn::Module& model, const std::string& name, const std::string& who) {
  for (const auto& [path, module] : model.named_modules()) {
    if (!path.empty() && path == name) return *module;
  }
  std::string valid;
  for (const std::string& n : layer_names(model)) valid += (valid.empty() ? "" : ", ") + n;
  throw ValueError(detail::concat(who, ": unknown layer '", name, "' (layers: ", valid, ")"));
}

InspectionGuard::InspectionGuard(nn::Module& model) {
  for (const auto& [name, module] : model.named_modules()) {
    modes_.emplace_back(module, module->is_training());
  }
  model.eval();
  for (Tensor p : model.parameters()) {
    if (p.requires_grad() && p.is_leaf()) {
      p.set_requires_grad(false);
      frozen_.push_back(p);
    }
  }
}

InspectionGuard::~InspectionGuard() {
  for (auto& [module, training] : modes_) module->train(training);
  for (Tensor& p : frozen_) p.set_requires_grad(true);
}

LayerCapture::LayerCapture(nn::Module& model, const std::string& layer, const std::string& who)
    : module_(&find_layer(model, layer, who)), name_(layer), who_(who) {
  hook_id_ =
      module_->register_forward_hook([this](nn::Module&, const Tensor&, const Tensor& output) {
        output_ = output;
        return Tensor();
      });
}

LayerCapture::~LayerCapture() { module_->remove_forward_hook(hook_id_); }

const Tensor& LayerCapture::output() const {
  CNNLAB_CHECK(output_.defined(), StateError, who_, ": layer '", name_,
               "' did not run in the forward pass");
  return output_;
}

}  // namespace cnnlab::viz
