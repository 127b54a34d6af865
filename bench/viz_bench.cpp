// The saliency benchmark of issue 6 ("saliency for a batch of 64 LeNet-5 images in <= 20 ms"):
// viz::saliency (one forward + one backward to the input) on a batch of Fashion-MNIST-sized
// images, median over repeats after warm-up. bench/viz_torch.py is the PyTorch mirror. The
// weights are seed-1 initial weights (the time does not depend on them); docs/viz.md gives the
// command and the numbers.
//   viz_bench [--batch 64] [--repeats 50] [--threads 2]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cnnlab/core/backend.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/lenet.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "cnnlab/viz/gradients.hpp"
#include "timing.hpp"

int main(int argc, char** argv) {
  using namespace cnnlab;
  int64_t batch = 64, repeats = 50, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--batch") {
      batch = value;
    } else if (flag == "--repeats") {
      repeats = value;
    } else if (flag == "--threads") {
      threads = value;
    } else {
      std::fprintf(stderr, "usage: viz_bench [--batch N] [--repeats N] [--threads N]\n");
      return 2;
    }
  }
  if (batch < 1 || repeats < 1 || threads < 1) {
    std::fprintf(stderr, "viz_bench: expected positive --batch, --repeats and --threads\n");
    return 2;
  }
  try {
    set_num_threads(static_cast<int>(threads));
    Rng rng(1);
    auto model = models::make_lenet5({}, rng);
    model->eval();
    const Tensor x = Tensor::normal({batch, 1, 28, 28}, 0.0, 1.0, rng);
    for (int i = 0; i < 5; ++i) viz::saliency(*model, x);  // warm-up (primitive caches)
    std::vector<double> times;
    for (int64_t i = 0; i < repeats; ++i) {
      const auto t0 = bench::Clock::now();
      const viz::InputGradients r = viz::saliency(*model, x);
      times.push_back(bench::seconds_since(t0));
      if (r.saliency.numel() != batch * 28 * 28) return 1;
    }
    std::printf(
        "RESULT impl=cnnlab method=saliency batch=%lld threads=%lld median_ms=%.3f "
        "min_ms=%.3f\n",
        static_cast<long long>(batch), static_cast<long long>(threads), 1e3 * bench::median(times),
        1e3 * *std::min_element(times.begin(), times.end()));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "viz_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
