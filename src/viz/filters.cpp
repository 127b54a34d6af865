// Filter grids and feature-map grids: include/cnnlab/viz/filters.hpp.
#include "cnnlab/viz/filters.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {
namespace {

constexpr int64_t kTileColumns = 8;
constexpr int64_t kMinTilePixels = 32;
constexpr double kGapValue = 1.0;  // white gaps between tiles

// The module's own 4-D "weight" (not a descendant's), or an undefined tensor.
Tensor own_conv_weight(nn::Module& module) {
  for (const auto& [name, p] : module.named_parameters()) {
    if (name == "weight" && p.dim() == 4) return p;
  }
  return Tensor();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

int64_t auto_zoom(int64_t zoom, int64_t height) {
  if (zoom > 0) return zoom;
  return std::max<int64_t>(1, (kMinTilePixels + height - 1) / std::max<int64_t>(1, height));
}

// (C, h, w) float32 values -> (C, h * z, w * z), nearest neighbour.
Tensor zoomed(const std::vector<float>& values, int64_t c, int64_t h, int64_t w, int64_t z) {
  Tensor out = Tensor::empty({c, h * z, w * z});
  float* o = out.data<float>();
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t y = 0; y < h * z; ++y) {
      for (int64_t x = 0; x < w * z; ++x) {
        o[(ch * h * z + y) * w * z + x] = values[static_cast<size_t>((ch * h + y / z) * w + x / z)];
      }
    }
  }
  return out;
}

// Restores each module's train/eval mode (pre-order, so a descendant's own mode wins).
class EvalScope {
 public:
  explicit EvalScope(nn::Module& model) {
    for (const auto& [name, module] : model.named_modules()) {
      modes_.emplace_back(module, module->is_training());
    }
    model.eval();
  }
  ~EvalScope() {
    for (auto& [module, training] : modes_) module->train(training);
  }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  std::vector<std::pair<nn::Module*, bool>> modes_;
};

void check_grid_options(const char* who, int64_t max_count, int64_t zoom, int64_t padding) {
  CNNLAB_CHECK(max_count >= 1, ValueError, who, ": expected a maximum count >= 1, got ", max_count);
  CNNLAB_CHECK(zoom >= 0, ValueError, who, ": expected zoom >= 0 (0: automatic), got ", zoom);
  CNNLAB_CHECK(padding >= 0, ValueError, who, ": expected padding >= 0, got ", padding);
}

}  // namespace

std::vector<std::string> conv_layer_names(nn::Module& model) {
  std::vector<std::string> names;
  for (const auto& [name, module] : model.named_modules()) {
    if (!name.empty() && own_conv_weight(*module).defined()) names.push_back(name);
  }
  return names;
}

Tensor filter_grid(nn::Module& model, const std::string& layer, const FilterGridOptions& options) {
  const char* who = "viz::filter_grid";
  check_grid_options(who, options.max_filters, options.zoom, options.padding);
  CNNLAB_CHECK(options.max_channels >= 1, ValueError, who, ": expected max_channels >= 1, got ",
               options.max_channels);
  nn::Module& module = find_layer(model, layer, who);
  const Tensor weight = own_conv_weight(module);
  CNNLAB_CHECK(weight.defined(), ValueError, who,
               ": expected a conv layer (conv layers: ", joined(conv_layer_names(model)),
               "), got '", layer, "' (", module.type_name(), ")");
  const std::vector<double> w = weight.detach().to_vector();
  const int64_t o = weight.size(0), in = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  const int64_t per_filter = in * kh * kw;
  const int64_t shown = std::min(o, options.max_filters);

  // Scale to [0, 1]: per filter by its own min/max, or symmetric by the layer's max |w|.
  std::vector<float> unit(static_cast<size_t>(shown * per_filter));
  double layer_abs = 0;
  for (double v : w) layer_abs = std::max(layer_abs, std::abs(v));
  for (int64_t f = 0; f < shown; ++f) {
    const auto begin = w.begin() + f * per_filter, end = begin + per_filter;
    const double lo = *std::min_element(begin, end), hi = *std::max_element(begin, end);
    for (int64_t i = 0; i < per_filter; ++i) {
      const double v = begin[i];
      double u = 0.5;
      if (options.scale == FilterScale::kSymmetric) {
        if (layer_abs > 0) u = v / (2 * layer_abs) + 0.5;
      } else if (hi > lo) {
        u = (v - lo) / (hi - lo);
      }
      unit[static_cast<size_t>(f * per_filter + i)] = static_cast<float>(u);
    }
  }

  const int64_t z = auto_zoom(options.zoom, kh);
  std::vector<Tensor> tiles;
  int64_t columns = kTileColumns;
  if (in == 3 || in == 1) {  // one tile per filter: RGB or gray
    for (int64_t f = 0; f < shown; ++f) {
      std::vector<float> v(unit.begin() + f * per_filter, unit.begin() + (f + 1) * per_filter);
      tiles.push_back(zoomed(v, in, kh, kw, z));
    }
  } else {  // one row per filter, one gray tile per input channel
    const int64_t channels = std::min(in, options.max_channels);
    columns = channels;
    for (int64_t f = 0; f < shown; ++f) {
      for (int64_t c = 0; c < channels; ++c) {
        const auto begin = unit.begin() + f * per_filter + c * kh * kw;
        tiles.push_back(zoomed(std::vector<float>(begin, begin + kh * kw), 1, kh, kw, z));
      }
    }
  }
  return io::tile_images(tiles, columns, options.padding, kGapValue);
}

