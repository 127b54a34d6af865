// The training flags shared by `cnnlab train` and `cnnlab collapse`: cli/train_options.hpp.
#include "train_options.hpp"

#include <algorithm>
#include <cstdio>

#include "cnnlab/models/registry.hpp"
#include "cnnlab/optim/lr_scheduler.hpp"

namespace cnnlab::cli {

void add_train_options(CLI::App& app, train::TrainConfig& c) {
  std::string models_help = "model to train:";
  for (const auto& m : models::model_table()) models_help += "\n  " + m.name + ": " + m.description;
  app.add_option("--model", c.model, models_help)->capture_default_str();
  app.add_option("--hidden", c.hidden, "MLP hidden widths, e.g. --hidden 256,128")
      ->delimiter(',')
      ->capture_default_str();
  add_variant_option(app, c.variant);
  app.add_option("--data", c.data,
                 "fashion-mnist (Debian's dataset-fashion-mnist), or a folder of MNIST-format IDX "
                 "files or CIFAR-10/100 binaries")
      ->capture_default_str();
  app.add_option("--train-limit", c.train_limit, "use only the first N training images (0 = all)")
      ->capture_default_str();
  app.add_option("--test-limit", c.test_limit, "evaluate on the first N test images (0 = all)")
      ->capture_default_str();
  app.add_option("--per-class", c.train_per_class,
                 "train on N images of each class (a seeded random choice), or N1,N2,... one per "
                 "class")
      ->delimiter(',');
  app.add_option("--augment-crop", c.augment_crop_padding,
                 "random crops after zero padding by this many pixels (0 = off)")
      ->capture_default_str();
  app.add_flag("--augment-flip", c.augment_flip, "random horizontal flips");
  app.add_option("--epochs", c.epochs)->capture_default_str();
  app.add_option("--batch-size", c.batch_size)->capture_default_str();
  app.add_option("--optimizer", c.optimizer, "sgd, adam or adamw")->capture_default_str();
  app.add_option("--lr", c.lr, "learning rate")->capture_default_str();
  app.add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str();
  app.add_option("--dampening", c.dampening, "SGD dampening")->capture_default_str();
  app.add_flag("--nesterov", c.nesterov, "SGD with Nesterov momentum");
  app.add_option("--weight-decay", c.weight_decay)->capture_default_str();
  app.add_option("--beta1", c.beta1, "Adam beta1")->capture_default_str();
  app.add_option("--beta2", c.beta2, "Adam beta2")->capture_default_str();
  app.add_option("--eps", c.eps, "Adam epsilon")->capture_default_str();
  app.add_option("--schedule", c.schedule,
                 "learning-rate schedule: constant, step:EPOCHS:GAMMA, multistep:E1,E2:GAMMA, "
                 "cosine:T_MAX[:ETA_MIN], warmup:STEPS+<schedule>")
      ->capture_default_str();
  app.add_option("--clip-grad-norm", c.clip_grad_norm, "clip the gradient norm (0 = off)")
      ->capture_default_str();
  app.add_option("--seed", c.seed, "seed of every random draw")->capture_default_str();
  add_threads_option(app, c.threads);
}

void check_train_options(const train::TrainConfig& c) {
  check_at_least("--threads", c.threads, 0);
  check_at_least("--epochs", c.epochs, 1);
  check_at_least("--batch-size", c.batch_size, 1);
  std::string known;
  bool found = false;
  for (const auto& m : models::model_table()) {
    found = found || m.name == c.model;
    known += (known.empty() ? "" : ", ") + m.name;
  }
  if (!found) throw UsageError("--model: unknown model '" + c.model + "' (known: " + known + ")");
  if (c.optimizer != "sgd" && c.optimizer != "adam" && c.optimizer != "adamw") {
    throw UsageError("--optimizer: expected sgd, adam or adamw, got '" + c.optimizer + "'");
  }
  try {
    optim::parse_schedule(c.schedule, c.lr);
  } catch (const ValueError& e) {
    throw UsageError(std::string("--schedule: ") + e.what());
  }
}

void check_resume_flags(const CLI::App& app, const std::string& resume_dir,
                        const std::vector<std::string>& also_allowed) {
  if (resume_dir.empty()) return;
  for (const CLI::Option* opt : app.get_options()) {
    const std::string name = opt->get_name();
    const bool allowed =
        name == "--resume" || name == "--epochs" || name == "--progress" || name == "--help" ||
        std::find(also_allowed.begin(), also_allowed.end(), name) != also_allowed.end();
    if (opt->count() > 0 && !allowed) {
      throw UsageError(name + " cannot be combined with --resume (the run keeps the settings in " +
                       resume_dir + "/config.json; only --epochs may change)");
    }
  }
}

std::string train_or_resume(const train::TrainConfig& config, const std::string& resume_dir,
                            std::optional<int64_t> epochs, const train::TrainCallbacks& callbacks,
                            Progress& progress) {
  try {
    if (resume_dir.empty()) {
      train::train(config, callbacks);
      return config.out;
    }
    train::resume(resume_dir, epochs, callbacks);
    return resume_dir;
  } catch (...) {
    progress.finish();  // the error goes on its own line, not after an open progress bar
    throw;
  }
}

train::TrainCallbacks progress_callbacks(Progress& progress) {
  train::TrainCallbacks cb;
  cb.on_step = [&progress](const train::StepProgress& p) {
    char note[64];
    std::snprintf(note, sizeof(note), "loss %.4f", p.running_loss);
    progress.update("epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs), p.images,
                    p.total_images, p.seconds, note);
  };
  cb.on_epoch = [&progress](const train::EpochMetrics& m) {
    progress.finish();
    std::printf(
        "epoch %lld  train loss %.4f  acc %.2f%%  |  test loss %.4f  acc %.2f%%  |  lr %.4g  "
        "%.1f s  %.0f img/s\n",
        static_cast<long long>(m.epoch), m.train_loss, 100 * m.train_accuracy, m.test_loss,
        100 * m.test_accuracy, m.lr, m.seconds, m.images_per_second);
    if (!m.extra.empty()) {
      std::string line = "        ";
      for (const auto& [key, value] : m.extra) {
        char item[96];
        std::snprintf(item, sizeof(item), " %s %.4g", key.c_str(), value);
        line += item;
      }
      std::printf("%s\n", line.c_str());
    }
    std::fflush(stdout);
  };
  cb.on_message = [](const std::string& text) { std::printf("%s\n", text.c_str()); };
  return cb;
}

}  // namespace cnnlab::cli
