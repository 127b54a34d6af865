// Inception-v4; layout and choices in include/cnnlab/models/inception_v4.hpp and docs/models.md.
// The PyTorch twin of these definitions (timm's names) is in tools/torch_reference_models.py.
#include "cnnlab/models/inception_v4.hpp"

#include <initializer_list>

#include "cnnlab/nn/fusion.hpp"
#include "cnnlab/ops/shape_ops.hpp"

namespace cnnlab::models {
namespace inception_v4 {
namespace {

/// A ConvNormAct with PyTorch's default initialization, as timm leaves it.
std::shared_ptr<ConvNormAct> unit(int64_t in, int64_t out, Size2 kernel, Rng& rng, Size2 stride = 1,
                                  Size2 padding = 0) {
  return std::make_shared<ConvNormAct>(in, out, kernel, stride, padding, rng);
}

/// MaxPool2d(3, stride=2, padding=pad): timm's reduction pool (pad 0), or the small variant's.
std::shared_ptr<nn::MaxPool2d> reduction_pool(int64_t pad) {
  return std::make_shared<nn::MaxPool2d>(
      nn::MaxPool2dOptions{.kernel_size = 3, .stride = 2, .padding = pad});
}

/// AvgPool2d(3, stride=1, padding=1, count_include_pad=False) -> 1x1 ConvNormAct: the pooling
/// branch of InceptionA/B/C.
std::shared_ptr<nn::Sequential> pool_branch(int64_t in, int64_t out, Rng& rng) {
  auto pool = std::make_shared<nn::AvgPool2d>(nn::AvgPool2dOptions{
      .kernel_size = 3, .stride = 1, .padding = 1, .count_include_pad = false});
  auto branch = std::make_shared<nn::Sequential>();
  branch->push_back(pool);
  branch->push_back(unit(in, out, 1, rng));
  return branch;
}

/// A Sequential of ConvNormActs, built in list order (braced lists evaluate left to right, so
/// the weights are drawn in timm's order).
std::shared_ptr<nn::Sequential> chain(std::initializer_list<std::shared_ptr<ConvNormAct>> units) {
  auto s = std::make_shared<nn::Sequential>();
  for (const auto& u : units) s->push_back(u);
  return s;
}

}  // namespace

ConvNormAct::ConvNormAct(int64_t in, int64_t out, Size2 kernel, Size2 stride, Size2 padding,
                         Rng& rng)
    : Module("ConvNormAct") {
  conv =
      register_module("conv", std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = in,
                                                                             .out_channels = out,
                                                                             .kernel_size = kernel,
                                                                             .stride = stride,
                                                                             .padding = padding,
                                                                             .bias = false},
                                                           rng));
  // NOTE: eps 1e-3 as timm (norm_eps) and the TensorFlow original; momentum is PyTorch's 0.1.
  bn = register_module("bn", std::make_shared<nn::BatchNorm2d>(
                                 nn::BatchNormOptions{.num_features = out, .eps = 1e-3}));
  relu = register_module("relu", std::make_shared<nn::ReLU>());
}

Tensor ConvNormAct::forward(const Tensor& x) {
  return nn::conv_bn_relu(*conv, bn.get(), relu.get(), x);
}

Mixed3a::Mixed3a(int64_t pad, Rng& rng) : Module("Mixed3a") {
  maxpool = register_module("maxpool", reduction_pool(pad));
  conv = register_module("conv", unit(64, 96, 3, rng, 2, pad));
}

Tensor Mixed3a::forward(const Tensor& x) { return ops::cat({(*maxpool)(x), (*conv)(x)}, 1); }

Mixed4a::Mixed4a(int64_t pad, Rng& rng) : Module("Mixed4a") {
  branch0 =
      register_module("branch0", chain({unit(160, 64, 1, rng), unit(64, 96, 3, rng, 1, pad)}));
  branch1 = register_module(
      "branch1", chain({unit(160, 64, 1, rng), unit(64, 64, {1, 7}, rng, 1, {0, 3}),
                        unit(64, 64, {7, 1}, rng, 1, {3, 0}), unit(64, 96, 3, rng, 1, pad)}));
}

