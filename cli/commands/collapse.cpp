// cnnlab collapse track|measure|minority: neural collapse over the terminal phase of training and
// minority collapse under class imbalance (docs/collapse.md). The metrics are
// analysis/collapse.hpp's; this file trains, measures and writes the files.
#include "cnnlab/analysis/collapse.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "cnnlab/io/atomic_file.hpp"
#include "cnnlab/nn/linear.hpp"
#include "cnnlab/train/report.hpp"
#include "cnnlab/viz/layers.hpp"
#include "commands.hpp"
#include "train_options.hpp"

namespace cnnlab::cli {
namespace fs = std::filesystem;
namespace {

// The papers' recipe (Papyan et al.: SGD momentum 0.9, weight decay 5e-4, batch 128, the rate
// divided by 10 at 1/3 and 2/3 of training) as the defaults of the collapse commands.
void set_recipe_defaults(train::TrainConfig& c, int64_t epochs, double lr) {
  c.epochs = epochs;
  c.batch_size = 128;
  c.lr = lr;
  c.momentum = 0.9;
  c.weight_decay = 5e-4;
}
std::string thirds_schedule(int64_t epochs) {
  return "multistep:" + std::to_string(std::max<int64_t>(1, epochs / 3)) + "," +
         std::to_string(std::max<int64_t>(2, 2 * epochs / 3)) + ":0.1";
}

// Checks --layer before any training: throws what analysis::classifier_layer throws when `layer`
// does not name the classifier of the model the config trains on `train`.
void check_layer(train::TrainConfig c, const data::Dataset& train, const std::string& layer) {
  c.input_shape = train.image_shape();
  c.num_classes = train.num_classes();
  analysis::classifier_layer(*train::build_model(c), c.num_classes, layer);
}

void add_layer_option(CLI::App& app, std::string& layer) {
  app.add_option("--layer", layer,
                 "the classifier layer (a Linear layer; default: the model's last Linear)");
}

void print_measurement(const analysis::CollapseMeasurement& m) {
  std::printf("classifier layer %s: %lld samples, %lld classes, %lld features\n", m.layer.c_str(),
              static_cast<long long>(m.metrics.samples), static_cast<long long>(m.metrics.classes),
              static_cast<long long>(m.metrics.feature_dim));
  for (const auto& [key, value] : analysis::collapse_fields(m)) {
    std::printf("  %-28s %.6g\n", key.c_str(), value);
  }
}

// ---- track -------------------------------------------------------------------------------------

int run_track(const Args& args) {
  CLI::App app{
      "Train (or continue) a run well past zero training error and record NC1-NC4 at "
      "log-spaced epochs in its metrics.jsonl; the report gets a neural-collapse section. "
      "Defaults follow Papyan et al.: 350 epochs, SGD momentum 0.9, weight decay 5e-4, batch 128, "
      "the rate divided by 10 at 1/3 and 2/3 of the epochs.",
      "cnnlab collapse track"};
  train::TrainConfig c;
  set_recipe_defaults(c, 350, 0.05);
  add_train_options(app, c);
  app.add_option("--out", c.out, "the run directory to create");
  std::string resume_dir;
  app.add_option("--resume", resume_dir,
                 "continue this run (also one written by cnnlab train); --epochs raises its total");
  int64_t points = 50;
  app.add_option("--points", points, "about this many log-spaced epochs are measured")
      ->capture_default_str();
  std::string layer;
  add_layer_option(app, layer);
  std::string progress_mode = "auto";
  app.add_option("--progress", progress_mode, "auto, bar, lines or none")->capture_default_str();
  parse(app, args);

  check_at_least("--points", points, 2);
  check_at_least("--epochs", c.epochs, 1);
  if (resume_dir.empty() == c.out.empty()) throw UsageError("expected --out DIR or --resume DIR");
  if (resume_dir.empty()) {
    if (app.count("--schedule") == 0) c.schedule = thirds_schedule(c.epochs);
    check_train_options(c);
  }
  check_resume_flags(app, resume_dir, {"--points", "--layer"});

  // check --layer (and the data) before any training
  const train::TrainConfig planned = resume_dir.empty() ? c : train::TrainConfig::load(resume_dir);
  const int64_t total =
      resume_dir.empty() || app.count("--epochs") == 0 ? planned.epochs : c.epochs;
  { check_layer(planned, *train::open_run_data(planned).train, layer); }
  const std::vector<int64_t> epochs = analysis::log_spaced_epochs(total, points);
  const std::set<int64_t> measured(epochs.begin(), epochs.end());
  std::printf("measuring neural collapse at %zu epochs of %lld\n", epochs.size(),
              static_cast<long long>(total));

  Progress progress(Progress::parse_mode(progress_mode));
  train::TrainCallbacks cb = progress_callbacks(progress);
  cb.extra_metrics = [&](int64_t epoch, nn::Module& model, const train::DataPair& data,
                         const train::Normalization& norm) {
    std::vector<std::pair<std::string, double>> fields;
    if (measured.count(epoch) == 0) return fields;
    return analysis::collapse_fields(
        analysis::measure_collapse(model, *data.train, *data.test, norm, layer));
  };
  const bool epochs_given = app.count("--epochs") > 0;
  const std::string out = train_or_resume(
      c, resume_dir, epochs_given ? std::optional<int64_t>(c.epochs) : std::nullopt, cb, progress);
  std::printf("run directory: %s\nreport: %s/report.html (section \"Neural collapse\")\n",
              out.c_str(), out.c_str());
  return 0;
}

// ---- measure -----------------------------------------------------------------------------------

int run_measure(const Args& args) {
  CLI::App app{
      "Measure NC1-NC4 of a run's model on its training set (and its loss and accuracy on the "
      "training and test sets).",
      "cnnlab collapse measure"};
  std::string run_dir;
  app.add_option("run", run_dir, "a run directory (cnnlab train or cnnlab collapse track)")
      ->required();
  std::string layer;
  add_layer_option(app, layer);
  std::string json_path;
  app.add_option("--json", json_path, "also write the numbers to this JSON file");
  int64_t threads = 0;
  add_threads_option(app, threads);
  parse(app, args);
  apply_threads_option(threads);

  train::LoadedRun run = train::load_run(run_dir);
  const train::DataPair data = train::open_run_data(run.config);
  const analysis::CollapseMeasurement m =
      analysis::measure_collapse(*run.model, *data.train, *data.test, run.normalization, layer);
  print_measurement(m);
  if (!json_path.empty()) {
    nlohmann::ordered_json j;
    j["run"] = run_dir;
    j["layer"] = m.layer;
    j["samples"] = m.metrics.samples;
    j["classes"] = m.metrics.classes;
    j["feature_dim"] = m.metrics.feature_dim;
    for (const auto& [key, value] : analysis::collapse_fields(m)) j[key] = value;
    io::write_atomically(json_path, [&](std::ostream& out) { out << j.dump(2) << '\n'; });
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}

// ---- minority ----------------------------------------------------------------------------------

std::string ratio_text(double r) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", r);
  return text;
}

// Whether the run rc.out has finished with rc's settings (eval.json is written after the last
// epoch), so that a repeated command reuses it. A run there with other settings is an error.
bool finished(const train::TrainConfig& rc) {
  if (!fs::exists(fs::path(rc.out) / "config.json")) return false;
  const train::TrainConfig old = train::TrainConfig::load(rc.out);
  CNNLAB_CHECK(old.model == rc.model && old.data == rc.data &&
                   old.train_per_class == rc.train_per_class &&
                   old.train_repeat == rc.train_repeat && old.seed == rc.seed,
               ValueError, "collapse minority: '", rc.out,
               "' holds a run with other settings (model, data, per-class counts, oversampling "
               "or seed); choose another --out");
  return fs::exists(fs::path(rc.out) / "eval.json") && old.epochs == rc.epochs;
}

int run_minority(const Args& args) {
  CLI::App app{
      "Minority collapse (Fang et al. 2021): for each imbalance ratio R, train on --per-class "
      "images of each of the first --majority classes and --per-class / R of each other class, "
      "then compare the cosines between the minority classifier rows and the test accuracies. "
      "Writes one run per ratio (OUT/R<ratio>), minority.json, minority.csv and report.html.",
      "cnnlab collapse minority"};
  train::TrainConfig c;
  set_recipe_defaults(c, 60, 0.05);
  c.train_per_class = {600};
  add_train_options(app, c);
  app.add_option("--out", c.out, "the experiment directory")->required();
  int64_t majority = 5;
  app.add_option("--majority", majority, "K_A: classes 0..K_A-1 are the majority")
      ->capture_default_str();
  std::vector<double> ratios = {1, 10, 100};
  app.add_option("--ratios", ratios, "imbalance ratios R >= 1, e.g. 1,10,100")
      ->delimiter(',')
      ->capture_default_str();
  int64_t oversample = 1;
  app.add_option("--oversample", oversample,
                 "show each minority image this many times per epoch (the mitigation of the "
                 "paper's Fig. 6; 1 = off)")
      ->capture_default_str();
  std::string layer;
  add_layer_option(app, layer);
  std::string progress_mode = "auto";
  app.add_option("--progress", progress_mode, "auto, bar, lines or none")->capture_default_str();
  parse(app, args);

  if (app.count("--schedule") == 0) c.schedule = thirds_schedule(c.epochs);
  check_train_options(c);
  check_at_least("--oversample", oversample, 1);
  if (c.train_per_class.size() != 1) {
    throw UsageError("--per-class: expected one count (the majority classes' images), got " +
                     std::to_string(c.train_per_class.size()));
  }
  const int64_t n = c.train_per_class[0];
  for (double r : ratios) {
    CNNLAB_CHECK(std::isfinite(r) && r >= 1, ValueError,
                 "collapse minority: expected ratios R >= 1, got ", r);
    CNNLAB_CHECK(std::floor(static_cast<double>(n) / r) >= 1, ValueError,
                 "collapse minority: ratio ", r, " leaves floor(", n, " / ", r,
                 ") = 0 images per minority class; expected at least 1");
  }
  // the classes, the layer and every run's counts are checked before the first run trains
  const train::DataPair probe = train::open_data(c.data, c.train_limit, c.test_limit);
  const int64_t classes = probe.train->num_classes();
  CNNLAB_CHECK(majority >= 1 && majority < classes, ValueError,
               "collapse minority: expected 1 <= --majority < ", classes, " classes, got ",
               majority);
  check_layer(c, *probe.train, layer);
  std::vector<train::TrainConfig> runs;
  for (double r : ratios) {
    train::TrainConfig rc = c;
    rc.out = (fs::path(c.out) / ("R" + ratio_text(r))).string();
    const auto minor = static_cast<int64_t>(std::floor(static_cast<double>(n) / r));
    rc.train_per_class.assign(static_cast<size_t>(classes), minor);
    std::fill(rc.train_per_class.begin(), rc.train_per_class.begin() + majority, n);
    if (oversample > 1) {
      rc.train_repeat.assign(static_cast<size_t>(classes), oversample);
      std::fill(rc.train_repeat.begin(), rc.train_repeat.begin() + majority, 1);
    }
    train::open_run_data(rc);  // throws when a class has fewer images than rc asks for
    runs.push_back(rc);
  }
  std::error_code ec;
  fs::create_directories(c.out, ec);
  CNNLAB_CHECK(!ec, IoError, "collapse minority: cannot create '", c.out, "': ", ec.message());

  std::vector<int64_t> major_rows, minor_rows;
  for (int64_t k = 0; k < classes; ++k) (k < majority ? major_rows : minor_rows).push_back(k);
  nlohmann::ordered_json rows = nlohmann::json::array();
  Progress progress(Progress::parse_mode(progress_mode));
  for (size_t i = 0; i < runs.size(); ++i) {
    const train::TrainConfig& rc = runs[i];
    std::printf(
        "== R = %s: %lld images in each of %lld majority classes, %lld in each minority "
        "class -> %s\n",
        ratio_text(ratios[i]).c_str(), static_cast<long long>(n), static_cast<long long>(majority),
        static_cast<long long>(rc.train_per_class.back()), rc.out.c_str());
    std::fflush(stdout);
    if (finished(rc)) {
      std::printf("finished earlier; reusing it\n");
    } else {
      const bool started = fs::exists(fs::path(rc.out) / "checkpoint.safetensors");
      train_or_resume(rc, started ? rc.out : std::string(), rc.epochs, progress_callbacks(progress),
                      progress);
    }
    train::LoadedRun run = train::load_run(rc.out);
    const train::DataPair data = train::open_run_data(rc);
    const std::string name = analysis::classifier_layer(*run.model, classes, layer);
    const Tensor& w =
        dynamic_cast<const nn::Linear&>(viz::find_layer(*run.model, name, "collapse minority"))
            .weight();
    const train::Evaluation test = train::evaluate(*run.model, *data.test, run.normalization);
    const train::Evaluation fit = train::evaluate(*run.model, *data.train, run.normalization);
    auto accuracy_of = [&](const std::vector<int64_t>& cls) {
      int64_t right = 0, all = 0;
      for (int64_t k : cls) {
        const auto& row = test.confusion[static_cast<size_t>(k)];
        right += row[static_cast<size_t>(k)];
        for (int64_t v : row) all += v;
      }
      return all == 0 ? 0.0 : static_cast<double>(right) / static_cast<double>(all);
    };
    nlohmann::ordered_json row;
    row["ratio"] = ratios[i];
    row["run"] = "R" + ratio_text(ratios[i]);
    row["majority_images_per_class"] = n;
    row["minority_images_per_class"] = rc.train_per_class.back();
    row["minority_cosine"] = analysis::mean_pairwise_cosine(w, minor_rows);
    row["majority_cosine"] = major_rows.size() >= 2
                                 ? nlohmann::json(analysis::mean_pairwise_cosine(w, major_rows))
                                 : nlohmann::json(nullptr);
    row["train_accuracy"] = fit.accuracy;
    row["test_accuracy"] = test.accuracy;
    row["majority_test_accuracy"] = accuracy_of(major_rows);
    row["minority_test_accuracy"] = accuracy_of(minor_rows);
    std::printf(
        "R = %s: minority cosine %.4f, majority cosine %s, test accuracy %.2f%% (majority "
        "%.2f%%, minority %.2f%%), train accuracy %.2f%%\n",
        ratio_text(ratios[i]).c_str(), row["minority_cosine"].get<double>(),
        row["majority_cosine"].is_null()
            ? "n/a"
            : detail::concat(std::round(row["majority_cosine"].get<double>() * 1e4) / 1e4).c_str(),
        100 * test.accuracy, 100 * row["majority_test_accuracy"].get<double>(),
        100 * row["minority_test_accuracy"].get<double>(), 100 * fit.accuracy);
    std::fflush(stdout);
    rows.push_back(row);
  }

  nlohmann::ordered_json j;
  j["model"] = c.model;
  j["data"] = c.data;
  j["classes"] = classes;
  j["majority_classes"] = majority;
  j["majority_images_per_class"] = n;
  j["oversample"] = oversample;
  j["epochs"] = c.epochs;
  j["layer"] = layer.empty() ? "(last Linear)" : layer;
  j["ratios"] = rows;
  io::write_atomically((fs::path(c.out) / "minority.json").string(),
                       [&](std::ostream& out) { out << j.dump(2) << '\n'; });
  io::write_atomically((fs::path(c.out) / "minority.csv").string(), [&](std::ostream& out) {
    out << "ratio,minority_images_per_class,minority_cosine,majority_cosine,test_accuracy,"
           "majority_test_accuracy,minority_test_accuracy,train_accuracy\n";
    for (const auto& r : rows) {
      out << r["ratio"].get<double>() << ',' << r["minority_images_per_class"].get<int64_t>() << ','
          << r["minority_cosine"].get<double>() << ','
          << (r["majority_cosine"].is_null() ? std::string()
                                             : detail::concat(r["majority_cosine"].get<double>()))
          << ',' << r["test_accuracy"].get<double>() << ','
          << r["majority_test_accuracy"].get<double>() << ','
          << r["minority_test_accuracy"].get<double>() << ',' << r["train_accuracy"].get<double>()
          << '\n';
    }
  });
  train::write_minority_report(c.out);
  std::printf("experiment directory: %s\nreport: %s/report.html\n", c.out.c_str(), c.out.c_str());
  return 0;
}

struct Verb {
  const char* name;
  const char* summary;
  int (*run)(const Args&);
};

const Verb kVerbs[] = {
    {"track", "train past zero training error, recording NC1-NC4 at log-spaced epochs", &run_track},
    {"measure", "NC1-NC4 of one run's model", &run_measure},
    {"minority", "minority collapse: classifier cosines and accuracies against the imbalance",
     &run_minority},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: cnnlab collapse <verb> [flags]   (cnnlab collapse <verb> --help)\n\n");
  for (const Verb& v : kVerbs) std::fprintf(out, "  %-9s %s\n", v.name, v.summary);
}

}  // namespace

int run_collapse(const Args& args) {
  if (args.empty()) {
    usage(stderr);
    throw UsageError("expected a verb");
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const Verb& v : kVerbs) {
    if (name == v.name) return v.run(Args(args.begin() + 1, args.end()));
  }
  std::string known;
  for (const Verb& v : kVerbs) known += (known.empty() ? "" : ", ") + std::string(v.name);
  throw UsageError("unknown verb '" + name + "' (verbs: " + known + ")");
}

}  // namespace cnnlab::cli
