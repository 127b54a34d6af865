// Evaluation of a classifier on a dataset: loss, accuracy, per-class accuracy, confusion matrix
// and the first misclassified examples (for the report's image grid).
#pragma once

#include <cstdint>
#include <vector>

#include "cnnlab/data/dataset.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::train {

/// Per-channel input normalization applied to every batch: (x - mean[c]) / std[c].
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
  /// (N, C, H, W) -> normalized copy; identity when mean is empty.
  Tensor apply(const Tensor& images) const;
  /// Mean and (population) standard deviation per channel over every image of `data`.
  static Normalization measure(const data::Dataset& data);
};

struct Misclassified {
  int64_t index = 0;  ///< in the evaluated dataset
  int64_t label = 0;
  int64_t predicted = 0;
  double probability = 0;  ///< softmax probability of the predicted class
};

struct Evaluation {
  double loss = 0;                              ///< mean cross-entropy
  double accuracy = 0;                          ///< in [0, 1]
  std::vector<double> per_class_accuracy;       ///< NaN for a class without test images
  std::vector<std::vector<int64_t>> confusion;  ///< [true class][predicted class]
  std::vector<Misclassified> misclassified;     ///< the first max_misclassified, by index
};

/// Runs `model` in eval mode without a graph over `data` in batches and restores its mode.
Evaluation evaluate(nn::Module& model, const data::Dataset& data, const Normalization& norm,
                    int64_t batch_size = 500, int64_t max_misclassified = 0);

}  // namespace cnnlab::train
