// cnnlab viz saliency | guided | deconvnet | gradcam: why did the model pick a class, from the
// gradient of its score (library side in include/cnnlab/viz/gradients.hpp). Each writes one PNG
// per image and method (maps upscaled with nearest neighbour so that pixels stay visible), a
// summary grid (one row per image), prints what it wrote, and records the grid in the run's
// report. docs/viz.md.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "cnnlab/viz/filters.hpp"
#include "cnnlab/viz/gradients.hpp"
#include "cnnlab/viz/image.hpp"
#include "viz_common.hpp"

namespace cnnlab::cli::viz {
namespace {

namespace fs = std::filesystem;

/// (C, H, W) float32 -> (3, H * f, W * f): gray repeated to RGB, each pixel an f x f block, with f
/// bringing a side to at least ~112 pixels.
Tensor for_display(const Tensor& image) {
  Tensor x = image.detach().to(Dtype::kFloat32);
  if (x.size(0) == 1) x = ops::cat({x, x, x}, 0);
  const int64_t c = x.size(0), h = x.size(1), w = x.size(2);
  const int64_t f = std::max<int64_t>(1, 112 / std::max<int64_t>(1, std::max(h, w)));
  if (f == 1) return x.clone();
  Tensor out = Tensor::empty({c, h * f, w * f});
  const float* src = x.data<float>();
  float* dst = out.data<float>();
  for (int64_t k = 0; k < c; ++k) {
    for (int64_t i = 0; i < h * f; ++i) {
      for (int64_t j = 0; j < w * f; ++j)
        dst[(k * h * f + i) * w * f + j] = src[(k * h + i / f) * w + j / f];
    }
  }
  return out;
}

/// Grad-CAM's default layer: the last conv layer, or the ReLU registered right after it (the
/// rectified maps the paper uses: Caffe's in-place ReLU overwrites conv5_3's blob).
std::string default_cam_layer(nn::Module& model) {
  const std::vector<std::string> convs = cnnlab::viz::conv_layer_names(model);
  if (convs.empty()) throw UsageError("--layer: the model has no conv layer; name a layer");
  const auto modules = model.named_modules();
  for (size_t i = 0; i + 1 < modules.size(); ++i) {
    if (modules[i].first == convs.back()) {
      return modules[i + 1].second->type_name() == "ReLU" ? modules[i + 1].first : convs.back();
    }
  }
  return convs.back();
}

/// The flags every gradient method shares.
struct GradientFlags {
  TargetOptions target;
  ImageOptions images;
  std::string out;
  std::string class_text;
  double alpha = 0.5;
};

void add_gradient_flags(CLI::App& app, GradientFlags& flags, bool overlay) {
  add_target_options(app, flags.target);
  add_image_options(app, flags.images);
  app.add_option("--class", flags.class_text,
                 "the class to explain, by index or name (default: each image's predicted class)");
  if (overlay) {
    app.add_option("--alpha", flags.alpha, "weight of the heat map in the overlay, in [0, 1]")
        ->capture_default_str();
  }
  add_out_option(app, flags.out);
}

/// The model, the images and the classes (empty: predicted), as the flags say.
struct Prepared {
  Target target;
  Images images;
  std::vector<int64_t> classes;
  std::string dir;
};

Prepared prepare(const std::string& command, const GradientFlags& flags,
                 const std::string& method) {
  if (!(flags.alpha >= 0 && flags.alpha <= 1))
    throw UsageError("--alpha: expected a value in [0, 1], got " + std::to_string(flags.alpha));
  Prepared p;
  p.target = load_target(command, flags.target);
  if (!flags.class_text.empty()) p.classes = {parse_class(command, p.target, flags.class_text)};
  p.images = load_images(command, p.target, flags.images);
  p.dir = output_dir(command, p.target, flags.out, method);
  return p;
}

/// "test3 (label Trouser): class 1 Trouser (predicted, logit 7.21)".
std::string describe(const Prepared& p, int64_t i, int64_t c, const Tensor& logits) {
  const Tensor row = logits.narrow(0, i, 1).reshape({logits.size(1)});
  const auto predicted = static_cast<int64_t>(ops::argmax(row, 0).item());
  const int64_t label = p.images.labels[static_cast<size_t>(i)];
  char text[256];
  std::snprintf(
      text, sizeof text, "%s%s%s: class %lld %s (%s, logit %.3f)",
      p.images.names[static_cast<size_t>(i)].c_str(), label >= 0 ? " (label " : "",
      label >= 0 ? (class_name(p.target, label) + ")").c_str() : "", static_cast<long long>(c),
      class_name(p.target, c).c_str(),
      c == predicted ? "predicted" : ("predicted " + class_name(p.target, predicted)).c_str(),
      row.at({c}));
  return text;
}

/// Writes `image` (C, H, W) in [0, 1] for display and returns its path.
std::string write(const std::string& dir, const std::string& file, const Tensor& image) {
  const std::string path = (fs::path(dir) / file).string();
  io::write_png(path, for_display(image));
  return path;
}

/// Heat-map methods (saliency, Grad-CAM): per image <name>_<method>.png (the map through the
/// colormap) and <name>_<method>_overlay.png; <method>.png holds one row per image: input, map,
/// overlay.
int write_heat_maps(const std::string& command, const std::string& method, const std::string& title,
                    const std::string& what, const Prepared& p, const Tensor& heat,
                    const Tensor& logits, const std::vector<int64_t>& classes, double alpha) {
  std::vector<Tensor> grid;
  std::string caption;
  for (int64_t i = 0; i < heat.size(0); ++i) {
    const std::string name = p.images.names[static_cast<size_t>(i)];
    const Tensor map = heat.narrow(0, i, 1).reshape({heat.size(1), heat.size(2)});
    const Tensor shown = p.images.display.narrow(0, i, 1).squeeze(0);
    const Tensor colored = cnnlab::viz::colormap(map);
    const Tensor blended = cnnlab::viz::overlay(shown, map, alpha);
    const std::string a = write(p.dir, name + "_" + method + ".png", colored);
    const std::string b = write(p.dir, name + "_" + method + "_overlay.png", blended);
    const std::string line = describe(p, i, classes[static_cast<size_t>(i)], logits);
    std::printf("%s: %s; wrote %s, %s\n", command.c_str(), line.c_str(), a.c_str(), b.c_str());
    grid.push_back(for_display(shown));
    grid.push_back(for_display(colored));
    grid.push_back(for_display(blended));
    caption += (caption.empty() ? "" : "; ") + line;
  }
  const std::string png = (fs::path(p.dir) / (method + ".png")).string();
  io::write_png(png, io::tile_images(grid, 3, 2, 1.0));
  std::printf("%s: wrote %s (one row per image: input, %s, overlay)\n", command.c_str(),
              png.c_str(), method.c_str());
  record_figures(p.target,
                 {{.method = method,
                   .title = title,
                   .image = png,
                   .caption = what + " One row per image: input, map, overlay. " + caption + "."}});
  return 0;
}

/// Gradient-image methods (guided, deconvnet): per image <name>_<method>.png, the gradient
/// rescaled to [0, 1] by its own min and max; <method>.png holds one row per image: input, image.
int write_gradient_images(const std::string& command, const std::string& method,
                          const std::string& title, const std::string& what, const Prepared& p,
                          const cnnlab::viz::InputGradients& r) {
  const Tensor unit = cnnlab::viz::rescale_each(r.gradient);
  std::vector<Tensor> grid;
  std::string caption;
  for (int64_t i = 0; i < unit.size(0); ++i) {
    const std::string name = p.images.names[static_cast<size_t>(i)];
    const Tensor image = unit.narrow(0, i, 1).squeeze(0);
    const std::string a = write(p.dir, name + "_" + method + ".png", image);
    const std::string line = describe(p, i, r.classes[static_cast<size_t>(i)], r.logits);
    std::printf("%s: %s; wrote %s\n", command.c_str(), line.c_str(), a.c_str());
    grid.push_back(for_display(p.images.display.narrow(0, i, 1).squeeze(0)));
    grid.push_back(for_display(image));
    caption += (caption.empty() ? "" : "; ") + line;
  }
  const std::string png = (fs::path(p.dir) / (method + ".png")).string();
  io::write_png(png, io::tile_images(grid, 2, 2, 1.0));
  std::printf("%s: wrote %s (one row per image: input, %s)\n", command.c_str(), png.c_str(),
              method.c_str());
  record_figures(p.target, {{.method = method,
                             .title = title,
                             .image = png,
                             .caption = what +
                                        " One row per image: input, gradient image (rescaled to "
                                        "[0, 1] per image). " +
                                        caption + "."}});
  return 0;
}

}  // namespace

int run_saliency(const Args& args) {
  const std::string command = "viz saliency";
  CLI::App app{
      "Saliency maps (Simonyan et al. 2014): max over channels of |d score / d image|, the "
      "score being the class logit. Writes <image>_saliency.png (the map, inferno colormap, "
      "scaled by its maximum), <image>_saliency_overlay.png and saliency.png (all images).",
      "cnnlab viz saliency"};
  GradientFlags flags;
  add_gradient_flags(app, flags, /*overlay=*/true);
  parse(app, args);
  const Prepared p = prepare(command, flags, "saliency");
  const cnnlab::viz::InputGradients r =
      cnnlab::viz::saliency(*p.target.model, p.images.input, p.classes);
  // Each map divided by its own maximum (0 stays 0).
  std::vector<Tensor> maps;
  for (int64_t i = 0; i < r.saliency.size(0); ++i) {
    const Tensor m = r.saliency.narrow(0, i, 1);
    const double top = ops::max(m).item();
    maps.push_back(top > 0 ? m / top : m);
  }
  return write_heat_maps(command, "saliency", "Saliency maps",
                         "|d logit / d image|, max over channels, divided by its maximum.", p,
                         ops::cat(maps, 0), r.logits, r.classes, flags.alpha);
}

int run_guided(const Args& args) {
  const std::string command = "viz guided";
  CLI::App app{
      "Guided backpropagation (Springenberg et al. 2015): the input gradient of the class "
      "logit where every ReLU passes back only positive gradients at positive inputs. Writes "
      "<image>_guided.png (rescaled to [0, 1]) and guided.png (all images).",
      "cnnlab viz guided"};
  GradientFlags flags;
  add_gradient_flags(app, flags, /*overlay=*/false);
  parse(app, args);
  const Prepared p = prepare(command, flags, "guided");
  return write_gradient_images(
      command, "guided", "Guided backpropagation",
      "Input gradient of the class logit with ReLU's backward max(dy, 0) * (x > 0).", p,
      cnnlab::viz::guided_backprop(*p.target.model, p.images.input, p.classes));
}

int run_deconvnet(const Args& args) {
  const std::string command = "viz deconvnet";
  CLI::App app{
      "Deconvnet (Zeiler & Fergus 2014) as a backward pass: every ReLU applies a ReLU to the "
      "gradient instead of the forward mask. Writes <image>_deconvnet.png (rescaled to [0, 1]) "
      "and deconvnet.png (all images).",
      "cnnlab viz deconvnet"};
  GradientFlags flags;
  add_gradient_flags(app, flags, /*overlay=*/false);
  parse(app, args);
  const Prepared p = prepare(command, flags, "deconvnet");
  return write_gradient_images(command, "deconvnet", "Deconvnet",
                               "Input gradient of the class logit with ReLU's backward max(dy, 0).",
                               p,
                               cnnlab::viz::deconvnet(*p.target.model, p.images.input, p.classes));
}

int run_gradcam(const Args& args) {
  const std::string command = "viz gradcam";
  CLI::App app{
      "Grad-CAM (Selvaraju et al. 2017): ReLU(sum_k w_k A_k) at a layer with 4-D output, w_k "
      "the spatial mean of d logit / d A_k, upsampled bilinearly (align_corners=False) to the "
      "image and divided by its maximum. Writes <image>_gradcam.png, "
      "<image>_gradcam_overlay.png and gradcam.png (all images).",
      "cnnlab viz gradcam"};
  GradientFlags flags;
  add_gradient_flags(app, flags, /*overlay=*/true);
  std::string layer;
  app.add_option("--layer", layer,
                 "the layer (a dotted name; default: the last conv layer, or the ReLU right "
                 "after it)");
  parse(app, args);
  const Prepared p = prepare(command, flags, "gradcam");
  if (layer.empty()) layer = default_cam_layer(*p.target.model);
  const cnnlab::viz::GradCam r =
      cnnlab::viz::grad_cam(*p.target.model, p.images.input, layer, p.classes);
  std::printf("%s: layer %s, output %lldx%lld upsampled to %lldx%lld\n", command.c_str(),
              layer.c_str(), static_cast<long long>(r.raw_cam.size(1)),
              static_cast<long long>(r.raw_cam.size(2)), static_cast<long long>(r.cam.size(1)),
              static_cast<long long>(r.cam.size(2)));
  for (int64_t i = 0; i < r.raw_cam.size(0); ++i) {
    if (ops::max(r.raw_cam.narrow(0, i, 1)).item() <= 0) {
      std::printf(
          "%s: %s: the map is 0 everywhere (sum_k w_k A_k <= 0: no positive evidence "
          "for the class at %s)\n",
          command.c_str(), p.images.names[static_cast<size_t>(i)].c_str(), layer.c_str());
    }
  }
  return write_heat_maps(command, "gradcam", "Grad-CAM at " + layer,
                         "Grad-CAM at layer " + layer + " (" + std::to_string(r.raw_cam.size(1)) +
                             "x" + std::to_string(r.raw_cam.size(2)) + ", upsampled).",
                         p, r.cam, r.logits, r.classes, flags.alpha);
}

}  // namespace cnnlab::cli::viz
