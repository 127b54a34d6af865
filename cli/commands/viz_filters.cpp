// cnnlab viz filters | maps: what a layer holds (its filters) and what it computes for an image
// (its feature maps); library side in include/cnnlab/viz/filters.hpp. Each writes PNGs, prints
// what it wrote, and records them in the run's report. docs/viz.md.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/viz/filters.hpp"
#include "cnnlab/viz/layers.hpp"
#include "viz_common.hpp"

namespace cnnlab::cli::viz {
namespace {

namespace fs = std::filesystem;

/// The first conv layer of the model, for a missing --layer.
std::string first_conv_layer(nn::Module& model) {
  const std::vector<std::string> convs = cnnlab::viz::conv_layer_names(model);
  if (convs.empty()) throw UsageError("--layer: the model has no conv layer; name a layer");
  return convs.front();
}

}  // namespace

int run_filters(const Args& args) {
  const std::string command = "viz filters";
  CLI::App app{
      "A grid of a conv layer's filters: one colour tile per filter for a layer on RGB input, "
      "else one row per filter with a gray tile per input channel. Writes filters_<layer>.png.",
      "cnnlab viz filters"};
  TargetOptions target_options;
  add_target_options(app, target_options);
  std::string out, layer, scale = "filter";
  cnnlab::viz::FilterGridOptions o;
  app.add_option("--layer", layer, "the conv layer (default: the first)");
  app.add_option("--scale", scale,
                 "filter: each filter rescaled by its own min/max; symmetric: one scale for the "
                 "layer, 0 mid-gray")
      ->capture_default_str()
      ->check(CLI::IsMember({"filter", "symmetric"}));
  app.add_option("--max-filters", o.max_filters, "filters shown")->capture_default_str();
  app.add_option("--max-channels", o.max_channels, "input channels shown per filter")
      ->capture_default_str();
  app.add_option("--zoom", o.zoom, "pixels per weight (0: tiles at least 32 pixels)")
      ->capture_default_str();
  add_out_option(app, out);
  parse(app, args);
  check_at_least("--max-filters", o.max_filters, 1);
  check_at_least("--max-channels", o.max_channels, 1);
  check_at_least("--zoom", o.zoom, 0);
  o.scale = scale == "symmetric" ? cnnlab::viz::FilterScale::kSymmetric
                                 : cnnlab::viz::FilterScale::kPerFilter;

  const Target target = load_target(command, target_options);
  if (layer.empty()) layer = first_conv_layer(*target.model);
  const Tensor grid = cnnlab::viz::filter_grid(*target.model, layer, o);
  const std::string dir = output_dir(command, target, out, "filters");
  const std::string png = (fs::path(dir) / ("filters_" + layer + ".png")).string();
  io::write_png(png, grid);
  std::string shape;
  for (const auto& [name, w] :
       cnnlab::viz::find_layer(*target.model, layer, command).named_parameters()) {
    if (name == "weight") shape = w.shape().str();
  }
  std::printf("%s: layer %s, weight %s, %s scale; wrote %s\n", command.c_str(), layer.c_str(),
              shape.c_str(), scale == "symmetric" ? "symmetric" : "per-filter", png.c_str());
  record_figures(target, {{.method = "filters",
                           .title = "Filters of " + layer,
                           .image = png,
                           .caption = "Weights " + shape + " of " + layer + ", " +
                                      (scale == "symmetric"
                                           ? "one symmetric scale for the layer (0 is mid-gray)"
                                           : "each filter rescaled by its own min and max") +
                                      "."}});
  return 0;
}

int run_maps(const Args& args) {
  const std::string command = "viz maps";
  CLI::App app{
      "Feature maps: the activations of a layer for each image, as a grid (one tile per "
      "channel; a Linear layer's units as one block). Writes maps_<layer>_<image>.png.",
      "cnnlab viz maps"};
  TargetOptions target_options;
  add_target_options(app, target_options);
  ImageOptions image_options;
  add_image_options(app, image_options);
  std::string out, layer;
  cnnlab::viz::FeatureMapOptions o;
  app.add_option("--layer", layer, "the layer (a dotted name; default: the first conv layer)");
  app.add_flag("--per-map", o.per_map,
               "rescale each map by its own min/max (default: one scale for the layer)");
  app.add_option("--max-maps", o.max_maps, "channels shown")->capture_default_str();
  app.add_option("--zoom", o.zoom, "pixels per activation (0: tiles at least 32 pixels)")
      ->capture_default_str();
  add_out_option(app, out);
  parse(app, args);
  check_at_least("--max-maps", o.max_maps, 1);
  check_at_least("--zoom", o.zoom, 0);

  const Target target = load_target(command, target_options);
  if (layer.empty()) layer = first_conv_layer(*target.model);
  cnnlab::viz::find_layer(*target.model, layer, command);  // unknown: lists the valid layers
  const Images images = load_images(command, target, image_options);
  const std::string dir = output_dir(command, target, out, "maps");
  std::vector<Figure> figures;
  for (int64_t i = 0; i < images.input.size(0); ++i) {
    const std::string name = images.names[static_cast<size_t>(i)];
    const Tensor maps =
        cnnlab::viz::feature_maps(*target.model, images.input.narrow(0, i, 1), layer);
    const std::string png = (fs::path(dir) / ("maps_" + layer + "_" + name + ".png")).string();
    io::write_png(png, cnnlab::viz::feature_map_grid(maps, o));
    std::printf("%s: %s at layer %s: output %s, range [%.4g, %.4g]; wrote %s\n", command.c_str(),
                name.c_str(), layer.c_str(), maps.shape().str().c_str(), ops::min(maps).item(),
                ops::max(maps).item(), png.c_str());
    figures.push_back(
        {.method = "maps",
         .title = "Feature maps of " + layer + " for " + name,
         .image = png,
         .caption =
             "Activations " + maps.shape().str() + " of " + layer + " for " + name +
             (o.per_map ? ", each map rescaled on its own." : ", one scale for the layer.")});
  }
  record_figures(target, figures);
  return 0;
}

}  // namespace cnnlab::cli::viz
