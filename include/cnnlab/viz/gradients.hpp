// Gradient-based explanations of a classifier's decision: saliency maps (Simonyan et al. 2014),
// guided backprop (Springenberg et al. 2015), deconvnet (Zeiler & Fergus 2014) and Grad-CAM
// (Selvaraju et al. 2017). Each runs one forward and one backward for the whole batch; guided
// backprop and deconvnet change ReLU's backward through a scoped autograd::BackwardOverride of
// the op "relu", so every model of the zoo works unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cnnlab/nn/module.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::viz {

/// The result of an input-gradient method for a batch of N images (C, H, W).
struct InputGradients {
  /// d score_c / d image, (N, C, H, W) in the images' dtype (for guided backprop and deconvnet:
  /// the modified backward's "gradient").
  Tensor gradient;
  /// Saliency: max over channels of |gradient|, (N, H, W). Filled by saliency() only.
  Tensor saliency;
  Tensor logits;                 ///< (N, K), the model's output for the images
  std::vector<int64_t> classes;  ///< the class each image's map explains (N entries)
};

/// The result of Grad-CAM for a batch of N images of H x W pixels.
struct GradCam {
  /// ReLU(sum_k w_k A_k) upsampled to (N, H, W) and divided by its maximum per image, so each
  /// map lies in [0, 1] (a map that is 0 everywhere stays 0).
  Tensor cam;
  Tensor raw_cam;  ///< ReLU(sum_k w_k A_k) at the layer's resolution, (N, h, w), unnormalized
  Tensor weights;  ///< w = the gradients averaged over h and w, (N, K): one per channel
  Tensor logits;   ///< (N, num_classes)
  std::vector<int64_t> classes;  ///< the class each map explains (N entries)
  std::string layer;
};

/// The classes to explain for N images with `num_classes` logits, from `requested`: empty ->
/// each image's predicted class (argmax of its logits; the first on ties), one entry -> that
/// class for every image, N entries -> one per image. Throws ValueError "<who>: expected a class
/// index in [0, K), got c" and ValueError for another number of entries.
std::vector<int64_t> resolve_classes(const std::string& who, const Tensor& logits,
                                     const std::vector<int64_t>& requested);

/// Saliency maps of Simonyan et al. 2014: the gradient of the class score S_c (the logit, before
/// softmax) with respect to the input image, and its maximum absolute value over the channels.
/// images: (N, C, H, W) float32/float64 as the model takes them (normalized); classes as
/// resolve_classes() takes them. One forward and one backward for the batch: each image's
/// score depends only on that image in eval mode, so d(sum_i S_ci)/d image_i = dS_ci/d image_i.
/// The model runs in eval mode for the call (each module's mode is restored afterwards) and its
/// parameters get no gradient (their requires_grad is off during the call and restored).
/// Throws ShapeError unless images is 4-D and the output (N, K); what the model throws;
/// ValueError for a bad class.
InputGradients saliency(nn::Module& model, const Tensor& images,
                        const std::vector<int64_t>& classes = {});

/// Guided backprop (Springenberg et al. 2015): the input gradient of S_c where every ReLU passes
/// back only positive gradients at positive inputs, dx = max(dy, 0) * (x > 0). Implemented as a
/// scoped BackwardOverride of "relu": PyTorch's equivalent is a backward hook on each nn.ReLU that
/// clamps the input gradient at 0. Inputs, mode handling and throws as saliency().
InputGradients guided_backprop(nn::Module& model, const Tensor& images,
                               const std::vector<int64_t>& classes = {});

/// Deconvnet (Zeiler & Fergus 2014) as a backward pass: every ReLU applies a ReLU to the
/// gradient instead of the forward mask, dx = max(dy, 0); max pooling routes through its
/// switches (its ordinary backward) and convolutions through their transposes. Scoped
/// BackwardOverride of "relu". Inputs, mode handling and throws as saliency().
InputGradients deconvnet(nn::Module& model, const Tensor& images,
                         const std::vector<int64_t>& classes = {});

/// Grad-CAM (Selvaraju et al. 2017) at `layer` (a dotted name, viz::layer_names): with A the
/// layer's output (N, K, h, w) and S_c the class score (the logit), w_k = mean over h, w of
/// dS_c/dA_k, cam = ReLU(sum_k w_k A_k), upsampled bilinearly to the input's H x W
/// (align_corners=False, PyTorch's F.interpolate(mode="bilinear") default) and divided by its
/// maximum. Any layer whose output is 4-D works (conv layers, blocks, ReLUs, pools); a layer run
/// twice in one forward uses its last output.
/// Throws ValueError naming the layer and listing every conv layer when the layer's output is not
/// 4-D, what find_layer throws for an unknown layer, StateError when the layer does not run,
/// and what saliency() throws. Mode handling as saliency().
GradCam grad_cam(nn::Module& model, const Tensor& images, const std::string& layer,
                 const std::vector<int64_t>& classes = {});

/// A per-image display of a gradient (N, C, H, W) or map (N, H, W): each image rescaled to
/// [0, 1] by its own min and max (viz::rescale_to_unit), same shape, float32.
Tensor rescale_each(const Tensor& batch);

}  // namespace cnnlab::viz
