// Shared helpers of the commands: CLI11 parsing with cnnlab's exit-status conventions.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cnnlab/core/backend.hpp"
#include "commands.hpp"

namespace cnnlab::cli {

/// Thrown after --help was printed; main returns 0.
struct HelpShown {};

/// Parses `args` (the words after the command name) into `app`. --help prints the command's
/// flags and defaults and throws HelpShown; a bad flag throws UsageError.
inline void parse(CLI::App& app, const Args& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    throw HelpShown{};
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
}

/// Adds --threads N to a command that runs kernels: the worker threads of the fast backend.
inline CLI::Option* add_threads_option(CLI::App& app, int64_t& threads) {
  return app
      .add_option("--threads", threads,
                  "worker threads of the fast kernels (0 = OMP_NUM_THREADS, else all cores)")
      ->capture_default_str();
}

/// Checks --threads (UsageError below 0) and applies it (0 keeps OpenMP's default).
inline void apply_threads_option(int64_t threads) {
  if (threads < 0) throw UsageError("--threads: expected >= 0, got " + std::to_string(threads));
  set_num_threads(static_cast<int>(threads));
}

}  // namespace cnnlab::cli
