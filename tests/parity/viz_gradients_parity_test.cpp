// PyTorch parity of the gradient maps of viz/gradients.hpp: saliency, guided backprop, deconvnet
// and Grad-CAM on LeNet-5 (batch 2, given classes; Grad-CAM at features.3, upsampled, and
// features.0) and ResNet-20 (BatchNorm and residuals, 3x32x32, batch 1, predicted class; Grad-CAM
// at layer3 and layer2.1.conv2). Fixtures, hashed weights and inputs:
// tests/parity/gen/make_viz_fixtures.py (guided backprop there is a backward hook on each
// nn.ReLU). float32 to 1e-4 of each tensor's largest value (issue 6), float64 to 1e-9.
#include <gtest/gtest.h>

#include "cnnlab/viz/gradients.hpp"
#include "parity/model_parity_support.hpp"

namespace cnnlab {
namespace {

using model_parity::max_abs;

struct VizCase {
  std::string fixture;
  std::string model;
  Shape input;
  std::vector<std::string> layers;
};

const VizCase kLenet5 = {"viz/viz_lenet5", "lenet5", {1, 28, 28}, {"features.3", "features.0"}};
const VizCase kResnet20 = {
    "viz/viz_resnet20", "resnet20", {3, 32, 32}, {"layer3", "layer2.1.conv2"}};

// The generator's args say "classes": "predicted" when the case explains the argmax.
bool metadata_has_predicted(const io::TensorFile& f) {
  return parity::metadata_or(f, "args", "").find("\"classes\": \"predicted\"") != std::string::npos;
}

void check_maps(const VizCase& c, Dtype dtype, double rtol) {
  const io::TensorFile f = parity::load_fixture(c.fixture);
  SCOPED_TRACE(parity::describe(f, dtype));
  const model_parity::ModelCase mc{c.fixture, c.model, c.input};
  auto model = model_parity::make_hashed_model(mc, f, dtype);
  ASSERT_TRUE(model);
  model->eval();
  const Tensor classes = f.at("classes");
  const int64_t batch = classes.numel();
  const std::string name =
      "viz_input." + std::to_string(static_cast<int64_t>(f.at("input_attempt").item()));
  const Tensor x =
      model_parity::hashed(name, {batch, c.input[0], c.input[1], c.input[2]}, 0.0, 1.0).to(dtype);
  std::vector<int64_t> wanted;
  for (double v : classes.to_vector()) wanted.push_back(static_cast<int64_t>(v));
  // Predicted classes: the fixture's are PyTorch's argmax; passing none must find the same.
  const std::vector<int64_t> requested =
      metadata_has_predicted(f) ? std::vector<int64_t>{} : wanted;

  auto near = [&](const Tensor& actual, const std::string& key) {
    const Tensor& expected = f.at(key);
    EXPECT_EQ(actual.dtype(), dtype) << key;
    EXPECT_TENSOR_NEAR(actual, expected, 0.0, rtol * max_abs(expected)) << key;
  };
  const viz::InputGradients sal = viz::saliency(*model, x, requested);
  EXPECT_EQ(sal.classes, wanted);
  near(sal.logits, "logits");
  near(sal.saliency, "saliency");
  near(viz::guided_backprop(*model, x, requested).gradient, "guided");
  near(viz::deconvnet(*model, x, requested).gradient, "deconvnet");
  for (const std::string& layer : c.layers) {
    const viz::GradCam cam = viz::grad_cam(*model, x, layer, requested);
    EXPECT_EQ(cam.classes, wanted) << layer;
    near(cam.cam, "gradcam." + layer);
  }
}

TEST(VizGradientsParity, Lenet5Float32MatchesTorch) { check_maps(kLenet5, Dtype::kFloat32, 1e-4); }
TEST(VizGradientsParity, Lenet5Float64MatchesTorch) { check_maps(kLenet5, Dtype::kFloat64, 1e-9); }
TEST(VizGradientsParity, Resnet20Float32MatchesTorch) {
  check_maps(kResnet20, Dtype::kFloat32, 1e-4);
}
TEST(VizGradientsParity, Resnet20Float64MatchesTorch) {
  check_maps(kResnet20, Dtype::kFloat64, 1e-9);
}

}  // namespace
}  // namespace cnnlab