Tensor Mixed4a::forward(const Tensor& x) { return ops::cat({(*branch0)(x), (*branch1)(x)}, 1); }

Mixed5a::Mixed5a(int64_t pad, Rng& rng) : Module("Mixed5a") {
  conv = register_module("conv", unit(192, 192, 3, rng, 2, pad));
  maxpool = register_module("maxpool", reduction_pool(pad));
}

Tensor Mixed5a::forward(const Tensor& x) { return ops::cat({(*conv)(x), (*maxpool)(x)}, 1); }

InceptionA::InceptionA(Rng& rng) : Module("InceptionA") {
  branch0 = register_module("branch0", unit(384, 96, 1, rng));
  branch1 = register_module("branch1", chain({unit(384, 64, 1, rng), unit(64, 96, 3, rng, 1, 1)}));
  branch2 = register_module("branch2", chain({unit(384, 64, 1, rng), unit(64, 96, 3, rng, 1, 1),
                                              unit(96, 96, 3, rng, 1, 1)}));
  branch3 = register_module("branch3", pool_branch(384, 96, rng));
}

Tensor InceptionA::forward(const Tensor& x) {
  return ops::cat({(*branch0)(x), (*branch1)(x), (*branch2)(x), (*branch3)(x)}, 1);
}

ReductionA::ReductionA(int64_t pad, Rng& rng) : Module("ReductionA") {
  branch0 = register_module("branch0", unit(384, 384, 3, rng, 2, pad));
  branch1 = register_module("branch1", chain({unit(384, 192, 1, rng), unit(192, 224, 3, rng, 1, 1),
                                              unit(224, 256, 3, rng, 2, pad)}));
  branch2 = register_module("branch2", reduction_pool(pad));
}

Tensor ReductionA::forward(const Tensor& x) {
  return ops::cat({(*branch0)(x), (*branch1)(x), (*branch2)(x)}, 1);
}

InceptionB::InceptionB(Rng& rng) : Module("InceptionB") {
  branch0 = register_module("branch0", unit(1024, 384, 1, rng));
  branch1 = register_module("branch1",
                            chain({unit(1024, 192, 1, rng), unit(192, 224, {1, 7}, rng, 1, {0, 3}),
                                   unit(224, 256, {7, 1}, rng, 1, {3, 0})}));
  branch2 = register_module(
      "branch2",
      chain({unit(1024, 192, 1, rng), unit(192, 192, {7, 1}, rng, 1, {3, 0}),
             unit(192, 224, {1, 7}, rng, 1, {0, 3}), unit(224, 224, {7, 1}, rng, 1, {3, 0}),
             unit(224, 256, {1, 7}, rng, 1, {0, 3})}));
  branch3 = register_module("branch3", pool_branch(1024, 128, rng));
}

Tensor InceptionB::forward(const Tensor& x) {
  return ops::cat({(*branch0)(x), (*branch1)(x), (*branch2)(x), (*branch3)(x)}, 1);
}

ReductionB::ReductionB(int64_t pad, Rng& rng) : Module("ReductionB") {
  branch0 =
      register_module("branch0", chain({unit(1024, 192, 1, rng), unit(192, 192, 3, rng, 2, pad)}));
  branch1 = register_module(
      "branch1", chain({unit(1024, 256, 1, rng), unit(256, 256, {1, 7}, rng, 1, {0, 3}),
                        unit(256, 320, {7, 1}, rng, 1, {3, 0}), unit(320, 320, 3, rng, 2, pad)}));
  branch2 = register_module("branch2", reduction_pool(pad));
}

Tensor ReductionB::forward(const Tensor& x) {
  return ops::cat({(*branch0)(x), (*branch1)(x), (*branch2)(x)}, 1);
}

