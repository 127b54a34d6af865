// Texture synthesis and style transfer (include/cnnlab/viz/style.hpp): the Gram / content / TV
// objective over captured layers, its optimization by L-BFGS-B (viz/lbfgs.hpp) or Adam, and the
// random multi-scale network.
#include "cnnlab/viz/style.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/node.hpp"
#include "cnnlab/core/backend.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/conv2d.hpp"
#include "cnnlab/nn/flatten.hpp"
#include "cnnlab/nn/pooling.hpp"
#include "cnnlab/nn/sequential.hpp"
#include "cnnlab/ops/loss.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/optim/adam.hpp"
#include "cnnlab/viz/lbfgs.hpp"
#include "kernels/fast/gemm_blas.hpp"
#include "kernels/gemm.hpp"

namespace cnnlab::viz {
namespace {

// Thrown by the hook on the captured layers once all of them have run: ends the forward pass.
struct StopForward {};

bool valid_weight(double w) { return std::isfinite(w) && w >= 0.0; }

double squared_norm(const Tensor& t) {
  NoGradGuard no_grad;
  return (t * t).sum().item();
}

// (C, H, W) or (1, C, H, W) float -> (1, C, H, W) float32 copy outside the graph.
Tensor as_batch(const Tensor& image, const std::string& who, const char* what) {
  CNNLAB_CHECK(image.dim() == 3 || (image.dim() == 4 && image.size(0) == 1), ShapeError, who,
               ": expected the ", what, " image (C, H, W), got shape ", image.shape());
  NoGradGuard no_grad;
  Tensor x = image.detach().to(Dtype::kFloat32).clone();
  return image.dim() == 3 ? x.unsqueeze(0) : x;
}

// c = alpha * op(a) op(b) through the selected backend's gemm.
template <typename T>
void backend_gemm(T* c, const T* a, const T* b, T alpha, const kernels::GemmGeometry& g) {
  if (backend() == Backend::kFast) {
    kernels::fast::gemm<T>(c, a, b, alpha, T(0), g);
  } else {
    kernels::gemm<T>(c, a, b, alpha, T(0), g);
  }
}

// The style term of one layer as a single graph node ("gram_style_loss"):
//   features (1, C, H, W), target (1, C, C) -> ||F F^T / (C H W) - A||^2 / norm  (0-d)
// with d/dF = 4 / (C H W norm) * S F, D = F F^T / (C H W) - A, S = (D + D^T) / 2.
// NOTE: the same value as ((ops::gram_matrix(F) - A)^2).sum() / norm (a test checks it), in one
// gemm forward (F F^T without materializing F^T) and one backward, instead of the composed ops'
// transpose copies and two backward products: about 3x less time in the Gram terms of a VGG-19
// style-transfer step (bench part (g)).
template <typename T>
Tensor gram_style_loss_impl(const Tensor& features, const Tensor& target, double norm) {
  const int64_t c = features.size(1), hw = features.size(2) * features.size(3);
  const auto n = static_cast<double>(c * hw);
  const Tensor f = features.detach();
  Tensor d = Tensor::empty({c, c}, features.dtype());
  T* dp = d.data<T>();
  backend_gemm<T>(dp, f.data<T>(), f.data<T>(), static_cast<T>(1.0 / n),
                  kernels::packed_gemm(c, c, hw, false, true));
  const T* a = target.data<T>();
  double sum = 0;
  for (int64_t i = 0; i < c * c; ++i) {
    dp[i] -= a[i];
    sum += static_cast<double>(dp[i]) * static_cast<double>(dp[i]);
  }
  Tensor out = Tensor::scalar(sum / norm, features.dtype());
  if (autograd::needs_grad({features})) {
    // D's symmetric part: d/dF = 2 / (n norm) (D + D^T) F (D itself is symmetric when the
    // target is a Gram matrix, but the op does not rely on it).
    for (int64_t i = 0; i < c; ++i) {
      for (int64_t j = i + 1; j < c; ++j) {
        const T m = static_cast<T>(0.5) * (dp[i * c + j] + dp[j * c + i]);
        dp[i * c + j] = dp[j * c + i] = m;
      }
    }
    autograd::record("gram_style_loss", {features}, out,
                     [f, d, c, hw, n, norm](const Tensor& grad_output) -> std::vector<Tensor> {
                       Tensor df = Tensor::empty(f.shape(), f.dtype());
                       const auto alpha = static_cast<T>(4.0 * grad_output.item() / (n * norm));
                       backend_gemm<T>(df.data<T>(), d.data<T>(), f.data<T>(), alpha,
                                       kernels::packed_gemm(c, hw, c));
                       return {df};
                     });
  }
  return out;
}

}  // namespace

Tensor gram_style_loss(const Tensor& features, const Tensor& target, double norm) {
  CNNLAB_CHECK(features.dim() == 4 && features.size(0) == 1, ShapeError,
               "viz::gram_style_loss: expected features (1, C, H, W), got shape ",
               features.shape());
  const int64_t c = features.size(1);
  CNNLAB_CHECK(target.shape() == (Shape{1, c, c}) && target.dtype() == features.dtype(), ShapeError,
               "viz::gram_style_loss: expected a target (1, ", c, ", ", c, ") of ",
               features.dtype(), ", got shape ", target.shape(), " of ", target.dtype());
  CNNLAB_CHECK(norm > 0 && std::isfinite(norm), ValueError,
               "viz::gram_style_loss: expected norm > 0, got ", norm);
  CNNLAB_CHECK(features.numel() > 0, ShapeError,
               "viz::gram_style_loss: expected non-empty features, got shape ", features.shape());
  if (features.dtype() == Dtype::kFloat64)
    return gram_style_loss_impl<double>(features, target, norm);
  CNNLAB_CHECK(features.dtype() == Dtype::kFloat32, ValueError,
               "viz::gram_style_loss: expected float32 or float64 features, got ",
               features.dtype());
  return gram_style_loss_impl<float>(features, target, norm);
}

// ---- StyleObjective ----------------------------------------------------------------------------

StyleObjective::StyleObjective(nn::Module& model, const StyleTerms& terms, const Tensor& style,
                               const Tensor& content, const std::string& who)
    : model_(model), terms_(terms), who_(who) {
  const bool has_content = !terms.content_layer.empty();
  CNNLAB_CHECK(has_content || !terms.style_layers.empty(), ValueError, who,
               ": expected at least one style layer or a content layer, got none");
  CNNLAB_CHECK(valid_weight(terms.content_weight) && valid_weight(terms.style_weight) &&
                   valid_weight(terms.tv_weight),
               ValueError, who, ": expected finite weights >= 0, got content ",
               terms.content_weight, ", style ", terms.style_weight, ", tv ", terms.tv_weight);
  for (const WeightedLayer& l : terms.style_layers) {
    CNNLAB_CHECK(valid_weight(l.weight), ValueError, who,
                 ": expected a finite weight >= 0 for layer '", l.layer, "', got ", l.weight);
  }
  CNNLAB_CHECK(terms.style_layers.empty() || style.defined(), ValueError, who,
               ": expected a style image for the style layers, got none");
  CNNLAB_CHECK(!has_content || content.defined(), ValueError, who,
               ": expected a content image for content layer '", terms.content_layer,
               "', got none");

  // One capture per distinct layer (find_layer's ValueError lists the valid names).
  auto capture_of = [&](const std::string& name) {
    for (size_t i = 0; i < captures_.size(); ++i) {
      if (captures_[i]->layer() == name) return i;
    }
    captures_.push_back(std::make_unique<LayerCapture>(model, name, who));
    return captures_.size() - 1;
  };
  for (const WeightedLayer& l : terms.style_layers) style_capture_.push_back(capture_of(l.layer));
  if (has_content) content_capture_ = capture_of(terms.content_layer);

  try {
    for (const auto& c : captures_) {
      stop_hooks_.push_back(c->module().register_forward_hook(
          [this](nn::Module&, const Tensor&, const Tensor&) -> Tensor {
            for (const auto& other : captures_) {
              if (!other->captured()) return Tensor();
            }
            throw StopForward{};
          }));
    }
    for (const Tensor& p : model.parameters()) {
      frozen_.emplace_back(p, p.requires_grad());
      Tensor(p).set_requires_grad(false);
    }
    NoGradGuard no_grad;
    if (!terms.style_layers.empty()) {
      forward_features(as_batch(style, who, "style"));
      for (size_t i = 0; i < terms.style_layers.size(); ++i) {
        Tensor g = ops::gram_matrix(captures_[style_capture_[i]]->output()).detach();
        style_norms_.push_back(std::max(squared_norm(g), 1e-30));
        style_targets_.push_back(g);
      }
    }
    if (has_content) {
      forward_features(as_batch(content, who, "content"));
      content_target_ = captures_[content_capture_]->output().detach().clone();
      content_norm_ = std::max(squared_norm(content_target_), 1e-30);
    }
    for (const auto& c : captures_) c->clear();
  } catch (...) {
    for (size_t i = 0; i < stop_hooks_.size(); ++i) {
      captures_[i]->module().remove_forward_hook(stop_hooks_[i]);
    }
    for (auto& [p, on] : frozen_) Tensor(p).set_requires_grad(on);
    throw;
  }
}

StyleObjective::~StyleObjective() {
  for (size_t i = 0; i < stop_hooks_.size(); ++i) {
    captures_[i]->module().remove_forward_hook(stop_hooks_[i]);
  }
  for (auto& [p, on] : frozen_) Tensor(p).set_requires_grad(on);
}

Tensor StyleObjective::forward_features(const Tensor& pixels) {
  for (const auto& c : captures_) c->clear();
  const Tensor input = terms_.normalization.apply(pixels);
  try {
    model_(input);
  } catch (const StopForward&) {
  }
  for (const auto& c : captures_) c->output();  // StateError for a layer that did not run
  return input;
}

double StyleObjective::evaluate(const Tensor& pixels, Tensor* grad) {
  CNNLAB_CHECK(pixels.dim() == 4 && pixels.size(0) == 1, ShapeError, who_,
               ": expected pixels (1, C, H, W), got shape ", pixels.shape());
  Tensor x = pixels.detach().to(Dtype::kFloat32).clone();
  x.set_requires_grad(grad != nullptr);
  Parts parts;
  Tensor loss;
  {
    // Without a gradient wanted, no graph either.
    std::unique_ptr<NoGradGuard> no_grad;
    if (grad == nullptr) no_grad = std::make_unique<NoGradGuard>();
    forward_features(x);
    loss = Tensor::scalar(0.0);
    for (size_t i = 0; i < terms_.style_layers.size(); ++i) {
      const Tensor li = gram_style_loss(captures_[style_capture_[i]]->output(), style_targets_[i],
                                        style_norms_[i]);
      parts.style.push_back(li.item());
      loss = loss + li * (terms_.style_weight * terms_.style_layers[i].weight);
    }
    if (!terms_.content_layer.empty()) {
      const Tensor d = captures_[content_capture_]->output() - content_target_;
      const Tensor lc = (d * d).sum() / content_norm_;
      parts.content = lc.item();
      loss = loss + lc * terms_.content_weight;
    }
    if (terms_.tv_weight > 0) {
      const Tensor tv = ops::total_variation(x) / static_cast<double>(x.numel());
      parts.tv = tv.item();
      loss = loss + tv * terms_.tv_weight;
    }
  }
  for (const auto& c : captures_) c->clear();  // drop the graph the captures hold
  parts.total = loss.item();
  parts_ = parts;
  if (grad != nullptr) {
    if (loss.requires_grad()) {
      loss.backward();
      *grad = x.grad();
    } else {  // no term depends on the pixels (all weights 0)
      *grad = Tensor::zeros(x.shape());
    }
  }
  return parts.total;
}

// ---- optimization ------------------------------------------------------------------------------

SynthesisResult optimize_image(StyleObjective& objective, const Tensor& init,
                               const OptimizeOptions& options) {
  const std::string who = "viz::optimize_image";
  CNNLAB_CHECK(options.steps > 0, ValueError, who, ": expected steps > 0, got ", options.steps);
  CNNLAB_CHECK(options.lbfgs_history > 0, ValueError, who, ": expected lbfgs_history > 0, got ",
               options.lbfgs_history);
  CNNLAB_CHECK(options.adam_lr > 0 && std::isfinite(options.adam_lr), ValueError, who,
               ": expected adam_lr > 0, got ", options.adam_lr);
  Tensor x = as_batch(init, who, "initial");
  {
    NoGradGuard no_grad;
    x = ops::clamp(x, 0.0, 1.0);
  }
  const Shape shape = x.shape();
  SynthesisResult result;
  int64_t evaluation = 0;
  auto record = [&](double loss) {
    result.history.push_back(loss);
    if (evaluation == 0) {
      result.loss_start = loss;
      result.parts_start = objective.last_parts();
    }
    if (options.on_evaluation) options.on_evaluation(evaluation, loss);
    ++evaluation;
  };

  if (options.optimizer == ImageOptimizer::kLbfgs) {
    const std::vector<double> x0 = x.to(Dtype::kFloat64).to_vector();
    LbfgsObjective f = [&](std::span<const double> v, std::span<double> g) {
      Tensor pixels = Tensor::empty(shape);
      float* p = pixels.data<float>();
      for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<float>(v[i]);
      Tensor grad;
      const double loss = objective.evaluate(pixels, &grad);
      const float* gp = grad.data<float>();
      for (size_t i = 0; i < g.size(); ++i) g[i] = gp[i];
      record(loss);
      return loss;
    };
    const LbfgsResult r = minimize_lbfgsb(f, x0,
                                          {.max_iterations = options.steps,
                                           .max_evaluations = 2 * options.steps + 10,
                                           .history = options.lbfgs_history,
                                           .lower = 0.0,
                                           .upper = 1.0});
    result.image = Tensor::from_vector(r.x, shape).to(Dtype::kFloat32);
    result.iterations = r.iterations;
    result.stop_reason = r.stop_reason;
  } else {
    Tensor param = x.clone();
    param.set_requires_grad(true);
    optim::Adam adam({param}, {.lr = options.adam_lr});
    Tensor best = x.clone();
    double best_loss = INFINITY;
    for (int64_t step = 0; step < options.steps; ++step) {
      Tensor grad;
      const double loss = objective.evaluate(param, &grad);
      record(loss);
      if (loss < best_loss) {
        best_loss = loss;
        best = param.detach().clone();
      }
      param.set_grad(grad);
      adam.step();
      NoGradGuard no_grad;
      param.copy_(ops::clamp(param.detach(), 0.0, 1.0));
    }
    result.image = best;
    result.iterations = options.steps;
    result.stop_reason = "steps";
  }
  // The final numbers at the returned image (one more forward, no backward).
  result.loss_end = objective.evaluate(result.image, nullptr);
  result.parts_end = objective.last_parts();
  result.evaluations = evaluation;
  result.image = result.image.squeeze(0);
  return result;
}

SynthesisResult synthesize_texture(nn::Module& model, const Tensor& texture,
                                   const TextureOptions& options, Rng& rng) {
  const std::string who = "viz::synthesize_texture";
  CNNLAB_CHECK(!options.layers.empty(), ValueError, who, ": expected at least one layer, got none");
  CNNLAB_CHECK(options.height > 0 && options.width > 0, ValueError, who,
               ": expected a positive size, got ", options.height, "x", options.width);
  CNNLAB_CHECK(texture.dim() == 3, ShapeError, who,
               ": expected the texture image (C, H, W), got shape ", texture.shape());
  StyleTerms terms{.style_layers = options.layers, .normalization = options.normalization};
  StyleObjective objective(model, terms, texture, Tensor(), who);
  const Tensor init =
      Tensor::uniform({1, texture.size(0), options.height, options.width}, 0.0, 1.0, rng);
  return optimize_image(objective, init, options.optimize);
}

SynthesisResult transfer_style(nn::Module& model, const Tensor& content, const Tensor& style,
                               const StyleOptions& options, Rng& rng) {
  const std::string who = "viz::transfer_style";
  CNNLAB_CHECK(!options.style_layers.empty(), ValueError, who,
               ": expected at least one style layer, got none");
  CNNLAB_CHECK(!options.content_layer.empty(), ValueError, who,
               ": expected a content layer, got none");
  CNNLAB_CHECK(content.dim() == 3, ShapeError, who,
               ": expected the content image (C, H, W), got shape ", content.shape());
  StyleTerms terms{.style_layers = options.style_layers,
                   .content_layer = options.content_layer,
                   .content_weight = options.content_weight,
                   .style_weight = options.style_weight,
                   .tv_weight = options.tv_weight,
                   .normalization = options.normalization};
  StyleObjective objective(model, terms, style, content, who);
  const Tensor init =
      options.init_from_content ? content : Tensor::uniform(content.shape(), 0.0, 1.0, rng);
  return optimize_image(objective, init, options.optimize);
}

// ---- the random multi-scale network
// --------------------------------------------------------------

namespace {

class RandomMultiScale final : public nn::Module {
 public:
  RandomMultiScale(const MultiScaleOptions& o, Rng& rng) : Module("RandomMultiScale") {
    for (int64_t s = 0; s < o.scales; ++s) {
      auto seq = std::make_shared<nn::Sequential>();
      if (s == 0) {
        seq->push_back(std::make_shared<nn::Identity>());
      } else {
        const int64_t k = int64_t{1} << s;
        seq->push_back(std::make_shared<nn::AvgPool2d>(nn::AvgPool2dOptions{.kernel_size = k}));
      }
      auto conv = seq->push_back(
          std::make_shared<nn::Conv2d>(nn::Conv2dOptions{.in_channels = o.in_channels,
                                                         .out_channels = o.filters,
                                                         .kernel_size = o.kernel_size,
                                                         .padding = o.kernel_size / 2},
                                       rng));
      {
        NoGradGuard no_grad;
        conv->bias().fill_(0.0);
      }
      seq->push_back(std::make_shared<nn::ReLU>());
      scales_.push_back(register_module("scale" + std::to_string(s), seq));
    }
  }
  Tensor forward(const Tensor& input) override {
    Tensor out;
    for (const auto& s : scales_) out = (*s)(input);
    return out;
  }

