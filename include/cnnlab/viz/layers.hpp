// A model's layers by their dotted names (PyTorch's named_modules: "features.3", "layer2.1.conv1")
// and the capture of what a layer outputs: the entry point of every method that looks at one
// layer (feature maps, Grad-CAM, DeepDream, inversion, texture and style).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "cnnlab/nn/module.hpp"

namespace cnnlab::viz {

/// The dotted name of every module below the root, in registration order (named_modules
/// without ""). These are the names every `layer` argument of viz/ accepts.
std::vector<std::string> layer_names(nn::Module& model);

/// The module named `name`. Throws ValueError "<who>: unknown layer 'x' (layers: a, b, ...)"
/// listing every valid name when there is none.
nn::Module& find_layer(nn::Module& model, const std::string& name, const std::string& who);

/// While alive, the model is being looked at, not trained: every module is in eval mode
/// (BatchNorm uses its running statistics, dropout is off) and every parameter that required a
/// gradient does not, so a backward to the input image neither computes nor accumulates weight
/// gradients. The destructor restores each module's mode and each flag. Every viz method that
/// runs the model holds one. Not copyable.
// NOTE: freezing keeps a method free of side effects on the parameters' grad() and saves the
// weight-gradient half of every conv and linear backward (the saliency speed target). Modes are
// restored module by module, so a model with mixed modes (a frozen BatchNorm inside a training
// model) comes back exactly as it was.
class InspectionGuard {
 public:
  explicit InspectionGuard(nn::Module& model);
  ~InspectionGuard();
  InspectionGuard(const InspectionGuard&) = delete;
  InspectionGuard& operator=(const InspectionGuard&) = delete;

 private:
  std::vector<std::pair<nn::Module*, bool>> modes_;
  std::vector<Tensor> frozen_;
};

/// While alive, a forward hook on one layer keeps its latest output (with its autograd graph, so
/// a loss on it back-propagates to the input). A layer called twice in one forward keeps the
/// second output. Not copyable; the hook is removed by the destructor.
///
///   viz::LayerCapture conv(model, "features.3", "viz::feature_maps");
///   model(x);
///   Tensor maps = conv.output();   // (N, C, H, W)
class LayerCapture {
 public:
  /// Throws what find_layer throws.
  LayerCapture(nn::Module& model, const std::string& layer, const std::string& who);
  ~LayerCapture();
  LayerCapture(const LayerCapture&) = delete;
  LayerCapture& operator=(const LayerCapture&) = delete;

  const std::string& layer() const { return name_; }
  nn::Module& module() const { return *module_; }
  /// Whether a forward has run through the layer since construction or clear().
  bool captured() const { return output_.defined(); }
  /// The latest output. Throws StateError "<who>: layer 'x' did not run in the forward pass"
  /// when no forward has gone through the layer (for example a branch the model skips).
  const Tensor& output() const;
  /// Forgets the latest output (and with it the graph it holds).
  void clear() { output_ = Tensor(); }

 private:
  nn::Module* module_;
  std::string name_;
  std::string who_;
  int hook_id_;
  Tensor output_;
};

}  // namespace cnnlab::viz
