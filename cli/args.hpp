// Shared helpers of the commands: CLI11 parsing with cnnlab's exit-status conventions.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "cnnlab/core/backend.hpp"
#include "cnnlab/tensor/shape.hpp"
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

/// Parses an --input shape "C x H x W" such as "1x28x28" into (C, H, W). Throws UsageError
/// ("--input: expected C x H x W such as 1x28x28, got '...'") for anything else.
inline Shape parse_input_shape(const std::string& text) {
  const std::string message = "--input: expected C x H x W such as 1x28x28, got '" + text + "'";
  Shape s;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t x = text.find('x', start);
    const std::string part =
        text.substr(start, x == std::string::npos ? std::string::npos : x - start);
    try {
      size_t used = 0;
      const long long v = std::stoll(part, &used);
      if (used != part.size() || v <= 0) throw std::invalid_argument(part);
      s.push_back(v);
    } catch (const std::exception&) {
      throw UsageError(message);
    }
    if (x == std::string::npos) break;
    start = x + 1;
  }
  if (s.rank() != 3) throw UsageError(message);
  return s;
}

/// Flag range checks after parsing: UsageError "<flag>: expected >= least, got value" (or "> 0",
/// ">= 0"), exit status 2.
inline void check_at_least(const char* flag, int64_t value, int64_t least) {
  if (value < least)
    throw UsageError(std::string(flag) + ": expected >= " + std::to_string(least) + ", got " +
                     std::to_string(value));
}
inline void check_positive(const char* flag, double value) {
  if (!(value > 0))
    throw UsageError(std::string(flag) + ": expected > 0, got " + std::to_string(value));
}
inline void check_non_negative(const char* flag, double value) {
  if (!(value >= 0))
    throw UsageError(std::string(flag) + ": expected >= 0, got " + std::to_string(value));
}

/// Adds --variant auto|small|full: which variant of a model family with a small-input variant
/// (models::parse_variant; docs/models.md).
inline CLI::Option* add_variant_option(CLI::App& app, std::string& variant) {
  return app
      .add_option("--variant", variant,
                  "auto (the small-input variant below 64x64), small or full (docs/models.md)")
      ->check(CLI::IsMember({"auto", "small", "full"}))
      ->capture_default_str();
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
