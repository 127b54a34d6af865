// cnnlab summary: per-layer output shapes (with the output-size rule), parameters and FLOPs.
#include "cnnlab/models/summary.hpp"

#include <cstdio>

#include "args.hpp"
#include "cnnlab/models/registry.hpp"
#include "model_source.hpp"

namespace cnnlab::cli {
namespace {}  // namespace

int run_summary(const Args& args) {
  CLI::App app{"Per-layer output shapes, the (W - F + 2P)/S + 1 rule, parameters and FLOPs.",
               "cnnlab summary"};
  std::string model = "lenet5", input = "1x28x28";
  int64_t num_classes = 10;
  std::vector<int64_t> hidden = {256, 128};
  app.add_option("--model", model, "a model name (cnnlab train --help lists them)")
      ->capture_default_str();
  app.add_option("--input", input, "input shape C x H x W")->capture_default_str();
  app.add_option("--num-classes", num_classes)->capture_default_str();
  app.add_option("--hidden", hidden, "MLP hidden widths")->delimiter(',')->capture_default_str();
  std::string variant = "auto";
  add_variant_option(app, variant);
  parse(app, args);
  const Shape shape = parse_input_shape(input);
  check_model_name(model);
  Rng rng(0);
  auto net = models::make_model(model,
                                {.input_shape = shape,
                                 .num_classes = num_classes,
                                 .hidden = hidden,
                                 .small_input = models::parse_variant(variant)},
                                rng);
  std::printf("%s on input %s\n\n", model.c_str(), input.c_str());
  std::fputs(models::format_summary(models::summarize(*net, shape)).c_str(), stdout);
  return 0;
}

}  // namespace cnnlab::cli
