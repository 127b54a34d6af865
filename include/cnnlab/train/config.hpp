// TrainConfig: every setting of a training run, saved as the run directory's config.json so that
// the run can be repeated (`cnnlab train` with the same values gives the same numbers) or resumed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/tensor/shape.hpp"

namespace cnnlab::train {

struct TrainConfig {
  // what to train
  std::string model = "lenet5";
  std::vector<int64_t> hidden = {256, 128};  ///< MLP hidden widths
  std::string variant = "auto";              ///< auto | small | full: models::parse_variant
  std::string data = "fashion-mnist";        ///< a dataset name or a folder
  int64_t train_limit = 0;                   ///< use only the first N training images (0 = all)
  int64_t test_limit = 0;                    ///< evaluate on the first N test images (0 = all)
  /// Train on this many images per class (data::per_class_subset, seeded by `seed`): empty = all
  /// images; one value = the same for every class; else one value per class.
  std::vector<int64_t> train_per_class;
  /// Oversampling: each training image of class c is seen train_repeat[c] times per epoch
  /// (data::oversample_classes); empty = once each; else one factor per class.
  std::vector<int64_t> train_repeat;
  int64_t augment_crop_padding = 0;  ///< > 0: random crops of the image size after zero padding
  bool augment_flip = false;         ///< random horizontal flips (p = 0.5)
  // how
  int64_t epochs = 10;
  int64_t batch_size = 64;
  std::string optimizer = "sgd";  ///< sgd | adam | adamw
  double lr = 0.01;
  double momentum = 0.9;  ///< SGD
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  double beta1 = 0.9;  ///< Adam / AdamW
  double beta2 = 0.999;
  double eps = 1e-8;
  std::string schedule = "constant";  ///< see optim::parse_schedule
  double clip_grad_norm = 0.0;        ///< 0 = no clipping
  uint64_t seed = 0;
  int64_t threads = 0;  ///< worker threads of the fast kernels; 0 = OMP_NUM_THREADS or all cores
  std::string out;      ///< the run directory
  // filled in from the data when the run starts
  Shape input_shape;  ///< (C, H, W)
  int64_t num_classes = 0;
  std::vector<std::string> class_names;
  std::vector<double> mean;  ///< per-channel normalization, from the training set
  std::vector<double> std;

  /// The config as a JSON object (config.json).
  std::string to_json() const;
  /// Parses config.json text; throws IoError naming `path` on malformed JSON or a missing key.
  static TrainConfig from_json(const std::string& text, const std::string& path);
  /// Reads DIR/config.json.
  static TrainConfig load(const std::string& run_dir);
};

}  // namespace cnnlab::train
