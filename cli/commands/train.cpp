// cnnlab train: train a model on a dataset into a run directory, or --resume one.
#include <cstdio>
#include <optional>

#include "args.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/optim/lr_scheduler.hpp"
#include "cnnlab/train/trainer.hpp"
#include "progress.hpp"

namespace cnnlab::cli {

int run_train(const Args& args) {
  CLI::App app{
      "Train a model; writes config.json, metrics.jsonl, model.safetensors, "
      "checkpoint.safetensors, eval.json and report.html to --out.",
      "cnnlab train"};
  train::TrainConfig c;
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
  app.add_option("--out", c.out, "the run directory to create");
  std::string resume_dir;
  app.add_option("--resume", resume_dir, "continue the run in this directory");
  std::string progress_mode = "auto";
  app.add_option("--progress", progress_mode, "auto, bar, lines or none")->capture_default_str();
  parse(app, args);

  if (resume_dir.empty() && c.out.empty()) throw UsageError("expected --out DIR (or --resume DIR)");
  if (c.threads < 0) throw UsageError("--threads: expected >= 0, got " + std::to_string(c.threads));
  if (c.epochs < 1) throw UsageError("--epochs: expected >= 1, got " + std::to_string(c.epochs));
  if (c.batch_size < 1) {
    throw UsageError("--batch-size: expected >= 1, got " + std::to_string(c.batch_size));
  }
  if (!resume_dir.empty()) {
    // a resumed run keeps its saved settings: refuse flags that would be silently ignored
    for (const CLI::Option* opt : app.get_options()) {
      const std::string name = opt->get_name();
      if (opt->count() > 0 && name != "--resume" && name != "--epochs" && name != "--progress" &&
          name != "--help") {
        throw UsageError(name +
                         " cannot be combined with --resume (the run keeps the settings in " +
                         resume_dir + "/config.json; only --epochs may change)");
      }
    }
  }
  if (resume_dir.empty()) {
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
  Progress progress(Progress::parse_mode(progress_mode));
  train::TrainCallbacks cb;
  cb.on_step = [&](const train::StepProgress& p) {
    char note[64];
    std::snprintf(note, sizeof(note), "loss %.4f", p.running_loss);
    progress.update("epoch " + std::to_string(p.epoch) + "/" + std::to_string(p.epochs), p.images,
                    p.total_images, p.seconds, note);
  };
  cb.on_epoch = [&](const train::EpochMetrics& m) {
    progress.finish();
    std::printf(
        "epoch %lld  train loss %.4f  acc %.2f%%  |  test loss %.4f  acc %.2f%%  |  lr %.4g  "
        "%.1f s  %.0f img/s\n",
        static_cast<long long>(m.epoch), m.train_loss, 100 * m.train_accuracy, m.test_loss,
        100 * m.test_accuracy, m.lr, m.seconds, m.images_per_second);
    std::fflush(stdout);
  };
  cb.on_message = [&](const std::string& text) { std::printf("%s\n", text.c_str()); };

  std::string out = c.out;
  try {
    if (!resume_dir.empty()) {
      const bool epochs_given = app.count("--epochs") > 0;
      train::resume(resume_dir, epochs_given ? std::optional<int64_t>(c.epochs) : std::nullopt, cb);
      out = resume_dir;
    } else {
      train::train(c, cb);
    }
  } catch (...) {
    progress.finish();  // the error goes on its own line, not after an open progress bar
    throw;
  }
  std::printf("run directory: %s\nreport: %s/report.html\n", out.c_str(), out.c_str());
  return 0;
}

}  // namespace cnnlab::cli
