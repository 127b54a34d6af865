// What every `cnnlab viz <method>` shares: which model to look at (a run directory, or --model
// with optional --weights), which images (files or test-set indices), where the PNGs go, and the
// record that puts them in the run's report. Each method lives in cli/commands/viz_<method>.cpp
// and is listed in the table of cli/commands/viz.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/shape.hpp"
#include "cnnlab/train/evaluate.hpp"
#include "commands.hpp"

namespace cnnlab::cli::viz {

/// The model to look at, as the user named it.
struct TargetOptions {
  std::string run;      ///< a run directory (positional), or empty with --model
  std::string model;    ///< --model NAME (registry) when there is no run directory
  std::string weights;  ///< --weights W.safetensors with --model (empty: seed-0 initial weights)
  std::string input = "1x28x28";  ///< --input C x H x W with --model
  std::string variant = "auto";   ///< --variant with --model
  int64_t num_classes = 0;        ///< --num-classes with --model (0: from the weights, else 10)
  int64_t threads = 0;            ///< --threads
};

/// The model, in eval mode, with what is needed to feed it and to name its classes.
struct Target {
  std::shared_ptr<nn::Module> model;
  train::Normalization normalization;  ///< empty with --model (images are used as read)
  Shape input_shape;                   ///< (C, H, W)
  std::vector<std::string> class_names;
  std::string run_dir;  ///< empty with --model
  std::string data;     ///< the run's data spec (test-set images), empty with --model
};

/// Adds the positional `run` and --model/--weights/--input/--variant/--num-classes/--threads.
void add_target_options(CLI::App& app, TargetOptions& options);
/// Loads the target. Throws UsageError for neither or both of a run and --model, and what
/// train::load_run / model_from_weights throw. Applies --threads.
Target load_target(const std::string& command, const TargetOptions& options);

/// Which images: files (any size; resized to the model's input) and/or test-set indices of the
/// run's dataset (or of --data).
struct ImageOptions {
  std::vector<std::string> files;     ///< --image PATH (repeatable)
  std::vector<int64_t> test_indices;  ///< --test-index K (repeatable)
  std::string data;                   ///< --data SPEC: overrides the run's dataset
};
void add_image_options(CLI::App& app, ImageOptions& options);

/// A batch ready for the model, with what is needed to show it.
struct Images {
  Tensor input;                    ///< (N, C, H, W) float32, normalized as the model expects
  Tensor display;                  ///< (N, C, H, W) in [0, 1], as read
  std::vector<std::string> names;  ///< file stem or "test<K>", for output file names
  std::vector<int64_t> labels;     ///< the test label, or -1 for a file
};
/// Loads the images. Throws UsageError when none is given (and `required`), IoError naming a file
/// that cannot be read, ValueError for a test index outside [0, size) or test indices without
/// a dataset.
Images load_images(const std::string& command, const Target& target, const ImageOptions& options,
                   bool required = true);

/// --out DIR: where the PNGs go (created). Default: RUN/viz/<method> for a run, else required.
void add_out_option(CLI::App& app, std::string& out);
std::string output_dir(const std::string& command, const Target& target, const std::string& out,
                       const std::string& method);

/// A class by index or by name (case-insensitive): "3" or "Dress". Throws ValueError
/// "<command>: expected a class index in [0, C) or one of ..., got 'x'".
int64_t parse_class(const std::string& command, const Target& target, const std::string& text);

/// The name of class c ("Ankle boot"), or its number when the target has no name for it.
std::string class_name(const Target& target, int64_t c);

/// One figure in the run's report ("Looking inside" section): the PNG (a path under the run
/// directory), a title and a caption. Appends it to RUN/viz/index.json (replacing an entry with
/// the same image) atomically and rewrites RUN/report.html. Does nothing without a run directory;
/// figures outside the run directory (an --out elsewhere) are left out of the report.
struct Figure {
  std::string method;  ///< "saliency", "filters", ...
  std::string title;
  std::string image;    ///< PNG path; must lie inside the run directory
  std::string caption;  ///< what it shows, with the numbers a reader needs
};
void record_figures(const Target& target, const std::vector<Figure>& figures);

// The methods: each parses its own flags (args after `cnnlab viz <method>`) and returns the exit
// status. Listed in the table of cli/commands/viz.cpp.
int run_filters(const Args& args);
int run_maps(const Args& args);
int run_saliency(const Args& args);
int run_guided(const Args& args);
int run_deconvnet(const Args& args);
int run_gradcam(const Args& args);
int run_features(const Args& args);
int run_class(const Args& args);
int run_dream(const Args& args);
int run_invert(const Args& args);
int run_texture(const Args& args);
int run_style(const Args& args);

}  // namespace cnnlab::cli::viz
