// nn::Module and nn::Sequential: dotted names, modes, state_dict round trips and their errors,
// forward hooks that read or replace a layer's output.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

// y = x * scale + shift, with a buffer counting calls: enough to exercise the Module machinery.
class Affine final : public nn::Module {
 public:
  explicit Affine(int64_t n) : Module("Affine") {
    scale = register_parameter("scale", Tensor::ones({n}));
    shift = register_parameter("shift", Tensor::zeros({n}));
    calls = register_buffer("calls", Tensor::zeros({1}));
  }
  Tensor forward(const Tensor& x) override {
    calls.fill_(calls.item() + 1);
    return x * scale + shift;
  }
  std::string repr() const override { return "Affine()"; }
  Tensor scale, shift, calls;
};

class Net final : public nn::Module {
 public:
  Net() : Module("Net") {
    body = register_module(
        "body", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                    std::make_shared<Affine>(3), std::make_shared<Affine>(3)}));
    head = register_module("head", std::make_shared<Affine>(3));
  }
  Tensor forward(const Tensor& x) override { return (*head)((*body)(x)); }
  std::shared_ptr<nn::Sequential> body;
  std::shared_ptr<Affine> head;
};

std::vector<std::string> names(const std::vector<std::pair<std::string, Tensor>>& v) {
  std::vector<std::string> out;
  for (const auto& [n, t] : v) out.push_back(n);
  return out;
}

TEST(ModuleNames, AreDottedPathsInRegistrationOrder) {
  Net net;
  EXPECT_EQ(names(net.named_parameters()),
            (std::vector<std::string>{"body.0.scale", "body.0.shift", "body.1.scale",
                                      "body.1.shift", "head.scale", "head.shift"}));
  EXPECT_EQ(names(net.named_buffers()),
            (std::vector<std::string>{"body.0.calls", "body.1.calls", "head.calls"}));
  EXPECT_EQ(net.parameters().size(), 6u);
  EXPECT_EQ(net.num_parameters(), 18);
  EXPECT_EQ(net.state_dict().size(), 9u);
  EXPECT_EQ(&net.submodule("body.1"), net.body->children()[1].second.get());
  EXPECT_THROW_WITH(net.submodule("body.7"), ValueError, "submodule: no module '7' in 'body.7'");
  EXPECT_EQ(net.named_modules().size(), 5u);
  EXPECT_EQ(net.to_string(),
            "Net(\n  (body): Sequential(\n    (0): Affine()\n    (1): Affine()\n  )\n  (head): "
            "Affine()\n)");
}

TEST(ModuleNames, RejectsDuplicatesAndDots) {
  Affine a(2);
  EXPECT_THROW_WITH(a.register_parameter("scale", Tensor::ones({1})), ValueError,
                    "a parameter named 'scale' already exists");
  EXPECT_THROW_WITH(a.register_buffer("x.y", Tensor::ones({1})), ValueError,
                    "name must be non-empty and contain no '.'");
}

TEST(ModuleMode, TrainAndEvalReachEveryDescendant) {
  Net net;
  EXPECT_TRUE(net.head->is_training());
  net.eval();
  EXPECT_FALSE(net.body->children()[0].second->is_training());
  net.train();
  EXPECT_TRUE(net.body->children()[1].second->is_training());
}

TEST(ModuleState, LoadStateDictCopiesValuesInPlace) {
  Net a, b;
  a.head->scale.fill_(5);
  b.load_state_dict(a.state_dict());
  EXPECT_EQ(b.head->scale.to_vector(), (std::vector<double>{5, 5, 5}));
  EXPECT_TRUE(b.head->scale.requires_grad());  // still the module's own parameter
  a.head->scale.fill_(6);
  EXPECT_EQ(b.head->scale.at({0}), 5.0);  // copied, not shared
  // float64 values convert to the module's float32
  std::map<std::string, Tensor> state = a.state_dict();
  state["head.shift"] = Tensor::full({3}, 0.25, Dtype::kFloat64);
  b.load_state_dict(state);
  EXPECT_EQ(b.head->shift.dtype(), Dtype::kFloat32);
  EXPECT_EQ(b.head->shift.at({2}), 0.25);
}

