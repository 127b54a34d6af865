// The cnnlab side of the LeNet-5 benchmark (issue 4, parts a and b), mirrored line for line by
// bench/lenet_torch.py: one training epoch on Fashion-MNIST (SGD lr 0.01 momentum 0.9, shuffled
// batches gathered from in-memory tensors), batch-1 inference latency, batch-256 inference time.
// Prints one "RESULT key=value ..." line that bench/run_bench.sh parses.
//   lenet_cnnlab train BATCH | latency ITERS | throughput ITERS   [--threads N] [--data DIR]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/data/mnist.hpp"
#include "cnnlab/models/lenet.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/optim/sgd.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "timing.hpp"

namespace {

using namespace cnnlab;
using bench::Clock;
using bench::median;
using bench::seconds_since;

// NOTE: the statistics are those of the training pixels (x / 255), population std, computed in
// double on both sides, and applied once to the whole split before any timing.
void normalize_in_place(Tensor& images, double mean, double stddev) {
  float* p = images.data<float>();
  const int64_t n = images.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>((p[i] - mean) / stddev);
}

std::pair<double, double> mean_std(const Tensor& images) {
  const float* p = images.data<float>();
  const int64_t n = images.numel();
  double s = 0, s2 = 0;
  for (int64_t i = 0; i < n; ++i) s += p[i];
  const double m = s / static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i) s2 += (p[i] - m) * (p[i] - m);
  return {m, std::sqrt(s2 / static_cast<double>(n))};
}

// Copies rows idx[0..count) of `src` (N, ...) into a fresh (count, ...) tensor, as PyTorch's
// x[perm[i:i+B]] does.
Tensor gather_rows(const Tensor& src, const std::vector<int64_t>& idx, size_t begin, size_t count) {
  Shape shape = src.shape();
  const int64_t row = src.numel() / shape[0];
  shape[0] = static_cast<int64_t>(count);
  Tensor out = Tensor::empty(shape, src.dtype());
  if (src.dtype() == Dtype::kFloat32) {
    const float* s = src.data<float>();
    float* d = out.data<float>();
    for (size_t i = 0; i < count; ++i)
      std::memcpy(d + i * row, s + idx[begin + i] * row, sizeof(float) * row);
  } else {
    const int64_t* s = src.data<int64_t>();
    int64_t* d = out.data<int64_t>();
    for (size_t i = 0; i < count; ++i)
      std::memcpy(d + i * row, s + idx[begin + i] * row, sizeof(int64_t) * row);
  }
  return out;
}

int run_train(const data::Mnist& train, int64_t batch) {
  Rng rng(1);
  auto model = models::make_lenet5({}, rng);
  optim::Sgd opt(model->parameters(), {.lr = 0.01, .momentum = 0.9});
  const int64_t n = train.size();
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);

  model->train();
  double loss_sum = 0;
  int64_t steps = 0;
  const auto t0 = Clock::now();
  for (int64_t b = 0; b < n; b += batch) {
    const size_t count = static_cast<size_t>(std::min(batch, n - b));
    const Tensor x = gather_rows(train.images, perm, b, count);
    const Tensor y = gather_rows(train.labels, perm, b, count);
    const Tensor loss = ops::cross_entropy((*model)(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    loss_sum += loss.item();
    ++steps;
  }
  const double t = seconds_since(t0);
  std::printf("RESULT kind=train batch=%lld seconds=%.6f steps=%lld mean_loss=%.4f\n",
              static_cast<long long>(batch), t, static_cast<long long>(steps),
              loss_sum / static_cast<double>(steps));
  return 0;
}

int run_infer(const data::Mnist& test, int64_t batch, int64_t iters) {
  Rng rng(1);
  auto model = models::make_lenet5({}, rng);
  model->eval();
  NoGradGuard no_grad;
  const Tensor x = test.images.narrow(0, 0, batch).clone();
  const int64_t warmup = std::max<int64_t>(10, iters / 20);
  double checksum = 0;
  for (int64_t i = 0; i < warmup; ++i) checksum += (*model)(x).data<float>()[0];
  std::vector<double> times;
  times.reserve(static_cast<size_t>(iters));
  for (int64_t i = 0; i < iters; ++i) {
    const auto t0 = Clock::now();
    const Tensor out = (*model)(x);
    checksum += out.data<float>()[0];
    times.push_back(seconds_since(t0));
  }
  std::printf("RESULT kind=infer batch=%lld seconds=%.9f iters=%lld checksum=%.3f\n",
              static_cast<long long>(batch), median(times), static_cast<long long>(iters),
              checksum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::fprintf(stderr,
                   "usage: lenet_cnnlab train BATCH | latency ITERS | throughput ITERS "
                   "[--threads N] [--data DIR]\n");
      return 2;
    }
    const std::string mode = argv[1];
    const int64_t arg = std::atoll(argv[2]);
    int threads = 2;
    std::string dir = data::kDebianFashionMnistDir;
    for (int i = 3; i + 1 < argc; i += 2) {
      if (std::strcmp(argv[i], "--threads") == 0) threads = std::atoi(argv[i + 1]);
      if (std::strcmp(argv[i], "--data") == 0) dir = argv[i + 1];
    }
    set_num_threads(threads);
    // Statistics always from the training split, as the trainer does.
    data::Mnist train(dir, data::Split::kTrain);
    const auto [m, s] = mean_std(train.images);
    if (mode == "train") {
      normalize_in_place(train.images, m, s);
      return run_train(train, arg);
    }
    data::Mnist test(dir, data::Split::kTest);
    normalize_in_place(test.images, m, s);
    if (mode == "latency") return run_infer(test, 1, arg);
    if (mode == "throughput") return run_infer(test, 256, arg);
    std::fprintf(stderr, "lenet_cnnlab: unknown mode '%s'\n", mode.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lenet_cnnlab: %s\n", e.what());
    return 1;
  }
}
