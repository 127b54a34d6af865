// The backward engine: leaves and accumulation, explicit output gradients, input gradients,
// detach and NoGradGuard, tensor hooks, backward overrides, freed graphs and retain_graph.
#include <gtest/gtest.h>

#include "cnnlab/cnnlab.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

Tensor leaf(std::vector<double> v, Shape s) {
  return Tensor::from_vector(v, s, Dtype::kFloat64).set_requires_grad(true);
}

TEST(AutogradBackward, ComputesChainRuleAndAccumulates) {
  Tensor x = leaf({1, 2, 3}, {3});
  Tensor y = (x * x * 3.0 + x).sum();  // dy/dx = 6x + 1
  y.backward();
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{7, 13, 19}));
  (x * 2.0).sum().backward();  // accumulates: + 2
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{9, 15, 21}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(AutogradBackward, TakesAnExplicitOutputGradient) {
  Tensor x = leaf({1, 2}, {2});
  Tensor y = x * 3.0;
  y.backward(Tensor::from_vector({10, 100}, {2}, Dtype::kFloat64));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{30, 300}));
  EXPECT_THROW_WITH(
      (x * 1.0).backward(), ShapeError,
      "backward: a gradient can be implied only for a one-element output, got shape [2]");
  EXPECT_THROW_WITH((x * 1.0).backward(Tensor::ones({3}, Dtype::kFloat64)), ShapeError,
                    "backward: expected grad_output of shape [2], got [3]");
}

TEST(AutogradBackward, SharedSubexpressionsSumTheirGradients) {
  Tensor x = leaf({2}, {1});
  Tensor a = x * x;              // used twice below
  Tensor y = (a * a + a).sum();  // y = x^4 + x^2, dy/dx = 4x^3 + 2x = 36
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 36.0);
}

TEST(AutogradBackward, GivesGradientsWithRespectToTheInputImage) {
  Tensor image = Tensor::ones({1, 1, 2, 2}, Dtype::kFloat64).set_requires_grad(true);
  Tensor w = Tensor::full({1, 1, 2, 2}, 0.5, Dtype::kFloat64);  // a fixed "model"
  (image * w).sum().backward();
  EXPECT_EQ(image.grad().to_vector(), std::vector<double>(4, 0.5));
  EXPECT_FALSE(w.requires_grad());
}

TEST(AutogradGradMode, NoGradGuardAndDetachStopRecording) {
  Tensor x = leaf({1}, {1});
  {
    NoGradGuard guard;
    EXPECT_FALSE(autograd::is_grad_enabled());
    EXPECT_FALSE((x * 2.0).requires_grad());
    {
      EnableGradGuard on;
      EXPECT_TRUE((x * 2.0).requires_grad());
    }
  }
  EXPECT_TRUE(autograd::is_grad_enabled());
  EXPECT_FALSE(x.detach().requires_grad());
  EXPECT_THROW_WITH((x.detach() * 2.0).sum().backward(), StateError, "does not require grad");
  EXPECT_THROW_WITH((x * 2.0).set_requires_grad(false), StateError,
                    "only leaf tensors can change requires_grad; this one was made by 'mul'");
}

TEST(AutogradGraph, FreedAfterBackwardUnlessRetained) {
  Tensor x = leaf({3}, {1});
  Tensor y = (x * x).sum();
  y.backward({.retain_graph = true});
  y.backward();  // second pass allowed by retain_graph, then freed
  EXPECT_DOUBLE_EQ(x.grad().item(), 12.0);
  EXPECT_THROW_WITH(y.backward(), StateError, "the graph through 'sum' was already freed");
  EXPECT_TRUE(y.grad_fn()->released());
}

TEST(AutogradHooks, TensorHooksReadAndReplaceGradients) {
  Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 3.0;
  Tensor seen;
  h.register_hook([&](const Tensor& g) {
    seen = g.clone();
    return g * 10.0;  // replace
  });
  x.register_hook([](const Tensor& g) { return g + 1.0; });
  (h * 2.0).sum().backward();
  EXPECT_EQ(seen.to_vector(), (std::vector<double>{2, 2}));
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{61, 61}));  // 2 * 10 * 3 + 1
  EXPECT_THROW_WITH(Tensor::ones({1}).register_hook([](const Tensor& g) { return g; }), StateError,
                    "does not require grad");
}

TEST(AutogradHooks, HookMustKeepTheShape) {
  Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 1.0;
  h.register_hook([](const Tensor&) { return Tensor::ones({3}, Dtype::kFloat64); });
  EXPECT_THROW_WITH(
      h.sum().backward(), ShapeError,
      "backward hook on the output of mul: expected a gradient of shape [2] (float64), "
      "got [3] (float64)");
}

TEST(AutogradHooks, HookMustKeepTheDtype) {
  Tensor x = leaf({1, 2}, {2});
  x.register_hook([](const Tensor& g) { return g.to(Dtype::kFloat32); });
  EXPECT_THROW_WITH(
      (x * 1.0).sum().backward(), ShapeError,
      "backward hook on a leaf tensor: expected a gradient of shape [2] (float64), got "
      "[2] (float32)");
}

TEST(AutogradOverride, ReplacesTheRuleOfANamedOpWhileAlive) {
  Tensor x = leaf({1, -1}, {2});
  auto run = [&] {
    x.zero_grad();
    (ops::abs(x) * 2.0).sum().backward();
    return x.grad().to_vector();
  };
  EXPECT_EQ(run(), (std::vector<double>{2, -2}));
  {
    autograd::BackwardOverride guard("abs", [](const Tensor& dy, const autograd::Node& node) {
      std::vector<Tensor> ordinary = node.apply(dy);                           // sign(x) * dy
      return std::vector<Tensor>{ops::clamp(ordinary[0], 0.0, std::nullopt)};  // drop negatives
    });
    EXPECT_EQ(run(), (std::vector<double>{2, 0}));
    {
      autograd::BackwardOverride inner("abs", [](const Tensor& dy, const autograd::Node&) {
        return std::vector<Tensor>{dy * 0.0};
      });
      EXPECT_EQ(run(), (std::vector<double>{0, 0}));
    }
    EXPECT_EQ(run(), (std::vector<double>{2, 0}));
  }
  EXPECT_EQ(run(), (std::vector<double>{2, -2}));
}

TEST(AutogradOverride, WrongGradientCountIsAClearError) {
  Tensor x = leaf({1}, {1});
  autograd::BackwardOverride guard(
      "exp", [](const Tensor&, const autograd::Node&) { return std::vector<Tensor>{}; });
  EXPECT_THROW_WITH(ops::exp(x).sum().backward(), StateError,
                    "backward of 'exp': expected 1 input gradients, got 0");
}

TEST(AutogradDtype, Float32ToFloat64ConversionIsDifferentiable) {
  Tensor x = Tensor::ones({2}).set_requires_grad(true);
  (x.to(Dtype::kFloat64) * 3.0).sum().backward();
  EXPECT_EQ(x.grad().dtype(), Dtype::kFloat32);
  EXPECT_EQ(x.grad().to_vector(), (std::vector<double>{3, 3}));
}

}  // namespace
}  // namespace cnnlab
