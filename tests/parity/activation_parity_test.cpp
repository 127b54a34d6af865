// PyTorch parity of the activations, softmax/log_softmax and dropout (forward and dx) against
// torch.nn.functional in float64; fixtures from make_fixtures.py (activation_fixtures).
// Dropout in training draws its mask from cnnlab's Rng, which PyTorch cannot reproduce, so that
// mode is checked by its statistics and its inverted scaling instead.
#include <gtest/gtest.h>

#include <cmath>

#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/dropout.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

using parity::Inputs;

void check_unary(const std::string& fixture, const parity::OpFn& op) {
  parity::check_op({.fixture = fixture, .inputs = {"x"}, .grads = {"x"}, .op = op});
}

TEST(ReluParity, MatchesTorch) {
  check_unary("relu", [](const Inputs& in) { return ops::relu(in.at("x")); });
}

TEST(LeakyReluParity, DefaultSlope) {
  check_unary("leaky_relu", [](const Inputs& in) { return ops::leaky_relu(in.at("x")); });
}

TEST(LeakyReluParity, Slope0p2) {
  check_unary("leaky_relu_slope0.2",
              [](const Inputs& in) { return ops::leaky_relu(in.at("x"), 0.2); });
}

// Slope 0 with exact zeros in x: y = 0 there and the gradient at 0 is the slope, 0, as PyTorch.
TEST(LeakyReluParity, Slope0WithExactZeros) {
  check_unary("leaky_relu_slope0",
              [](const Inputs& in) { return ops::leaky_relu(in.at("x"), 0.0); });
}

TEST(SigmoidParity, MatchesTorch) {
  check_unary("sigmoid", [](const Inputs& in) { return ops::sigmoid(in.at("x")); });
}

TEST(TanhParity, MatchesTorch) {
  check_unary("tanh", [](const Inputs& in) { return ops::tanh(in.at("x")); });
}

TEST(SoftmaxParity, Dim1Of4d) {
  check_unary("softmax_dim1", [](const Inputs& in) { return ops::softmax(in.at("x"), 1); });
}

TEST(LogSoftmaxParity, Dim1Of4d) {
  check_unary("log_softmax_dim1", [](const Inputs& in) { return ops::log_softmax(in.at("x"), 1); });
}

TEST(LogSoftmaxParity, LastDimOf2d) {
  check_unary("log_softmax_2d_last",
              [](const Inputs& in) { return ops::log_softmax(in.at("x"), -1); });
}

TEST(LogSoftmaxParity, Dim0Of3d) {
  check_unary("log_softmax_dim0", [](const Inputs& in) { return ops::log_softmax(in.at("x"), 0); });
}

TEST(DropoutParity, EvalIsIdentity) {
  Rng rng(11);
  check_unary("dropout_eval",
              [&rng](const Inputs& in) { return ops::dropout(in.at("x"), 0.5, false, rng); });
}

// Training mode on the fixture's input: every output is 0 or x / (1 - p) (PyTorch's inverted
// scaling), and dx = dy * y / x, i.e. the same mask and scale.
TEST(DropoutParity, TrainKeepsOrZeroesWithInvertedScaling) {
  const io::TensorFile f = parity::load_fixture("dropout_eval");
  const double p = 0.3;
  for (Dtype dtype : parity::run_dtypes()) {
    SCOPED_TRACE(parity::describe(f, dtype));
    Rng rng(2024);
    Tensor x = parity::converted(f.at("x"), dtype).set_requires_grad(true);
    const Tensor y = ops::dropout(x, p, true, rng);
    const Tensor dy = parity::converted(f.at("dy"), dtype);
    y.backward(dy);
    const std::vector<double> xv = x.to_vector(), yv = y.to_vector(), dyv = dy.to_vector(),
                              dxv = x.grad().to_vector();
    const double tol = dtype == Dtype::kFloat64 ? 1e-15 : 1e-6;
    int64_t kept = 0;
    for (size_t i = 0; i < xv.size(); ++i) {
      const bool is_kept = yv[i] != 0.0;
      kept += is_kept ? 1 : 0;
      const double scale = is_kept ? 1.0 / (1.0 - p) : 0.0;
      EXPECT_NEAR(yv[i], xv[i] * scale, tol * std::abs(xv[i] * scale)) << "y at flat " << i;
      EXPECT_NEAR(dxv[i], dyv[i] * scale, tol * std::abs(dyv[i] * scale)) << "dx at flat " << i;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, static_cast<int64_t>(xv.size()));
  }
}

// The drop rate over 16384 elements is p within 5 standard deviations, and the mean of the
// output stays that of the input (1), as with PyTorch's dropout.
TEST(DropoutParity, TrainDropRateAndMeanMatchP) {
  for (Dtype dtype : parity::run_dtypes()) {
    for (double p : {0.1, 0.5, 0.8}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + ", p = " + std::to_string(p));
      Rng rng(77);
      const Tensor y = ops::dropout(Tensor::ones({128, 128}, dtype), p, true, rng);
      const std::vector<double> v = y.to_vector();
      double zeros = 0, sum = 0;
      for (double e : v) {
        zeros += e == 0.0 ? 1 : 0;
        sum += e;
      }
      const double n = static_cast<double>(v.size());
      const double sd = std::sqrt(p * (1 - p) / n);
      EXPECT_NEAR(zeros / n, p, 5 * sd);
      EXPECT_NEAR(sum / n, 1.0, 5 * sd / (1 - p));
    }
  }
}

}  // namespace
}  // namespace cnnlab