Tensor feature_maps(nn::Module& model, const Tensor& image, const std::string& layer) {
  const char* who = "viz::feature_maps";
  CNNLAB_CHECK(image.defined() && (image.dim() == 3 || (image.dim() == 4 && image.size(0) == 1)),
               ShapeError, who, ": expected one image (C, H, W) or (1, C, H, W), got ",
               image.defined() ? image.shape().str() : "an undefined tensor");
  LayerCapture capture(model, layer, who);
  EvalScope eval(model);
  NoGradGuard no_grad;
  model(image.dim() == 3 ? image.unsqueeze(0) : image);
  const Tensor& out = capture.output();
  CNNLAB_CHECK(out.dim() >= 1 && out.size(0) == 1, ShapeError, who, ": expected layer '", layer,
               "' to keep the batch dim [1, ...], got ", out.shape().str());
  std::vector<int64_t> dims(out.shape().dims().begin() + 1, out.shape().dims().end());
  return out.detach().clone().reshape(Shape(dims));
}

Tensor feature_map_grid(const Tensor& maps, const FeatureMapOptions& options) {
  const char* who = "viz::feature_map_grid";
  check_grid_options(who, options.max_maps, options.zoom, options.padding);
  CNNLAB_CHECK(maps.defined() && (maps.dim() == 3 || maps.dim() == 1), ShapeError, who,
               ": expected maps (K, h, w) or units (F), got ",
               maps.defined() ? maps.shape().str() : "an undefined tensor");
  const std::vector<double> v = maps.detach().to_vector();
  if (maps.dim() == 1) {  // units: a near-square tile, one block per unit, cells past F are 0
    const int64_t f = maps.size(0);
    const auto side = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(f))));
    const int64_t rows = (f + side - 1) / std::max<int64_t>(1, side);
    std::vector<float> cells(static_cast<size_t>(std::max<int64_t>(1, rows * side)), 0.0f);
    double lo = 0, hi = 0;
    if (f > 0) {
      lo = *std::min_element(v.begin(), v.end());
      hi = *std::max_element(v.begin(), v.end());
    }
    for (int64_t i = 0; i < f; ++i) {
      cells[static_cast<size_t>(i)] = static_cast<float>(hi > lo ? (v[i] - lo) / (hi - lo) : 0.0);
    }
    const int64_t h = std::max<int64_t>(1, rows), w = std::max<int64_t>(1, side);
    return io::tile_images({zoomed(cells, 1, h, w, auto_zoom(options.zoom, h))}, 1, options.padding,
                           kGapValue);
  }
  const int64_t k = maps.size(0), h = maps.size(1), w = maps.size(2), hw = h * w;
  const int64_t shown = std::min(k, options.max_maps);
  double layer_lo = 0, layer_hi = 0;
  if (!v.empty()) {
    layer_lo = *std::min_element(v.begin(), v.end());
    layer_hi = *std::max_element(v.begin(), v.end());
  }
  const int64_t z = auto_zoom(options.zoom, h);
  std::vector<Tensor> tiles;
  for (int64_t m = 0; m < shown; ++m) {
    const auto begin = v.begin() + m * hw, end = begin + hw;
    double lo = layer_lo, hi = layer_hi;
    if (options.per_map) {
      lo = *std::min_element(begin, end);
      hi = *std::max_element(begin, end);
    }
    std::vector<float> unit(static_cast<size_t>(hw));
    for (int64_t i = 0; i < hw; ++i) {
      unit[static_cast<size_t>(i)] =
          static_cast<float>(hi > lo ? (begin[i] - lo) / (hi - lo) : 0.0);
    }
    tiles.push_back(zoomed(unit, 1, h, w, z));
  }
  return io::tile_images(tiles, kTileColumns, options.padding, kGapValue);
}

}  // namespace cnnlab::viz
