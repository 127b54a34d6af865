// Pictures and files of a 2-D embedding (viz/embedding.hpp): a scatter plot coloured by class
// with a legend, and the coordinates as CSV. The .npy form is io::save_npy.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::viz {

/// The colour of class `label` (>= 0) as RGB in [0, 1]: matplotlib's ten-colour qualitative
/// palette "tab10" (blue, orange, green, red, purple, brown, pink, gray, olive, cyan), repeated
/// for labels >= 10.
std::array<float, 3> class_color(int64_t label);

struct ScatterOptions {
  int64_t size = 640;      ///< side of the square plotting area, pixels (>= 64)
  int64_t dot_radius = 2;  ///< dots are discs of this radius (0: single pixels), <= 10
  std::vector<std::string> class_names;  ///< legend text; missing names print the index
  std::string title;                     ///< printed above the plot (empty: none)
};

/// A scatter plot of points (N, 2), float32 or float64, coloured by class (class_color), as an
/// RGB image (3, H, W) float32 in [0, 1] for io::write_png. White background; both axes share
/// one scale (distances are as in the embedding) fitted to the points' bounding box with a 4%
/// margin, and no axis ticks (the units of an embedding mean nothing). Dots are drawn in
/// index order. Right of the plot, a legend: one coloured square per class in class order
/// (0, 1, ...), each followed by its name ("3: Dress"), written in a built-in 5x7 pixel font
/// (upper-case ASCII letters, digits and - / . _ ( ) : , + %; lower case is shown upper case,
/// other characters as '?'). The classes listed are max(class_names.size(), max label + 1).
/// Throws ShapeError unless points is (N, 2) with N == labels.size() (N >= 1); ValueError for a
/// negative label, a non-finite coordinate, or a size / dot_radius out of range.
Tensor scatter_plot(const Tensor& points, const std::vector<int64_t>& labels,
                    const ScatterOptions& options = {});

/// Writes points (N, 2) and labels as CSV: a header line "x,y,label", then one line per point
/// with coordinates in full precision (%.9g). Atomic. Throws ShapeError as scatter_plot, IoError
/// naming the file when it cannot be written.
void write_embedding_csv(const std::string& path, const Tensor& points,
                         const std::vector<int64_t>& labels);

}  // namespace cnnlab::viz
