// What every `cnnlab viz <method>` shares: cli/viz_common.hpp.
#include "viz_common.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "args.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/io/atomic_file.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "cnnlab/train/report.hpp"
#include "cnnlab/train/trainer.hpp"
#include "model_source.hpp"

namespace cnnlab::cli::viz {

namespace fs = std::filesystem;

void add_target_options(CLI::App& app, TargetOptions& options) {
  app.add_option("run", options.run, "a run directory written by cnnlab train (or use --model)");
  app.add_option("--model", options.model,
                 "a model name instead of a run (cnnlab train --help lists them)");
  app.add_option("--weights", options.weights,
                 "with --model: a safetensors state_dict (default: random weights, seed 0)");
  app.add_option("--input", options.input, "with --model: the input shape C x H x W")
      ->capture_default_str();
  app.add_option("--num-classes", options.num_classes,
                 "with --model: classes (default: from --weights, else 10)");
  add_variant_option(app, options.variant);
  add_threads_option(app, options.threads);
}

Target load_target(const std::string& command, const TargetOptions& options) {
  apply_threads_option(options.threads);
  if (options.run.empty() == options.model.empty())
    throw UsageError(command + ": expected a run directory or --model NAME (one of them)");
  Target target;
  if (!options.run.empty()) {
    train::LoadedRun run = train::load_run(options.run);
    target.model = run.model;
    target.normalization = run.normalization;
    target.input_shape = run.config.input_shape;
    target.class_names = run.config.class_names;
    target.run_dir = options.run;
    target.data = run.config.data;
    return target;
  }
  check_model_name(options.model);
  if (options.num_classes < 0)
    throw UsageError("--num-classes: expected >= 1, got " + std::to_string(options.num_classes));
  const Shape shape = parse_input_shape(options.input);
  const ModelFromWeights m =
      model_from_weights(command, options.model,
                         {.input_shape = shape,
                          .num_classes = options.num_classes,
                          .small_input = models::parse_variant(options.variant)},
                         options.weights);
  target.model = m.model;
  target.input_shape = shape;
  for (int64_t c = 0; c < m.config.num_classes; ++c)
    target.class_names.push_back(std::to_string(c));
  return target;
}

void add_image_options(CLI::App& app, ImageOptions& options) {
  app.add_option("--image", options.files, "an image file (PNG, JPEG, ...; repeatable)");
  app.add_option("--test-index", options.test_indices,
                 "an image of the test set by index (repeatable)");
  app.add_option("--data", options.data, "the dataset of --test-index (default: the run's)");
}

Images load_images(const std::string& command, const Target& target, const ImageOptions& options,
                   bool required) {
  if (required && options.files.empty() && options.test_indices.empty())
    throw UsageError(command + ": expected an image: --image PATH or --test-index K");
  const Shape& in = target.input_shape;  // (C, H, W)
  std::vector<Tensor> display;
  Images images;
  for (const std::string& path : options.files) {
    Tensor image = io::read_image(path, in[0]);  // throws IoError naming the file
    if (image.size(1) != in[1] || image.size(2) != in[2])
      image = io::resize_image(image, in[1], in[2]);
    display.push_back(image.to(Dtype::kFloat32));
    images.names.push_back(fs::path(path).stem().string());
    images.labels.push_back(-1);
  }
  if (!options.test_indices.empty()) {
    const std::string spec = options.data.empty() ? target.data : options.data;
    CNNLAB_CHECK(!spec.empty(), ValueError, command,
                 ": expected --data with --test-index (no run directory names a dataset)");
    const std::shared_ptr<const data::Dataset> test = train::open_data(spec).test;
    for (const int64_t k : options.test_indices) {
      CNNLAB_CHECK(k >= 0 && k < test->size(), ValueError, command,
                   ": expected a test index in [0, ", test->size(), "), got ", k);
      const data::Example example = test->get(k);
      CNNLAB_CHECK(example.image.shape() == in, ShapeError, command, ": expected test images of ",
                   in, " (the model's input), got ", example.image.shape());
      display.push_back(example.image.to(Dtype::kFloat32));
      images.names.push_back("test" + std::to_string(k));
      images.labels.push_back(example.label);
    }
  }
  if (display.empty()) return images;
  std::vector<Tensor> batch;
  for (const Tensor& d : display) batch.push_back(d.unsqueeze(0));
  images.display = ops::cat(batch, 0);
  images.input = target.normalization.apply(images.display);
  return images;
}

void add_out_option(CLI::App& app, std::string& out) {
  app.add_option("--out", out, "the folder for the PNGs (default: RUN/viz/<method>)");
}

std::string output_dir(const std::string& command, const Target& target, const std::string& out,
                       const std::string& method) {
  if (out.empty() && target.run_dir.empty())
    throw UsageError(command + ": expected --out DIR (there is no run directory to write to)");
  const fs::path dir = out.empty() ? fs::path(target.run_dir) / "viz" / method : fs::path(out);
  std::error_code error;
  fs::create_directories(dir, error);
  CNNLAB_CHECK(!error, IoError, command, ": cannot create '", dir.string(), "': ", error.message());
  return dir.string();
}

int64_t parse_class(const std::string& command, const Target& target, const std::string& text) {
  const auto count = static_cast<int64_t>(target.class_names.size());
  const auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    const int64_t c = text.size() <= 9 ? std::stoll(text) : count;
    CNNLAB_CHECK(c < count, ValueError, command, ": expected a class index in [0, ", count,
                 "), got ", text);
    return c;
  }
  for (int64_t c = 0; c < count; ++c) {
    if (lower(target.class_names[static_cast<size_t>(c)]) == lower(text)) return c;
  }
  std::string names;
  for (const std::string& n : target.class_names) names += (names.empty() ? "" : ", ") + n;
  throw ValueError(detail::concat(command, ": expected a class index in [0, ", count,
                                  ") or one of ", names, ", got '", text, "'"));
}

std::string class_name(const Target& target, int64_t c) {
  return c >= 0 && c < static_cast<int64_t>(target.class_names.size())
             ? target.class_names[static_cast<size_t>(c)]
             : std::to_string(c);
}

void record_figures(const Target& target, const std::vector<Figure>& figures) {
  if (target.run_dir.empty() || figures.empty()) return;
  const fs::path run = fs::weakly_canonical(target.run_dir);
  const fs::path index = run / "viz" / "index.json";
  nlohmann::json entries = nlohmann::json::array();
  if (fs::exists(index)) {
    std::ifstream in(index);
    entries = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    CNNLAB_CHECK(entries.is_array(), IoError, "viz: '", index.string(),
                 "': expected a JSON array of figures, got something else");
  }
  for (const Figure& f : figures) {
    const fs::path image = fs::weakly_canonical(f.image);
    const fs::path relative = image.lexically_relative(run);
    if (relative.empty() || *relative.begin() == "..") continue;  // --out elsewhere: not shown
    const nlohmann::json entry = {{"method", f.method},
                                  {"title", f.title},
                                  {"image", relative.generic_string()},
                                  {"caption", f.caption}};
    auto same = std::find_if(entries.begin(), entries.end(), [&](const nlohmann::json& e) {
      return e.value("image", "") == entry["image"];
    });
    if (same != entries.end()) {
      *same = entry;
    } else {
      entries.push_back(entry);
    }
  }
  fs::create_directories(index.parent_path());
  io::write_atomically(index.string(), [&](std::ostream& out) { out << entries.dump(2) << '\n'; });
  train::write_report(target.run_dir);
}

}  // namespace cnnlab::cli::viz
