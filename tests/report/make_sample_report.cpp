// make_sample_report OUT_DIR [--no-eval]: writes a made-up but realistic run directory (a
// Fashion-MNIST-like LeNet-5 run: config.json, 10 epochs of metrics.jsonl, eval.json with a
// 10x10 confusion matrix and 12 misclassified 28x28 PNGs) and calls write_report on it. Used by
// check_report.sh, which loads OUT_DIR/report.html in headless Chromium.
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

void write_run(const fs::path& dir, bool with_eval) {
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
                  "\"images_per_second\": %.0f}\n",
                  e, 0.25 + 0.6 * std::exp(-3.0 * t), 0.91 - 0.2 * std::exp(-3.5 * t),
                  0.30 + 0.5 * std::exp(-3.0 * t) + 0.02 * t, 0.90 - 0.2 * std::exp(-3.0 * t),
                  11.5 + 0.1 * e, 5200.0 + 10.0 * e);
    metrics += line;
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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--no-eval")) {
    std::fprintf(stderr, "usage: %s OUT_DIR [--no-eval]\n", argv[0]);
    return 2;
  }
  try {
    write_run(argv[1], argc == 2);
    cnnlab::train::write_report(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_sample_report: %s\n", e.what());
    return 1;
  }
  std::printf("%s\n", (fs::path(argv[1]) / "report.html").c_str());
  return 0;
}
