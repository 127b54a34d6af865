// cnnlab viz features: the penultimate-layer features of the first N test images, embedded in 2-D
// by PCA and/or t-SNE (viz/embedding.hpp); writes a scatter plot coloured by class (PNG), the
// coordinates (CSV and .npy) and the labels, and prints the leave-one-out 5-NN accuracy of each
// embedding and of the raw features.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "args.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/io/npy.hpp"
#include "cnnlab/train/trainer.hpp"
#include "cnnlab/viz/embedding.hpp"
#include "cnnlab/viz/layers.hpp"
#include "cnnlab/viz/scatter.hpp"
#include "viz_common.hpp"

namespace cnnlab::cli::viz {

namespace {

constexpr const char* kCommand = "viz features";

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, v);
  return buffer;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Writes NAME.png, NAME.csv and NAME.npy for one embedding; returns the PNG's path.
std::string write_embedding(const std::string& dir, const std::string& name, const Tensor& points,
                            const std::vector<int64_t>& labels, const Target& target,
                            const std::string& title) {
  const std::filesystem::path base = std::filesystem::path(dir) / name;
  const std::string png = base.string() + ".png";
  io::write_png(png, cnnlab::viz::scatter_plot(
                         points, labels, {.class_names = target.class_names, .title = title}));
  cnnlab::viz::write_embedding_csv(base.string() + ".csv", points, labels);
  io::save_npy(base.string() + ".npy", points.to(Dtype::kFloat32));
  return png;
}

}  // namespace

