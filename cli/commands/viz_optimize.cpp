// cnnlab viz class | dream | invert: the methods that optimize an input image (library side in
// include/cnnlab/viz/{class_visualization,deepdream,inversion}.hpp). Each writes PNGs (small
// images upscaled with nearest-neighbour so that pixels stay visible), prints a summary with the
// numbers the issue asks for, and records its figures in the run's report. docs/viz.md.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "args.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/viz/class_visualization.hpp"
#include "cnnlab/viz/deepdream.hpp"
#include "cnnlab/viz/image.hpp"
#include "cnnlab/viz/inversion.hpp"
#include "cnnlab/viz/layers.hpp"
#include "viz_common.hpp"

namespace cnnlab::cli::viz {
namespace {

namespace fs = std::filesystem;

/// (C, H, W) -> (C, H * f, W * f) by repeating each pixel f x f times.
Tensor upscale_nearest(const Tensor& image, int64_t f) {
  const Tensor x = image.detach().to_strided().to(Dtype::kFloat32);
  if (f <= 1) return x.clone();
  const int64_t c = x.size(0), h = x.size(1), w = x.size(2);
  Tensor out = Tensor::empty({c, h * f, w * f});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
  for (int64_t k = 0; k < c; ++k) {
    for (int64_t i = 0; i < h * f; ++i) {
      for (int64_t j = 0; j < w * f; ++j) {
        dst[(k * h * f + i) * w * f + j] = src[(k * h + i / f) * w + j / f];
      }
    }
  }
  return out;
}

/// The factor that brings a side of `size` pixels to at least ~112 pixels on screen.
int64_t display_factor(int64_t size) {
  return std::max<int64_t>(1, 112 / std::max<int64_t>(1, size));
}

/// A model-space image (C, H, W) as shown: the normalization undone, then clamped to [0, 1].
Tensor shown(const Tensor& x, const Target& target) {
  return upscale_nearest(cnnlab::viz::denormalize(x, target.normalization),
                         display_factor(x.size(1)));
}

/// Records the figures only when `dir` lies inside the run directory (not for an --out elsewhere).
void record_if_inside(const Target& target, const std::string& dir,
                      const std::vector<Figure>& figures) {
  if (target.run_dir.empty()) return;
  const fs::path rel =
      fs::weakly_canonical(dir).lexically_relative(fs::weakly_canonical(target.run_dir));
  if (rel.empty() || *rel.begin() == "..") return;
  record_figures(target, figures);
}

}  // namespace

int run_class(const Args& args) {
  const std::string command = "viz class";
  CLI::App app{
      "Class visualization: the image the model scores highest for a class, by gradient "
      "ascent on the class score (logit) minus l2 ||x||^2, with Yosinski et al. 2015's "
      "regularizers. Writes class_visualization.png (one tile per class) and "
      "class_probability.csv (the softmax probability at every step).",
      "cnnlab viz class"};
  TargetOptions target_options;
  add_target_options(app, target_options);
  std::string out, which = "all";
  cnnlab::viz::ClassVisualizationOptions o;
  bool clamp = false;
  app.add_option("--class", which, "a class index or name, or 'all'")->capture_default_str();
  app.add_option("--steps", o.steps, "gradient-ascent steps")->capture_default_str();
  app.add_option("--lr", o.lr, "step size")->capture_default_str();
  app.add_option("--l2", o.l2, "lambda of the L2 penalty")->capture_default_str();
  app.add_option("--blur-every", o.blur_every, "Gaussian blur every k steps (0: never)")
      ->capture_default_str();
  app.add_option("--blur-sigma", o.blur_sigma, "sigma of the blur in pixels")
      ->capture_default_str();
  app.add_option("--clip-norm-pct", o.clip_norm_percentile,
                 "zero the pixels whose norm is below this percentile (0: off)")
      ->capture_default_str();
  app.add_option("--clip-contrib-pct", o.clip_contribution_percentile,
                 "zero the pixels whose contribution |x . grad| is below this percentile (0: off)")
      ->capture_default_str();
  app.add_option("--jitter", o.jitter, "roll by up to this many pixels each step")
      ->capture_default_str();
  app.add_option("--init-std", o.init_std, "start from N(0, s) noise (0: from zeros)")
      ->capture_default_str();
  app.add_flag("--clamp", clamp, "keep pixels in the displayable range each step");
  app.add_option("--seed", o.seed, "seed of the noise and the jitter")->capture_default_str();
  add_out_option(app, out);
  parse(app, args);
  check_at_least("--steps", o.steps, 1);
  check_positive("--lr", o.lr);
  check_non_negative("--l2", o.l2);
  check_non_negative("--blur-every", static_cast<double>(o.blur_every));
  check_non_negative("--blur-sigma", o.blur_sigma);
  check_non_negative("--jitter", static_cast<double>(o.jitter));
  check_non_negative("--init-std", o.init_std);
  for (const auto& [flag, p] : {std::pair{"--clip-norm-pct", o.clip_norm_percentile},
                                std::pair{"--clip-contrib-pct", o.clip_contribution_percentile}}) {
    if (!(p >= 0 && p <= 100))
      throw UsageError(std::string(flag) + ": expected a percentile in [0, 100], got " +
                       std::to_string(p));
  }

  const Target target = load_target(command, target_options);
  std::vector<int64_t> classes;
  if (which == "all") {
    for (int64_t c = 0; c < static_cast<int64_t>(target.class_names.size()); ++c)
      classes.push_back(c);
  } else {
    classes.push_back(parse_class(command, target, which));
  }
  if (clamp) o.range = cnnlab::viz::valid_range(target.normalization, target.input_shape[0]);
  const std::string dir = output_dir(command, target, out, "class");

  std::vector<Tensor> tiles;
  std::vector<std::vector<double>> curves;
  std::string caption;
  int64_t reached = 0;
  for (const int64_t c : classes) {
    const cnnlab::viz::ClassVisualization r =
        cnnlab::viz::class_visualization(*target.model, target.input_shape, c, o);
    // NOTE: each tile is rescaled to [0, 1] on its own (after undoing the normalization): the
    // optimized images leave the valid pixel range unless --clamp, and clamping the display
    // would hide most of their structure.
    Tensor image = r.image;
    if (!target.normalization.mean.empty()) {
      std::vector<double> mean = target.normalization.mean, std = target.normalization.std;
      const int64_t ch = image.size(0);
      Tensor m = Tensor::from_vector(mean, {ch, 1, 1}), s = Tensor::from_vector(std, {ch, 1, 1});
      image = image * s + m;
    }
    tiles.push_back(
        upscale_nearest(cnnlab::viz::rescale_to_unit(image), display_factor(image.size(1))));
    curves.push_back(r.probability);
    reached += r.steps_to_target >= 0 ? 1 : 0;
    const std::string name = class_name(target, c);
    std::printf("class %lld %-12s p = %.5f  score = %8.3f  p >= %.2f at step %s\n",
                static_cast<long long>(c), name.c_str(), r.final_probability, r.score.back(),
                o.target_probability,
                r.steps_to_target >= 0 ? std::to_string(r.steps_to_target).c_str() : "never");
    char part[96];
    std::snprintf(part, sizeof part, "%s%s %.4f", caption.empty() ? "" : ", ", name.c_str(),
                  r.final_probability);
    caption += part;
  }
  const std::string png = (fs::path(dir) / "class_visualization.png").string();
  io::write_png(png, io::tile_images(
                         tiles, std::min<int64_t>(5, static_cast<int64_t>(tiles.size())), 2, 1.0));
  const std::string csv = (fs::path(dir) / "class_probability.csv").string();
  {
    std::ofstream f(csv);
    f << "step";
    for (const int64_t c : classes) f << ',' << class_name(target, c);
    f << '\n';
    for (size_t t = 0; t < curves.front().size(); ++t) {
      f << t;
      for (const auto& curve : curves) f << ',' << curve[t];
      f << '\n';
    }
    CNNLAB_CHECK(f.good(), IoError, command, ": cannot write '", csv, "'");
  }
  std::printf("%lld of %zu classes reached p >= %.2f within %lld steps; wrote %s and %s\n",
              static_cast<long long>(reached), classes.size(), o.target_probability,
              static_cast<long long>(o.steps), png.c_str(), csv.c_str());
  record_if_inside(
      target, dir,
      {{.method = "class",
        .title = "Class visualization",
        .image = png,
        .caption = "Gradient ascent on each class score for " + std::to_string(o.steps) +
                   " steps; final softmax probability: " + caption + "."}});
  return 0;
}

int run_dream(const Args& args) {
  const std::string command = "viz dream";
  CLI::App app{
      "DeepDream: amplify what a layer responds to in an image (gradient ascent on "
      "0.5 * sum of its squared activations, with octaves and jitter). Writes "
      "dream_<image>.png: the image and its dream side by side.",
      "cnnlab viz dream"};
  TargetOptions target_options;
  add_target_options(app, target_options);
  ImageOptions image_options;
  add_image_options(app, image_options);
  std::string out, layer;
  cnnlab::viz::DeepDreamOptions o;
  app.add_option("--layer", layer, "the layer to amplify (a dotted name such as features.3)")
      ->required();
  app.add_option("--steps", o.steps, "ascent steps per octave")->capture_default_str();
  app.add_option("--step-size", o.step_size, "step in units of the gradient's mean |g|")
      ->capture_default_str();
  app.add_option("--octaves", o.octaves, "number of octaves")->capture_default_str();
  app.add_option("--octave-scale", o.octave_scale, "size ratio between octaves")
      ->capture_default_str();
  app.add_option("--jitter", o.jitter, "roll by up to this many pixels each step")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the jitter")->capture_default_str();
  add_out_option(app, out);
  parse(app, args);
  check_at_least("--steps", o.steps, 1);
  check_positive("--step-size", o.step_size);
  check_at_least("--octaves", o.octaves, 1);
  if (o.octaves > 1 && !(o.octave_scale > 1))
    throw UsageError("--octave-scale: expected > 1, got " + std::to_string(o.octave_scale));
  check_non_negative("--jitter", static_cast<double>(o.jitter));

  const Target target = load_target(command, target_options);
  cnnlab::viz::find_layer(*target.model, layer, command);  // unknown: lists the valid layers
  const Images images = load_images(command, target, image_options);
  o.range = cnnlab::viz::valid_range(target.normalization, target.input_shape[0]);
  const std::string dir = output_dir(command, target, out, "dream");
  std::vector<Figure> figures;
  for (int64_t i = 0; i < images.input.size(0); ++i) {
    const Tensor x = images.input.narrow(0, i, 1).squeeze(0);
    const cnnlab::viz::DeepDream r = cnnlab::viz::deepdream(*target.model, layer, x, o);
    const std::string name = images.names[static_cast<size_t>(i)];
    const std::string png = (fs::path(dir) / ("dream_" + name + ".png")).string();
    io::write_png(png, io::tile_images({shown(x, target), shown(r.image, target)}, 2, 2, 1.0));
    std::printf("%s: layer %s, objective 0.5 sum(a^2) %.4g -> %.4g (x%.2f), octaves", name.c_str(),
                layer.c_str(), r.initial_objective, r.final_objective,
                r.final_objective / std::max(1e-30, r.initial_objective));
    for (const Shape& s : r.octave_sizes)
      std::printf(" %lldx%lld", static_cast<long long>(s[0]), static_cast<long long>(s[1]));
    std::printf("; wrote %s\n", png.c_str());
    char caption[256];
    std::snprintf(caption, sizeof caption,
                  "%s and its DeepDream at layer %s (%lld octaves x %lld steps): the layer's "
                  "0.5 sum(a^2) grew from %.4g to %.4g.",
                  name.c_str(), layer.c_str(), static_cast<long long>(o.octaves),
                  static_cast<long long>(o.steps), r.initial_objective, r.final_objective);
    figures.push_back({.method = "dream",
                       .title = "DeepDream at " + layer + ": " + name,
                       .image = png,
                       .caption = caption});
  }
  record_if_inside(target, dir, figures);
  return 0;
}

int run_invert(const Args& args) {
  const std::string command = "viz invert";
  CLI::App app{
      "Feature inversion (Mahendran & Vedaldi 2015): for each layer, the image whose "
      "features there match the input's, min ||Phi(x) - Phi0||^2 / ||Phi0||^2 + "
      "tv * TV_beta(x), by Adam from noise. Writes invert_<image>.png (the input, then "
      "one inversion per layer) and invert_<image>_loss.csv.",
      "cnnlab viz invert"};
  TargetOptions target_options;
  add_target_options(app, target_options);
  ImageOptions image_options;
  add_image_options(app, image_options);
  std::string out;
  std::vector<std::string> layers;
  cnnlab::viz::InversionOptions o;
  bool no_clamp = false;
  app.add_option("--layers", layers, "the layers to invert, comma-separated")
      ->required()
      ->delimiter(',');
  app.add_option("--steps", o.steps, "Adam steps")->capture_default_str();
  app.add_option("--lr", o.lr, "Adam's learning rate")->capture_default_str();
  app.add_option("--tv", o.tv_weight, "weight of the total-variation term")->capture_default_str();
  app.add_option("--tv-beta", o.tv_beta, "beta of TV_beta")->capture_default_str();
  app.add_option("--init-std", o.init_std, "the start: N(0, s) noise in model space")
      ->capture_default_str();
  app.add_flag("--no-clamp", no_clamp, "let pixels leave the displayable range");
  app.add_option("--seed", o.seed, "seed of the initial noise")->capture_default_str();
  add_out_option(app, out);
  parse(app, args);
  check_at_least("--steps", o.steps, 1);
  check_positive("--lr", o.lr);
  check_non_negative("--tv", o.tv_weight);
  check_positive("--tv-beta", o.tv_beta);
  check_non_negative("--init-std", o.init_std);

  const Target target = load_target(command, target_options);
  for (const std::string& layer : layers) cnnlab::viz::find_layer(*target.model, layer, command);
  const Images images = load_images(command, target, image_options);
  if (!no_clamp) o.range = cnnlab::viz::valid_range(target.normalization, target.input_shape[0]);
  const std::string dir = output_dir(command, target, out, "invert");
  std::vector<Figure> figures;
  for (int64_t i = 0; i < images.input.size(0); ++i) {
    const Tensor x = images.input.narrow(0, i, 1).squeeze(0);
    const std::string name = images.names[static_cast<size_t>(i)];
    std::vector<Tensor> tiles = {shown(x, target)};
    std::vector<std::vector<double>> curves;
    std::string caption = name + ", then its inversion from";
    for (const std::string& layer : layers) {
      const cnnlab::viz::Inversion r = cnnlab::viz::invert_features(*target.model, layer, x, o);
      tiles.push_back(shown(r.image, target));
      curves.push_back(r.loss);
      std::printf(
          "%s: layer %-14s loss %.4g -> %.4g (%.0fx lower), relative feature error "
          "||Phi(x) - Phi0|| / ||Phi0|| = %.4f\n",
          name.c_str(), layer.c_str(), r.initial_loss, r.final_loss,
          r.initial_loss / std::max(1e-30, r.final_loss), r.relative_error);
      char part[160];
      std::snprintf(part, sizeof part, "%s %s (relative error %.3f, loss %.3g -> %.3g)",
                    curves.size() == 1 ? "" : ",", layer.c_str(), r.relative_error, r.initial_loss,
                    r.final_loss);
      caption += part;
    }
    const std::string png = (fs::path(dir) / ("invert_" + name + ".png")).string();
    io::write_png(png, io::tile_images(tiles, static_cast<int64_t>(tiles.size()), 2, 1.0));
    const std::string csv = (fs::path(dir) / ("invert_" + name + "_loss.csv")).string();
    {
      std::ofstream f(csv);
      f << "step";
      for (const std::string& layer : layers) f << ',' << layer;
      f << '\n';
      for (size_t t = 0; t < curves.front().size(); ++t) {
        f << t;
        for (const auto& curve : curves) f << ',' << curve[t];
        f << '\n';
      }
      CNNLAB_CHECK(f.good(), IoError, command, ": cannot write '", csv, "'");
    }
    std::printf("%s: wrote %s and %s\n", name.c_str(), png.c_str(), csv.c_str());
    figures.push_back({.method = "invert",
                       .title = "Feature inversion: " + name,
                       .image = png,
                       .caption = caption + "."});
  }
  record_if_inside(target, dir, figures);
  return 0;
}

}  // namespace cnnlab::cli::viz
