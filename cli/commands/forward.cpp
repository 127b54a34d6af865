// cnnlab forward: runs a model from the registry in eval mode on a NumPy batch (N, C, H, W) and
// writes its logits (N, classes) as a float32 .npy file; with --weights, a safetensors state_dict
// (a cnnlab run's model.safetensors, or a torchvision one converted by
// tools/torch_to_safetensors.py) is loaded first, strictly. No preprocessing is applied.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "args.hpp"
#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/io/npy.hpp"
#include "model_source.hpp"

namespace cnnlab::cli {

int run_forward(const Args& args) {
  CLI::App app{
      "Run a model in eval mode on a NumPy batch (N, C, H, W) and write its logits (N, classes) "
      "as float32 .npy. No preprocessing: the input is fed as stored ('|u1' images as 0..255).",
      "cnnlab forward"};
  std::string model, weights, input, output;
  int64_t num_classes = 0, batch_size = 32;
  std::vector<int64_t> hidden = {256, 128};
  app.add_option("--model", model, "a model name (cnnlab train --help lists them)")->required();
  app.add_option("--weights", weights,
                 "a safetensors state_dict loaded strictly (default: random weights, seed 0)");
  app.add_option("--input", input, ".npy of shape (N, C, H, W): '<f4', '<f8' or '|u1'")->required();
  app.add_option("--output", output, ".npy written with the logits (N, classes), '<f4'")
      ->required();
  app.add_option("--num-classes", num_classes,
                 "classes of the model (default: the first dim of --weights' output layer, "
                 "else 10)");
  app.add_option("--batch-size", batch_size, "images per forward pass")->capture_default_str();
  app.add_option("--hidden", hidden, "MLP hidden widths")->delimiter(',')->capture_default_str();
  std::string variant = "auto";
  add_variant_option(app, variant);
  int64_t threads = 0;
  add_threads_option(app, threads);
  parse(app, args);
  apply_threads_option(threads);
  if (batch_size < 1)
    throw UsageError("--batch-size: expected >= 1, got " + std::to_string(batch_size));
  if (app.count("--num-classes") && num_classes < 1)
    throw UsageError("--num-classes: expected >= 1, got " + std::to_string(num_classes));
  check_model_name(model);

  // The header first: a wrong rank or dtype is refused before the data is read.
  const io::NpyHeader header = io::read_npy_header(input);
  CNNLAB_CHECK(header.shape.rank() == 4 && header.shape[0] >= 1, ShapeError, "forward: '", input,
               "': expected an array (N, C, H, W) with N >= 1, got shape ", header.shape);
  CNNLAB_CHECK(header.descr == "<f4" || header.descr == "<f8" || header.descr == "|u1" ||
                   header.descr == "<u1",
               ValueError, "forward: '", input,
               "': expected float32, float64 or uint8 data ('<f4', '<f8', '|u1'), got '",
               header.descr, "'");
  const Tensor x = io::load_npy(input).to(Dtype::kFloat32);
  const Shape chw = {x.size(1), x.size(2), x.size(3)};

  const ModelFromWeights m = model_from_weights("forward", model,
                                                {.input_shape = chw,
                                                 .num_classes = num_classes,
                                                 .hidden = hidden,
                                                 .small_input = models::parse_variant(variant)},
                                                weights);
  nn::Module* net = m.model.get();

  const auto start = std::chrono::steady_clock::now();
  NoGradGuard no_grad;
  const int64_t n = x.size(0);
  Tensor logits;
  for (int64_t b = 0; b < n; b += batch_size) {
    const int64_t len = std::min(batch_size, n - b);
    const Tensor y = (*net)(x.narrow(0, b, len)).to_strided();
    CNNLAB_CHECK(y.dim() == 2 && y.size(0) == len && y.dtype() == Dtype::kFloat32, ShapeError,
                 "forward: ", model, ": expected float32 logits (", len,
                 ", classes), got a tensor of shape ", y.shape());
    if (!logits.defined()) logits = Tensor::empty({n, y.size(1)});
    std::memcpy(logits.data<float>() + b * y.size(1), y.data<float>(),
                static_cast<size_t>(y.numel()) * sizeof(float));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  io::save_npy(output, logits);
  std::printf("%s on %s (classes: %lld, from %s): logits %s written to %s in %.3f s\n",
              model.c_str(), x.shape().str().c_str(), static_cast<long long>(logits.size(1)),
              m.classes_from.c_str(), logits.shape().str().c_str(), output.c_str(), seconds);
  return 0;
}

}  // namespace cnnlab::cli