int run_features(const Args& args) {
  CLI::App app{
      "Embed the penultimate-layer features (the input of the last Linear layer, or --layer's "
      "output) of the first --count test images in 2-D by PCA and/or t-SNE; write a scatter "
      "plot per method (PNG) with the coordinates (CSV x,y,label and .npy), and print the "
      "leave-one-out 5-nearest-neighbour accuracy of each embedding and of the raw features.",
      "cnnlab viz features"};
  TargetOptions target_options;
  add_target_options(app, target_options);
  std::string method = "both", layer, data, out, tsne_method = "auto", init = "random";
  int64_t count = 2000, iterations = 1000, batch_size = 256;
  double perplexity = 30;
  uint64_t seed = 0;
  app.add_option("--method", method, "pca, tsne or both")
      ->check(CLI::IsMember({"pca", "tsne", "both"}))
      ->capture_default_str();
  app.add_option("--count", count, "the first N images of the test set")->capture_default_str();
  app.add_option("--perplexity", perplexity, "t-SNE perplexity (below --count)")
      ->capture_default_str();
  app.add_option("--iterations", iterations, "t-SNE iterations (250 of them exaggerated)")
      ->capture_default_str();
  app.add_option("--seed", seed, "t-SNE's initial embedding")->capture_default_str();
  app.add_option("--layer", layer,
                 "take this layer's output instead of the last Linear layer's input");
  app.add_option("--tsne-method", tsne_method,
                 "exact (O(N^2)), barnes-hut, or auto (exact up to 1000 points)")
      ->check(CLI::IsMember({"auto", "exact", "barnes-hut"}))
      ->capture_default_str();
  app.add_option("--init", init, "t-SNE's start: random (N(0, 1e-4^2)) or pca (scaled PCA)")
      ->check(CLI::IsMember({"random", "pca"}))
      ->capture_default_str();
  app.add_option("--batch-size", batch_size, "images per forward pass")->capture_default_str();
  app.add_option("--data", data, "use this dataset's test split (default: the run's)");
  add_out_option(app, out);
  parse(app, args);
  check_at_least("--iterations", iterations, 1);
  check_at_least("--batch-size", batch_size, 1);

  const Target target = load_target(kCommand, target_options);
  const std::string spec = data.empty() ? target.data : data;
  CNNLAB_CHECK(!spec.empty(), ValueError, kCommand,
               ": expected --data SPEC (there is no run directory naming a dataset)");
  const std::shared_ptr<const data::Dataset> test = train::open_data(spec).test;
  CNNLAB_CHECK(count >= 2 && count <= test->size(), ValueError, kCommand,
               ": expected --count in [2, ", test->size(), "] (the test set's size), got ", count);
  const bool do_pca = method != "tsne", do_tsne = method != "pca";
  CNNLAB_CHECK(!do_tsne || (perplexity > 0 && perplexity < static_cast<double>(count)), ValueError,
               kCommand, ": expected 0 < --perplexity < --count = ", count, ", got ", perplexity);
  CNNLAB_CHECK(test->image_shape() == target.input_shape, ShapeError, kCommand,
               ": expected test images of ", target.input_shape, " (the model's input), got ",
               test->image_shape());
  // Checks the layer before the images are loaded.
  if (!layer.empty()) cnnlab::viz::find_layer(*target.model, layer, kCommand);
  const std::string layer_name =
      layer.empty() ? cnnlab::viz::last_linear_layer(*target.model) : layer;
  const std::string dir = output_dir(kCommand, target, out, "features");

  // The first `count` test images, normalized as in training.
  const Shape& chw = target.input_shape;
  const int64_t image_size = chw.numel();
  Tensor images = Tensor::empty({count, chw[0], chw[1], chw[2]});
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const data::Example e = test->get(i);
    std::memcpy(images.data<float>() + i * image_size, e.image.to(Dtype::kFloat32).data<float>(),
                static_cast<size_t>(image_size) * sizeof(float));
    labels[static_cast<size_t>(i)] = e.label;
  }
  images = target.normalization.apply(images);

  auto start = std::chrono::steady_clock::now();
  const Tensor features = cnnlab::viz::extract_features(*target.model, images,
                                                        {.layer = layer, .batch_size = batch_size});
  const int64_t k = std::min<int64_t>(5, count - 1);
  const double raw_accuracy = cnnlab::viz::knn_accuracy(features, labels, k);
  std::printf("features of the first %lld test images at %s '%s': %lld dimensions (%.2f s)\n",
              static_cast<long long>(count), layer.empty() ? "the input of" : "the output of",
              layer_name.c_str(), static_cast<long long>(features.size(1)), seconds_since(start));
  std::printf("%lld-NN accuracy (leave-one-out) of the raw features: %.4f\n",
              static_cast<long long>(k), raw_accuracy);
  io::save_npy((std::filesystem::path(dir) / "features.npy").string(), features);
  io::save_npy((std::filesystem::path(dir) / "labels.npy").string(),
               Tensor::from_int64(labels, {count}));

  const std::string where = (layer.empty() ? "the input of '" : "the output of '") + layer_name +
                            "', " + std::to_string(count) + " test images";
  std::vector<Figure> figures;
  if (do_pca) {
    start = std::chrono::steady_clock::now();
    const cnnlab::viz::PcaResult p = cnnlab::viz::pca(features, 2);
    const double acc = cnnlab::viz::knn_accuracy(p.embedding, labels, k);
    const std::string png =
        write_embedding(dir, "pca", p.embedding, labels, target,
                        "PCA  " + std::to_string(k) + "-NN ACC " + fixed(acc, 3));
    std::printf(
        "PCA: explained variance ratio %.4f + %.4f; %lld-NN accuracy %.4f (%.2f s); wrote %s, "
        "pca.csv, pca.npy\n",
        p.explained_variance_ratio[0], p.explained_variance_ratio[1], static_cast<long long>(k),
        acc, seconds_since(start), png.c_str());
    figures.push_back({"features", "PCA of the penultimate features", png,
                       "PCA of " + where + "; explained variance ratio " +
                           fixed(p.explained_variance_ratio[0], 3) + " + " +
                           fixed(p.explained_variance_ratio[1], 3) + "; " + std::to_string(k) +
                           "-NN accuracy " + fixed(acc, 3) +
                           " (raw features: " + fixed(raw_accuracy, 3) + ")"});
  }
  if (do_tsne) {
    cnnlab::viz::TsneOptions o{.perplexity = perplexity, .max_iter = iterations, .seed = seed};
    o.method = tsne_method == "exact"        ? cnnlab::viz::TsneMethod::kExact
               : tsne_method == "barnes-hut" ? cnnlab::viz::TsneMethod::kBarnesHut
                                             : cnnlab::viz::TsneMethod::kAuto;
    o.init = init == "pca" ? cnnlab::viz::TsneInit::kPca : cnnlab::viz::TsneInit::kRandom;
    start = std::chrono::steady_clock::now();
    const cnnlab::viz::TsneResult t = cnnlab::viz::tsne(features, o);
    const double seconds = seconds_since(start);
    const double acc = cnnlab::viz::knn_accuracy(t.embedding, labels, k);
    const std::string png =
        write_embedding(dir, "tsne", t.embedding, labels, target,
                        "T-SNE  " + std::to_string(k) + "-NN ACC " + fixed(acc, 3));
    std::printf(
        "t-SNE (%s, perplexity %g, %lld iterations, learning rate %g, seed %llu): KL %.4f; "
        "%lld-NN accuracy %.4f (%.2f s, %d threads); wrote %s, tsne.csv, tsne.npy\n",
        t.barnes_hut ? "Barnes-Hut" : "exact", perplexity, static_cast<long long>(t.iterations),
        t.learning_rate, static_cast<unsigned long long>(seed), t.kl_divergence,
        static_cast<long long>(k), acc, seconds, num_threads(), png.c_str());
    figures.push_back({"features", "t-SNE of the penultimate features", png,
                       "t-SNE (" + std::string(t.barnes_hut ? "Barnes-Hut" : "exact") +
                           ", perplexity " + fixed(perplexity, 1) + ", " +
                           std::to_string(t.iterations) + " iterations, seed " +
                           std::to_string(seed) + ") of " + where + "; KL " +
                           fixed(t.kl_divergence, 3) + "; " + std::to_string(k) + "-NN accuracy " +
                           fixed(acc, 3) + " (raw features: " + fixed(raw_accuracy, 3) + ")"});
  }
  // The run's report shows the figures when they were written inside the run directory.
  if (!target.run_dir.empty()) {
    const auto run = std::filesystem::weakly_canonical(target.run_dir);
    const auto rel = std::filesystem::weakly_canonical(dir).lexically_relative(run);
    if (!rel.empty() && *rel.begin() != "..") record_figures(target, figures);
  }
  return 0;
}

}  // namespace cnnlab::cli::viz
