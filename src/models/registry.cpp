// The model table. Adding a model: write its file, then add one row here.
#include "cnnlab/models/registry.hpp"

#include "cnnlab/models/alexnet.hpp"
#include "cnnlab/models/cnn_bn.hpp"
#include "cnnlab/models/googlenet.hpp"
#include "cnnlab/models/inception_v4.hpp"
#include "cnnlab/models/lenet.hpp"
#include "cnnlab/models/mlp.hpp"
#include "cnnlab/models/resnet.hpp"
#include "cnnlab/models/vgg.hpp"

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

std::shared_ptr<nn::Module> make_cnn_bn(const ModelConfig& c, Rng& rng) {
  CNNLAB_CHECK(c.input_shape[1] >= 8 && c.input_shape[2] >= 8, ValueError,
               "cnn_bn: expected input (C, H, W) with H, W >= 8 (three 2x2 pools), got ",
               c.input_shape);
  return std::make_shared<CnnBn>(CnnBnOptions{.in_channels = c.input_shape[0],
                                              .num_classes = c.num_classes,
                                              .input_size = {c.input_shape[1], c.input_shape[2]}},
                                 rng);
}

// NOTE: inputs below 64x64 (1x28x28, 3x32x32) select each family's small-input variant
// (docs/models.md): the ImageNet stems and classifiers would shrink them to nothing.
constexpr int64_t kSmallInputSize = 64;

bool is_small_input(const ModelConfig& c) {
  if (c.small_input) return *c.small_input;
  return c.input_shape[1] < kSmallInputSize || c.input_shape[2] < kSmallInputSize;
}

template <int64_t Depth>
std::shared_ptr<nn::Module> make_resnet(const ModelConfig& c, Rng& rng) {
  ResNetOptions o = resnet_options(Depth);
  o.in_channels = c.input_shape[0];
  o.num_classes = c.num_classes;
  o.small_input = is_small_input(c);
  return std::make_shared<ResNet>(o, rng);
}

template <int64_t Depth>
std::shared_ptr<nn::Module> make_cifar_resnet(const ModelConfig& c, Rng& rng) {
  return std::make_shared<CifarResNet>(
      CifarResNetOptions{
          .depth = Depth, .in_channels = c.input_shape[0], .num_classes = c.num_classes},
      rng);
}

template <int64_t Depth, bool BatchNorm>
std::shared_ptr<nn::Module> make_vgg(const ModelConfig& c, Rng& rng) {
  VggOptions o = vgg_options(Depth, BatchNorm);
  o.in_channels = c.input_shape[0];
  o.num_classes = c.num_classes;
  o.small_input = is_small_input(c);
  o.input_size = {c.input_shape[1], c.input_shape[2]};
  if (!o.small_input) {
    CNNLAB_CHECK(c.input_shape[1] >= 32 && c.input_shape[2] >= 32, ValueError, "vgg",
                 ": expected input at least 32x32, got ", c.input_shape);
  }
  return std::make_shared<Vgg>(o, rng);
}

template <bool Lrn>
std::shared_ptr<nn::Module> make_alexnet(const ModelConfig& c, Rng& rng) {
  return std::make_shared<AlexNet>(AlexNetOptions{.in_channels = c.input_shape[0],
                                                  .num_classes = c.num_classes,
                                                  .lrn = Lrn,
                                                  .small_input = is_small_input(c)},
                                   rng);
}

template <bool Aux>
std::shared_ptr<nn::Module> make_googlenet(const ModelConfig& c, Rng& rng) {
  return std::make_shared<GoogLeNet>(GoogLeNetOptions{.in_channels = c.input_shape[0],
                                                      .num_classes = c.num_classes,
                                                      .aux_logits = Aux,
                                                      .small_input = is_small_input(c)},
                                     rng);
}

