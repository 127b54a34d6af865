// The training flags shared by `cnnlab train` and `cnnlab collapse track|minority`: one place that
// declares them (with their help), checks them after parsing, and prints a run's progress.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "cnnlab/train/trainer.hpp"
#include "progress.hpp"

namespace cnnlab::cli {

/// Adds every setting of a run (model, data, optimizer, schedule, seed, threads, ...) as flags
/// bound to `config`; --out and --resume are the caller's.
void add_train_options(CLI::App& app, train::TrainConfig& config);

/// UsageError (exit status 2) for a bad flag value: an unknown model or optimizer, a bad
/// schedule, --epochs or --batch-size below 1, --threads below 0.
void check_train_options(const train::TrainConfig& config);

/// With --resume: UsageError for any flag given other than --resume, --epochs and `also_allowed`
/// (a resumed run keeps the settings in its config.json).
void check_resume_flags(const CLI::App& app, const std::string& resume_dir,
                        const std::vector<std::string>& also_allowed = {});

/// Trains `config` into config.out, or resumes `resume_dir` when it is not empty (with
/// `epochs` as its new total when given); finishes the progress bar before an error propagates.
/// Returns the run directory.
std::string train_or_resume(const train::TrainConfig& config, const std::string& resume_dir,
                            std::optional<int64_t> epochs, const train::TrainCallbacks& callbacks,
                            Progress& progress);

/// Callbacks that print a progress bar per epoch and one line per finished epoch (followed by
/// the epoch's extra metrics, when there are any).
train::TrainCallbacks progress_callbacks(Progress& progress);

}  // namespace cnnlab::cli
