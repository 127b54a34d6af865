// cnnlab export: writes a model as an ONNX graph (interop/onnx_export.hpp), from a run directory
// (its config names the model, input and classes; its model.safetensors the weights) or from a
// safetensors state_dict with --model and --input. docs/onnx_export.md.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "cnnlab/interop/onnx_export.hpp"
#include "cnnlab/train/trainer.hpp"
#include "model_source.hpp"

namespace cnnlab::cli {
namespace {

std::string numbers(const std::vector<double>& values) {
  std::string out;
  for (double v : values) out += detail::concat(" ", v);
  return out;
}

}  // namespace

int run_export(const Args& args) {
  CLI::App app{
      "Write a model as an ONNX graph (opset 13 by default), from a run directory or a "
      "safetensors state_dict. The graph takes float32 (N, C, H, W) as 'input' and returns "
      "'output'; a run's model expects its inputs normalized as in training (printed).",
      "cnnlab export"};
  std::string source, onnx_path, model, input_text = "1x28x28";
  int64_t num_classes = 0, opset = 13;
  bool static_batch = false;
  std::vector<int64_t> hidden = {256, 128};
  app.add_option("source", source,
                 "a run directory written by cnnlab train, or a .safetensors state_dict")
      ->required();
  app.add_option("--onnx", onnx_path, "the .onnx file to write")->required();
  app.add_option("--model", model,
                 "the model (required with a state_dict; with a run, must match its config)");
  app.add_option("--input", input_text, "input shape C x H x W, with a state_dict")
      ->capture_default_str();
  app.add_option("--num-classes", num_classes,
                 "classes, with a state_dict (default: from its output layer, else 10)");
  app.add_option("--hidden", hidden, "MLP hidden widths, with a state_dict")
      ->delimiter(',')
      ->capture_default_str();
  std::string variant = "auto";
  add_variant_option(app, variant);
  app.add_option("--opset", opset, "ONNX opset, 13 to 17")->capture_default_str();
  app.add_flag("--static-batch", static_batch, "fix the batch dim to 1 instead of a symbol N");
  parse(app, args);
  if (opset < 13 || opset > 17) {
    throw UsageError("--opset: expected 13 to 17, got " + std::to_string(opset));
  }

  std::shared_ptr<nn::Module> net;
  Shape chw;
  std::string normalization;
  if (std::filesystem::is_directory(source)) {
    for (const char* flag : {"--input", "--num-classes", "--hidden", "--variant"}) {
      if (app.count(flag) > 0) {
        throw UsageError(std::string(flag) + ": not with a run directory (its config.json says)");
      }
    }
    train::LoadedRun run = train::load_run(source);
    if (!model.empty() && model != run.config.model) {
      throw UsageError("--model: '" + model + "' but the run '" + source + "' trained '" +
                       run.config.model + "'");
    }
    model = run.config.model;
    net = run.model;
    chw = run.config.input_shape;
    if (!run.normalization.mean.empty()) {
      normalization = "\ninputs as in training: pixels scaled to [0, 1], then (x - mean) / std " +
                      std::string("per channel, mean") + numbers(run.normalization.mean) + ", std" +
                      numbers(run.normalization.std);
    }
  } else {
    if (model.empty()) throw UsageError("--model: required with a state_dict file");
    check_model_name(model);
    chw = parse_input_shape(input_text);
    net = model_from_weights("export", model,
                             {.input_shape = chw,
                              .num_classes = num_classes,
                              .hidden = hidden,
                              .small_input = models::parse_variant(variant)},
                             source)
              .model;
  }
  interop::export_onnx(*net, chw, onnx_path, {.opset = opset, .dynamic_batch = !static_batch});
  std::printf("wrote %s: %s for input (%s, %lld, %lld, %lld), opset %lld, %lld parameters%s\n",
              onnx_path.c_str(), model.c_str(), static_batch ? "1" : "N",
              static_cast<long long>(chw[0]), static_cast<long long>(chw[1]),
              static_cast<long long>(chw[2]), static_cast<long long>(opset),
              static_cast<long long>(net->num_parameters()), normalization.c_str());
  return 0;
}

}  // namespace cnnlab::cli
