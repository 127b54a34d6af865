// PyTorch parity of AlexNet and GoogLeNet from the registry in their small-input variants, batch
// 2: alexnet and googlenet at 3x32x32, alexnet_lrn and googlenet_aux at 1x28x28. The weights are
// hashed from their names on both sides (tests/parity/gen/make_model_fixtures.py; helpers and
// tolerances in model_parity_support.hpp). googlenet_aux's training step uses torchvision's loss,
// cross_entropy(main) + 0.3 * (cross_entropy(aux1) + cross_entropy(aux2)).
#include <gtest/gtest.h>

#include "cnnlab/models/googlenet.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "parity/model_parity_support.hpp"

namespace cnnlab {
namespace {

using model_parity::check_float32_outputs;
using model_parity::check_float64_step;
using model_parity::ModelCase;

/// torchvision's GoogLeNet training loss; aux_logits() holds the train-mode forward's aux heads.
Tensor googlenet_aux_loss(nn::Module& model, const Tensor& logits, const Tensor& labels) {
  const auto& aux = dynamic_cast<models::GoogLeNet&>(model).aux_logits();
  EXPECT_TRUE(aux[0].defined() && aux[1].defined());
  return ops::cross_entropy(logits, labels) +
         (ops::cross_entropy(aux[0], labels) + ops::cross_entropy(aux[1], labels)) * 0.3;
}

const ModelCase kAlexNetSmall = {"model_alexnet_small", "alexnet", {3, 32, 32}};
const ModelCase kAlexNetLrnSmall = {"model_alexnet_lrn_small", "alexnet_lrn", {1, 28, 28}};
const ModelCase kGoogLeNetSmall = {"model_googlenet_small", "googlenet", {3, 32, 32}};
const ModelCase kGoogLeNetAuxSmall = {
    "model_googlenet_aux_small", "googlenet_aux", {1, 28, 28}, &googlenet_aux_loss};

TEST(ModelParity, AlexNetSmallFloat32OutputsMatchTorch) { check_float32_outputs(kAlexNetSmall); }
TEST(ModelParity, AlexNetSmallFloat64TrainStepMatchesTorch) { check_float64_step(kAlexNetSmall); }
TEST(ModelParity, AlexNetLrnSmallFloat32OutputsMatchTorch) {
  check_float32_outputs(kAlexNetLrnSmall);
}
TEST(ModelParity, AlexNetLrnSmallFloat64TrainStepMatchesTorch) {
  check_float64_step(kAlexNetLrnSmall);
}
TEST(ModelParity, GoogLeNetSmallFloat32OutputsMatchTorch) {
  check_float32_outputs(kGoogLeNetSmall);
}
TEST(ModelParity, GoogLeNetSmallFloat64TrainStepMatchesTorch) {
  check_float64_step(kGoogLeNetSmall);
}
TEST(ModelParity, GoogLeNetAuxSmallFloat32OutputsMatchTorch) {
  check_float32_outputs(kGoogLeNetAuxSmall);
}
TEST(ModelParity, GoogLeNetAuxSmallFloat64TrainStepMatchesTorch) {
  check_float64_step(kGoogLeNetAuxSmall);
}

}  // namespace
}  // namespace cnnlab
