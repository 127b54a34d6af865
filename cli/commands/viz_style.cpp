// cnnlab viz texture | style: texture synthesis (Gatys et al. 2015) and neural style transfer
// (Gatys et al. 2016), library side in include/cnnlab/viz/style.hpp. Both take image files
// directly; the network is the random multi-scale one unless --model names a registry model (with
// optional --weights) or a run directory. Writes PNGs and loss.csv, prints the loss at the start
// and the end, and records the figures in the run's report for a run directory. docs/viz.md.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "args.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/layers.hpp"
#include "cnnlab/viz/style.hpp"
#include "viz_common.hpp"

namespace cnnlab::cli::viz {
namespace {

namespace fs = std::filesystem;
namespace v = cnnlab::viz;

constexpr const char* kMultiScale = "multiscale";

// The flags both methods share.
struct Common {
  std::string model = kMultiScale;
  std::string weights;
  std::string variant = "auto";
  int64_t size = 128;
  int64_t steps = 100;
  std::string optimizer = "lbfgs";
  double lr = 0.02;
  uint64_t seed = 0;
  int64_t threads = 0;
  std::string out;
  // the random multi-scale network
  int64_t scales = 5, filters = 128, kernel = 5;
};

void add_common(CLI::App& app, Common& c, const char* size_help) {
  app.add_option("--model", c.model,
                 "'multiscale' (random multi-scale network), a registry model (random weights "
                 "unless --weights), or a run directory")
      ->capture_default_str();
  app.add_option("--weights", c.weights, "weights (.safetensors) for a registry --model");
  app.add_option("--variant", c.variant, "auto|small|full, for a registry --model")
      ->capture_default_str();
  app.add_option("--size", c.size, size_help)->capture_default_str();
  app.add_option("--steps", c.steps, "L-BFGS iterations or Adam steps")->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "lbfgs (L-BFGS-B, pixels in [0, 1]) or adam")
      ->capture_default_str();
  app.add_option("--lr", c.lr, "Adam's learning rate (pixel units)")->capture_default_str();
  app.add_option("--seed", c.seed, "seed of the noise and of the random network")
      ->capture_default_str();
  app.add_option("--scales", c.scales, "multiscale: number of scales")->capture_default_str();
  app.add_option("--filters", c.filters, "multiscale: random filters per scale")
      ->capture_default_str();
  app.add_option("--kernel", c.kernel, "multiscale: filter size (odd)")->capture_default_str();
  app.add_option("--threads", c.threads, "worker threads (0: the default)");
  add_out_option(app, c.out);
}

void check_common(const Common& c) {
  check_at_least("--size", c.size, 1);
  check_at_least("--steps", c.steps, 1);
  if (c.optimizer != "lbfgs" && c.optimizer != "adam")
    throw UsageError("--optimizer: expected lbfgs or adam, got '" + c.optimizer + "'");
  check_positive("--lr", c.lr);
  if (c.scales < 1 || c.filters < 1 || c.kernel < 1 || c.kernel % 2 == 0)
    throw UsageError("--scales/--filters/--kernel: expected positive values and an odd kernel");
  if (!c.weights.empty() && (c.model == kMultiScale || fs::is_directory(c.model)))
    throw UsageError("--weights: only with a registry --model");
}

// The network, its normalization and the channels it takes.
struct Network {
  Target target;  // model (eval mode), run_dir for a run
  train::Normalization normalization;
  int64_t channels = 3;
  bool multiscale = false;
};

// NOTE: registry models and the random network see ImageNet-normalized pixels, the statistics
// torchvision's pretrained VGG-19 expects (so converted weights work unchanged); a run directory
// uses the run's own normalization.
const train::Normalization kImageNet{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};

Network load_network(const std::string& command, const Common& c, int64_t height, int64_t width) {
  Network n;
  if (c.model == kMultiScale) {
    apply_threads_option(c.threads);
    Rng rng(c.seed);
    n.target.model = v::make_random_multiscale(
        {.in_channels = 3, .scales = c.scales, .filters = c.filters, .kernel_size = c.kernel}, rng);
    n.target.model->eval();
    n.target.input_shape = {3, height, width};
    n.normalization = kImageNet;
    n.multiscale = true;
    return n;
  }
  TargetOptions t;
  if (fs::is_directory(c.model)) {
    t.run = c.model;
  } else {
    t.model = c.model;
    t.weights = c.weights;
    t.variant = c.variant;
    t.input = "3x" + std::to_string(height) + "x" + std::to_string(width);
  }
  t.threads = c.threads;
  n.target = load_target(command, t);
  n.target.model->eval();
  n.normalization = n.target.run_dir.empty() ? kImageNet : n.target.normalization;
  n.channels = n.target.input_shape[0];
  return n;
}

// Default layers: the multiscale net's every scale; VGG-19 the usual conv1_1 ... conv5_1 (style)
// and conv4_2 (content); any other model up to five Conv2d layers spread over its depth (style)
// and the one at 60% of its depth (content).
std::vector<std::string> conv_layers(nn::Module& model) {
  std::vector<std::string> convs;
  for (const auto& [name, m] : model.named_modules()) {
    if (!name.empty() && m->type_name() == "Conv2d") convs.push_back(name);
  }
  return convs;
}

std::vector<v::WeightedLayer> default_style_layers(const std::string& command, const Common& c,
                                                   const Network& n) {
  std::vector<v::WeightedLayer> layers;
  if (n.multiscale) {
    for (const auto& l : v::random_multiscale_layers(
             {.scales = c.scales, .filters = c.filters, .kernel_size = c.kernel}))
      layers.push_back({l, 1.0});
  } else if (c.model == "vgg19" || c.model == "vgg19_bn") {
    for (const char* l : {"features.0", "features.5", "features.10", "features.19", "features.28"})
      layers.push_back({l, 1.0});
  } else {
    const auto convs = conv_layers(*n.target.model);
    CNNLAB_CHECK(!convs.empty(), ValueError, command,
                 ": the model has no Conv2d layer; name layers with --layers");
    const size_t k = std::min<size_t>(5, convs.size());
    for (size_t i = 0; i < k; ++i)
      layers.push_back({convs[k == 1 ? 0 : i * (convs.size() - 1) / (k - 1)], 1.0});
  }
  return layers;
}

std::string default_content_layer(const std::string& command, const Common& c, const Network& n) {
  if (n.multiscale) return "scale1.2";
  if (c.model == "vgg19") return "features.21";
  if (c.model == "vgg19_bn") return "features.30";  // conv4_2 after the BatchNorm layers
  const auto convs = conv_layers(*n.target.model);
  CNNLAB_CHECK(!convs.empty(), ValueError, command,
               ": the model has no Conv2d layer; name one with --content-layer");
  return convs[convs.size() * 6 / 10];
}

std::string layer_list(const std::vector<v::WeightedLayer>& layers) {
  std::string s;
  for (const auto& l : layers) {
    s += (s.empty() ? "" : ",") + l.layer;
    if (l.weight != 1.0) s += ":" + std::to_string(l.weight);
  }
  return s;
}

// An image file as (channels, H, W) with its longest side `size` pixels.
Tensor read_scaled(const std::string& path, int64_t channels, int64_t size) {
  Tensor image = io::read_image(path, channels);  // IoError naming the file
  const int64_t h = image.size(1), w = image.size(2);
  const double f = static_cast<double>(size) / static_cast<double>(std::max(h, w));
  const int64_t nh = std::max<int64_t>(1, std::llround(h * f));
  const int64_t nw = std::max<int64_t>(1, std::llround(w * f));
  return (nh == h && nw == w ? image : io::resize_image(image, nh, nw)).to(Dtype::kFloat32);
}

v::OptimizeOptions optimize_options(const Common& c) {
  v::OptimizeOptions o;
  o.steps = c.steps;
  o.optimizer = c.optimizer == "adam" ? v::ImageOptimizer::kAdam : v::ImageOptimizer::kLbfgs;
  o.adam_lr = c.lr;
  return o;
}

void write_history(const std::string& path, const std::vector<double>& history) {
  std::ofstream f(path);
  CNNLAB_CHECK(f.good(), IoError, "cannot write '", path, "'");
  f << "evaluation,loss\n";
  for (size_t i = 0; i < history.size(); ++i) f << i << ',' << history[i] << '\n';
}

// Images of different sizes side by side: each padded (white) to the tallest height.
Tensor side_by_side(const std::vector<Tensor>& images) {
  int64_t h = 0;
  for (const Tensor& t : images) h = std::max(h, t.size(1));
  std::vector<Tensor> padded;
  int64_t w = 0;
  for (const Tensor& t : images) w = std::max(w, t.size(2));
  for (const Tensor& t : images) {
    const Tensor x = t.size(0) == 1 ? Tensor::zeros({3, t.size(1), t.size(2)}) + t : t;
    Tensor p = Tensor::ones({3, h, w});
    const float* src = x.to(Dtype::kFloat32).data<float>();
    float* dst = p.data<float>();
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t i = 0; i < x.size(1); ++i)
        for (int64_t j = 0; j < x.size(2); ++j)
          dst[(c * h + i) * w + j] = src[(c * x.size(1) + i) * x.size(2) + j];
    padded.push_back(p);
  }
  return io::tile_images(padded, static_cast<int64_t>(padded.size()), 4, 1.0);
}

