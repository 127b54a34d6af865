// Helpers of the whole-model PyTorch parity tests (models_*_parity_test.cpp): build a registry
// model with the fixture's hashed weights, run it in float32 and float64, and compare eval logits,
// a train-mode step's logits and loss, every gradient and the BatchNorm statistics after the step
// with tests/parity/gen/make_model_fixtures.py's PyTorch results (format and tolerances there).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cnnlab/models/registry.hpp"
#include "cnnlab/ops/loss.hpp"
#include "parity/parity_support.hpp"
#include "support/model_test_support.hpp"

namespace cnnlab::model_parity {

// Tolerances. The float64 run checks the mathematics of the whole model: eval logits, and one
// training step's loss, logits, gradients and BatchNorm statistics, far tighter than the 1e-4
// (outputs) and 1e-3 (gradients) relative that issue 5 asks for. The float32 run, which is what
// training uses, checks the eval logits and the training step's logits and loss at 1e-4
// relative (make_model_fixtures.py keeps an input only if PyTorch's own float32 run uses less
// than a tenth of that).
// NOTE: float32 gradients are not compared. A batch of two 3x32x32 images puts about 10^6 values
// through ReLUs in resnet18, and some lie within float32 rounding (1e-7) of 0; a different but
// equally correct summation order flips such a kink, and the flip moves single gradients by
// percents (seen with CNNLAB_BACKEND=reference). In float64 no value comes that close.
inline constexpr double kF32OutputRtol = 1e-4;  // |a - b| <= rtol * max|b|
inline constexpr double kF64OutputRtol = 1e-9;
inline constexpr double kF64GradRtol = 1e-8;  // |a - b| <= rtol * (|b| + rms(b)) + floor
inline constexpr double kGradFloor = 1e-9;    // floor = kGradFloor * the largest gradient rms

inline uint32_t fnv1a32(const std::string& text) {
  uint32_t h = 0x811C9DC5u;
  for (unsigned char b : text) h = (h ^ b) * 0x01000193u;
  return h;
}

/// hash_uniform() of make_model_fixtures.py: element i of the stream named `name`, in (-1, 1).
inline double hash_uniform(uint32_t seed, uint32_t i) {
  uint32_t x = i * 0x9E3779B1u + seed;
  x ^= x >> 16;
  x *= 0x7FEB352Du;
  x ^= x >> 15;
  x *= 0x846CA68Bu;
  x ^= x >> 16;
  return (2.0 * static_cast<double>(x >> 8) + 1.0) / 16777216.0 - 1.0;
}

/// float32(offset + scale * hash_uniform(name, i)) for every element, as the generator does.
inline Tensor hashed(const std::string& name, const Shape& shape, double offset, double scale) {
  Tensor t = Tensor::empty(shape, Dtype::kFloat32);
  const uint32_t seed = fnv1a32(name);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    p[i] = static_cast<float>(offset + scale * hash_uniform(seed, static_cast<uint32_t>(i)));
  }
  return t;
}

/// The elements of t at the fixture's "index.<name>", as float64.
/// NOTE: reads t in place (no to_vector() copy): the full VGG and AlexNet classifiers have
/// gradients of 10^8 elements.
inline Tensor sampled(const Tensor& t, const io::TensorFile& f, const std::string& name) {
  const Tensor d = t.to(Dtype::kFloat64);
  const double* all = d.data<double>();
  std::vector<double> out;
  for (double i : f.at("index." + name).to_vector()) {
    const auto k = static_cast<int64_t>(i);
    EXPECT_TRUE(k >= 0 && k < d.numel()) << name << ": sample index " << k;
    out.push_back(k >= 0 && k < d.numel() ? all[k] : std::nan(""));
  }
  return Tensor::from_vector(out, {static_cast<int64_t>(out.size())}, Dtype::kFloat64);
}

/// The L2 norm of all elements of t.
inline double l2_norm(const Tensor& t) {
  const Tensor d = t.to(Dtype::kFloat64);
  const double* p = d.data<double>();
  double sum = 0;
  for (int64_t i = 0; i < d.numel(); ++i) sum += p[i] * p[i];
  return std::sqrt(sum);
}

using testing::max_abs;

/// Replaces t's storage, inside its TensorImpl, by `values` (same shape): every handle that shares
/// the TensorImpl (the module's own) then sees the new dtype and values.
/// NOTE: nn::Module has no to(dtype) yet; this is how a model becomes float64 here.
inline void swap_storage(const Tensor& t, const Tensor& values) {
  TensorImpl& impl = *t.impl_ptr();
  impl.storage = values.impl_ptr()->storage;
  impl.offset = values.impl_ptr()->offset;
  impl.dtype = values.dtype();
}

