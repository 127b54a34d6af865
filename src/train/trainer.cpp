// The training loop, checkpoints, resume, and the final evaluation of a run.
#include "cnnlab/train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cnnlab/core/backend.hpp"
#include "cnnlab/data/cifar.hpp"
#include "cnnlab/data/dataloader.hpp"
#include "cnnlab/data/image_folder.hpp"
#include "cnnlab/data/mnist.hpp"
#include "cnnlab/data/transforms.hpp"
#include "cnnlab/io/atomic_file.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/io/safetensors.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/nn/dropout.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/optim/adam.hpp"
#include "cnnlab/optim/clip_grad.hpp"
#include "cnnlab/optim/lr_scheduler.hpp"
#include "cnnlab/optim/sgd.hpp"
#include "cnnlab/train/report.hpp"

namespace cnnlab::train {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCheckpoint = "checkpoint.safetensors";
constexpr int64_t kReportImages = 36;  // misclassified test images shown in the report

std::string path_in(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

std::unique_ptr<optim::Optimizer> make_optimizer(const TrainConfig& c,
                                                 const std::vector<Tensor>& params) {
  if (c.optimizer == "sgd") {
    return std::make_unique<optim::Sgd>(params, optim::SgdOptions{.lr = c.lr,
                                                                  .momentum = c.momentum,
                                                                  .dampening = c.dampening,
                                                                  .weight_decay = c.weight_decay,
                                                                  .nesterov = c.nesterov});
  }
  if (c.optimizer == "adam") {
    return std::make_unique<optim::Adam>(
        params,
        optim::AdamOptions{
            .lr = c.lr, .betas = {c.beta1, c.beta2}, .eps = c.eps, .weight_decay = c.weight_decay});
  }
  if (c.optimizer == "adamw") {
    return std::make_unique<optim::AdamW>(
        params,
        optim::AdamWOptions{
            .lr = c.lr, .betas = {c.beta1, c.beta2}, .eps = c.eps, .weight_decay = c.weight_decay});
  }
  throw ValueError(
      detail::concat("train: unknown optimizer '", c.optimizer, "' (known: sgd, adam, adamw)"));
}

// Modules that own a random generator (Dropout), by dotted path: their state is part of the
// checkpoint, so a resumed run draws the same masks.
std::vector<std::pair<std::string, Rng*>> module_rngs(nn::Module& model) {
  std::vector<std::pair<std::string, Rng*>> out;
  for (auto& [name, m] : model.named_modules()) {
    if (auto* d = dynamic_cast<nn::Dropout*>(m)) out.emplace_back(name, &d->rng());
  }
  return out;
}

void save_checkpoint(const std::string& dir, int64_t epoch, nn::Module& model,
                     const optim::Optimizer& opt, const TrainConfig& config) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [k, v] : model.state_dict()) tensors["model." + k] = v;
  for (const auto& [k, v] : opt.state_dict()) tensors["optimizer." + k] = v;
  std::map<std::string, std::string> meta{
      {"epoch", std::to_string(epoch)}, {"model", config.model}, {"format", "cnnlab-checkpoint-1"}};
  for (auto& [name, rng] : module_rngs(model)) meta["rng." + name] = rng->state();
  io::save_safetensors(path_in(dir, kCheckpoint), tensors, meta);
  io::save_safetensors(path_in(dir, "model.safetensors"), model.state_dict(),
                       {{"model", config.model}, {"format", "pt"}});
}

