// The cnnlab side of issue 4's benchmark parts (c), (d) and (e), mirrored by bench/models_torch.py:
// training steps and eval passes of registry models (resnet20, vgg11_bn) on random 3x32x32 data,
// and one conv layer's forward and backward; part (g) of issue 6: one style-transfer iteration.
// Prints one "RESULT key=value ..." line that bench/run_bench.sh parses (seconds = the median of
// the timed steps / passes / calls).
//   models_cnnlab params MODEL | train MODEL BATCH | eval MODEL BATCH | conv-forward |
//   conv-backward | style SIZE
//                 [--steps S] [--warmup W] [--threads N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/core/rng.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/ops/conv.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/optim/sgd.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "cnnlab/viz/style.hpp"
#include "timing.hpp"

namespace {

using namespace cnnlab;
using bench::Clock;
using bench::median;
using bench::seconds_since;

struct Options {
  int64_t steps = 20;  // timed steps / passes / calls
  int64_t warmup = 3;  // untimed ones before them
  int threads = 2;
};

// The input each model takes: the LeNet family (kept for trying the program out) 1x28x28,
// ResNet-50 ImageNet's 3x224x224 with 1000 classes (issue 5's `cnnlab forward` row), everything
// else CIFAR's 3x32x32 with 10.
models::ModelConfig config_for(const std::string& name) {
  models::ModelConfig c;
  c.input_shape = name.rfind("lenet", 0) == 0 ? Shape{1, 28, 28} : Shape{3, 32, 32};
  c.num_classes = 10;
  if (name == "resnet50") {
    c.input_shape = {3, 224, 224};
    c.num_classes = 1000;
  }
  return c;
}

// Random inputs, Normal(0, 1), and labels uniform in [0, classes), drawn once from a fixed seed.
std::pair<Tensor, Tensor> random_batch(const models::ModelConfig& c, int64_t batch, Rng& rng) {
  const Shape s = c.input_shape;
  Tensor x = Tensor::normal({batch, s[0], s[1], s[2]}, 0.0, 1.0, rng);
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (auto& l : labels) l = static_cast<int64_t>(rng.below(static_cast<uint64_t>(c.num_classes)));
  return {x, Tensor::from_int64(labels, {batch})};
}

int run_params(const std::string& name) {
  Rng rng(1);
  const auto model = models::make_model(name, config_for(name), rng);
  std::printf("RESULT kind=params model=%s seconds=0 params=%lld\n", name.c_str(),
              static_cast<long long>(model->num_parameters()));
  return 0;
}

// One step: zero_grad, forward, cross-entropy, backward, SGD step, loss.item(); as
// models_torch.py. SGD as in He et al. 2016's CIFAR runs: lr 0.1, momentum 0.9, weight decay 5e-4.
int run_train(const std::string& name, int64_t batch, const Options& o) {
  Rng rng(1);
  const auto cfg = config_for(name);
  const auto model = models::make_model(name, cfg, rng);
  const auto [x, y] = random_batch(cfg, batch, rng);
  optim::Sgd opt(model->parameters(), {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4});
  model->train();
  std::vector<double> times;
  double first_loss = 0, last_loss = 0;
  for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
    const auto t0 = Clock::now();
    opt.zero_grad();
    const Tensor loss = ops::cross_entropy((*model)(x), y);
    loss.backward();
    opt.step();
    last_loss = loss.item();
    const double t = seconds_since(t0);
    if (i == 0) first_loss = last_loss;
    if (i >= o.warmup) times.push_back(t);
  }
  std::printf(
      "RESULT kind=train model=%s batch=%lld seconds=%.6f min=%.6f steps=%lld warmup=%lld "
      "threads=%d params=%lld loss_first=%.4f loss_last=%.4f\n",
      name.c_str(), static_cast<long long>(batch), median(times),
      *std::min_element(times.begin(), times.end()), static_cast<long long>(o.steps),
      static_cast<long long>(o.warmup), num_threads(),
      static_cast<long long>(model->num_parameters()), first_loss, last_loss);
  return 0;
}

