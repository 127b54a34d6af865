// Helpers shared by the model zoo's tests (tests/unit/models_*_test.cpp, tests/parity/
// model_parity_support.hpp): build a registry model, compare tensors, and list a state_dict as
// "<name> <dtype> <d0,d1,...>" lines to compare with the key lists that
// tests/parity/gen/make_model_fixtures.py commits to tests/parity/fixtures/.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "support/tensor_matchers.hpp"

namespace cnnlab::testing {

/// The registry's model `name` for a (C, H, W) `input`, initialized from Rng(seed); the variant
/// (small-input or full) follows the input size, as in the CLI's default --variant auto.
inline std::shared_ptr<nn::Module> build_model(const std::string& name, const Shape& input,
                                               int64_t num_classes = 10, uint64_t seed = 1) {
  Rng rng(seed);
  return models::make_model(
      name, {.input_shape = input, .num_classes = num_classes, .small_input = std::nullopt}, rng);
}

/// The largest |a[i] - b[i]| over the elements of two tensors with the same number of elements.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  EXPECT_EQ(va.size(), vb.size()) << "max_abs_diff: tensors of different sizes";
  double m = 0;
  for (size_t i = 0; i < std::min(va.size(), vb.size()); ++i) {
    m = std::max(m, std::abs(va[i] - vb[i]));
  }
  return m;
}

/// The largest |t[i]| (0 for an empty tensor).
inline double max_abs(const Tensor& t) {
  double m = 0;
  for (double e : t.to_vector()) m = std::max(m, std::abs(e));
  return m;
}

/// The root mean square of t's elements (t must not be empty).
inline double rms(const Tensor& t) {
  double sq = 0;
  const std::vector<double> v = t.to_vector();
  for (double e : v) sq += e * e;
  return std::sqrt(sq / static_cast<double>(v.size()));
}

/// Dropout acts only in train mode in build_model(name, input): two eval-mode forwards of a
/// batch of 2 standard-normal inputs (drawn from Rng(data_seed)) are equal, two train-mode
/// forwards differ.
inline void expect_dropout_only_in_train_mode(const std::string& name, const Shape& input,
                                              uint64_t data_seed) {
  auto model = build_model(name, input);
  Rng data(data_seed);
  const Tensor x = Tensor::normal({2, input[0], input[1], input[2]}, 0.0, 1.0, data);
  model->eval();
  EXPECT_TENSOR_EQ((*model)(x), (*model)(x));
  model->train();
  const Tensor t1 = (*model)(x), t2 = (*model)(x);
  EXPECT_GT(max_abs_diff(t1, t2), 0.0) << name;
}

/// "<name> <dtype> <d0,d1,...>" for every state_dict entry of `model`, sorted by name; the dtype
/// is "int64" or "float32", the shape of a scalar "-" (the format of make_model_fixtures.py's
/// key lists).
inline std::vector<std::string> describe_state(const nn::Module& model) {
  std::vector<std::string> out;
  for (const auto& [name, t] : model.state_dict()) {
    // NOTE: an ostringstream, not string concatenation, which trips GCC 12's bogus -Wrestrict.
    std::ostringstream line;
    line << name << ' ' << (t.dtype() == Dtype::kInt64 ? "int64" : "float32") << ' ';
    for (int64_t i = 0; i < t.dim(); ++i) line << (i ? "," : "") << t.size(i);
    if (t.dim() == 0) line << '-';
    out.push_back(line.str());
  }
  return out;
}

/// The lines of the key list CNNLAB_FIXTURE_DIR/<file> whose first word is `label`, without that
/// word, in file order (sorted by name); comments and empty lines are skipped.
inline std::vector<std::string> fixture_state_lines(const std::string& file,
                                                    const std::string& label) {
  std::ifstream in(std::string(CNNLAB_FIXTURE_DIR) + "/" + file);
  EXPECT_TRUE(in.good()) << "missing " << file;
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    if (line.substr(0, space) == label) out.push_back(line.substr(space + 1));
  }
  return out;
}

/// describe_state()'s lines for torchvision's model `name` (a label of make_model_fixtures.py's
/// key_lists(): "resnet18", "resnet50", "vgg11_bn", "alexnet", "googlenet" (aux_logits=False),
/// "googlenet_aux").
inline std::vector<std::string> torchvision_state(const std::string& name) {
  return fixture_state_lines("torchvision_state_dicts.txt", name);
}

}  // namespace cnnlab::testing
