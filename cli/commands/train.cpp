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
  if (resume_dir.empty()) check_train_options(c);
  Progress progress(Progress::parse_mode(progress_mode));
  const train::TrainCallbacks cb = progress_callbacks(progress);

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