// Eval mode (BatchNorm uses its running statistics), no grad, one forward pass per iteration.
int run_eval(const std::string& name, int64_t batch, const Options& o) {
  Rng rng(1);
  const auto cfg = config_for(name);
  const auto model = models::make_model(name, cfg, rng);
  const auto x = random_batch(cfg, batch, rng).first;
  model->eval();
  NoGradGuard no_grad;
  std::vector<double> times;
  double checksum = 0;
  for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
    const auto t0 = Clock::now();
    const Tensor out = (*model)(x);
    checksum += out.data<float>()[0];
    const double t = seconds_since(t0);
    if (i >= o.warmup) times.push_back(t);
  }
  std::printf(
      "RESULT kind=eval model=%s batch=%lld seconds=%.6f min=%.6f steps=%lld warmup=%lld "
      "threads=%d params=%lld checksum=%.4f\n",
      name.c_str(), static_cast<long long>(batch), median(times),
      *std::min_element(times.begin(), times.end()), static_cast<long long>(o.steps),
      static_cast<long long>(o.warmup), num_threads(),
      static_cast<long long>(model->num_parameters()), checksum);
  return 0;
}

// Part (e): Conv2d(16, 16, 3, padding=1, bias) on (128, 16, 32, 32), through the public op (what
// a model runs, allocation of the output included). Forward: no grad. Backward: the graph of one
// forward with input, weight and bias requiring grad, then y.backward(dy) timed alone: data +
// weight (+ bias) gradients.
// NOTE: FLOPs counted: forward 2*N*OC*OH*OW*IC*KH*KW (one multiply and one add per MAC); backward
// twice that (data and weights); the bias terms (N*OC*OH*OW adds) are left out, as usual.
int run_conv(bool backward, const Options& o) {
  constexpr int64_t N = 128, C = 16, H = 32, W = 32, K = 3;
  Rng rng(1);
  const Tensor x = Tensor::normal({N, C, H, W}, 0.0, 1.0, rng);
  Tensor w =
      Tensor::uniform({C, C, K, K}, -1.0 / 12, 1.0 / 12, rng);  // PyTorch's bound 1/sqrt(144)
  Tensor b = Tensor::uniform({C}, -1.0 / 12, 1.0 / 12, rng);
  const Tensor dy = Tensor::normal({N, C, H, W}, 0.0, 1.0, rng);
  const ops::Conv2dParams p{.padding = 1};
  const double fwd_flops = 2.0 * N * C * H * W * C * K * K;
  std::vector<double> times;
  double checksum = 0;
  if (!backward) {
    NoGradGuard no_grad;
    for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
      const auto t0 = Clock::now();
      const Tensor y = ops::conv2d(x, w, b, p);
      const double t = seconds_since(t0);
      checksum += y.data<float>()[0];
      if (i >= o.warmup) times.push_back(t);
    }
  } else {
    Tensor xg = x.clone();
    xg.set_requires_grad();
    w.set_requires_grad();
    b.set_requires_grad();
    for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
      xg.zero_grad();
      w.zero_grad();
      b.zero_grad();
      const Tensor y = ops::conv2d(xg, w, b, p);
      const auto t0 = Clock::now();
      y.backward(dy);
      const double t = seconds_since(t0);
      checksum += xg.grad().data<float>()[0] + w.grad().data<float>()[0];
      if (i >= o.warmup) times.push_back(t);
    }
  }
  const double flops = backward ? 2 * fwd_flops : fwd_flops;
  const double med = median(times);
  std::printf(
      "RESULT kind=conv pass=%s seconds=%.6f min=%.6f gflops=%.2f flops=%.0f steps=%lld "
      "threads=%d checksum=%.4f\n",
      backward ? "backward" : "forward", med, *std::min_element(times.begin(), times.end()),
      flops / med * 1e-9, flops, static_cast<long long>(o.steps), num_threads(), checksum);
  return 0;
}