// Loads a checkpoint into model and optimizer; returns the last completed epoch.
int64_t load_checkpoint(const std::string& dir, nn::Module& model, optim::Optimizer& opt,
                        const TrainConfig& config) {
  const std::string path = path_in(dir, kCheckpoint);
  const io::TensorFile f = io::load_safetensors(path);
  const auto model_name = f.metadata.find("model");
  CNNLAB_CHECK(model_name != f.metadata.end() && model_name->second == config.model, IoError,
               "resume: '", path, "' is a checkpoint of model '",
               model_name == f.metadata.end() ? "?" : model_name->second, "' but the run trains '",
               config.model, "'");
  std::map<std::string, Tensor> model_state, opt_state;
  for (const auto& [k, v] : f.tensors) {
    if (k.rfind("model.", 0) == 0) model_state[k.substr(6)] = v;
    if (k.rfind("optimizer.", 0) == 0) opt_state[k.substr(10)] = v;
  }
  try {
    model.load_state_dict(model_state);
    opt.load_state_dict(opt_state);
  } catch (const ValueError& e) {
    throw IoError(detail::concat("resume: '", path, "' does not fit the model: ", e.what()));
  }
  for (auto& [name, rng] : module_rngs(model)) {
    auto it = f.metadata.find("rng." + name);
    CNNLAB_CHECK(it != f.metadata.end(), IoError, "resume: '", path,
                 "' has no state for the Rng of ", name);
    rng->restore(it->second);
  }
  const auto epoch = f.metadata.find("epoch");
  CNNLAB_CHECK(epoch != f.metadata.end(), IoError, "resume: '", path, "' has no epoch");
  try {
    return std::stoll(epoch->second);
  } catch (const std::exception&) {
    throw IoError(
        detail::concat("resume: '", path, "' has an invalid epoch '", epoch->second, "'"));
  }
}

std::string metrics_line(const EpochMetrics& m) {
  nlohmann::ordered_json j;
  j["epoch"] = m.epoch;
  j["train_loss"] = m.train_loss;
  j["train_accuracy"] = m.train_accuracy;
  j["test_loss"] = m.test_loss;
  j["test_accuracy"] = m.test_accuracy;
  j["lr"] = m.lr;
  j["seconds"] = m.seconds;
  j["images_per_second"] = m.images_per_second;
  for (const auto& [key, value] : m.extra) j[key] = value;
  return j.dump();
}

// The metrics lines of epochs <= last_epoch (a resumed run drops lines of an unfinished epoch).
std::vector<std::string> read_metrics(const std::string& dir, int64_t last_epoch) {
  std::vector<std::string> lines;
  std::ifstream in(path_in(dir, "metrics.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("epoch") && j["epoch"].is_number_integer() &&
        j["epoch"].get<int64_t>() <= last_epoch) {
      lines.push_back(line);
    }
  }
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  io::write_atomically(path, [&](std::ostream& out) {
    for (const std::string& l : lines) out << l << '\n';
  });
}

// The end of a stop message: which checkpoint the run keeps.
std::string kept_checkpoint(const std::string& dir, int64_t failed_epoch) {
  if (failed_epoch <= 1) return "No checkpoint was written.";
  return detail::concat("The checkpoint of epoch ", failed_epoch - 1, " in '", dir, "' is intact.");
}