InceptionC::InceptionC(Rng& rng) : Module("InceptionC") {
  branch0 = register_module("branch0", unit(1536, 256, 1, rng));
  branch1_0 = register_module("branch1_0", unit(1536, 384, 1, rng));
  branch1_1a = register_module("branch1_1a", unit(384, 256, {1, 3}, rng, 1, {0, 1}));
  branch1_1b = register_module("branch1_1b", unit(384, 256, {3, 1}, rng, 1, {1, 0}));
  branch2_0 = register_module("branch2_0", unit(1536, 384, 1, rng));
  branch2_1 = register_module("branch2_1", unit(384, 448, {3, 1}, rng, 1, {1, 0}));
  branch2_2 = register_module("branch2_2", unit(448, 512, {1, 3}, rng, 1, {0, 1}));
  branch2_3a = register_module("branch2_3a", unit(512, 256, {1, 3}, rng, 1, {0, 1}));
  branch2_3b = register_module("branch2_3b", unit(512, 256, {3, 1}, rng, 1, {1, 0}));
  branch3 = register_module("branch3", pool_branch(1536, 256, rng));
}

Tensor InceptionC::forward(const Tensor& x) {
  const Tensor x0 = (*branch0)(x);
  const Tensor x1 = (*branch1_0)(x);
  const Tensor x2 = (*branch2_2)((*branch2_1)((*branch2_0)(x)));
  // timm concatenates (1a, 1b) and (3a, 3b) first; one cat of the six is the same tensor.
  return ops::cat({x0, (*branch1_1a)(x1), (*branch1_1b)(x1), (*branch2_3a)(x2), (*branch2_3b)(x2),
                   (*branch3)(x)},
                  1);
}

}  // namespace inception_v4

InceptionV4::InceptionV4(const InceptionV4Options& o, Rng& rng)
    : Module("InceptionV4"), options_(o) {
  using namespace inception_v4;  // NOLINT(google-build-using-namespace): the block classes
  CNNLAB_CHECK(o.in_channels > 0 && o.num_classes > 0, ValueError,
               "InceptionV4: expected positive in_channels and num_classes, got ", o.in_channels,
               " and ", o.num_classes);
  // NOTE: the small variant pads every 3x3 conv and pool that timm leaves unpadded and drops the
  // stem's stride, so 28x28 and 32x32 keep 2x2 maps to the end (docs/models.md).
  const int64_t pad = o.small_input ? 1 : 0;
  features = register_module("features", std::make_shared<nn::Sequential>());
  features->push_back(unit(o.in_channels, 32, 3, rng, o.small_input ? 1 : 2, pad));
  features->push_back(unit(32, 32, 3, rng, 1, pad));
  features->push_back(unit(32, 64, 3, rng, 1, 1));
  features->push_back(std::make_shared<Mixed3a>(pad, rng));
  features->push_back(std::make_shared<Mixed4a>(pad, rng));
  features->push_back(std::make_shared<Mixed5a>(pad, rng));
  for (int i = 0; i < 4; ++i) features->push_back(std::make_shared<InceptionA>(rng));
  features->push_back(std::make_shared<ReductionA>(pad, rng));  // timm's "Mixed6a"
  for (int i = 0; i < 7; ++i) features->push_back(std::make_shared<InceptionB>(rng));
  features->push_back(std::make_shared<ReductionB>(pad, rng));  // timm's "Mixed7a"
  for (int i = 0; i < 3; ++i) features->push_back(std::make_shared<InceptionC>(rng));
  global_pool = register_module("global_pool", std::make_shared<nn::AdaptiveAvgPool2d>(
                                                   nn::AdaptiveAvgPool2dOptions{.output_size = 1}));
  last_linear = register_module(
      "last_linear",
      std::make_shared<nn::Linear>(
          nn::LinearOptions{.in_features = 1536, .out_features = o.num_classes}, rng));
}

Tensor InceptionV4::forward(const Tensor& input) {
  return (*last_linear)((*global_pool)((*features)(input)).flatten(1));
}

}  // namespace cnnlab::models
