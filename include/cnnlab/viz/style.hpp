// Texture synthesis (Gatys, Ecker & Bethge 2015) and neural style transfer (Gatys, Ecker & Bethge
// 2016) for any model: an image is optimized so that the Gram matrices of chosen layers match
// those of a texture / style image (and, for style transfer, one layer's features match a content
// image's), by L-BFGS-B (pixels kept in [0, 1]) or Adam. Also the random-weight multi-scale
// network of Ustyuzhaninov et al. 2017, the default network where no pretrained weights exist.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"
#include "cnnlab/train/evaluate.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {

/// A layer (dotted name, as viz::layer_names lists) and its weight in a sum of losses.
struct WeightedLayer {
  std::string layer;
  double weight = 1.0;
};

/// What the optimized image must match.
///
/// loss = content_weight * L_content + style_weight * sum_l w_l L_style,l + tv_weight * L_tv:
///   L_content  = ||F(x) - F(c)||^2 / ||F(c)||^2          at content_layer
///   L_style,l  = ||G_l(x) - G_l(s)||^2 / ||G_l(s)||^2    G = ops::gram_matrix (F F^T / (C H W))
///   L_tv       = ops::total_variation(x, 2) / (C H W)    on the pixels x in [0, 1]
/// NOTE: each feature term is divided by the squared norm of its target (a relative error) rather
/// than Gatys' 1/(4 N^2 M^2): activations of different models and layers differ in scale by
/// orders of magnitude, and relative terms make the weights mean the same for every zoo model
/// (and make "the loss fell 10x" a statement about the match, not the scale).
struct StyleTerms {
  std::vector<WeightedLayer> style_layers{};  ///< Gram-matched layers; may be empty with content
  std::string content_layer{};                ///< empty: no content term
  double content_weight = 1.0;
  double style_weight = 1.0;
  double tv_weight = 0.0;
  /// Maps pixels in [0, 1] to the model's input: (x - mean) / std per channel (empty: identity).
  train::Normalization normalization{};
};

/// The loss of StyleTerms as a function of the image, with its gradient: what L-BFGS / Adam call
/// each iteration (one forward to the deepest needed layer, the losses, one backward).
///
/// While it lives, the model's parameters have requires_grad off (so backward computes no weight
/// gradients; restored by the destructor) and forward hooks on the chosen layers capture their
/// outputs. NOTE: once every chosen layer has run, a hook ends the forward pass by an internal
/// exception, so layers after the deepest chosen one (VGG's classifier, say) are never computed;
/// this is what "the features up to conv5_1" means for any model, branched ones included.
/// Put the model in eval mode first (dropout or batch statistics would make the loss random).
class StyleObjective {
 public:
  /// The unweighted parts of the latest evaluation.
  struct Parts {
    double total = 0;
    double content = 0;         ///< L_content (0 without content layer)
    std::vector<double> style;  ///< L_style,l per style layer, in order
    double tv = 0;              ///< L_tv
  };

  /// style (C, Hs, Ws) and content (C, H, W) images in [0, 1], float32, as the model takes them
  /// (after normalization); style may be undefined without style layers, content without a
  /// content layer. The targets (Grams, content features) are computed here.
  /// Throws ValueError for unknown layers (listing the valid ones), no term at all, negative or
  /// non-finite weights, a missing image a term needs; ShapeError for an image that is not 3-D;
  /// StateError when a chosen layer does not run; what the model throws on a wrong input.
  /// `who` names the caller in messages ("viz::transfer_style").
  StyleObjective(nn::Module& model, const StyleTerms& terms, const Tensor& style,
                 const Tensor& content, const std::string& who = "viz::StyleObjective");
  ~StyleObjective();
  StyleObjective(const StyleObjective&) = delete;
  StyleObjective& operator=(const StyleObjective&) = delete;

  /// pixels (1, C, H, W) float32 -> the loss; when grad is non-null it receives d loss / d pixels
  /// (1, C, H, W) float32. Throws ShapeError unless pixels is 4-D with batch 1.
  double evaluate(const Tensor& pixels, Tensor* grad);
  const Parts& last_parts() const { return parts_; }
  const StyleTerms& terms() const { return terms_; }

 private:
  Tensor forward_features(const Tensor& pixels);  // runs the model until every capture is taken
  nn::Module& model_;
  StyleTerms terms_;
  std::string who_;
  std::vector<std::unique_ptr<LayerCapture>> captures_;  // one per distinct layer
  std::vector<size_t> style_capture_;                    // capture index of each style layer
  size_t content_capture_ = 0;
  std::vector<int> stop_hooks_;        // ids on the captured modules
  std::vector<Tensor> style_targets_;  // (1, C, C) Grams
  std::vector<double> style_norms_;    // ||G(s)||^2
  Tensor content_target_;
  double content_norm_ = 1.0;
  std::vector<std::pair<Tensor, bool>> frozen_;  // parameters and their requires_grad
  Parts parts_;
};