bool all_finite(const nn::Module& model) {
  for (const Tensor& p : model.parameters()) {
    for (double v : p.to_vector()) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

// The random training-time transforms the config asks for, or null.
std::shared_ptr<const data::Transform> augmentation(const TrainConfig& c) {
  std::vector<std::shared_ptr<const data::Transform>> steps;
  if (c.augment_crop_padding > 0) {
    steps.push_back(std::make_shared<data::RandomCrop>(Size2{c.input_shape[1], c.input_shape[2]},
                                                       c.augment_crop_padding));
  }
  if (c.augment_flip) steps.push_back(std::make_shared<data::RandomHorizontalFlip>(0.5));
  if (steps.empty()) return nullptr;
  return std::make_shared<data::Compose>(std::move(steps));
}

// The loop shared by train() and resume(): epochs start_epoch + 1 .. config.epochs.
void run_epochs(const TrainConfig& config, const DataPair& data, nn::Module& model,
                optim::Optimizer& opt, int64_t start_epoch, const TrainCallbacks& cb) {
  const Normalization norm{config.mean, config.std};
  set_num_threads(static_cast<int>(config.threads));
  data::DataLoader loader(
      data.train,
      {.batch_size = config.batch_size, .shuffle = true, .drop_last = false, .seed = config.seed},
      augmentation(config));
  const std::unique_ptr<optim::LrSchedule> schedule =
      optim::parse_schedule(config.schedule, config.lr);
  const int64_t steps = loader.num_batches();
  std::vector<std::string> metrics = read_metrics(config.out, start_epoch);

  for (int64_t epoch = start_epoch + 1; epoch <= config.epochs; ++epoch) {
    model.train();
    loader.set_epoch(epoch);
    const auto t0 = std::chrono::steady_clock::now();
    double loss_sum = 0;
    int64_t correct = 0, seen = 0, step = 0;
    double lr = config.lr;
    for (const data::Batch& batch : loader) {
      lr = schedule->lr_at(epoch - 1, step, steps);
      opt.set_lr(lr);
      const Tensor logits = model(norm.apply(batch.inputs));
      Tensor loss = ops::cross_entropy(logits, batch.targets);
      const double loss_value = loss.item();  // the main classifier's, reported in the metrics
      for (const Tensor& aux : models::take_auxiliary_logits(model)) {  // googlenet_aux
        loss = loss + ops::cross_entropy(aux, batch.targets) * models::kAuxLossWeight;
      }
      CNNLAB_CHECK(std::isfinite(loss_value), Error, "train: the loss is ", loss_value,
                   " at epoch ", epoch, ", step ", step + 1, " of ", steps,
                   "; stopped (lower --lr?). ", kept_checkpoint(config.out, epoch));
      opt.zero_grad();
      loss.backward();
      if (config.clip_grad_norm > 0) optim::clip_grad_norm(opt.parameters(), config.clip_grad_norm);
      opt.step();

      const int64_t n = batch.targets.numel();
      loss_sum += loss_value * static_cast<double>(n);
      const Tensor predicted = ops::argmax(logits.detach(), 1);
      const int64_t* p = predicted.data<int64_t>();
      const int64_t* y = batch.targets.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) correct += p[i] == y[i];
      seen += n;
      ++step;
      if (cb.on_step) {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        cb.on_step({epoch, config.epochs, step, steps, seen, data.train->size(), secs,
                    loss_sum / static_cast<double>(seen)});
      }
    }
    const double train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Evaluation test = evaluate(model, *data.test, norm);
    // a last step can leave non-finite weights behind a finite training loss: never save those
    CNNLAB_CHECK(std::isfinite(test.loss) && all_finite(model), Error,
                 "train: the model diverged in epoch ", epoch, " (test loss ", test.loss,
                 ", non-finite weights: ", !all_finite(model), "); stopped (lower --lr?). ",
                 kept_checkpoint(config.out, epoch));
    EpochMetrics m{epoch,
                   loss_sum / static_cast<double>(seen),
                   static_cast<double>(correct) / static_cast<double>(seen),
                   test.loss,
                   test.accuracy,
                   lr,
                   train_seconds,
                   static_cast<double>(seen) / train_seconds,
                   {}};
    if (cb.extra_metrics) m.extra = cb.extra_metrics(epoch, model, data, norm);
    // metrics first, then the checkpoint: a run killed in between redoes the epoch on resume,
    // and resume drops the metrics line of the epoch it redoes
    metrics.push_back(metrics_line(m));
    write_lines(path_in(config.out, "metrics.jsonl"), metrics);
    save_checkpoint(config.out, epoch, model, opt, config);
    write_report(config.out);  // the curves so far; a stopped run keeps a report
    if (cb.on_epoch) cb.on_epoch(m);
  }
  write_evaluation(config.out, model, *data.test, config);
  write_report(config.out);
}

void check_config(const TrainConfig& c) {
  CNNLAB_CHECK(c.epochs > 0, ValueError, "train: expected --epochs > 0, got ", c.epochs);
  CNNLAB_CHECK(c.batch_size > 0, ValueError, "train: expected --batch-size > 0, got ",
               c.batch_size);
  CNNLAB_CHECK(c.lr > 0 && c.lr < 3e38, ValueError, "train: expected 0 < --lr < 3e38, got ", c.lr);
  CNNLAB_CHECK(!c.out.empty(), ValueError, "train: expected an output directory (--out DIR)");
  CNNLAB_CHECK(c.augment_crop_padding >= 0, ValueError, "train: expected --augment-crop >= 0, got ",
               c.augment_crop_padding);
}

}  // namespace

