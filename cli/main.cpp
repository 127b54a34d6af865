// cnnlab: the command-line tool. `cnnlab <command> [flags]`; `cnnlab <command> --help`.
// The only place that catches: a cnnlab error prints one line "cnnlab <command>: error: ..." and
// exits 1; a usage error exits 2.
#include <cstdio>
#include <string>

#include "args.hpp"
#include "cnnlab/core/error.hpp"
#include "commands.hpp"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const cnnlab::cli::Args&);
};

// The command table (Caffe's brew map, without static registration).
const Command kCommands[] = {
    {"train", "train a model on a dataset; writes a run directory", &cnnlab::cli::run_train},
    {"eval", "evaluate a run's model: accuracy, per-class accuracy, confusion matrix",
     &cnnlab::cli::run_eval},
    {"predict", "classify images with a run's model (top-k)", &cnnlab::cli::run_predict},
    {"summary", "per-layer output shapes, parameters and FLOPs of a model",
     &cnnlab::cli::run_summary},
    {"report", "rebuild a run's report.html", &cnnlab::cli::run_report},
    {"bench", "per-layer forward/backward times of a model on random data",
     &cnnlab::cli::run_bench},
    {"forward", "run a model on a NumPy batch (.npy); write the logits", &cnnlab::cli::run_forward},
    {"export", "write a run's or a state_dict's model as an ONNX graph", &cnnlab::cli::run_export},
    {"viz", "look inside a model: filters, saliency, Grad-CAM, t-SNE, DeepDream, style, ...",
     &cnnlab::cli::run_viz},
    {"collapse", "neural collapse NC1-NC4 over training; minority collapse under imbalance",
     &cnnlab::cli::run_collapse},
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: cnnlab <command> [flags]   (cnnlab <command> --help for its flags)\n\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-9s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    try {
      return c.run(cnnlab::cli::Args(argv + 2, argv + argc));
    } catch (const cnnlab::cli::HelpShown&) {
      return 0;
    } catch (const cnnlab::cli::UsageError& e) {
      std::fprintf(stderr, "cnnlab %s: usage error: %s\n", c.name, e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cnnlab %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::string known;
  for (const Command& c : kCommands) known += (known.empty() ? "" : ", ") + std::string(c.name);
  std::fprintf(stderr, "cnnlab: unknown command '%s' (commands: %s)\n", name.c_str(),
               known.c_str());
  return 2;
}