/// One style term as a single differentiable op (what StyleObjective uses):
/// features (1, C, H, W), target (1, C, C) -> 0-d ||gram_matrix(features) - target||^2 / norm,
/// with ops::gram_matrix's normalization F F^T / (C H W). Float32 or float64 (one dtype).
/// Throws ShapeError for other shapes or mixed dtypes, ValueError unless norm > 0.
Tensor gram_style_loss(const Tensor& features, const Tensor& target, double norm);

enum class ImageOptimizer { kLbfgs, kAdam };

/// How the image is optimized.
struct OptimizeOptions {
  int64_t steps = 100;  ///< L-BFGS iterations or Adam steps; > 0
  ImageOptimizer optimizer = ImageOptimizer::kLbfgs;
  /// L-BFGS: objective calls are capped at 2 * steps + 10 (line searches may take several).
  int64_t lbfgs_history = 10;
  double adam_lr = 0.02;  ///< Adam's learning rate in pixel units; pixels clamped to [0, 1]
  /// Called after every objective evaluation with its index (0-based) and loss; may be empty.
  std::function<void(int64_t evaluation, double loss)> on_evaluation{};
};

/// What an optimization produced.
struct SynthesisResult {
  Tensor image;           ///< (C, H, W) float32 in [0, 1]: the best image evaluated
  double loss_start = 0;  ///< at the initial image
  double loss_end = 0;    ///< at `image`
  StyleObjective::Parts parts_start, parts_end;  ///< unweighted parts at both ends
  std::vector<double> history;                   ///< the loss of every evaluation
  int64_t iterations = 0;   ///< L-BFGS iterations (-1: solver left early) or Adam steps
  int64_t evaluations = 0;  ///< objective calls (one forward + backward each)
  std::string stop_reason;  ///< see LbfgsResult::stop_reason; "steps" for Adam
};

/// Minimizes objective over images in [0, 1] from init (1, C, H, W) or (C, H, W).
/// Throws ValueError for steps, history <= 0 or adam_lr <= 0; what the objective throws.
SynthesisResult optimize_image(StyleObjective& objective, const Tensor& init,
                               const OptimizeOptions& options);

/// Texture synthesis: an image of height x width whose Gram matrices at `layers` match those of
/// `texture` (C, H, W) in [0, 1], from uniform noise in [0, 1] drawn from rng.
struct TextureOptions {
  std::vector<WeightedLayer> layers{};  ///< required, non-empty
  int64_t height = 128;
  int64_t width = 128;
  train::Normalization normalization{};
  OptimizeOptions optimize{};
};
/// Throws ValueError for no layers, non-positive sizes; what StyleObjective and optimize_image
/// throw.
SynthesisResult synthesize_texture(nn::Module& model, const Tensor& texture,
                                   const TextureOptions& options, Rng& rng);

/// Style transfer: an image of the content's size with content's features at content_layer and
/// style's Grams at style_layers, from the content image or from noise.
struct StyleOptions {
  std::vector<WeightedLayer> style_layers{};  ///< required, non-empty
  std::string content_layer{};                ///< required
  double content_weight = 1.0;
  double style_weight = 10.0;
  double tv_weight = 0.0;
  bool init_from_content = true;  ///< false: uniform noise in [0, 1] from rng
  train::Normalization normalization{};
  OptimizeOptions optimize{};
};
/// content (C, H, W), style (C, Hs, Ws) in [0, 1]. Throws ValueError for no style layers or no
/// content layer; what StyleObjective and optimize_image throw.
SynthesisResult transfer_style(nn::Module& model, const Tensor& content, const Tensor& style,
                               const StyleOptions& options, Rng& rng);

/// The random multi-scale network (after Ustyuzhaninov et al. 2017, "What does it take to
/// generate natural textures?"): one layer of random filters applied to the image at several
/// scales. Children "scale0" ... "scale<S-1>", each an nn::Sequential of
///   0: AvgPool2d(2^s) (Identity at s = 0)   1: Conv2d(in, filters, kernel, padding kernel/2)
///   2: ReLU
/// so scale s sees a receptive field of kernel * 2^s pixels. Weights uniform in
/// [-1/sqrt(fan_in), 1/sqrt(fan_in)] (Conv2d's default), biases 0. forward (N, in, H, W) runs
/// every scale (each needs H, W >= 2^s) and returns the last scale's map.
/// NOTE: the paper uses one scale of very large filters (up to 55x55); pooling the image instead
/// gives the same receptive fields at a fraction of the cost on a CPU.
struct MultiScaleOptions {
  int64_t in_channels = 3;
  int64_t scales = 5;
  int64_t filters = 128;
  int64_t kernel_size = 5;
};
/// Throws ValueError for non-positive options or an even kernel_size.
std::shared_ptr<nn::Module> make_random_multiscale(const MultiScaleOptions& options, Rng& rng);
/// "scale0.2", ... "scale<S-1>.2": the ReLU outputs, the default texture / style layers.
std::vector<std::string> random_multiscale_layers(const MultiScaleOptions& options);

/// Parses "name[:weight],name[:weight],..." (weight 1 when absent). Throws ValueError on an empty
/// list, an empty name, or a weight that is not a finite number >= 0.
std::vector<WeightedLayer> parse_weighted_layers(const std::string& text, const std::string& who);

}  // namespace cnnlab::viz
