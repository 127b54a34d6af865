// cnnlab eval: accuracy, per-class accuracy and the confusion matrix of a run's model.
#include <cmath>
#include <cstdio>

#include "args.hpp"
#include "cnnlab/train/trainer.hpp"

namespace cnnlab::cli {

int run_eval(const Args& args) {
  CLI::App app{"Evaluate a run's model on its test set, or on --data.", "cnnlab eval"};
  std::string run_dir, data;
  app.add_option("run", run_dir, "a run directory written by cnnlab train")->required();
  app.add_option("--data", data, "evaluate on this dataset's test split instead");
  int64_t threads = 0;
  add_threads_option(app, threads);
  parse(app, args);
  apply_threads_option(threads);

  train::LoadedRun run = train::load_run(run_dir);
  // the run's own test set as it was evaluated (test_limit), or all of --data's
  const train::DataPair d = data.empty()
                                ? train::open_data(run.config.data, 0, run.config.test_limit)
                                : train::open_data(data);
  if (d.test->num_classes() != run.config.num_classes) {
    throw UsageError("--data: '" + data + "' has " + std::to_string(d.test->num_classes()) +
                     " classes but the model of '" + run_dir + "' has " +
                     std::to_string(run.config.num_classes));
  }
  CNNLAB_CHECK(d.test->image_shape() == run.config.input_shape, ShapeError,
               "eval: the data has images of shape ", d.test->image_shape(), " but the model of '",
               run_dir, "' takes ", run.config.input_shape);
  const train::Evaluation e = train::evaluate(*run.model, *d.test, run.normalization);
  const std::vector<std::string> names =
      data.empty() ? run.config.class_names : d.test->class_names();
  std::printf("%s on %s: %lld test images\n", run.config.model.c_str(),
              data.empty() ? run.config.data.c_str() : data.c_str(),
              static_cast<long long>(d.test->size()));
  std::printf("accuracy %.2f%%  loss %.4f\n\nper-class accuracy:\n", 100 * e.accuracy, e.loss);
  for (size_t c = 0; c < e.per_class_accuracy.size(); ++c) {
    std::printf("  %-14s %6.2f%%\n",
                c < names.size() ? names[c].c_str() : std::to_string(c).c_str(),
                100 * e.per_class_accuracy[c]);
  }
  std::printf("\nconfusion matrix (rows: true class, columns: predicted):\n%6s", "");
  for (size_t c = 0; c < e.confusion.size(); ++c) std::printf(" %5zu", c);
  std::printf("\n");
  for (size_t r = 0; r < e.confusion.size(); ++r) {
    std::printf("%5zu:", r);
    for (int64_t v : e.confusion[r]) std::printf(" %5lld", static_cast<long long>(v));
    std::printf("\n");
  }
  return 0;
}

}  // namespace cnnlab::cli