 private:
  std::vector<std::shared_ptr<nn::Sequential>> scales_;
};

}  // namespace

std::shared_ptr<nn::Module> make_random_multiscale(const MultiScaleOptions& options, Rng& rng) {
  CNNLAB_CHECK(options.in_channels > 0 && options.scales > 0 && options.filters > 0 &&
                   options.kernel_size > 0 && options.kernel_size % 2 == 1 && options.scales <= 16,
               ValueError,
               "viz::make_random_multiscale: expected positive channels, filters, 1..16 scales and "
               "an odd kernel size, got in_channels ",
               options.in_channels, ", scales ", options.scales, ", filters ", options.filters,
               ", kernel_size ", options.kernel_size);
  return std::make_shared<RandomMultiScale>(options, rng);
}

std::vector<std::string> random_multiscale_layers(const MultiScaleOptions& options) {
  std::vector<std::string> names;
  for (int64_t s = 0; s < options.scales; ++s) names.push_back("scale" + std::to_string(s) + ".2");
  return names;
}

std::vector<WeightedLayer> parse_weighted_layers(const std::string& text, const std::string& who) {
  std::vector<WeightedLayer> layers;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    WeightedLayer l;
    const size_t colon = item.rfind(':');
    l.layer = item.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string w = item.substr(colon + 1);
      char* end = nullptr;
      l.weight = std::strtod(w.c_str(), &end);
      CNNLAB_CHECK(!w.empty() && end == w.c_str() + w.size() && valid_weight(l.weight), ValueError,
                   who, ": expected a finite layer weight >= 0, got '", w, "' in '", item, "'");
    }
    CNNLAB_CHECK(!l.layer.empty(), ValueError, who, ": expected a layer name, got '", item,
                 "' in '", text, "'");
    layers.push_back(l);
  }
  CNNLAB_CHECK(!layers.empty(), ValueError, who, ": expected a list of layers, got '", text, "'");
  return layers;
}

}  // namespace cnnlab::viz
