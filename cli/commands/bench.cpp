// cnnlab bench: times a model's forward (eval) or training step (--train) on random data and
// prints a per-layer table of forward and backward times from autograd::Profiler, with the parts
// outside the layers (loss, optimizer, engine) so that the rows add up to the measured step.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "args.hpp"
#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/profiler.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/io/atomic_file.hpp"
#include "cnnlab/models/registry.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/optim/sgd.hpp"
#include "cnnlab/tensor/storage.hpp"

namespace cnnlab::cli {
namespace {

using autograd::detail::now_ns;

// NOTE: the registry does not record a model's natural input. The Fashion-MNIST models take
// 1x28x28 (summary's default); a model whose name or description says CIFAR or 32 x 32 takes
// 3x32x32. --input overrides both.
std::string default_input(const models::ModelInfo& m) {
  std::string text = m.name + " " + m.description;
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return c == ' ' ? '\0' : static_cast<char>(std::tolower(c));
  });
  text.erase(std::remove(text.begin(), text.end(), '\0'),
             text.end());  // "3 x 32 x 32" -> "3x32x32"
  const bool cifar = text.find("cifar") != std::string::npos ||
                     text.find("32x32") != std::string::npos || text.rfind("resnet", 0) == 0 ||
                     text.rfind("vgg", 0) == 0;
  return cifar ? "3x32x32" : "1x28x28";
}

std::string dims(const Shape& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out;
}

double median_ms(std::vector<int64_t> ns) {
  std::sort(ns.begin(), ns.end());
  const size_t n = ns.size();
  const double mid =
      n % 2 ? static_cast<double>(ns[n / 2]) : 0.5 * static_cast<double>(ns[n / 2 - 1] + ns[n / 2]);
  return mid * 1e-6;
}

// Per-iteration samples of one table row.
struct Samples {
  std::vector<int64_t> forward, backward;
};

// One printed row (medians in ms).
struct Line {
  std::string label, type, shape;
  double forward_ms = 0, backward_ms = 0;
  double total() const { return forward_ms + backward_ms; }
};

}  // namespace

