// TrainConfig <-> config.json.
#include "cnnlab/train/config.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cnnlab/core/check.hpp"

namespace cnnlab::train {

std::string TrainConfig::to_json() const {
  nlohmann::ordered_json j;
  j["command"] = "train";
  j["model"] = model;
  j["hidden"] = hidden;
  j["variant"] = variant;
  j["data"] = data;
  j["train_limit"] = train_limit;
  j["test_limit"] = test_limit;
  j["train_per_class"] = train_per_class;
  j["train_repeat"] = train_repeat;
  j["augment_crop_padding"] = augment_crop_padding;
  j["augment_flip"] = augment_flip;
  j["epochs"] = epochs;
  j["batch_size"] = batch_size;
  j["optimizer"] = optimizer;
  j["lr"] = lr;
  j["momentum"] = momentum;
  j["dampening"] = dampening;
  j["nesterov"] = nesterov;
  j["weight_decay"] = weight_decay;
  j["beta1"] = beta1;
  j["beta2"] = beta2;
  j["eps"] = eps;
  j["schedule"] = schedule;
  j["clip_grad_norm"] = clip_grad_norm;
  j["seed"] = seed;
  j["threads"] = threads;
  j["out"] = out;
  j["input_shape"] = input_shape.dims();
  j["num_classes"] = num_classes;
  j["class_names"] = class_names;
  j["mean"] = mean;
  j["std"] = std;
  return j.dump(2) + "\n";
}

TrainConfig TrainConfig::from_json(const std::string& text, const std::string& path) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  CNNLAB_CHECK(j.is_object(), IoError, "config: '", path, "' is not a JSON object");
  TrainConfig c;
  // Keys that describe the trained model are required; settings missing from an older file keep
  // their defaults.
  auto get = [&](const char* key, auto& field) {
    static const std::vector<std::string> required = {"model",       "input_shape", "num_classes",
                                                      "class_names", "mean",        "std"};
    if (!j.contains(key)) {
      CNNLAB_CHECK(std::find(required.begin(), required.end(), key) == required.end(), IoError,
                   "config: '", path, "' has no \"", key, "\"");
      return;
    }
    try {
      j.at(key).get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw IoError(detail::concat("config: '", path, "' has a \"", key, "\" of the wrong type"));
    }
  };
  get("model", c.model);
  get("hidden", c.hidden);
  get("variant", c.variant);
  get("data", c.data);
  get("train_limit", c.train_limit);
  get("test_limit", c.test_limit);
  get("train_per_class", c.train_per_class);
  get("train_repeat", c.train_repeat);
  get("augment_crop_padding", c.augment_crop_padding);
  get("augment_flip", c.augment_flip);
  get("epochs", c.epochs);
  get("batch_size", c.batch_size);
  get("optimizer", c.optimizer);
  get("lr", c.lr);
  get("momentum", c.momentum);
  get("dampening", c.dampening);
  get("nesterov", c.nesterov);
  get("weight_decay", c.weight_decay);
  get("beta1", c.beta1);
  get("beta2", c.beta2);
  get("eps", c.eps);
  get("schedule", c.schedule);
  get("clip_grad_norm", c.clip_grad_norm);
  get("seed", c.seed);
  get("threads", c.threads);
  get("out", c.out);
  std::vector<int64_t> shape;
  get("input_shape", shape);
  c.input_shape = Shape(shape);
  get("num_classes", c.num_classes);
  get("class_names", c.class_names);
  get("mean", c.mean);
  get("std", c.std);
  return c;
}

TrainConfig TrainConfig::load(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "config.json").string();
  std::ifstream in(path);
  CNNLAB_CHECK(in.good(), IoError, "config: cannot open '", path, "' (is '", run_dir,
               "' a run directory written by cnnlab train?)");
  std::stringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path);
}

}  // namespace cnnlab::train
