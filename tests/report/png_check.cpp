// png_check IMAGE [RRGGBB ...]: checks that a screenshot is not blank and that each given colour
// covers at least kMinColourPixels pixels (within kTolerance per channel), which shows that the
// chart drawn in that colour rendered. Prints one line of statistics; exit status 0 if every
// check passes, 1 if one fails (the line says which), 2 on a usage or read error.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "cnnlab/io/image.hpp"

namespace {

constexpr int kTolerance = 12;             // antialiased edges differ; line and bar interiors don't
constexpr int64_t kMinColourPixels = 150;  // a legend box alone is ~500 px; a line 2 px wide more
constexpr double kMinInkFraction = 0.02;   // pixels unlike the most common (background) colour
constexpr size_t kMinDistinctColours = 32;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s IMAGE [RRGGBB ...]\n", argv[0]);
    return 2;
  }
  cnnlab::Tensor rgb;
  try {
    rgb = cnnlab::io::read_image(argv[1], 3);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "png_check: %s\n", e.what());
    return 2;
  }
  const int64_t h = rgb.shape()[1];
  const int64_t w = rgb.shape()[2];
  const float* p = rgb.data<float>();
  const int64_t plane = h * w;

  std::vector<uint32_t> wanted;
  for (int i = 2; i < argc; ++i) wanted.push_back(std::strtoul(argv[i], nullptr, 16));
  std::vector<int64_t> found(wanted.size(), 0);
  std::map<uint32_t, int64_t> histogram;
  for (int64_t i = 0; i < plane; ++i) {
    int c[3];
    for (int k = 0; k < 3; ++k) c[k] = static_cast<int>(p[k * plane + i] * 255.0f + 0.5f);
    ++histogram[static_cast<uint32_t>(c[0] << 16 | c[1] << 8 | c[2])];
    for (size_t j = 0; j < wanted.size(); ++j) {
      const int want[3] = {static_cast<int>(wanted[j] >> 16 & 255),
                           static_cast<int>(wanted[j] >> 8 & 255),
                           static_cast<int>(wanted[j] & 255)};
      if (std::abs(c[0] - want[0]) <= kTolerance && std::abs(c[1] - want[1]) <= kTolerance &&
          std::abs(c[2] - want[2]) <= kTolerance) {
        ++found[j];
      }
    }
  }
  int64_t background = 0;
  for (const auto& [colour, count] : histogram) background = std::max(background, count);
  const double ink = 1.0 - static_cast<double>(background) / static_cast<double>(plane);

  bool ok = true;
  std::string line = std::to_string(w) + "x" + std::to_string(h) + ", " +
                     std::to_string(histogram.size()) + " colours, ink " +
                     std::to_string(ink * 100.0).substr(0, 5) + "%";
  if (ink < kMinInkFraction || histogram.size() < kMinDistinctColours) {
    line += " (BLANK)";
    ok = false;
  }
  for (size_t j = 0; j < wanted.size(); ++j) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), ", #%06x: %lld px", wanted[j],
                  static_cast<long long>(found[j]));
    line += buf;
    if (found[j] < kMinColourPixels) {
      line += " (MISSING)";
      ok = false;
    }
  }
  std::printf("%s\n", line.c_str());
  return ok ? 0 : 1;
}
