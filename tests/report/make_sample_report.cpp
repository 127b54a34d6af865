// make_sample_report OUT_DIR [--no-eval | --collapse | --minority]: writes a made-up but realistic
// run directory (a Fashion-MNIST-like LeNet-5 run: config.json, 10 epochs of metrics.jsonl,
// eval.json with a 10x10 confusion matrix and 12 misclassified 28x28 PNGs; with --collapse also
// NC1-NC4 at log-spaced epochs, training error zero from epoch 5) and calls write_report on it, or
// with --minority a `cnnlab collapse minority` experiment (minority.json, write_minority_report).
// Used by check_report.sh, which loads OUT_DIR/report.html in headless Chromium.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "cnnlab/io/image.hpp"
#include "cnnlab/train/report.hpp"

namespace {

namespace fs = std::filesystem;

// NOTE: class 8's name and the config's "note" would run a script if the page failed to escape
// them (in HTML or in the embedded JSON); the Chromium test fails on any console message.
const char* const kClassNames[10] = {
    "T-shirt/top", "Trouser", "Pullover",
    "Dress",       "Coat",    "Sandal",
    "Shirt",       "Sneaker", "Bag<img src=x onerror=console.error('unescaped')>",
    "Ankle boot"};

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.good()) throw std::runtime_error("cannot write " + path.string());
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A 28x28 gray picture that differs per sample: a soft blob and a few stripes.
cnnlab::Tensor sample_image(int k) {
  cnnlab::Tensor img = cnnlab::Tensor::zeros({1, 28, 28});
  float* p = img.data<float>();
  const double cx = 8.0 + (k * 5) % 13;
  const double cy = 9.0 + (k * 7) % 11;
  for (int y = 0; y < 28; ++y) {
    for (int x = 0; x < 28; ++x) {
      const double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      const double blob = std::exp(-d2 / (30.0 + 4.0 * k));
      const double stripes = 0.25 * (1.0 + std::sin((x + 2 * y) * (0.4 + 0.05 * k)));
      p[y * 28 + x] = static_cast<float>(std::min(1.0, blob + 0.4 * stripes));
    }
  }
  return img;
}

// The neural-collapse fields of `cnnlab collapse track` (analysis::collapse_fields) for the
// measured epochs 1, 2, 3, 5, 7 and 10 ("" for the others): every metric shrinks with the epoch,
// and the eval-mode training accuracy is 1.0 from epoch 5 on.
std::string collapse_fields(int e) {
  if (e != 1 && e != 2 && e != 3 && e != 5 && e != 7 && e != 10) return "";
  const double d = std::exp(-0.5 * (e - 1));  // 1 at epoch 1, ~0.011 at epoch 10
  const double train_accuracy = e >= 5 ? 1.0 : 0.8 + 0.05 * e;
  char text[640];
  std::snprintf(
      text, sizeof(text),
      ", \"nc1\": %.6g, \"nc2_equinorm_means\": %.6g, \"nc2_equinorm_classifiers\": "
      "%.6g, \"nc2_equiangular_means\": %.6g, \"nc2_equiangular_classifiers\": %.6g, "
      "\"nc2_max_angle_means\": %.6g, \"nc2_max_angle_classifiers\": %.6g, \"nc3\": %.6g, "
      "\"nc4\": %.6g, \"nc_train_loss\": %.6g, \"nc_train_accuracy\": %.6g, "
      "\"nc_test_loss\": %.6g, \"nc_test_accuracy\": %.6g",
      4.0 * d, 0.3 * d + 0.01, 0.2 * d + 0.005, 0.25 * d + 0.02, 0.15 * d + 0.01, 0.2 * d + 0.015,
      0.1 * d + 0.01, 0.9 * d + 0.05, 0.12 * d, 0.6 * d + 0.001, train_accuracy, 0.35 + 0.02 * e,
      0.86 + 0.004 * e);
  return text;
}

