// analysis::penultimate_features on the zoo: the classifier layer it picks is the one whose
// output is the model's output, and the features it captures are that layer's input. One model
// of each family by default; every model with CNNLAB_SLOW_TESTS=1 (as CI sets).
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "cnnlab/analysis/collapse.hpp"
#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab {
namespace {

TEST(AnalysisCollapseZoo, EveryModelHasItsClassifierFound) {
  Rng data_rng(7);
  const Tensor images = Tensor::empty({3, 1, 28, 28});
  float* px = images.data<float>();
  for (int64_t i = 0; i < images.numel(); ++i) px[i] = static_cast<float>(data_rng.uniform());
  auto ds = std::make_shared<data::TensorDataset>(
      images, Tensor::from_int64({0, 1, 2}, {3}),
      std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  const std::set<std::string> quick = {"lenet5", "mlp", "cnn_bn", "resnet20", "googlenet_aux"};
  const bool all = std::getenv("CNNLAB_SLOW_TESTS") != nullptr;
  for (const models::ModelInfo& info : models::model_table()) {
    if (!all && quick.count(info.name) == 0) continue;
    SCOPED_TRACE(info.name);
    Rng rng(0);
    auto model =
        models::make_model(info.name, {.input_shape = {1, 28, 28}, .num_classes = 10}, rng);
    model->train();  // googlenet_aux returns its auxiliary heads only in train mode
    const std::string layer = analysis::classifier_layer(*model, 10);
    const auto& linear =
        dynamic_cast<const nn::Linear&>(viz::find_layer(*model, layer, "collapse_zoo_test"));
    const analysis::FeatureSet f = analysis::penultimate_features(*model, *ds, {});
    EXPECT_EQ(f.features.shape(), (Shape{3, linear.options().in_features}));
    EXPECT_TRUE(model->is_training()) << "the mode comes back";
    // the decisions are the model's own eval-mode argmax
    model->eval();
    NoGradGuard no_grad;
    const Tensor logits = (*model)(images);
    for (int64_t i = 0; i < 3; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < 10; ++k) {
        if (logits.at({i, k}) > logits.at({i, best})) best = k;
      }
      EXPECT_EQ(f.decisions.data<int64_t>()[i], best);
    }
  }
}

}  // namespace
}  // namespace cnnlab
