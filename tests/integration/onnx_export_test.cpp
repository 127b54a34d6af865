// Integration: ONNX export (cnnlab/interop/onnx_export.hpp) of zoo models, run in a second
// runtime, OpenCV's dnn module: the exported graph must pass ONNX's checker (export does that)
// and give the logits cnnlab gives, within 1e-4 relative, at a batch size other than the one
// traced. Plus the errors for what has no ONNX form.
#include "cnnlab/interop/onnx_export.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/local_response_norm.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "support/expect_throw_with.hpp"

namespace cnnlab {
namespace {

// Running statistics and affine parameters away from their initial values, so that a wrong
// BatchNormalization mapping shows.
void randomize_batch_norms(nn::Module& model, Rng& rng) {
  for (auto& [path, m] : model.named_modules()) {
    auto* bn = dynamic_cast<nn::BatchNormBase*>(m);
    if (bn == nullptr) continue;
    for (const Tensor& t : {bn->running_mean(), bn->running_var(), bn->weight(), bn->bias()}) {
      if (!t.defined()) continue;
      const bool positive = t.is_same(bn->running_var()) || t.is_same(bn->weight());
      const Tensor u = Tensor::uniform(t.shape(), positive ? 0.5 : -0.5, positive ? 1.5 : 0.5, rng);
      t.copy_(u);
    }
  }
}

// The model's output for x in OpenCV's dnn module, from the exported bytes.
Tensor run_in_opencv(const std::string& onnx_bytes, const Tensor& x) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx_bytes.data(), onnx_bytes.size());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  const std::vector<int> dims{static_cast<int>(x.size(0)), static_cast<int>(x.size(1)),
                              static_cast<int>(x.size(2)), static_cast<int>(x.size(3))};
  cv::Mat blob(dims, CV_32F, x.data<float>());
  net.setInput(blob);
  cv::Mat out = net.forward();
  std::vector<int64_t> shape;
  for (int i = 0; i < out.dims; ++i) shape.push_back(out.size[i]);
  std::vector<double> values(out.ptr<float>(), out.ptr<float>() + out.total());
  return Tensor::from_vector(values, Shape(shape));
}

// max |a - b| over max |b|.
double scaled_error(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  double diff = 0, scale = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    diff = std::max(diff, std::abs(va[i] - vb[i]));
    scale = std::max(scale, std::abs(vb[i]));
  }
  return diff / std::max(scale, 1e-30);
}

struct Case {
  std::string model;
  Shape input;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.model; }

class OnnxExportTest : public ::testing::TestWithParam<Case> {};

TEST_P(OnnxExportTest, OpenCvRunsTheExportAndMatchesCnnlab) {
  const Case& c = GetParam();
  Rng rng(21);
  auto model = models::make_model(c.model, {.input_shape = c.input, .num_classes = 10}, rng);
  randomize_batch_norms(*model, rng);
  const std::string bytes = interop::onnx_model_bytes(*model, c.input);
  EXPECT_TRUE(model->is_training()) << "export must restore the training mode";

  model->eval();
  const Tensor x = Tensor::normal({3, c.input[0], c.input[1], c.input[2]}, 0.0, 1.0, rng);
  Tensor expected;
  {
    const NoGradGuard no_grad;
    expected = (*model)(x);
  }
  const Tensor got = run_in_opencv(bytes, x);
  ASSERT_EQ(got.shape(), expected.shape());
  EXPECT_LT(scaled_error(got, expected), 1e-4) << c.model;
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, OnnxExportTest,
    ::testing::Values(Case{"lenet5", {1, 28, 28}}, Case{"lenet5_classic", {1, 28, 28}},
                      Case{"mlp", {1, 28, 28}}, Case{"cnn_bn", {1, 28, 28}},
                      Case{"vgg11_bn", {3, 32, 32}}, Case{"resnet20", {3, 32, 32}},
                      Case{"resnet18", {3, 32, 32}}, Case{"alexnet", {3, 32, 32}},
                      Case{"alexnet_lrn", {1, 28, 28}}, Case{"googlenet", {3, 32, 32}},
                      Case{"googlenet_aux", {1, 28, 28}}, Case{"inception_v4", {1, 28, 28}}),
    [](const auto& test) { return test.param.model; });

TEST(OnnxExport, NamesParametersAsTheStateDict) {
  Rng rng(1);
  auto model = models::make_model("lenet5", {.input_shape = {1, 28, 28}, .num_classes = 10}, rng);
  const std::string bytes = interop::onnx_model_bytes(*model, {1, 28, 28});
  for (const auto& [name, t] : model->named_parameters()) {
    EXPECT_NE(bytes.find(name), std::string::npos) << name << " is not an initializer name";
  }
}

TEST(OnnxExport, RejectsWhatHasNoOnnxForm) {
  Rng rng(2);
  // A BatchNorm without running statistics normalizes with batch statistics even in eval mode.
  nn::Sequential no_stats{
      std::make_shared<nn::Conv2d>(
          nn::Conv2dOptions{.in_channels = 1, .out_channels = 2, .kernel_size = 3}, rng),
      std::make_shared<nn::BatchNorm2d>(
          nn::BatchNormOptions{.num_features = 2, .track_running_stats = false})};
  EXPECT_THROW_WITH(interop::onnx_model_bytes(no_stats, {1, 8, 8}), ValueError,
                    "expected running statistics");
  // Adaptive pooling from 7x7 to 3x3 has windows of two sizes.
  nn::Sequential uneven{
      std::make_shared<nn::AdaptiveAvgPool2d>(nn::AdaptiveAvgPool2dOptions{.output_size = 3})};
  EXPECT_THROW_WITH(interop::onnx_model_bytes(uneven, {1, 7, 7}), ValueError,
                    "windows of different sizes");
  nn::Sequential even_lrn{
      std::make_shared<nn::LocalResponseNorm>(nn::LocalResponseNormOptions{.size = 4})};
  EXPECT_THROW_WITH(interop::onnx_model_bytes(even_lrn, {6, 4, 4}), ValueError,
                    "expected an odd size");
  auto lenet = models::make_model("lenet5", {.input_shape = {1, 28, 28}, .num_classes = 10}, rng);
  EXPECT_THROW_WITH(interop::onnx_model_bytes(*lenet, {1, 28, 28}, {.opset = 9}), ValueError,
                    "expected an opset in [13, 17], got 9");
}

}  // namespace
}  // namespace cnnlab
