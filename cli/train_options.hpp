// The training flags shared by `cnnlab train` and `cnnlab collapse track|minority`: one place that
// declares them (with their help), checks them after parsing, and prints a run's progress.
#pragma once

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

/// Callbacks that print a progress bar per epoch and one line per finished epoch (followed by
/// the epoch's extra metrics, when there are any).
train::TrainCallbacks progress_callbacks(Progress& progress);

}  // namespace cnnlab::cli
