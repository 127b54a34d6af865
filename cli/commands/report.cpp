// cnnlab report: rebuild a run's report.html from its files.
#include "cnnlab/train/report.hpp"

#include <cstdio>

#include "args.hpp"

namespace cnnlab::cli {

int run_report(const Args& args) {
  CLI::App app{"Rebuild RUN/report.html from config.json, metrics.jsonl and eval.json.",
               "cnnlab report"};
  std::string run_dir;
  app.add_option("run", run_dir, "a run directory written by cnnlab train")->required();
  parse(app, args);
  train::write_report(run_dir);
  std::printf("%s/report.html\n", run_dir.c_str());
  return 0;
}

}  // namespace cnnlab::cli
