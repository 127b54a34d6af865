// The cnnlab commands: one function per command, each in cli/commands/<name>.cpp, listed in the
// table in cli/main.cpp. Each takes the arguments after the command name and returns the exit
// status (0 ok, 1 runtime error, 2 usage error); errors are thrown and reported by main.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace cnnlab::cli {

using Args = std::vector<std::string>;

int run_train(const Args& args);
int run_eval(const Args& args);
int run_predict(const Args& args);
int run_summary(const Args& args);
int run_report(const Args& args);
int run_bench(const Args& args);
int run_forward(const Args& args);
int run_export(const Args& args);
int run_viz(const Args& args);
int run_collapse(const Args& args);

/// Thrown for a usage error after CLI11 parsing (a bad combination of flags): exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace cnnlab::cli
