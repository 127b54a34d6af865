// cnnlab viz <method>: looking inside a CNN. This file is the method table; each method is in
// cli/commands/viz_<family>.cpp and its library side in include/cnnlab/viz/. docs/viz.md.
#include <cstdio>

#include "commands.hpp"
#include "viz_common.hpp"

namespace cnnlab::cli {
namespace {

struct Method {
  const char* name;
  const char* summary;
  int (*run)(const Args&);
};

const Method kMethods[] = {
    {"filters", "a grid of a conv layer's filters", &viz::run_filters},
    {"maps", "the feature maps of a layer for an image", &viz::run_maps},
    {"features", "penultimate features of test images in 2-D: PCA and t-SNE", &viz::run_features},
    {"saliency", "|d class score / d image| (Simonyan et al. 2014)", &viz::run_saliency},
    {"guided", "guided backpropagation (Springenberg et al. 2015)", &viz::run_guided},
    {"deconvnet", "deconvnet backward (Zeiler & Fergus 2014)", &viz::run_deconvnet},
    {"gradcam", "Grad-CAM of a conv layer (Selvaraju et al. 2017)", &viz::run_gradcam},
    {"class", "class visualization by gradient ascent (Yosinski et al. 2015)", &viz::run_class},
    {"dream", "DeepDream: amplify a layer's activations", &viz::run_dream},
    {"invert", "feature inversion (Mahendran & Vedaldi 2015)", &viz::run_invert},
    {"texture", "texture synthesis by Gram matching (Gatys et al. 2015)", &viz::run_texture},
    {"style", "neural style transfer (Gatys et al. 2016)", &viz::run_style},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: cnnlab viz <method> [flags]   (cnnlab viz <method> --help)\n\n");
  for (const Method& m : kMethods) std::fprintf(out, "  %-10s %s\n", m.name, m.summary);
}

}  // namespace

int run_viz(const Args& args) {
  if (args.empty()) {
    usage(stderr);
    throw UsageError("expected a method");
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const Method& m : kMethods) {
    if (name == m.name) return m.run(Args(args.begin() + 1, args.end()));
  }
  std::string known;
  for (const Method& m : kMethods) known += (known.empty() ? "" : ", ") + std::string(m.name);
  throw UsageError("unknown method '" + name + "' (methods: " + known + ")");
}

}  // namespace cnnlab::cli