int run_bench(const Args& args) {
  CLI::App app{
      "Time a model on random data and print per-layer forward and backward times (median over "
      "--iters iterations after --warmup ones). Eval mode without a graph, or with --train a "
      "training step: forward, cross-entropy, backward, SGD step (--lr, --momentum, "
      "--weight-decay).",
      "cnnlab bench"};
  std::string model, input, json_path, backend_text;
  int64_t batch = 64, num_classes = 10;
  int iters = 10, warmup = 3;
  int64_t threads = 0;
  bool train = false;
  std::vector<int64_t> hidden = {256, 128};
  std::string models_help = "model to time:";
  for (const auto& m : models::model_table()) models_help += "\n  " + m.name + ": " + m.description;
  app.add_option("--model", model, models_help)->required();
  app.add_option("--batch", batch, "images per step")->capture_default_str();
  app.add_flag("--train", train, "time training steps instead of inference");
  add_threads_option(app, threads);
  app.add_option("--iters", iters, "timed iterations")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed iterations first")->capture_default_str();
  app.add_option("--input", input,
                 "input shape C x H x W (default: 1x28x28, or 3x32x32 for CIFAR models)");
  app.add_option("--num-classes", num_classes)->capture_default_str();
  app.add_option("--hidden", hidden, "MLP hidden widths")->delimiter(',')->capture_default_str();
  std::string variant = "auto";
  add_variant_option(app, variant);
  app.add_option("--backend", backend_text,
                 "reference or fast (default: CNNLAB_BACKEND, else fast)");
  app.add_option("--json", json_path, "also write the numbers to this JSON file");
  double lr = 0.01, momentum = 0.9, weight_decay = 0.0;
  app.add_option("--lr", lr, "SGD learning rate (--train)")->capture_default_str();
  app.add_option("--momentum", momentum, "SGD momentum (--train)")->capture_default_str();
  app.add_option("--weight-decay", weight_decay, "SGD weight decay (--train)")
      ->capture_default_str();
  parse(app, args);

  const models::ModelInfo* info = nullptr;
  std::string names;
  for (const auto& m : models::model_table()) {
    if (m.name == model) info = &m;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  if (info == nullptr) {
    throw UsageError("--model: unknown model '" + model + "' (known: " + names + ")");
  }
  if (batch < 1) throw UsageError("--batch: expected >= 1, got " + std::to_string(batch));
  if (iters < 1) throw UsageError("--iters: expected >= 1, got " + std::to_string(iters));
  if (warmup < 0) throw UsageError("--warmup: expected >= 0, got " + std::to_string(warmup));
  if (num_classes < 1) throw UsageError("--num-classes: expected >= 1");
  if (input.empty()) input = default_input(*info);
  const Shape shape = parse_input_shape(input);
  if (!backend_text.empty()) {
    try {
      set_backend(parse_backend(backend_text));
    } catch (const ValueError& e) {
      throw UsageError(std::string("--backend: ") + e.what());
    }
  }
  apply_threads_option(threads);

  Rng rng(0);
  std::shared_ptr<nn::Module> net;
  try {
    net = models::make_model(model,
                             {.input_shape = shape,
                              .num_classes = num_classes,
                              .hidden = hidden,
                              .small_input = models::parse_variant(variant)},
                             rng);
  } catch (const ValueError& e) {
    throw UsageError(std::string("--input: ") + e.what());
  }
  net->train(train);
  const Tensor x = Tensor::normal({batch, shape[0], shape[1], shape[2]}, 0.0, 1.0, rng);
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  for (int64_t& l : labels) l = static_cast<int64_t>(rng.below(static_cast<uint64_t>(num_classes)));
  const Tensor y = Tensor::from_int64(labels, {batch});
  optim::Sgd sgd(net->parameters(), {.lr = lr, .momentum = momentum, .weight_decay = weight_decay});

  autograd::Profiler profiler;
  profiler.attach(*net);
  const size_t nrows = profiler.rows().size();
  std::vector<Samples> rows(nrows);
  std::vector<int64_t> step_ns, plain_step_ns, zero_grad_ns, loss_ns, loss_backward_ns, engine_ns,
      optimizer_ns;

  // One step; `parts` (when given) receives zero_grad, loss forward, backward call, optimizer.
  auto step = [&](int64_t* parts) {
    int64_t t[5];
    t[0] = now_ns();
    if (!train) {
      NoGradGuard no_grad;
      t[1] = t[0];
      const Tensor out = (*net)(x);
      t[2] = t[3] = t[4] = now_ns();
    } else {
      sgd.zero_grad();
      t[1] = now_ns();
      const Tensor loss = ops::cross_entropy((*net)(x), y);
      t[2] = now_ns();
      loss.backward();
      t[3] = now_ns();
      sgd.step();
      t[4] = now_ns();
    }
    if (parts != nullptr) {
      for (int i = 0; i < 4; ++i) parts[i] = t[i + 1] - t[i];
    }
    return t[4] - t[0];
  };

  for (int i = 0; i < warmup; ++i) step(nullptr);
  // tensor buffers the caching allocator had to take from the system during the timed steps
  // (0 in steady state: every step reuses the previous step's blocks)
  const int64_t fresh_before = CachingAllocator::instance().stats().fresh_allocations;
  // NOTE: profiled and plain steps alternate so that both see the same machine state; the plain
  // ones measure what the profiler itself costs.
  for (int i = 0; i < iters; ++i) {
    plain_step_ns.push_back(step(nullptr));
    profiler.reset();
    int64_t parts[4];
    int64_t total;
    {
      autograd::ProfileGuard guard(profiler);
      total = step(parts);
    }
    step_ns.push_back(total);
    int64_t model_forward = 0;
    for (size_t r = 0; r < nrows; ++r) {
      const autograd::ModuleProfile& p = profiler.rows()[r];
      rows[r].forward.push_back(p.forward_self_ns);
      rows[r].backward.push_back(p.backward_ns);
      model_forward += p.forward_self_ns;
    }
    zero_grad_ns.push_back(parts[0]);
    // the loss forward is what the forward segment spent outside the model
    loss_ns.push_back(train ? std::max<int64_t>(0, parts[1] - model_forward) : 0);
    loss_backward_ns.push_back(profiler.outside_backward_ns());
    engine_ns.push_back(std::max<int64_t>(0, parts[2] - profiler.total_backward_ns()));
    optimizer_ns.push_back(parts[3]);
  }

  // ---- the table --------------------------------------------------------------------------------
  const double measured_ms = median_ms(step_ns);
  std::vector<Line> lines;
  std::vector<size_t> shown;  // profiler rows that get a line
  for (size_t r = 0; r < nrows; ++r) {
    const autograd::ModuleProfile& p = profiler.rows()[r];
    Line l{p.path.empty() ? "(model)" : p.path, p.type_name, dims(p.output_shape),
           median_ms(rows[r].forward), median_ms(rows[r].backward)};
    if (!p.leaf) {
      // A container's own ops (a residual add, a flatten) get a line; a Sequential has none, so
      // its loop's time falls into "other".
      if (p.type_name == "Sequential") continue;
      l.label += " (self)";
    }
    lines.push_back(l);
    shown.push_back(r);
  }
  // What the lines and the named parts leave of each step (time of the containers' loops, the
  // timers themselves); each step is exactly the sum of its parts and this remainder.
  std::vector<int64_t> other_ns;
  for (size_t i = 0; i < step_ns.size(); ++i) {
    int64_t rest = step_ns[i];
    if (train) {
      rest -= zero_grad_ns[i] + loss_ns[i] + loss_backward_ns[i] + engine_ns[i] + optimizer_ns[i];
    }
    for (size_t r : shown) rest -= rows[r].forward[i] + rows[r].backward[i];
    other_ns.push_back(rest);
  }
  const double zero_grad_ms = median_ms(zero_grad_ns), loss_ms = median_ms(loss_ns),
               loss_backward_ms = median_ms(loss_backward_ns), engine_ms = median_ms(engine_ns),
               optimizer_ms = median_ms(optimizer_ns), other_ms = median_ms(other_ns);
  // NOTE: the column shows medians, so the "step" line is the sum of the medians (a typical
  // step); the measured median step is printed below it. On a quiet machine the two agree; a
  // measured median well above the sum means steps were disturbed at random places (another
  // process, OpenMP threads waiting for a core).
  double step_ms = other_ms;
  for (const Line& l : lines) step_ms += l.total();
  if (train) step_ms += zero_grad_ms + loss_ms + loss_backward_ms + engine_ms + optimizer_ms;
  const auto pct = [&](double ms) { return step_ms > 0 ? 100.0 * ms / step_ms : 0.0; };

  std::printf("%s, batch %lld, input %s, %s, %d thread%s, %s backend\n", model.c_str(),
              static_cast<long long>(batch), input.c_str(),
              train ? "training step (forward + cross-entropy + backward + SGD)"
                    : "inference (eval mode, no graph)",
              num_threads(), num_threads() == 1 ? "" : "s", backend_name(backend()));
  std::printf("median of %d iterations after %d warm-up; times in ms\n\n", iters, warmup);
  size_t w = 16;
  for (const Line& l : lines) w = std::max(w, l.label.size());
  const int width = static_cast<int>(w);
  size_t tw = 14;
  for (const Line& l : lines) tw = std::max(tw, l.type.size());
  const int type_width = static_cast<int>(tw), what_width = type_width + 16;
  std::printf("%-*s  %-*s %-15s %10s %10s %10s %6s\n", width, "layer", type_width, "type", "output",
              "forward", "backward", "total", "%");
  for (const Line& l : lines) {
    std::printf("%-*s  %-*s %-15s %10.3f %10.3f %10.3f %6.1f\n", width, l.label.c_str(), type_width,
                l.type.c_str(), l.shape.c_str(), l.forward_ms, l.backward_ms, l.total(),
                pct(l.total()));
  }
  auto extra = [&](const char* label, const char* what, double fwd, double bwd) {
    std::printf("%-*s  %-*s %10.3f %10.3f %10.3f %6.1f\n", width, label, what_width, what, fwd, bwd,
                fwd + bwd, pct(fwd + bwd));
  };
  double layers_forward_ms = 0, layers_backward_ms = 0;
  for (const Line& l : lines) {
    layers_forward_ms += l.forward_ms;
    layers_backward_ms += l.backward_ms;
  }
  std::printf("\n");
  extra("layers", "sum of the rows above", layers_forward_ms, layers_backward_ms);
  if (train) {
    extra("loss", "cross_entropy", loss_ms, loss_backward_ms);
    extra("zero_grad", "", zero_grad_ms, 0);
    extra("optimizer", "SGD step", optimizer_ms, 0);
    extra("engine", "graph walk, accumulation", 0, engine_ms);
  }
  extra("other", "unattributed remainder", other_ms, 0);
  extra("step", "sum of the medians", step_ms, 0);

  // by module type
  std::map<std::string, Line> by_type;
  std::map<std::string, int> counts;
  for (const Line& l : lines) {
    Line& t = by_type[l.type];
    t.type = l.type;
    t.forward_ms += l.forward_ms;
    t.backward_ms += l.backward_ms;
    ++counts[l.type];
  }
  std::vector<Line> types;
  for (auto& [name, t] : by_type) types.push_back(t);
  std::sort(types.begin(), types.end(),
            [](const Line& a, const Line& b) { return a.total() > b.total(); });
  std::printf("\n%-*s %6s %10s %10s %10s %6s\n", type_width, "by type", "rows", "forward",
              "backward", "total", "%");
  for (const Line& t : types) {
    std::printf("%-*s %6d %10.3f %10.3f %10.3f %6.1f\n", type_width, t.type.c_str(), counts[t.type],
                t.forward_ms, t.backward_ms, t.total(), pct(t.total()));
  }
  const int64_t fresh_allocations =
      CachingAllocator::instance().stats().fresh_allocations - fresh_before;
  const double plain_ms = median_ms(plain_step_ns);
  const double min_ms =
      1e-6 * static_cast<double>(*std::min_element(step_ns.begin(), step_ns.end()));
  const double max_ms =
      1e-6 * static_cast<double>(*std::max_element(step_ns.begin(), step_ns.end()));
  const double images_per_s =
      measured_ms > 0 ? 1e3 * static_cast<double>(batch) / measured_ms : 0.0;
  std::printf(
      "\nmeasured step: median %.3f ms (min %.3f, max %.3f), %.0f images/s; without the "
      "profiler %.3f ms, %.0f images/s\n",
      measured_ms, min_ms, max_ms, images_per_s, plain_ms,
      plain_ms > 0 ? 1e3 * static_cast<double>(batch) / plain_ms : 0.0);
  std::printf("fresh tensor allocations in the %d timed steps: %lld (0: every buffer reused)\n",
              2 * iters, static_cast<long long>(fresh_allocations));

  if (!json_path.empty()) {
    nlohmann::ordered_json j;
    j["model"] = model;
    j["batch"] = batch;
    j["input"] = std::vector<int64_t>{shape[0], shape[1], shape[2]};
    j["train"] = train;
    j["threads"] = num_threads();
    j["backend"] = backend_name(backend());
    j["iters"] = iters;
    j["warmup"] = warmup;
    j["layers"] = nlohmann::ordered_json::array();
    for (const Line& l : lines) {
      j["layers"].push_back({{"path", l.label},
                             {"type", l.type},
                             {"output_shape", l.shape},
                             {"forward_ms", l.forward_ms},
                             {"backward_ms", l.backward_ms},
                             {"percent", pct(l.total())}});
    }
    j["by_type"] = nlohmann::ordered_json::array();
    for (const Line& t : types) {
      j["by_type"].push_back({{"type", t.type},
                              {"rows", counts[t.type]},
                              {"forward_ms", t.forward_ms},
                              {"backward_ms", t.backward_ms},
                              {"percent", pct(t.total())}});
    }
    j["loss_forward_ms"] = loss_ms;
    j["loss_backward_ms"] = loss_backward_ms;
    j["zero_grad_ms"] = zero_grad_ms;
    j["optimizer_ms"] = optimizer_ms;
    j["engine_ms"] = engine_ms;
    j["fresh_allocations"] = fresh_allocations;
    j["other_ms"] = other_ms;
    j["step_ms"] = step_ms;
    j["step_measured_median_ms"] = measured_ms;
    j["step_min_ms"] = min_ms;
    j["step_max_ms"] = max_ms;
    j["images_per_second"] = images_per_s;
    j["step_without_profiler_ms"] = plain_ms;
    io::write_atomically(json_path, [&](std::ostream& out) { out << j.dump(2) << "\n"; });
    std::printf("wrote %s\n", json_path.c_str());
  }
  return 0;
}

}  // namespace cnnlab::cli