namespace {
std::shared_ptr<const data::Dataset> first_n(std::shared_ptr<const data::Dataset> d, int64_t n) {
  if (n <= 0 || n >= d->size()) return d;
  std::vector<int64_t> first(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) first[static_cast<size_t>(i)] = i;
  return std::make_shared<data::Subset>(d, first);
}
}  // namespace

DataPair open_data(const std::string& spec, int64_t train_limit, int64_t test_limit) {
  DataPair d;
  if (fs::is_directory(fs::path(spec) / "train") && fs::is_directory(fs::path(spec) / "test")) {
    // image folders DIR/{train,test}/<class>/<image>: every image is resized to the size of the
    // first training image, gray if that one is gray, else RGB
    const std::string train_dir = (fs::path(spec) / "train").string();
    const data::ImageFolderDataset probe(train_dir, Size2{1, 1}, 3);
    const io::ImageInfo info = io::read_image_info(probe.path(0));
    const Size2 size{info.height, info.width};
    const int64_t channels = info.channels <= 2 ? 1 : 3;
    d.train = std::make_shared<data::ImageFolderDataset>(train_dir, size, channels);
    d.test = std::make_shared<data::ImageFolderDataset>((fs::path(spec) / "test").string(), size,
                                                        channels);
    CNNLAB_CHECK(d.test->class_names() == d.train->class_names(), IoError, "open_data: '", spec,
                 "/test' has other class folders than '", spec, "/train'");
    d.train = first_n(d.train, train_limit);
    d.test = first_n(d.test, test_limit);
    return d;
  }
  // NOTE: CIFAR binaries are recognized before resolve_data_dir, which expects IDX files.
  const int cifar = fs::is_directory(spec) ? data::cifar_version(spec) : 0;
  if (cifar == 10) {
    d.train = std::make_shared<data::Cifar10Dataset>(spec, data::Split::kTrain);
    d.test = std::make_shared<data::Cifar10Dataset>(spec, data::Split::kTest);
  } else if (cifar == 100) {
    d.train = std::make_shared<data::Cifar100Dataset>(spec, data::Split::kTrain);
    d.test = std::make_shared<data::Cifar100Dataset>(spec, data::Split::kTest);
  } else {
    const std::string dir = data::resolve_data_dir(spec);
    d.train = std::make_shared<data::MnistDataset>(dir, data::Split::kTrain);
    d.test = std::make_shared<data::MnistDataset>(dir, data::Split::kTest);
  }
  d.train = first_n(d.train, train_limit);
  d.test = first_n(d.test, test_limit);
  return d;
}

std::shared_ptr<nn::Module> build_model(const TrainConfig& c) {
  Rng rng(c.seed);
  return models::make_model(c.model,
                            {.input_shape = c.input_shape,
                             .num_classes = c.num_classes,
                             .hidden = c.hidden,
                             .small_input = models::parse_variant(c.variant)},
                            rng);
}

DataPair open_run_data(const TrainConfig& c) {
  DataPair d = open_data(c.data, c.train_limit, c.test_limit);
  const int64_t classes = d.train->num_classes();
  // one value for every class, or one per class
  auto per_class = [&](std::vector<int64_t> v, const char* what) {
    if (v.size() == 1) v.assign(static_cast<size_t>(classes), v[0]);
    CNNLAB_CHECK(static_cast<int64_t>(v.size()) == classes, ValueError, "train: expected ", what,
                 " to hold 1 or ", classes, " values (one per class), got ", v.size());
    return v;
  };
  if (!c.train_per_class.empty()) {
    for (int64_t n : c.train_per_class) {
      CNNLAB_CHECK(n >= 1, ValueError, "train: expected --per-class values >= 1, got ", n);
    }
    d.train = std::make_shared<data::Subset>(
        data::per_class_subset(d.train, per_class(c.train_per_class, "--per-class"), c.seed));
  }
  if (!c.train_repeat.empty()) {
    d.train = std::make_shared<data::Subset>(
        data::oversample_classes(d.train, per_class(c.train_repeat, "train_repeat")));
  }
  return d;
}