std::string loss_line(const char* what, const v::SynthesisResult& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s loss: %.6g -> %.6g (%.1fx lower) in %lld evaluations (%s)",
                what, r.loss_start, r.loss_end,
                r.loss_end > 0 ? r.loss_start / r.loss_end : INFINITY,
                static_cast<long long>(r.evaluations), r.stop_reason.c_str());
  return buf;
}

std::string parts_line(const v::StyleObjective::Parts& p) {
  char buf[64];
  std::string s;
  for (size_t i = 0; i < p.style.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.4g", i ? ", " : "", p.style[i]);
    s += buf;
  }
  return s;
}

void record_inside(const Target& target, const std::string& dir, const std::vector<Figure>& f) {
  if (target.run_dir.empty()) return;
  const fs::path rel =
      fs::weakly_canonical(dir).lexically_relative(fs::weakly_canonical(target.run_dir));
  if (rel.empty() || *rel.begin() == "..") return;
  record_figures(target, f);
}

}  // namespace

int run_texture(const Args& args) {
  const std::string command = "viz texture";
  CLI::App app{
      "Texture synthesis (Gatys et al. 2015): an image whose Gram matrices at the chosen layers "
      "match those of a texture, optimized from noise. Writes texture.png, "
      "texture_compare.png (source | result) and loss.csv.",
      "cnnlab viz texture"};
  Common c;
  std::string texture, layers_text;
  app.add_option("--texture", texture, "the texture image (PNG, JPEG, ...)")->required();
  app.add_option("--layers", layers_text,
                 "style layers 'name[:weight],...' (default: every scale of multiscale; VGG-19 "
                 "features.0,5,10,19,28; else five conv layers)");
  add_common(app, c, "output side in pixels (the texture is scaled to this longest side)");
  parse(app, args);
  check_common(c);

  Network n = load_network(command, c, c.size, c.size);
  const std::string dir = output_dir(command, n.target, c.out, "texture");
  const Tensor source = read_scaled(texture, n.channels, c.size);
  const auto layers = layers_text.empty() ? default_style_layers(command, c, n)
                                          : v::parse_weighted_layers(layers_text, command);
  v::TextureOptions o;
  o.layers = layers;
  o.height = c.size;
  o.width = c.size;
  o.normalization = n.normalization;
  o.optimize = optimize_options(c);
  Rng rng(c.seed);
  std::printf("texture synthesis: %s, layers %s, %lldx%lld, %s %lld steps\n", c.model.c_str(),
              layer_list(layers).c_str(), static_cast<long long>(c.size),
              static_cast<long long>(c.size), c.optimizer.c_str(), static_cast<long long>(c.steps));
  std::fflush(stdout);
  const v::SynthesisResult r = v::synthesize_texture(*n.target.model, source, o, rng);

  const std::string result_png = (fs::path(dir) / "texture.png").string();
  const std::string compare_png = (fs::path(dir) / "texture_compare.png").string();
  io::write_png(result_png, r.image);
  io::write_png(compare_png, side_by_side({source, r.image}));
  write_history((fs::path(dir) / "loss.csv").string(), r.history);
  const std::string line = loss_line("texture", r);
  std::printf("%s\nper-layer relative Gram error at the end: %s\nwrote %s, %s\n", line.c_str(),
              parts_line(r.parts_end).c_str(), result_png.c_str(), compare_png.c_str());
  record_inside(n.target, dir,
                {{.method = "texture",
                  .title = "Texture synthesis",
                  .image = compare_png,
                  .caption = "source | synthesized; layers " + layer_list(layers) + "; " + line}});
  return 0;
}

