// Integration: the library's LeNet-5 (models::make_lenet5) against PyTorch. The model loads the
// PyTorch state dict of fixture tests/parity/fixtures/lenet5.safetensors under PyTorch's names
// (strict), then one float32 forward + cross_entropy + backward must give PyTorch's logits, loss
// and gradients (of every parameter and of the input). This checks the model's wiring, its
// parameter names and state loading; tests/parity/lenet_parity_test.cpp checks the ops alone.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/models/lenet.hpp"
#include "cnnlab/ops/loss.hpp"
#include "parity/parity_support.hpp"

namespace cnnlab {
namespace {

// The fixture's parameters: every tensor that is not an input, output or gradient. Taken from
// the file rather than from the model, so a name the model spells differently fails the
// strict load.
std::map<std::string, Tensor> torch_state_dict(const io::TensorFile& f) {
  std::map<std::string, Tensor> state;
  for (const auto& [name, t] : f.tensors) {
    if (name == "x" || name == "labels" || name == "logits" || name == "loss") continue;
    if (name.rfind("grad.", 0) == 0) continue;
    state.emplace(name, t);
  }
  return state;
}

TEST(LeNet5TorchParity, LoadsTorchStateDictStrictly) {
  const io::TensorFile f = parity::load_fixture("lenet5");
  Rng rng(1998);
  auto model = models::make_lenet5({}, rng);
  const std::map<std::string, Tensor> state = torch_state_dict(f);
  ASSERT_EQ(state.size(), 10u);
  model->load_state_dict(state, /*strict=*/true);
  for (const auto& [name, p] : model->named_parameters()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(p.dtype(), Dtype::kFloat32);
    // The fixture's values are float32-representable, so the conversion is exact.
    EXPECT_TENSOR_EQ(p, f.at(name));
  }
}

TEST(LeNet5TorchParity, ForwardLossAndBackwardMatchTorch) {
  const io::TensorFile f = parity::load_fixture("lenet5");
  SCOPED_TRACE(parity::describe(f, Dtype::kFloat32));
  // NOTE: the float32 parity tolerance of tests/parity/lenet_parity_test.cpp: 1e-5 relative
  // with an absolute floor of 1e-7, far below every gradient's scale (~1e-5..1e-1).
  const parity::Tolerance tol{1e-5, 1e-7};
  Rng rng(1998);
  auto model = models::make_lenet5({}, rng);
  model->load_state_dict(torch_state_dict(f), /*strict=*/true);

  const Tensor x = parity::converted(f.at("x"), Dtype::kFloat32).set_requires_grad(true);
  const Tensor logits = (*model)(x);
  const Tensor loss = ops::cross_entropy(logits, f.at("labels"));
  EXPECT_EQ(logits.dtype(), Dtype::kFloat32);
  parity::expect_matches(logits, f, "logits", tol);
  parity::expect_matches(loss, f, "loss", tol);

  loss.backward();
  int64_t compared = 0;
  for (const auto& [name, p] : model->named_parameters()) {
    SCOPED_TRACE(name);
    parity::expect_matches(p.grad(), f, "grad." + name, tol);
    ++compared;
  }
  EXPECT_EQ(compared, 10);
  parity::expect_matches(x.grad(), f, "grad.x", tol);
}

}  // namespace
}  // namespace cnnlab
