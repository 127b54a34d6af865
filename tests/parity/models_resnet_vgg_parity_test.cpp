// PyTorch parity of whole models from the registry: resnet20 (CIFAR, option A), resnet18 and
// vgg11_bn in their small-input variants, batch 2 at 3x32x32. The weights are not stored: both
// sides fill every state_dict entry from a hash of its name (fixture format and tolerances:
// tests/parity/gen/make_model_fixtures.py). float32: eval logits and a train-mode step's logits
// and loss to 1e-4; float64: also every gradient (norm and sampled elements) and the BatchNorm
// running statistics after the step, to 1e-8.
#include <gtest/gtest.h>

#include "parity/model_parity_support.hpp"

namespace cnnlab {
namespace {

using model_parity::check_float32_outputs;
using model_parity::check_float64_step;
using model_parity::ModelCase;

const ModelCase kResnet20 = {"model_resnet20", "resnet20", {3, 32, 32}};
const ModelCase kResnet18Small = {"model_resnet18_small", "resnet18", {3, 32, 32}};
const ModelCase kVgg11BnSmall = {"model_vgg11_bn_small", "vgg11_bn", {3, 32, 32}};

TEST(ModelParity, Resnet20Float32OutputsMatchTorch) { check_float32_outputs(kResnet20); }
TEST(ModelParity, Resnet20Float64TrainStepMatchesTorch) { check_float64_step(kResnet20); }
TEST(ModelParity, Resnet18SmallFloat32OutputsMatchTorch) { check_float32_outputs(kResnet18Small); }
TEST(ModelParity, Resnet18SmallFloat64TrainStepMatchesTorch) { check_float64_step(kResnet18Small); }
TEST(ModelParity, Vgg11BnSmallFloat32OutputsMatchTorch) { check_float32_outputs(kVgg11BnSmall); }
TEST(ModelParity, Vgg11BnSmallFloat64TrainStepMatchesTorch) { check_float64_step(kVgg11BnSmall); }

}  // namespace
}  // namespace cnnlab