int run_style(const Args& args) {
  const std::string command = "viz style";
  CLI::App app{
      "Neural style transfer (Gatys et al. 2016): an image with the content image's features at "
      "one layer and the style image's Gram matrices at several, plus total variation. Writes "
      "style.png, style_compare.png (content | style | result) and loss.csv.",
      "cnnlab viz style"};
  Common c;
  c.size = 256;
  c.steps = 100;
  std::string content_path, style_path, layers_text, content_layer, init = "content";
  double content_weight = 1.0, style_weight = 10.0, tv_weight = 0.0;
  app.add_option("--content", content_path, "the content image")->required();
  app.add_option("--style", style_path, "the style image")->required();
  app.add_option("--layers,--style-layers", layers_text,
                 "style layers 'name[:weight],...' (default as in viz texture)");
  app.add_option("--content-layer", content_layer,
                 "content layer (default: multiscale scale1.2; VGG-19 features.21 = conv4_2)");
  app.add_option("--content-weight", content_weight, "weight of the content term")
      ->capture_default_str();
  app.add_option("--style-weight", style_weight, "weight of the style terms")
      ->capture_default_str();
  app.add_option("--tv-weight", tv_weight, "weight of the total-variation term")
      ->capture_default_str();
  app.add_option("--init", init, "content or noise")->capture_default_str();
  add_common(app, c, "longest side of the output (content and style are scaled to it)");
  parse(app, args);
  check_common(c);
  for (const auto& [flag, w] :
       {std::pair{"--content-weight", content_weight}, std::pair{"--style-weight", style_weight},
        std::pair{"--tv-weight", tv_weight}}) {
    if (!(w >= 0 && std::isfinite(w)))
      throw UsageError(std::string(flag) + ": expected a finite value >= 0, got " +
                       std::to_string(w));
  }
  if (init != "content" && init != "noise")
    throw UsageError("--init: expected content or noise, got '" + init + "'");

  // The content's size decides the output's: read it once with 3 channels to learn it.
  const Tensor probe = read_scaled(content_path, 3, c.size);
  Network n = load_network(command, c, probe.size(1), probe.size(2));
  const std::string dir = output_dir(command, n.target, c.out, "style");
  const Tensor content = n.channels == 3 ? probe : read_scaled(content_path, n.channels, c.size);
  const Tensor style = read_scaled(style_path, n.channels, c.size);
  v::StyleOptions o;
  o.style_layers = layers_text.empty() ? default_style_layers(command, c, n)
                                       : v::parse_weighted_layers(layers_text, command);
  o.content_layer = content_layer.empty() ? default_content_layer(command, c, n) : content_layer;
  o.content_weight = content_weight;
  o.style_weight = style_weight;
  o.tv_weight = tv_weight;
  o.init_from_content = init == "content";
  o.normalization = n.normalization;
  o.optimize = optimize_options(c);
  Rng rng(c.seed);
  std::printf(
      "style transfer: %s, style layers %s, content layer %s, %lldx%lld (WxH), %s %lld steps\n",
      c.model.c_str(), layer_list(o.style_layers).c_str(), o.content_layer.c_str(),
      static_cast<long long>(content.size(2)), static_cast<long long>(content.size(1)),
      c.optimizer.c_str(), static_cast<long long>(c.steps));
  std::fflush(stdout);
  const v::SynthesisResult r = v::transfer_style(*n.target.model, content, style, o, rng);

  const std::string result_png = (fs::path(dir) / "style.png").string();
  const std::string compare_png = (fs::path(dir) / "style_compare.png").string();
  io::write_png(result_png, r.image);
  io::write_png(compare_png, side_by_side({content, style, r.image}));
  write_history((fs::path(dir) / "loss.csv").string(), r.history);
  const std::string line = loss_line("total", r);
  double style_start = 0, style_end = 0;
  for (double s : r.parts_start.style) style_start += s;
  for (double s : r.parts_end.style) style_end += s;
  char parts[256];
  std::snprintf(parts, sizeof parts,
                "style (sum of relative Gram errors): %.4g -> %.4g; content (relative): %.4g -> "
                "%.4g; tv: %.4g -> %.4g",
                style_start, style_end, r.parts_start.content, r.parts_end.content,
                r.parts_start.tv, r.parts_end.tv);
  std::printf("%s\n%s\nwrote %s, %s\n", line.c_str(), parts, result_png.c_str(),
              compare_png.c_str());
  record_inside(n.target, dir,
                {{.method = "style",
                  .title = "Style transfer",
                  .image = compare_png,
                  .caption = "content | style | result; " + line + "; " + parts}});
  return 0;
}

}  // namespace cnnlab::cli::viz
