// cnnlab train: train a model on a dataset into a run directory, or --resume one.
#include <cstdio>
#include <optional>

#include "train_options.hpp"

namespace cnnlab::cli {

int run_train(const Args& args) {
  CLI::App app{
      "Train a model; writes config.json, metrics.jsonl, model.safetensors, "
      "checkpoint.safetensors, eval.json and report.html to --out.",
      "cnnlab train"};
  train::TrainConfig c;
  add_train_options(app, c);
  app.add_option("--out", c.out, "the run directory to create");
  std::string resume_dir;
  app.add_option("--resume", resume_dir, "continue the run in this directory");
  std::string progress_mode = "auto";
  app.add_option("--progress", progress_mode, "auto, bar, lines or none")->capture_default_str();
  parse(app, args);

  if (resume_dir.empty() && c.out.empty()) throw UsageError("expected --out DIR (or --resume DIR)");
  check_at_least("--epochs", c.epochs, 1);
  check_resume_flags(app, resume_dir);
  if (resume_dir.empty()) check_train_options(c);
  Progress progress(Progress::parse_mode(progress_mode));
  const train::TrainCallbacks cb = progress_callbacks(progress);

  const bool epochs_given = app.count("--epochs") > 0;
  const std::string out = train_or_resume(
      c, resume_dir, epochs_given ? std::optional<int64_t>(c.epochs) : std::nullopt, cb, progress);
  std::printf("run directory: %s\nreport: %s/report.html\n", out.c_str(), out.c_str());
  return 0;
}

}  // namespace cnnlab::cli
