// cnnlab predict: top-k classes of images under a run's model; any image size is resized to the
// model's input.
#include <algorithm>
#include <cstdio>
#include <numeric>

#include "args.hpp"
#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/train/trainer.hpp"

namespace cnnlab::cli {

int run_predict(const Args& args) {
  CLI::App app{"Classify images (PNG, JPEG, BMP, ...) with a run's model.", "cnnlab predict"};
  std::string run_dir;
  std::vector<std::string> images;
  int64_t top_k = 3;
  app.add_option("run", run_dir, "a run directory written by cnnlab train")->required();
  app.add_option("images", images, "image files")->required();
  app.add_option("--top-k", top_k, "how many classes to show")->capture_default_str();
  int64_t threads = 0;
  add_threads_option(app, threads);
  parse(app, args);
  apply_threads_option(threads);
  if (top_k < 1) throw UsageError("--top-k: expected >= 1");

  train::LoadedRun run = train::load_run(run_dir);
  const Shape& in = run.config.input_shape;  // (C, H, W)
  const std::vector<std::string>& names = run.config.class_names;
  NoGradGuard no_grad;
  for (const std::string& path : images) {
    Tensor image = io::read_image(path, in[0]);  // throws IoError naming the file
    if (image.size(1) != in[1] || image.size(2) != in[2])
      image = io::resize_image(image, in[1], in[2]);
    const Tensor probs =
        ops::softmax((*run.model)(run.normalization.apply(image.unsqueeze(0))), 1).reshape({-1});
    std::vector<int64_t> order(static_cast<size_t>(probs.numel()));
    std::iota(order.begin(), order.end(), 0);
    const std::vector<double> p = probs.to_vector();
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return p[static_cast<size_t>(a)] > p[static_cast<size_t>(b)];
    });
    std::printf("%s\n", path.c_str());
    for (int64_t k = 0; k < std::min<int64_t>(top_k, probs.numel()); ++k) {
      const auto c = static_cast<size_t>(order[static_cast<size_t>(k)]);
      std::printf("  %6.2f%%  %s\n", 100 * p[c],
                  c < names.size() ? names[c].c_str() : std::to_string(c).c_str());
    }
  }
  return 0;
}

}  // namespace cnnlab::cli