// Part (g), issue 6: one style-transfer iteration at SIZE x SIZE on VGG-19 (registry "vgg19",
// torchvision's layout, random weights): viz::StyleObjective::evaluate, i.e. the forward through
// the features up to conv5_1 (features.28; the rest of the network is not run), the Gram losses
// at conv1_1 ... conv5_1 (features.0, 5, 10, 19, 28), the content loss at conv4_2 (features.21),
// TV, and the backward to the pixels (parameters frozen: no weight gradients). What an L-BFGS or
// Adam step costs besides the optimizer's own vector arithmetic. Content, style and the image
// are uniform noise from a fixed seed.
int run_style(int64_t size, const Options& o) {
  Rng rng(1);
  models::ModelConfig cfg;
  cfg.input_shape = {3, size, size};
  cfg.num_classes = 1000;
  // NOTE: the small-input variant: at 256x256 its features are torchvision's exactly (no pool is
  // dropped) and only the classifier, which the objective never runs, is smaller (512-wide instead
  // of 25088 -> 4096 -> 4096: about 470 MB of weights the PyTorch side does not hold either).
  cfg.small_input = true;
  const auto model = models::make_model("vgg19", cfg, rng);
  model->eval();
  const Tensor content = Tensor::uniform({3, size, size}, 0.0, 1.0, rng);
  const Tensor style = Tensor::uniform({3, size, size}, 0.0, 1.0, rng);
  viz::StyleTerms terms;
  for (const char* l : {"features.0", "features.5", "features.10", "features.19", "features.28"})
    terms.style_layers.push_back({l, 0.2});
  terms.content_layer = "features.21";
  terms.tv_weight = 1e-3;
  terms.normalization = {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
  viz::StyleObjective objective(*model, terms, style, content);
  const Tensor x = Tensor::uniform({1, 3, size, size}, 0.0, 1.0, rng);
  std::vector<double> times;
  double loss = 0, checksum = 0;
  for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
    const auto t0 = Clock::now();
    Tensor grad;
    loss = objective.evaluate(x, &grad);
    checksum += grad.data<float>()[0];
    const double t = seconds_since(t0);
    if (i >= o.warmup) times.push_back(t);
  }
  std::printf(
      "RESULT kind=style model=vgg19 size=%lld seconds=%.6f min=%.6f steps=%lld warmup=%lld "
      "threads=%d loss_last=%.6f checksum=%.6g\n",
      static_cast<long long>(size), median(times), *std::min_element(times.begin(), times.end()),
      static_cast<long long>(o.steps), static_cast<long long>(o.warmup), num_threads(), loss,
      checksum);
  return 0;
}

int usage() {
  std::fprintf(
      stderr,
      "usage: models_cnnlab params MODEL | train MODEL BATCH | eval MODEL BATCH | "
      "conv-forward | conv-backward | style SIZE [--steps S] [--warmup W] [--threads N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2) return usage();
    const std::string mode = argv[1];
    std::vector<std::string> positional;
    Options o;
    for (int i = 2; i < argc; ++i) {
      const std::string a = argv[i];
      if (a.rfind("--", 0) == 0) {
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        if (a == "--steps") {
          o.steps = std::atoll(v);
        } else if (a == "--warmup") {
          o.warmup = std::atoll(v);
        } else if (a == "--threads") {
          o.threads = std::atoi(v);
        } else {
          return usage();
        }
      } else {
        positional.push_back(a);
      }
    }
    if (o.steps < 1 || o.warmup < 0 || o.threads < 1) return usage();
    set_num_threads(o.threads);
    if (mode == "params" && positional.size() == 1) return run_params(positional[0]);
    if ((mode == "train" || mode == "eval") && positional.size() == 2) {
      const int64_t batch = std::atoll(positional[1].c_str());
      if (batch < 1) return usage();
      return mode == "train" ? run_train(positional[0], batch, o)
                             : run_eval(positional[0], batch, o);
    }
    if (mode == "conv-forward" && positional.empty()) return run_conv(false, o);
    if (mode == "conv-backward" && positional.empty()) return run_conv(true, o);
    if (mode == "style" && positional.size() == 1) {
      const int64_t size = std::atoll(positional[0].c_str());
      if (size < 32) return usage();
      return run_style(size, o);
    }
    return usage();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "models_cnnlab: %s\n", e.what());
    return 1;
  }
}