void write_run(const fs::path& dir, bool with_eval, bool with_collapse) {
  fs::create_directories(dir / "misclassified");
  std::string names = "[";
  for (int c = 0; c < 10; ++c) names += (c ? ", " : "") + json_string(kClassNames[c]);
  names += "]";
  write_text(dir / "config.json",
             "{\"command\": \"train\", \"model\": \"lenet5\", \"data\": \"fashion-mnist\", "
             "\"epochs\": 10, \"batch_size\": 64, \"optimizer\": \"sgd\", \"lr\": 0.01, "
             "\"momentum\": 0.9, \"weight_decay\": 0.0, \"schedule\": \"constant\", \"seed\": 0, "
             "\"threads\": 1, \"note\": \"</script><script>console.error('unescaped')</script>\", "
             "\"num_classes\": 10, \"class_names\": " +
                 names + ", \"input_shape\": [1, 28, 28]}\n");

  std::string metrics;
  for (int e = 1; e <= 10; ++e) {
    const double t = e / 10.0;
    char line[512];
    std::snprintf(line, sizeof(line),
                  "{\"epoch\": %d, \"train_loss\": %.4f, \"train_accuracy\": %.4f, "
                  "\"test_loss\": %.4f, \"test_accuracy\": %.4f, \"lr\": 0.01, \"seconds\": %.1f, "
                  "\"images_per_second\": %.0f",
                  e, 0.25 + 0.6 * std::exp(-3.0 * t), 0.91 - 0.2 * std::exp(-3.5 * t),
                  0.30 + 0.5 * std::exp(-3.0 * t) + 0.02 * t, 0.90 - 0.2 * std::exp(-3.0 * t),
                  11.5 + 0.1 * e, 5200.0 + 10.0 * e);
    metrics += line + (with_collapse ? collapse_fields(e) : std::string()) + "}\n";
  }
  write_text(dir / "metrics.jsonl", metrics);
  if (!with_eval) return;

  // Each class has 1000 test images; the mistakes go mostly to a "neighbour" class.
  std::string confusion = "[";
  std::string per_class = "[";
  int64_t correct_total = 0;
  for (int t = 0; t < 10; ++t) {
    const int correct = 820 + (t * 37) % 150;
    correct_total += correct;
    std::string row = "[";
    const int wrong = 1000 - correct;
    for (int p = 0; p < 10; ++p) {
      int count = 0;
      if (p == t) {
        count = correct;
      } else if (p == (t + 6) % 10) {
        count = wrong * 2 / 3;
      } else if (p == (t + 3) % 10) {
        count = wrong - wrong * 2 / 3;
      }
      row += (p ? ", " : "") + std::to_string(count);
    }
    confusion += (t ? ", " : "") + row + "]";
    per_class += (t ? ", " : "") + std::to_string(correct / 1000.0);
  }
  confusion += "]";
  per_class += "]";

  std::string misclassified = "[";
  for (int k = 0; k < 12; ++k) {
    const std::string file =
        "misclassified/" + std::string(k < 10 ? "00" : "0") + std::to_string(k) + ".png";
    cnnlab::io::write_png((dir / file).string(), sample_image(k));
    char entry[256];
    std::snprintf(entry, sizeof(entry),
                  "%s{\"index\": %d, \"label\": %d, \"predicted\": %d, \"probability\": %.2f, "
                  "\"image\": \"%s\"}",
                  k ? ", " : "", 17 + 131 * k, k % 10, (k + 6) % 10, 0.55 + 0.03 * k, file.c_str());
    misclassified += entry;
  }
  misclassified += "]";

  char head[256];
  std::snprintf(head, sizeof(head), "{\"split\": \"test\", \"loss\": 0.3021, \"accuracy\": %.4f, ",
                static_cast<double>(correct_total) / 10000.0);
  write_text(dir / "eval.json", std::string(head) + "\"class_names\": " + names +
                                    ", \"per_class_accuracy\": " + per_class + ", \"confusion\": " +
                                    confusion + ", \"misclassified\": " + misclassified + "}\n");
}

// A `cnnlab collapse minority` experiment with K_A = 5 and R in {1, 10, 100} (minority.json as
// cli/commands/collapse.cpp writes it), its page written by write_minority_report.
void write_minority(const fs::path& dir) {
  fs::create_directories(dir);
  std::string rows;
  const int ratios[] = {1, 10, 100};
  for (int i = 0; i < 3; ++i) {
    char row[640];
    std::snprintf(row, sizeof(row),
                  "%s{\"ratio\": %d.0, \"run\": \"R%d\", \"majority_images_per_class\": 500, "
                  "\"minority_images_per_class\": %d, \"minority_cosine\": %.4f, "
                  "\"majority_cosine\": %.4f, \"train_accuracy\": 1.0, \"test_accuracy\": %.4f, "
                  "\"majority_test_accuracy\": %.4f, \"minority_test_accuracy\": %.4f}",
                  i ? ", " : "", ratios[i], ratios[i], 500 / ratios[i], -0.11 + 0.35 * i,
                  -0.12 - 0.02 * i, 0.88 - 0.18 * i, 0.87 + 0.02 * i, 0.89 - 0.38 * i);
    rows += row;
  }
  // NOTE: "note" would run a script if the page failed to escape the embedded JSON.
  write_text(dir / "minority.json",
             "{\"model\": \"cnn_bn\", \"data\": \"fashion-mnist\", \"classes\": 10, "
             "\"majority_classes\": 5, \"majority_images_per_class\": 500, \"oversample\": 1, "
             "\"epochs\": 60, \"layer\": \"(last Linear)\", "
             "\"note\": \"</script><script>console.error('unescaped')</script>\", \"ratios\": [" +
                 rows + "]}\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[2] : "";
  if (argc < 2 || argc > 3 ||
      (argc == 3 && mode != "--no-eval" && mode != "--collapse" && mode != "--minority")) {
    std::fprintf(stderr, "usage: %s OUT_DIR [--no-eval | --collapse | --minority]\n", argv[0]);
    return 2;
  }
  try {
    if (mode == "--minority") {
      write_minority(argv[1]);
      cnnlab::train::write_minority_report(argv[1]);
    } else {
      write_run(argv[1], mode != "--no-eval", mode == "--collapse");
      cnnlab::train::write_report(argv[1]);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_sample_report: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", (fs::path(argv[1]) / "report.html").c_str());
  return 0;
}