/// Makes every float32 parameter and buffer of `model` float64, in place (swap_storage).
inline void to_float64(nn::Module& model) {
  auto retype = [](const Tensor& t) {
    if (t.dtype() == Dtype::kFloat32) swap_storage(t, t.detach().to(Dtype::kFloat64));
  };
  for (const auto& [name, t] : model.named_parameters()) retype(t);
  for (const auto& [name, t] : model.named_buffers()) retype(t);
}

/// Sets the parameter or buffer t to hashed(name, t.shape(), offset, scale) stored in `dtype`:
/// in place when t has that dtype already, else through swap_storage. int64 buffers become 0.
inline void fill_hashed(const Tensor& t, const std::string& name, double offset, double scale,
                        Dtype dtype) {
  if (t.dtype() == Dtype::kInt64) {
    std::fill_n(t.data<int64_t>(), t.numel(), int64_t{0});
    return;
  }
  const Tensor target = t.dtype() == dtype ? t : Tensor::empty(t.shape(), dtype);
  const uint32_t seed = fnv1a32(name);
  auto fill = [&](auto* p) {
    for (int64_t i = 0; i < target.numel(); ++i) {
      p[i] = static_cast<float>(offset + scale * hash_uniform(seed, static_cast<uint32_t>(i)));
    }
  };
  if (dtype == Dtype::kFloat64) {
    fill(target.data<double>());
  } else {
    fill(target.data<float>());
  }
  if (!target.is_same(t)) swap_storage(t, target);
}

/// The training loss of a step: (model after its forward, logits, labels) -> scalar loss.
using StepLoss =
    std::function<Tensor(nn::Module& model, const Tensor& logits, const Tensor& labels)>;

struct ModelCase {
  std::string fixture;
  std::string model;
  Shape input;  // (C, H, W)
  /// The training step's loss; empty means cross_entropy(logits, labels), the generator's default.
  StepLoss loss = {};
  /// The float32 tolerance of the training step's logits and loss (relative, as kF32OutputRtol):
  /// the sixth column of the case in make_model_fixtures.py, for models whose train-mode
  /// BatchNorm sees few values per channel (the eval logits always get kF32OutputRtol).
  double f32_train_rtol = kF32OutputRtol;
};

/// c.loss, or cross_entropy(logits, labels) when it is empty.
inline Tensor step_loss(const ModelCase& c, nn::Module& model, const Tensor& logits,
                        const Tensor& labels) {
  return c.loss ? c.loss(model, logits, labels) : ops::cross_entropy(logits, labels);
}

/// The registry's model for `c` with the fixture's hashed weights, in `dtype`. Checks first that
/// its state_dict names are exactly PyTorch's (the fixture has one "init.<name>" per entry).
inline std::shared_ptr<nn::Module> make_hashed_model(const ModelCase& c, const io::TensorFile& f,
                                                     Dtype dtype) {
  auto model = testing::build_model(c.model, c.input, /*num_classes=*/10, /*seed=*/7);
  std::set<std::string> torch_names, cnnlab_names;
  for (const auto& [key, t] : f.tensors) {
    if (key.rfind("init.", 0) == 0) torch_names.insert(key.substr(5));
  }
  const std::map<std::string, Tensor> state = model->state_dict();
  for (const auto& [key, t] : state) cnnlab_names.insert(key);
  EXPECT_EQ(cnnlab_names, torch_names);
  if (cnnlab_names != torch_names) return nullptr;

  // NOTE: the values are written into the model's own tensors, in `dtype`, rather than through
  // load_state_dict and to_float64 (tested elsewhere): the full VGG and AlexNet have 10^8
  // weights, and each extra copy of them costs a noticeable part of a second.
  auto fill = [&](const std::string& key, const Tensor& t) {
    const std::vector<double> init = f.at("init." + key).to_vector();  // (offset, scale)
    fill_hashed(t, key, init[0], init[1], dtype);
  };
  for (const auto& [key, t] : model->named_parameters()) fill(key, t);
  for (const auto& [key, t] : model->named_buffers()) fill(key, t);
  return model;
}

/// The fixture's input in `dtype` (hashed, as the generator made it).
inline Tensor hashed_input(const ModelCase& c, const io::TensorFile& f, Dtype dtype) {
  const int64_t batch = f.at("labels").numel();
  const std::string name =
      "input." + std::to_string(static_cast<int64_t>(f.at("input_attempt").item()));
  return hashed(name, {batch, c.input[0], c.input[1], c.input[2]}, 0.0, 1.0).to(dtype);
}

