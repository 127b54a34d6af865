// PyTorch parity of a whole LeNet-5 forward and backward with fixed weights: the network is built
// here directly from ops (conv2d, relu, max_pool2d, reshape, linear, cross_entropy) on the
// fixture's parameters, so the test does not depend on the models/ code. Compares the logits,
// the loss and the gradient of every parameter and of the input (fixture "lenet5").
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/conv.hpp"
#include "cnnlab/ops/linear.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/pool.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

// PyTorch's parameter names of the cnnlab LeNet-5 (features.* / classifier.*).
const std::vector<std::string> kParameters = {
    "features.0.weight",   "features.0.bias",   "features.3.weight",   "features.3.bias",
    "classifier.0.weight", "classifier.0.bias", "classifier.2.weight", "classifier.2.bias",
    "classifier.4.weight", "classifier.4.bias"};

// (N, 1, 28, 28) -> (N, 10): conv(1->6, 5, pad 2) relu pool2 conv(6->16, 5) relu pool2 flatten
// linear(400->120) relu linear(120->84) relu linear(84->10).
Tensor lenet5(const parity::Inputs& p, const Tensor& x) {
  Tensor h = ops::conv2d(x, p.at("features.0.weight"), p.at("features.0.bias"), {.padding = 2});
  h = ops::max_pool2d(ops::relu(h), {.kernel = 2});
  h = ops::conv2d(h, p.at("features.3.weight"), p.at("features.3.bias"));
  h = ops::max_pool2d(ops::relu(h), {.kernel = 2});
  h = h.reshape({h.size(0), -1});
  h = ops::relu(ops::linear(h, p.at("classifier.0.weight"), p.at("classifier.0.bias")));
  h = ops::relu(ops::linear(h, p.at("classifier.2.weight"), p.at("classifier.2.bias")));
  return ops::linear(h, p.at("classifier.4.weight"), p.at("classifier.4.bias"));
}

TEST(LeNet5Parity, LogitsLossAndEveryGradientMatchTorch) {
  const io::TensorFile f = parity::load_fixture("lenet5");
  // NOTE: the float64 run is held to the default 1e-10 relative; the float32 run to 1e-5
  // relative with an absolute floor of 1e-7, far below every gradient's scale (~1e-3..1e-1).
  const parity::Tolerances tol{.f64 = {1e-10, 1e-12}, .f32 = {1e-5, 1e-7}};
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    const parity::Tolerance& t = tol.at(dtype);
    std::vector<std::string> leaves = kParameters;
    leaves.push_back("x");
    const parity::Inputs in = parity::make_inputs(f, {"labels"}, leaves, dtype);

    const Tensor logits = lenet5(in, in.at("x"));
    const Tensor loss = ops::cross_entropy(logits, in.at("labels"));
    parity::expect_matches(logits, f, "logits", t);
    parity::expect_matches(loss, f, "loss", t);

    loss.backward();
    for (const std::string& name : leaves) {
      parity::expect_matches(in.at(name).grad(), f, "grad." + name, t);
    }
  }
}

}  // namespace
}  // namespace cnnlab
