// hello_lenet: train LeNet-5 on a few thousand images of an MNIST-format dataset through the
// library API, printing the loss and the test accuracy. `make demo` runs it on Fashion-MNIST
// from Debian's dataset-fashion-mnist package.
//
//   usage: hello_lenet DATA_DIR [TRAIN_IMAGES=4000] [EPOCHS=3]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "cnnlab/cnnlab.hpp"
#include "cnnlab/data/mnist.hpp"
#include "cnnlab/models/lenet.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/optim/sgd.hpp"

using namespace cnnlab;

// Fashion-MNIST's pixel mean and standard deviation (over the training set): centred inputs
// make SGD converge faster.
Tensor normalize(const Tensor& images) { return (images - 0.2860) / 0.3530; }

// Fraction of `data` that the model classifies correctly, in eval mode and without a graph.
double accuracy(nn::Module& model, const data::Mnist& data) {
  NoGradGuard no_grad;
  model.eval();
  int64_t correct = 0;
  for (int64_t start = 0; start < data.size(); start += 500) {
    const int64_t n = std::min<int64_t>(500, data.size() - start);
    const Tensor predicted = ops::argmax(model(normalize(data.images.narrow(0, start, n))), 1);
    const int64_t* p = predicted.data<int64_t>();
    const int64_t* y = data.labels.data<int64_t>() + start;
    for (int64_t i = 0; i < n; ++i) correct += p[i] == y[i];
  }
  model.train();
  return static_cast<double>(correct) / static_cast<double>(data.size());
}

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: hello_lenet DATA_DIR [TRAIN_IMAGES=4000] [EPOCHS=3]\n");
    return 2;
  }
  const int64_t train_images = argc > 2 ? std::atoll(argv[2]) : 4000;
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 3;
  const int64_t batch_size = 64;
  if (train_images < batch_size || epochs < 1) {
    std::fprintf(stderr, "hello_lenet: expected TRAIN_IMAGES >= %lld and EPOCHS >= 1\n",
                 static_cast<long long>(batch_size));
    return 2;
  }
  const data::Mnist train(argv[1], data::Split::kTrain,
                          train_images);  // throws IoError naming the file
  const data::Mnist test(argv[1], data::Split::kTest, 2000);
  std::printf("training LeNet-5 on %lld images of %s, testing on %lld\n",
              static_cast<long long>(train.size()), argv[1], static_cast<long long>(test.size()));

  Rng rng(42);  // every random draw (weights, shuffling) comes from here
  auto model = models::make_lenet5({.num_classes = 10}, rng);
  optim::Sgd opt(model->parameters(), {.lr = 0.02, .momentum = 0.9});

  std::vector<int64_t> order(static_cast<size_t>(train.size()));
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    std::iota(order.begin(), order.end(), 0);
    for (size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    double loss_sum = 0;
    int64_t batches = 0;
    for (int64_t start = 0; start + batch_size <= train.size(); start += batch_size) {
      const Tensor idx = Tensor::from_int64(
          std::vector<int64_t>(order.begin() + start, order.begin() + start + batch_size),
          {batch_size});
      const Tensor x = normalize(ops::index_select(train.images, 0, idx));  // (64, 1, 28, 28)
      const Tensor y = ops::index_select(train.labels, 0, idx);             // (64)
      const Tensor loss = ops::cross_entropy((*model)(x), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item();
      ++batches;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("epoch %d  train loss %.4f  test accuracy %.2f%%  (%.1f s)\n", epoch,
                loss_sum / static_cast<double>(batches), 100.0 * accuracy(*model, test), seconds);
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "hello_lenet: error: %s\n", e.what());
  return 1;
}
