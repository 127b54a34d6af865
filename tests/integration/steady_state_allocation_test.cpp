// Integration: after its first steps, a training loop takes every tensor buffer from the caching
// allocator's free lists: no fresh allocation per op in steady state (issue 4), for LeNet-5 and
// for a CIFAR ResNet (BatchNorm, residual adds, the option-A shortcut, global pooling).
#include <gtest/gtest.h>

#include <string>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/optim/sgd.hpp"

namespace cnnlab {
namespace {

// Fresh allocations made by `steps` training steps of `model` on one random batch, after
// `warmup` steps.
int64_t fresh_allocations_in_steady_state(const std::string& model_name, const Shape& input,
                                          int64_t batch, int warmup, int steps) {
  Rng rng(7);
  auto model = models::make_model(model_name, {.input_shape = input, .num_classes = 10}, rng);
  optim::Sgd sgd(model->parameters(), {.lr = 0.01, .momentum = 0.9, .weight_decay = 5e-4});
  const Tensor x = Tensor::normal({batch, input[0], input[1], input[2]}, 0.0, 1.0, rng);
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t& l : labels) l = static_cast<int64_t>(rng.below(10));
  const Tensor y = Tensor::from_int64(labels, {batch});
  auto step = [&] {
    sgd.zero_grad();
    const Tensor loss = ops::cross_entropy((*model)(x), y);
    loss.backward();
    sgd.step();
  };
  for (int i = 0; i < warmup; ++i) step();
  const int64_t before = CachingAllocator::instance().stats().fresh_allocations;
  for (int i = 0; i < steps; ++i) step();
  return CachingAllocator::instance().stats().fresh_allocations - before;
}

TEST(SteadyStateAllocation, LeNet5TrainingStepsAllocateNothingNew) {
  EXPECT_EQ(fresh_allocations_in_steady_state("lenet5", {1, 28, 28}, 16, 3, 5), 0);
}

TEST(SteadyStateAllocation, CifarResNetTrainingStepsAllocateNothingNew) {
  EXPECT_EQ(fresh_allocations_in_steady_state("resnet20", {3, 16, 16}, 4, 3, 3), 0);
}

}  // namespace
}  // namespace cnnlab