void train(TrainConfig config, const TrainCallbacks& cb) {
  check_config(config);
  CNNLAB_CHECK(!fs::exists(path_in(config.out, kCheckpoint)), ValueError, "train: '", config.out,
               "' already holds a run; use --resume ", config.out,
               " to continue it, or choose another --out");
  const DataPair data = open_run_data(config);
  config.input_shape = data.train->image_shape();
  config.num_classes = data.train->num_classes();
  config.class_names = data.train->class_names();
  const Normalization norm = Normalization::measure(*data.train);
  config.mean = norm.mean;
  config.std = norm.std;
  for (double& sd : config.std) {
    if (sd < 1e-6) sd = 1.0;  // NOTE: a constant channel is only centred, not divided by ~0
  }

  auto model = build_model(config);
  auto opt = make_optimizer(config, model->parameters());
  optim::parse_schedule(config.schedule, config.lr);  // reject a bad spec before writing anything

  std::error_code ec;
  fs::create_directories(config.out, ec);
  CNNLAB_CHECK(!ec, IoError, "train: cannot create the output directory '", config.out,
               "': ", ec.message());
  io::write_atomically(path_in(config.out, "config.json"),
                       [&](std::ostream& out) { out << config.to_json(); });
  write_lines(path_in(config.out, "metrics.jsonl"), {});
  run_epochs(config, data, *model, *opt, 0, cb);
}

void resume(const std::string& run_dir, std::optional<int64_t> epochs, const TrainCallbacks& cb) {
  TrainConfig config = TrainConfig::load(run_dir);
  config.out = run_dir;
  if (epochs) config.epochs = *epochs;
  check_config(config);
  const DataPair data = open_run_data(config);
  auto model = build_model(config);
  auto opt = make_optimizer(config, model->parameters());
  const int64_t done = load_checkpoint(run_dir, *model, *opt, config);
  CNNLAB_CHECK(config.epochs >= done, ValueError, "resume: '", run_dir, "' has finished ", done,
               " epochs; expected --epochs >= ", done, ", got ", config.epochs);
  if (cb.on_message) {
    cb.on_message(
        detail::concat("resuming '", run_dir, "' after epoch ", done, " of ", config.epochs));
  }
  if (epochs) {
    io::write_atomically(path_in(run_dir, "config.json"),
                         [&](std::ostream& out) { out << config.to_json(); });
  }
  run_epochs(config, data, *model, *opt, done, cb);
}

LoadedRun load_run(const std::string& run_dir) {
  LoadedRun run;
  run.config = TrainConfig::load(run_dir);
  run.model = build_model(run.config);
  const std::string path = path_in(run_dir, "model.safetensors");
  const io::TensorFile f = io::load_safetensors(path);
  try {
    run.model->load_state_dict(f.tensors);
  } catch (const ValueError& e) {
    throw IoError(detail::concat("load_run: '", path, "' does not fit model '", run.config.model,
                                 "': ", e.what()));
  }
  run.model->eval();
  run.normalization = {run.config.mean, run.config.std};
  return run;
}

Evaluation write_evaluation(const std::string& run_dir, nn::Module& model,
                            const data::Dataset& test, const TrainConfig& config) {
  const Evaluation e = evaluate(model, test, {config.mean, config.std}, 500, kReportImages);
  fs::create_directories(fs::path(run_dir) / "misclassified");
  nlohmann::ordered_json j;
  j["split"] = "test";
  j["loss"] = e.loss;
  j["accuracy"] = e.accuracy;
  j["class_names"] = config.class_names;
  j["per_class_accuracy"] = e.per_class_accuracy;
  j["confusion"] = e.confusion;
  j["misclassified"] = nlohmann::json::array();
  for (size_t i = 0; i < e.misclassified.size(); ++i) {
    const Misclassified& m = e.misclassified[i];
    char name[48];
    std::snprintf(name, sizeof(name), "misclassified/%03d.png", static_cast<int>(i));
    io::write_png(path_in(run_dir, name), test.get(m.index).image);
    j["misclassified"].push_back({{"index", m.index},
                                  {"label", m.label},
                                  {"predicted", m.predicted},
                                  {"probability", m.probability},
                                  {"image", name}});
  }
  io::write_atomically(path_in(run_dir, "eval.json"),
                       [&](std::ostream& out) { out << j.dump(2) << '\n'; });
  return e;
}

}  // namespace cnnlab::train
