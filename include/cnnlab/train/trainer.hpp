// The training loop behind `cnnlab train`: data, model, optimizer and schedule from a
// TrainConfig; per-epoch metrics; an atomic checkpoint every epoch; resume; the final evaluation
// and the report. The run directory's files are described in docs/run_directory.md.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cnnlab/data/dataset.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/train/config.hpp"
#include "cnnlab/train/evaluate.hpp"

namespace cnnlab::train {

/// Where training is inside an epoch (for progress bars).
struct StepProgress {
  int64_t epoch = 0;  ///< 1-based
  int64_t epochs = 0;
  int64_t step = 0;  ///< batches done in this epoch
  int64_t steps = 0;
  int64_t images = 0;        ///< images done in this epoch
  int64_t total_images = 0;  ///< images in one epoch
  double seconds = 0;        ///< since the epoch started
  double running_loss = 0;   ///< mean training loss so far in this epoch
};

/// One line of metrics.jsonl.
struct EpochMetrics {
  int64_t epoch = 0;
  double train_loss = 0;
  double train_accuracy = 0;
  double test_loss = 0;
  double test_accuracy = 0;
  double lr = 0;
  double seconds = 0;
  double images_per_second = 0;
  /// More (key, value) pairs of the epoch's line, from TrainCallbacks::extra_metrics.
  std::vector<std::pair<std::string, double>> extra;
};

struct DataPair;

struct TrainCallbacks {
  std::function<void(const StepProgress&)> on_step;    ///< after every batch
  std::function<void(const EpochMetrics&)> on_epoch;   ///< after each epoch's checkpoint
  std::function<void(const std::string&)> on_message;  ///< one-line notes ("resuming at ...")
  /// After each epoch's test evaluation: more (key, value) pairs for the epoch's metrics.jsonl
  /// line (`cnnlab collapse track` adds the neural-collapse metrics). Gets the model (in train
  /// mode; it must leave it so), the training and test sets without augmentation, and the
  /// input normalization.
  std::function<std::vector<std::pair<std::string, double>>(
      int64_t epoch, nn::Module& model, const DataPair& data, const Normalization& norm)>
      extra_metrics;
};

/// The training and test sets named by a --data value: a name such as "fashion-mnist", a folder
/// of MNIST-format IDX files or of CIFAR-10/100 binaries, or a folder with train/ and test/
/// sub-folders holding one folder of images per class (resized to the first training image's
/// size).
struct DataPair {
  std::shared_ptr<const data::Dataset> train;
  std::shared_ptr<const data::Dataset> test;
};
/// train_limit / test_limit > 0 keep only the first N examples of each split.
DataPair open_data(const std::string& spec, int64_t train_limit = 0, int64_t test_limit = 0);

/// The data a run trains on: open_data(config.data, train_limit, test_limit), then the
/// per-class selection (train_per_class) and oversampling (train_repeat) of the training set.
/// Throws ValueError when the config asks for more images of a class than the data has, or
/// gives per-class values of the wrong count.
DataPair open_run_data(const TrainConfig& config);

/// The config's model with its initial weights, drawn from Rng(config.seed) so that a run is
/// repeatable; config.input_shape and num_classes must be set (train() fills them from the data).
std::shared_ptr<nn::Module> build_model(const TrainConfig& config);

/// Trains from scratch into config.out (created; refuses a folder that already holds a
/// checkpoint). Throws on bad settings, bad data, I/O failure and a non-finite loss (naming the
/// epoch and step; the last good checkpoint is kept).
void train(TrainConfig config, const TrainCallbacks& callbacks = {});

/// Continues the run in run_dir from its last checkpoint, with its saved settings; `epochs`
/// optionally raises the total. Ends with the same numbers as an uninterrupted run.
void resume(const std::string& run_dir, std::optional<int64_t> epochs = std::nullopt,
            const TrainCallbacks& callbacks = {});

/// A trained model loaded back from a run directory (config.json + model.safetensors).
struct LoadedRun {
  TrainConfig config;
  std::shared_ptr<nn::Module> model;  ///< in eval mode
  Normalization normalization;
};
LoadedRun load_run(const std::string& run_dir);

/// Evaluates the run's model on the test set and writes eval.json and misclassified/*.png.
Evaluation write_evaluation(const std::string& run_dir, nn::Module& model,
                            const data::Dataset& test, const TrainConfig& config);

}  // namespace cnnlab::train
