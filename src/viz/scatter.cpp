// viz::scatter_plot, viz::class_color and viz::write_embedding_csv: include/cnnlab/viz/scatter.hpp.
// The legend's text comes from a built-in 5x7 pixel font (stb writes PNGs but draws no text).
#include "cnnlab/viz/scatter.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "cnnlab/core/check.hpp"
#include "cnnlab/io/atomic_file.hpp"

namespace cnnlab::viz {

namespace {

/// The glyphs: 7 rows of 5 pixels each, bit 4 the leftmost pixel.
const std::map<char, std::array<uint8_t, 7>>& font() {
  static const std::map<char, std::array<uint8_t, 7>> glyphs = {
      {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
      {'B', {0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e}},
      {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}},
      {'D', {0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e}},
      {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}},
      {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}},
      {'G', {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f}},
      {'H', {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
      {'I', {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
      {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}},
      {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
      {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}},
      {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}},
      {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
      {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
      {'P', {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}},
      {'Q', {0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d}},
      {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}},
      {'S', {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}},
      {'T', {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
      {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
      {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04}},
      {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a}},
      {'X', {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11}},
      {'Y', {0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04}},
      {'Z', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f}},
      {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}},
      {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
      {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}},
      {'3', {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}},
      {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}},
      {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
      {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}},
      {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
      {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}},
      {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
      {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}},
      {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
      {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
      {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f}},
      {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
      {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
      {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
      {',', {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}},
      {'+', {0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00}},
      {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
      {'=', {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00}},
      {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
      {'?', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}},
  };
  return glyphs;
}

/// An RGB canvas (3, H, W) float32 being drawn on.
struct Canvas {
  int64_t h, w;
  Tensor image;
  float* px;
  Canvas(int64_t height, int64_t width)
      : h(height), w(width), image(Tensor::ones({3, height, width})), px(image.data<float>()) {}
  void set(int64_t y, int64_t x, const std::array<float, 3>& c) {
    if (y < 0 || y >= h || x < 0 || x >= w) return;
    for (int64_t ch = 0; ch < 3; ++ch) px[(ch * h + y) * w + x] = c[static_cast<size_t>(ch)];
  }
  void rect(int64_t y0, int64_t x0, int64_t hh, int64_t ww, const std::array<float, 3>& c) {
    for (int64_t y = y0; y < y0 + hh; ++y) {
      for (int64_t x = x0; x < x0 + ww; ++x) set(y, x, c);
    }
  }
  /// Text with its top-left corner at (y, x), each font pixel a scale x scale square; glyph
  /// cells are 6 x 8 font pixels.
  void text(int64_t y, int64_t x, const std::string& s, int64_t scale,
            const std::array<float, 3>& c) {
    for (char raw : s) {
      char ch = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
      auto it = font().find(ch);
      if (it == font().end()) it = font().find('?');
      for (int64_t r = 0; r < 7; ++r) {
        for (int64_t col = 0; col < 5; ++col) {
          if ((it->second[static_cast<size_t>(r)] >> (4 - col)) & 1) {
            rect(y + r * scale, x + col * scale, scale, scale, c);
          }
        }
      }
      x += 6 * scale;
    }
  }
};

std::vector<double> checked_points(const Tensor& points, const std::vector<int64_t>& labels,
                                   const char* who) {
  CNNLAB_CHECK(points.defined() && points.dim() == 2 && points.size(1) == 2 &&
                   points.size(0) >= 1 && points.size(0) == static_cast<int64_t>(labels.size()),
               ShapeError, who, ": expected points (N, 2) with N = ", labels.size(),
               " labels, got ", points.defined() ? points.shape().str() : std::string("none"));
  CNNLAB_CHECK(points.dtype() == Dtype::kFloat32 || points.dtype() == Dtype::kFloat64, ValueError,
               who, ": expected float32 or float64 points, got ", points.dtype());
  return points.detach().to_strided().to_vector();
}

}  // namespace

std::array<float, 3> class_color(int64_t label) {
  static constexpr unsigned kTab10[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                          0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
  const unsigned rgb = kTab10[static_cast<size_t>(((label % 10) + 10) % 10)];
  return {static_cast<float>((rgb >> 16) & 0xff) / 255.0f,
          static_cast<float>((rgb >> 8) & 0xff) / 255.0f, static_cast<float>(rgb & 0xff) / 255.0f};
}

Tensor scatter_plot(const Tensor& points, const std::vector<int64_t>& labels,
                    const ScatterOptions& options) {
  const std::vector<double> xy = checked_points(points, labels, "viz::scatter_plot");
  CNNLAB_CHECK(options.size >= 64 && options.size <= 8192, ValueError,
               "viz::scatter_plot: expected a size in [64, 8192], got ", options.size);
  CNNLAB_CHECK(options.dot_radius >= 0 && options.dot_radius <= 10, ValueError,
               "viz::scatter_plot: expected a dot_radius in [0, 10], got ", options.dot_radius);
  const int64_t n = points.size(0);
  int64_t classes = static_cast<int64_t>(options.class_names.size());
  for (int64_t i = 0; i < n; ++i) {
    CNNLAB_CHECK(labels[i] >= 0, ValueError, "viz::scatter_plot: expected labels >= 0, got ",
                 labels[i], " at point ", i);
    CNNLAB_CHECK(std::isfinite(xy[2 * i]) && std::isfinite(xy[2 * i + 1]), ValueError,
                 "viz::scatter_plot: expected finite coordinates, got (", xy[2 * i], ", ",
                 xy[2 * i + 1], ") at point ", i);
    classes = std::max(classes, labels[i] + 1);
  }
  std::vector<std::string> entries;
  size_t longest = 0;
  for (int64_t c = 0; c < classes; ++c) {
    std::string e = std::to_string(c);
    if (c < static_cast<int64_t>(options.class_names.size())) e += ": " + options.class_names[c];
    longest = std::max(longest, e.size());
    entries.push_back(e);
  }

  // Layout (pixels): margin, title band, the square plot, the legend column.
  const int64_t margin = 16, scale = 2, line = 22, size = options.size;
  const int64_t title_h = options.title.empty() ? 0 : 8 * scale + 12;
  const int64_t plot_x = margin, plot_y = margin + title_h;
  const int64_t legend_x = plot_x + size + 20;
  const int64_t width = legend_x + 20 + static_cast<int64_t>(longest) * 6 * scale + margin;
  const int64_t height = std::max(plot_y + size + margin, plot_y + classes * line + margin);
  Canvas canvas(height, width);
  const std::array<float, 3> dark = {0.15f, 0.15f, 0.15f}, frame = {0.75f, 0.75f, 0.75f};
  if (!options.title.empty()) canvas.text(margin, plot_x, options.title, scale, dark);
  canvas.rect(plot_y - 1, plot_x - 1, 1, size + 2, frame);
  canvas.rect(plot_y + size, plot_x - 1, 1, size + 2, frame);
  canvas.rect(plot_y - 1, plot_x - 1, size + 2, 1, frame);
  canvas.rect(plot_y - 1, plot_x + size, size + 2, 1, frame);

  // One scale for both axes, centred on the bounding box, with a 4% margin.
  double lo_x = xy[0], hi_x = xy[0], lo_y = xy[1], hi_y = xy[1];
  for (int64_t i = 1; i < n; ++i) {
    lo_x = std::min(lo_x, xy[2 * i]);
    hi_x = std::max(hi_x, xy[2 * i]);
    lo_y = std::min(lo_y, xy[2 * i + 1]);
    hi_y = std::max(hi_y, xy[2 * i + 1]);
  }
  double span = std::max(hi_x - lo_x, hi_y - lo_y);
  if (!(span > 0)) span = 1.0;
  const double k = static_cast<double>(size - 1) * 0.92 / span;
  const double cx = (lo_x + hi_x) / 2, cy = (lo_y + hi_y) / 2;
  const int64_t r = options.dot_radius;
  for (int64_t i = 0; i < n; ++i) {
    const auto col = class_color(labels[i]);
    const int64_t px =
        plot_x + static_cast<int64_t>(std::lround((size - 1) / 2.0 + (xy[2 * i] - cx) * k));
    const int64_t py =
        plot_y + static_cast<int64_t>(std::lround((size - 1) / 2.0 - (xy[2 * i + 1] - cy) * k));
    for (int64_t dy = -r; dy <= r; ++dy) {
      for (int64_t dx = -r; dx <= r; ++dx) {
        if (dx * dx + dy * dy <= r * r + r) canvas.set(py + dy, px + dx, col);
      }
    }
  }

  // The legend: a square of the class colour, then "index: name".
  for (int64_t c = 0; c < classes; ++c) {
    const int64_t y = plot_y + c * line;
    canvas.rect(y + 1, legend_x, 12, 12, class_color(c));
    canvas.text(y, legend_x + 20, entries[static_cast<size_t>(c)], scale, dark);
  }
  return canvas.image;
}

void write_embedding_csv(const std::string& path, const Tensor& points,
                         const std::vector<int64_t>& labels) {
  const std::vector<double> xy = checked_points(points, labels, "viz::write_embedding_csv");
  io::write_atomically(path, [&](std::ostream& out) {
    out << "x,y,label\n";
    char buffer[96];
    for (size_t i = 0; i < labels.size(); ++i) {
      std::snprintf(buffer, sizeof buffer, "%.9g,%.9g,%lld\n", xy[2 * i], xy[2 * i + 1],
                    static_cast<long long>(labels[i]));
      out << buffer;
    }
  });
}

}  // namespace cnnlab::viz