TEST(ModuleState, LoadStateDictNamesMissingUnexpectedAndMisshapenKeys) {
  Net net;
  std::map<std::string, Tensor> state = net.state_dict();
  state.erase("head.shift");
  state["head.extra"] = Tensor::ones({1});
  EXPECT_THROW_WITH(
      net.load_state_dict(state), ValueError,
      "load_state_dict: Net: missing keys: head.shift (expected [3]); unexpected keys: "
      "head.extra (got [1])");
  net.load_state_dict(state, /*strict=*/false);  // allowed when not strict
  state = net.state_dict();
  state["body.0.scale"] = Tensor::ones({4});
  EXPECT_THROW_WITH(net.load_state_dict(state), ValueError,
                    "shape or dtype mismatch for body.0.scale (expected [3], got [4])");
}

TEST(ModuleState, LoadStateDictChangesNothingWhenAnyEntryIsBad) {
  Net net;
  std::map<std::string, Tensor> state = net.state_dict();
  state["body.0.scale"] = Tensor::full({3}, 9.0);      // fine on its own
  state["head.calls"] = Tensor::from_int64({1}, {1});  // int64 for a float buffer
  EXPECT_THROW_WITH(net.load_state_dict(state), ValueError,
                    "shape or dtype mismatch for head.calls (expected float32, got int64)");
  EXPECT_EQ(net.body->children()[0].second->state_dict().at("scale").at({0}), 1.0);
}

TEST(ModuleNames, SharedParametersAreListedOnce) {
  auto shared = std::make_shared<Affine>(2);
  nn::Sequential seq{shared, shared};  // the same layer twice: tied weights
  EXPECT_EQ(names(seq.named_parameters()), (std::vector<std::string>{"0.scale", "0.shift"}));
  EXPECT_EQ(seq.state_dict().size(), 6u);  // state_dict keeps every name, as PyTorch
  EXPECT_THROW_WITH(seq[2], ValueError, "Sequential: index 2 is out of range for 2 modules");
}

TEST(ModuleHooks, ForwardHookReadsAndReplacesALayerOutput) {
  Net net;
  Tensor captured;
  nn::Module& layer = net.submodule("body.0");
  const int id = layer.register_forward_hook([&](nn::Module& m, const Tensor&, const Tensor& out) {
    EXPECT_EQ(m.type_name(), "Affine");
    captured = out.detach();
    return Tensor();  // keep the output
  });
  const Tensor x = Tensor::full({3}, 2.0);
  EXPECT_EQ(net(x).to_vector(), (std::vector<double>{2, 2, 2}));
  EXPECT_EQ(captured.to_vector(), (std::vector<double>{2, 2, 2}));
  layer.register_forward_hook(
      [](nn::Module&, const Tensor&, const Tensor& out) { return out * 0.0; });
  EXPECT_EQ(net(x).to_vector(), (std::vector<double>{0, 0, 0}));
  layer.remove_forward_hook(id);
  captured = Tensor();
  net(x);
  EXPECT_FALSE(captured.defined());
}

TEST(ModuleGrad, ParametersAccumulateAndZeroGradDropsThem) {
  Net net;
  net(Tensor::ones({3})).sum().backward();
  EXPECT_EQ(net.head->scale.grad().to_vector(), (std::vector<double>{1, 1, 1}));
  net.zero_grad();
  for (const Tensor& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(SequentialErrors, NameTheFailingLayer) {
  nn::Sequential seq{std::make_shared<Affine>(3), std::make_shared<Affine>(4)};
  EXPECT_THROW_WITH(seq(Tensor::ones({3})), ShapeError,
                    "Sequential: layer 1 (Affine()) got input of shape [3]: mul: cannot broadcast "
                    "shapes [3] and [4]");
}

}  // namespace
}  // namespace cnnlab