std::shared_ptr<nn::Module> make_inception_v4(const ModelConfig& c, Rng& rng) {
  const bool small = is_small_input(c);
  // NOTE: the full model's four unpadded stride-2 reductions need 75x75 to leave a 1x1 map.
  CNNLAB_CHECK(small || (c.input_shape[1] >= 75 && c.input_shape[2] >= 75), ValueError,
               "inception_v4: expected input at least 75x75 (or below 64x64 for the small-input "
               "variant), got ",
               c.input_shape);
  return std::make_shared<InceptionV4>(
      InceptionV4Options{
          .in_channels = c.input_shape[0], .num_classes = c.num_classes, .small_input = small},
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
      {"cnn_bn",
       "small CNN with BatchNorm: 3 x (conv3x3-BN-ReLU-maxpool) 32-64-128, FC 256 (fast "
       "experiments, e.g. neural collapse)",
       &make_cnn_bn},
      {"resnet18", "ResNet-18 (torchvision); below 64x64: 3x3 stem, no max pool", &make_resnet<18>},
      {"resnet34", "ResNet-34 (torchvision); below 64x64: 3x3 stem, no max pool", &make_resnet<34>},
      {"resnet50", "ResNet-50 (torchvision); below 64x64: 3x3 stem, no max pool", &make_resnet<50>},
      {"resnet101", "ResNet-101 (torchvision); below 64x64: 3x3 stem, no max pool",
       &make_resnet<101>},
      {"resnet152", "ResNet-152 (torchvision); below 64x64: 3x3 stem, no max pool",
       &make_resnet<152>},
      {"resnet20", "CIFAR ResNet-20 (He et al. 2016), option A shortcuts, 0.27M parameters",
       &make_cifar_resnet<20>},
      {"resnet32", "CIFAR ResNet-32 (He et al. 2016), option A shortcuts", &make_cifar_resnet<32>},
      {"resnet44", "CIFAR ResNet-44 (He et al. 2016), option A shortcuts", &make_cifar_resnet<44>},
      {"resnet56", "CIFAR ResNet-56 (He et al. 2016), option A shortcuts", &make_cifar_resnet<56>},
      {"resnet110", "CIFAR ResNet-110 (He et al. 2016), option A shortcuts",
       &make_cifar_resnet<110>},
      {"vgg11", "VGG-11 (torchvision); below 64x64: 1x1 pooling, 512-wide classifier",
       &make_vgg<11, false>},
      {"vgg11_bn", "VGG-11 with BatchNorm (torchvision); small-input variant below 64x64",
       &make_vgg<11, true>},
      {"vgg13", "VGG-13 (torchvision); small-input variant below 64x64", &make_vgg<13, false>},
      {"vgg13_bn", "VGG-13 with BatchNorm (torchvision); small-input variant below 64x64",
       &make_vgg<13, true>},
      {"vgg16", "VGG-16 (torchvision); small-input variant below 64x64", &make_vgg<16, false>},
      {"vgg16_bn", "VGG-16 with BatchNorm (torchvision); small-input variant below 64x64",
       &make_vgg<16, true>},
      {"vgg19", "VGG-19 (torchvision); small-input variant below 64x64", &make_vgg<19, false>},
      {"vgg19_bn", "VGG-19 with BatchNorm (torchvision); small-input variant below 64x64",
       &make_vgg<19, true>},
      {"alexnet", "AlexNet (torchvision); below 64x64: 3x3 stride-1 stem, 1024-wide classifier",
       &make_alexnet<false>},
      {"alexnet_lrn", "AlexNet as in Krizhevsky 2012: 96-256-384-384-256, LRN; small variant",
       &make_alexnet<true>},
      {"googlenet", "GoogLeNet (torchvision), no aux classifiers; below 64x64: 3x3 stem",
       &make_googlenet<false>},
      {"googlenet_aux", "GoogLeNet with aux1/aux2 classifiers (train mode); small variant",
       &make_googlenet<true>},
      {"inception_v4", "Inception-v4 (timm); below 64x64: stride-1 stem, padded reductions",
       &make_inception_v4},
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

std::optional<bool> parse_variant(const std::string& text) {
  if (text == "auto") return std::nullopt;
  if (text == "small" || text == "full") return text == "small";
  throw ValueError(detail::concat("variant: expected auto, small or full, got '", text, "'"));
}

std::vector<Tensor> take_auxiliary_logits(nn::Module& model) {
  auto* googlenet = dynamic_cast<GoogLeNet*>(&model);
  if (googlenet == nullptr) return {};
  std::vector<Tensor> out;
  for (const Tensor& t : googlenet->aux_logits()) {
    if (t.defined()) out.push_back(t);
  }
  googlenet->clear_aux_logits();
  return out;
}

}  // namespace cnnlab::models
