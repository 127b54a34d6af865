// Shared helpers of the commands: CLI11 parsing with cnnlab's exit-status conventions.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

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

}  // namespace cnnlab::cli
