// The model table. Adding a model: write its file, then add one row here.
#include "cnnlab/models/registry.hpp"

#include "cnnlab/models/lenet.hpp"
#include "cnnlab/models/mlp.hpp"

namespace cnnlab::models {
namespace {

void check_28x28(const ModelConfig& c, const char* name) {
  CNNLAB_CHECK(c.input_shape[1] == 28 && c.input_shape[2] == 28, ValueError, name,
               ": expected input (C, 28, 28), got ", c.input_shape);
}

std::shared_ptr<nn::Module> make_lenet5_relu(const ModelConfig& c, Rng& rng) {
  check_28x28(c, "lenet5");
  return make_lenet5({.in_channels = c.input_shape[0], .num_classes = c.num_classes}, rng);
}

std::shared_ptr<nn::Module> make_lenet5_classic(const ModelConfig& c, Rng& rng) {
  check_28x28(c, "lenet5_classic");
  return make_lenet5(
      {.in_channels = c.input_shape[0], .num_classes = c.num_classes, .classic = true}, rng);
}

std::shared_ptr<nn::Module> make_mlp(const ModelConfig& c, Rng& rng) {
  return std::make_shared<Mlp>(
      MlpOptions{
          .in_features = c.input_shape.numel(), .hidden = c.hidden, .num_classes = c.num_classes},
      rng);
}

std::shared_ptr<nn::Module> make_softmax(const ModelConfig& c, Rng& rng) {
  return std::make_shared<Mlp>(
      MlpOptions{.in_features = c.input_shape.numel(), .hidden = {}, .num_classes = c.num_classes},
      rng);
}

}  // namespace

const std::vector<ModelInfo>& model_table() {
  static const std::vector<ModelInfo> table = {
      {"lenet5", "LeNet-5, ReLU + max pooling (input C x 28 x 28)", &make_lenet5_relu},
      {"lenet5_classic", "LeNet-5 as in LeCun 1998: tanh + average pooling (C x 28 x 28)",
       &make_lenet5_classic},
      {"mlp", "multi-layer perceptron, ReLU, hidden widths from --hidden (default 256,128)",
       &make_mlp},
      {"softmax", "softmax regression: one linear layer on the flattened image", &make_softmax},
  };
  return table;
}

std::shared_ptr<nn::Module> make_model(const std::string& name, const ModelConfig& config,
                                       Rng& rng) {
  CNNLAB_CHECK(config.input_shape.rank() == 3 && config.input_shape.checked_numel("make_model") > 0,
               ValueError, "make_model: expected an input shape (C, H, W), got ",
               config.input_shape);
  CNNLAB_CHECK(config.num_classes > 0, ValueError, "make_model: expected num_classes > 0, got ",
               config.num_classes);
  std::string known;
  for (const ModelInfo& m : model_table()) {
    if (m.name == name) return m.make(config, rng);
    known += (known.empty() ? "" : ", ") + m.name;
  }
  throw ValueError(detail::concat("unknown model '", name, "' (known: ", known, ")"));
}

}  // namespace cnnlab::models