/// Train mode with every Dropout in eval mode (its masks cannot match PyTorch's generator).
inline void train_without_dropout(nn::Module& model) {
  model.train();
  for (const auto& [path, m] : model.named_modules()) {
    if (m->type_name() == "Dropout") m->eval();
  }
}

/// Runs `model` (in `dtype`) on the fixture's input in eval mode, then once in train mode
/// without dropout; checks the eval logits to eval_rtol and the train-mode logits and loss to
/// train_rtol (relative to the largest logit, and to the loss). Returns the loss.
inline Tensor check_outputs(const ModelCase& c, const io::TensorFile& f, nn::Module& model,
                            Dtype dtype, double eval_rtol, double train_rtol) {
  const Tensor x = hashed_input(c, f, dtype);
  model.eval();
  const Tensor eval_logits = model(x);
  EXPECT_EQ(eval_logits.dtype(), dtype);
  EXPECT_TENSOR_NEAR(eval_logits, f.at("logits_eval"), 0.0,
                     eval_rtol * max_abs(f.at("logits_eval")))
      << "eval logits";
  train_without_dropout(model);
  const Tensor logits = model(x);
  const Tensor loss = step_loss(c, model, logits, f.at("labels"));
  EXPECT_TENSOR_NEAR(logits, f.at("logits_train"), 0.0, train_rtol * max_abs(f.at("logits_train")))
      << "train logits";
  EXPECT_TENSOR_NEAR(loss, f.at("loss"), train_rtol, 0.0) << "loss";
  return loss;
}

/// Float32: eval logits, then the training step's logits and loss.
inline void check_float32_outputs(const ModelCase& c) {
  const io::TensorFile f = parity::load_fixture(c.fixture);
  SCOPED_TRACE(parity::describe(f, Dtype::kFloat32));
  auto model = make_hashed_model(c, f, Dtype::kFloat32);
  ASSERT_TRUE(model);
  check_outputs(c, f, *model, Dtype::kFloat32, kF32OutputRtol, c.f32_train_rtol);
}

/// Float64: everything, including every gradient and the BatchNorm statistics after the step.
inline void check_float64_step(const ModelCase& c) {
  const io::TensorFile f = parity::load_fixture(c.fixture);
  SCOPED_TRACE(parity::describe(f, Dtype::kFloat64));
  auto model = make_hashed_model(c, f, Dtype::kFloat64);
  ASSERT_TRUE(model);
  const Tensor loss = check_outputs(c, f, *model, Dtype::kFloat64, kF64OutputRtol, kF64OutputRtol);
  loss.backward();

  const auto params = model->named_parameters();
  double largest_rms = 0;
  for (const auto& [name, p] : params) {
    largest_rms = std::max(largest_rms, f.at("gnorm." + name).item() / std::sqrt(p.numel()));
  }
  const double floor = kGradFloor * largest_rms;
  for (const auto& [name, p] : params) {
    SCOPED_TRACE("gradient of " + name);
    const Tensor g = p.grad();
    ASSERT_TRUE(g.defined());
    const double norm = f.at("gnorm." + name).item();
    const double rms = norm / std::sqrt(p.numel());
    EXPECT_NEAR(l2_norm(g), norm,
                kF64GradRtol * norm + floor * std::sqrt(static_cast<double>(p.numel())));
    EXPECT_TENSOR_NEAR(sampled(g, f, name), f.at("grad." + name), kF64GradRtol,
                       kF64GradRtol * rms + floor);
  }
  int64_t buffers = 0;
  for (const auto& [name, b] : model->named_buffers()) {
    if (b.dtype() == Dtype::kInt64) {
      EXPECT_EQ(b.item(), 1) << name << " after one training step";
      continue;
    }
    ++buffers;
    const Tensor& expected = f.at("after." + name);
    EXPECT_TENSOR_NEAR(sampled(b, f, name), expected, kF64OutputRtol,
                       kF64OutputRtol * max_abs(expected))
        << name << " after one training step";
  }
  int64_t expected_buffers = 0;  // models without BatchNorm (AlexNet) have none
  for (const auto& [key, t] : f.tensors) expected_buffers += key.rfind("after.", 0) == 0;
  EXPECT_EQ(buffers, expected_buffers);
}

}  // namespace cnnlab::model_parity
