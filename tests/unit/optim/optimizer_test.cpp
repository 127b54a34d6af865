// Optimizer state dicts: keys, copies, bit-identical continuation after a round trip (also
// through a safetensors file), and the ValueErrors of a mismatched state dict.
#include "cnnlab/optim/optimizer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "cnnlab/io/safetensors.hpp"
#include "cnnlab/optim/adam.hpp"
#include "cnnlab/optim/sgd.hpp"
#include "support/expect_throw_with.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab {
namespace {

using MakeOptimizer = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

std::vector<Tensor> make_params(uint64_t seed, Dtype dtype = Dtype::kFloat64) {
  Rng rng(seed);
  return {Tensor::normal({3, 2}, 0, 1, rng, dtype).set_requires_grad(true),
          Tensor::normal({4}, 0, 1, rng, dtype).set_requires_grad(true)};
}

/// Gives every parameter a fresh gradient from rng (parameter 1 none on odd calls, so that
/// step counts differ) and steps.
void step_with(optim::Optimizer& opt, Rng& rng, int call) {
  for (size_t i = 0; i < opt.parameters().size(); ++i) {
    Tensor p = opt.parameters()[i];
    if (i == 1 && call % 2 == 1) {
      p.zero_grad();
    } else {
      p.set_grad(Tensor::normal(p.shape(), 0, 1, rng, p.dtype()));
    }
  }
  opt.step();
}

std::vector<Tensor> copies_of(const std::vector<Tensor>& params) {
  std::vector<Tensor> out;
  for (const Tensor& p : params) {
    out.push_back(p.clone());
    out.back().set_requires_grad(true);
  }
  return out;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cnnlab_test_" + name)).string();
}

/// Runs 5 steps uninterrupted, and 2 steps + state dict + a fresh optimizer (built with default
/// options) + 3 steps, with the same gradients: the parameters must be bit-identical.
void expect_identical_continuation(const MakeOptimizer& make, const MakeOptimizer& make_default,
                                   bool through_file) {
  std::unique_ptr<optim::Optimizer> straight = make(make_params(11));
  Rng rng_a(5);
  for (int call = 0; call < 5; ++call) step_with(*straight, rng_a, call);

  std::unique_ptr<optim::Optimizer> first = make(make_params(11));
  Rng rng_b(5);
  for (int call = 0; call < 2; ++call) step_with(*first, rng_b, call);
  optim::StateDict saved = first->state_dict();
  if (through_file) {
    const std::string path = temp_path("optimizer_state.safetensors");
    io::save_safetensors(path, saved);
    saved = io::load_safetensors(path).tensors;
    std::filesystem::remove(path);
  }
  std::unique_ptr<optim::Optimizer> resumed = make_default(copies_of(first->parameters()));
  resumed->load_state_dict(saved);
  EXPECT_EQ(resumed->lr(), first->lr());
  for (int call = 2; call < 5; ++call) step_with(*resumed, rng_b, call);

  for (size_t i = 0; i < straight->parameters().size(); ++i) {
    EXPECT_TENSOR_EQ(resumed->parameters()[i], straight->parameters()[i]);
  }
}

std::unique_ptr<optim::Optimizer> sgd(std::vector<Tensor> p) {
  return std::make_unique<optim::Sgd>(
      std::move(p),
      optim::SgdOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.2, .weight_decay = 1e-3});
}
std::unique_ptr<optim::Optimizer> nesterov(std::vector<Tensor> p) {
  return std::make_unique<optim::Sgd>(
      std::move(p), optim::SgdOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
}
std::unique_ptr<optim::Optimizer> sgd_default(std::vector<Tensor> p) {
  return std::make_unique<optim::Sgd>(std::move(p), optim::SgdOptions{});
}
std::unique_ptr<optim::Optimizer> adam(std::vector<Tensor> p) {
  return std::make_unique<optim::Adam>(
      std::move(p), optim::AdamOptions{.lr = 0.01, .betas = {0.8, 0.99}, .weight_decay = 0.1});
}
std::unique_ptr<optim::Optimizer> adam_default(std::vector<Tensor> p) {
  return std::make_unique<optim::Adam>(std::move(p));
}
std::unique_ptr<optim::Optimizer> adamw_amsgrad(std::vector<Tensor> p) {
  return std::make_unique<optim::AdamW>(std::move(p),
                                        optim::AdamWOptions{.lr = 0.01, .amsgrad = true});
}
std::unique_ptr<optim::Optimizer> adamw_default(std::vector<Tensor> p) {
  return std::make_unique<optim::AdamW>(std::move(p));
}

TEST(OptimizerStateDict, ResumingContinuesBitIdentically) {
  for (bool through_file : {false, true}) {
    SCOPED_TRACE(through_file ? "through a safetensors file" : "in memory");
    expect_identical_continuation(sgd, sgd_default, through_file);
    expect_identical_continuation(nesterov, sgd_default, through_file);
    expect_identical_continuation(adam, adam_default, through_file);
    expect_identical_continuation(adamw_amsgrad, adamw_default, through_file);
  }
}

TEST(OptimizerStateDict, SgdHoldsPyTorchKeys) {
  std::unique_ptr<optim::Optimizer> opt = sgd(make_params(1));
  optim::StateDict s = opt->state_dict();
  EXPECT_EQ(s.size(), 6u);  // no momentum buffer before the first step
  EXPECT_TENSOR_EQ(s.at("param_groups.0.params"), Tensor::from_int64({0, 1}, {2}));
  EXPECT_EQ(s.at("param_groups.0.lr").dim(), 0);
  EXPECT_EQ(s.at("param_groups.0.lr").dtype(), Dtype::kFloat64);
  EXPECT_EQ(s.at("param_groups.0.lr").item(), 0.1);
  EXPECT_EQ(s.at("param_groups.0.momentum").item(), 0.9);
  EXPECT_EQ(s.at("param_groups.0.dampening").item(), 0.2);
  EXPECT_EQ(s.at("param_groups.0.weight_decay").item(), 1e-3);
  EXPECT_EQ(s.at("param_groups.0.nesterov").item(), 0.0);
  Rng rng(3);
  step_with(*opt, rng, 1);  // parameter 1 has no gradient
  s = opt->state_dict();
  EXPECT_EQ(s.count("state.0.momentum_buffer"), 1u);
  EXPECT_EQ(s.count("state.1.momentum_buffer"), 0u);
  EXPECT_EQ(s.at("state.0.momentum_buffer").shape(), Shape({3, 2}));
}

TEST(OptimizerStateDict, AdamHoldsPyTorchKeys) {
  std::unique_ptr<optim::Optimizer> opt = adamw_amsgrad(make_params(1));
  Rng rng(3);
  step_with(*opt, rng, 0);
  step_with(*opt, rng, 1);
  const optim::StateDict s = opt->state_dict();
  EXPECT_TENSOR_EQ(s.at("param_groups.0.betas"),
                   Tensor::from_vector({0.9, 0.999}, {2}, Dtype::kFloat64));
  EXPECT_EQ(s.at("param_groups.0.eps").item(), 1e-8);
  EXPECT_EQ(s.at("param_groups.0.weight_decay").item(), 0.01);
  EXPECT_EQ(s.at("param_groups.0.amsgrad").item(), 1.0);
  EXPECT_EQ(s.at("state.0.step").dtype(), Dtype::kInt64);
  EXPECT_EQ(s.at("state.0.step").dim(), 0);
  EXPECT_EQ(s.at("state.0.step").item(), 2.0);
  EXPECT_EQ(s.at("state.1.step").item(), 1.0);
  for (const char* name : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
    EXPECT_EQ(s.at(std::string("state.1.") + name).shape(), Shape({4})) << name;
  }
}

TEST(OptimizerStateDict, IsACopyThatLaterStepsDoNotChange) {
  std::unique_ptr<optim::Optimizer> opt = adam(make_params(1));
  Rng rng(3);
  step_with(*opt, rng, 0);
  const optim::StateDict s = opt->state_dict();
  const Tensor before = s.at("state.0.exp_avg").clone();
  step_with(*opt, rng, 0);
  EXPECT_TENSOR_EQ(s.at("state.0.exp_avg"), before);
  EXPECT_EQ(s.at("state.0.step").item(), 1.0);
}

TEST(OptimizerStateDict, LoadTakesHyperParametersAndConvertsBuffersToTheParameterDtype) {
  std::unique_ptr<optim::Optimizer> f64 = adam(make_params(1));
  Rng rng(3);
  step_with(*f64, rng, 0);
  optim::AdamW f32(make_params(1, Dtype::kFloat32), {});
  f32.load_state_dict(f64->state_dict());
  EXPECT_EQ(f32.options().lr, 0.01);
  EXPECT_EQ(f32.options().betas[0], 0.8);
  EXPECT_EQ(f32.options().weight_decay, 0.1);
  EXPECT_EQ(f32.exp_avg(0).dtype(), Dtype::kFloat32);
  EXPECT_TENSOR_NEAR(f32.exp_avg(0), f64->state_dict().at("state.0.exp_avg"), 1e-6, 1e-7);
  EXPECT_EQ(f32.step_count(0), 1);
}

TEST(OptimizerStateDict, AcceptsPyTorchsFloatStepCount) {
  std::unique_ptr<optim::Optimizer> opt = adam(make_params(1));
  Rng rng(3);
  step_with(*opt, rng, 0);
  optim::StateDict s = opt->state_dict();
  s["state.0.step"] = Tensor::scalar(7.0, Dtype::kFloat32);
  optim::Adam loaded(make_params(1));
  loaded.load_state_dict(s);
  EXPECT_EQ(loaded.step_count(0), 7);
}

/// A state dict of `adam` after one step (parameter 1 stepped too), with `edit` applied.
optim::StateDict edited(const std::function<void(optim::StateDict&)>& edit) {
  std::unique_ptr<optim::Optimizer> opt = adam(make_params(1));
  Rng rng(3);
  step_with(*opt, rng, 0);
  optim::StateDict s = opt->state_dict();
  edit(s);
  return s;
}

TEST(OptimizerStateDictErrors, NameTheOffendingKey) {
  optim::Adam opt(make_params(2));
  EXPECT_THROW_WITH(opt.load_state_dict(edited([](optim::StateDict& s) {
    s["state.1.exp_avg"] = Tensor::zeros({5}, Dtype::kFloat64);
  })),
                    ValueError,
                    "Adam::load_state_dict: 'state.1.exp_avg' expected a float tensor of shape [4] "
                    "(parameter 1), got float64 [5]");
  EXPECT_THROW_WITH(
      opt.load_state_dict(edited([](optim::StateDict& s) { s.erase("state.0.exp_avg_sq"); })),
      ValueError, "Adam::load_state_dict: missing key 'state.0.exp_avg_sq'");
  EXPECT_THROW_WITH(
      opt.load_state_dict(edited([](optim::StateDict& s) { s.erase("param_groups.0.eps"); })),
      ValueError, "Adam::load_state_dict: missing key 'param_groups.0.eps'");
  EXPECT_THROW_WITH(opt.load_state_dict(edited([](optim::StateDict& s) {
    s["state.0.momentum_buffer"] = Tensor::zeros({3, 2}, Dtype::kFloat64);
  })),
                    ValueError, "Adam::load_state_dict: unexpected keys 'state.0.momentum_buffer'");
  EXPECT_THROW_WITH(
      opt.load_state_dict(
          edited([](optim::StateDict& s) { s["state.0.step"] = Tensor::from_int64({0}, {}); })),
      ValueError, "Adam::load_state_dict: 'state.0.step' expected a step >= 1, got 0");
  EXPECT_THROW_WITH(opt.load_state_dict(edited([](optim::StateDict& s) {
    s["state.0.step"] = Tensor::scalar(1.5, Dtype::kFloat64);
  })),
                    ValueError,
                    "Adam::load_state_dict: 'state.0.step' expected an integer step >= 1, got 1.5");
  EXPECT_THROW_WITH(opt.load_state_dict(edited([](optim::StateDict& s) {
    s["param_groups.0.lr"] = Tensor::from_vector({0.1, 0.2}, {2});
  })),
                    ValueError,
                    "Adam::load_state_dict: 'param_groups.0.lr' expected a 0-d float tensor, got "
                    "float32 [2]");
  EXPECT_THROW_WITH(opt.load_state_dict(edited([](optim::StateDict& s) {
    s["param_groups.0.betas"] = Tensor::from_vector({0.9, 1.0}, {2}, Dtype::kFloat64);
  })),
                    ValueError,
                    "Adam::load_state_dict: invalid hyper-parameters: Adam: expected betas[1] in "
                    "[0, 1), got 1");
}

TEST(OptimizerStateDictErrors, RejectAnotherParameterCount) {
  optim::Adam three({make_params(2)[0], make_params(2)[1],
                     Tensor::zeros({1}, Dtype::kFloat64).set_requires_grad(true)});
  EXPECT_THROW_WITH(three.load_state_dict(edited([](optim::StateDict&) {})), ValueError,
                    "Adam::load_state_dict: the state dict is for 2 parameters "
                    "('param_groups.0.params' has shape [2]), the optimizer has 3");
  optim::Adam one({Tensor::zeros({3, 2}, Dtype::kFloat64).set_requires_grad(true)});
  EXPECT_THROW_WITH(one.load_state_dict(edited([](optim::StateDict& s) {
    s["param_groups.0.params"] = Tensor::from_int64({0}, {1});
  })),
                    ValueError, "unexpected keys 'state.1.exp_avg', 'state.1.exp_avg_sq'");
}

TEST(OptimizerStateDictErrors, RejectAnotherOptimizersStateDict) {
  std::unique_ptr<optim::Optimizer> s = sgd(make_params(1));
  Rng rng(3);
  step_with(*s, rng, 0);
  optim::Adam a(make_params(1));
  EXPECT_THROW_WITH(a.load_state_dict(s->state_dict()), ValueError,
                    "Adam::load_state_dict: missing key 'param_groups.0.betas' (a state dict of "
                    "another optimizer or other options?)");
  optim::Sgd b(make_params(1), {});
  EXPECT_THROW_WITH(b.load_state_dict(edited([](optim::StateDict&) {})), ValueError,
                    "Sgd::load_state_dict: missing key 'param_groups.0.momentum'");
  EXPECT_THROW_WITH(b.load_state_dict({}), ValueError,
                    "Sgd::load_state_dict: missing key 'param_groups.0.params'");
  // A momentum buffer in a state dict without momentum is unexpected.
  optim::StateDict with_buffer = s->state_dict();
  with_buffer["param_groups.0.momentum"] = Tensor::scalar(0.0, Dtype::kFloat64);
  EXPECT_THROW_WITH(b.load_state_dict(with_buffer), ValueError,
                    "Sgd::load_state_dict: unexpected keys 'state.0.momentum_buffer', "
                    "'state.1.momentum_buffer'");
  with_buffer["param_groups.0.lr"] = Tensor::scalar(-1.0, Dtype::kFloat64);
  EXPECT_THROW_WITH(
      b.load_state_dict(with_buffer), ValueError,
      "Sgd::load_state_dict: invalid hyper-parameters: Sgd: expected lr >= 0, got -1");
}

TEST(OptimizerStateDictErrors, LeaveTheOptimizerUnchanged) {
  std::unique_ptr<optim::Optimizer> opt = adam(make_params(1));
  Rng rng(3);
  step_with(*opt, rng, 0);
  const optim::StateDict before = opt->state_dict();
  EXPECT_THROW(opt->load_state_dict(edited([](optim::StateDict& s) {
    s["param_groups.0.lr"] = Tensor::scalar(0.5, Dtype::kFloat64);
    s["state.1.exp_avg"] = Tensor::zeros({5}, Dtype::kFloat64);
  })),
               ValueError);
  const optim::StateDict after = opt->state_dict();
  EXPECT_EQ(opt->lr(), 0.01);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [key, t] : before) EXPECT_TENSOR_EQ(after.at(key), t) << key;
}

}  // namespace
}  // namespace cnnlab
