// Saliency, guided backprop, deconvnet and Grad-CAM: include/cnnlab/viz/gradients.hpp. All four
// share one forward + one backward of the class scores (the logits) for the whole batch, with the
// model in eval mode and its parameters frozen for the call.
#include "cnnlab/viz/gradients.hpp"

#include <algorithm>
#include <utility>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/hooks.hpp"
#include "cnnlab/core/check.hpp"
#include "cnnlab/io/image.hpp"
#include "cnnlab/ops/activation.hpp"
#include "cnnlab/ops/math.hpp"
#include "cnnlab/ops/reduce.hpp"
#include "cnnlab/ops/shape_ops.hpp"
#include "cnnlab/viz/filters.hpp"
#include "cnnlab/viz/image.hpp"
#include "cnnlab/viz/layers.hpp"

namespace cnnlab::viz {
namespace {

// A forward hook, removed on scope exit, that replaces a layer's output A by a detached leaf that
// requires grad: the backward of the class score then stops at A and leaves dS/dA in its grad().
class LeafAtLayer {
 public:
  LeafAtLayer(nn::Module& module) : module_(module) {
    id_ = module_.register_forward_hook([this](nn::Module&, const Tensor&, const Tensor& out) {
      output_ = out.detach();
      if (is_floating(output_.dtype())) output_.set_requires_grad(true);
      return output_;
    });
  }
  ~LeafAtLayer() { module_.remove_forward_hook(id_); }
  LeafAtLayer(const LeafAtLayer&) = delete;
  LeafAtLayer& operator=(const LeafAtLayer&) = delete;
  const Tensor& output() const { return output_; }

 private:
  nn::Module& module_;
  int id_ = -1;
  Tensor output_;
};

void check_images(const std::string& who, const Tensor& images) {
  CNNLAB_CHECK(images.defined() && images.dim() == 4, ShapeError, who,
               ": expected images (N, C, H, W), got ",
               images.defined() ? images.shape().str() : "an undefined tensor");
  CNNLAB_CHECK(is_floating(images.dtype()), ValueError, who,
               ": expected float32 or float64 images, got ", images.dtype());
}

void check_logits(const std::string& who, const Tensor& logits, int64_t n) {
  CNNLAB_CHECK(logits.dim() == 2 && logits.size(0) == n, ShapeError, who,
               ": expected the model to return class scores [", n, ", K], got ",
               logits.shape().str());
}

// d(sum_i logits[i, classes[i]]) / d logits: one-hot rows.
Tensor score_seed(const Tensor& logits, const std::vector<int64_t>& classes) {
  Tensor seed = Tensor::zeros(logits.shape(), logits.dtype());
  const int64_t k = logits.size(1);
  dispatch_float(seed.dtype(), "viz::score_seed", [&](auto tag) {
    using T = decltype(tag);
    T* p = seed.data<T>();
    for (size_t i = 0; i < classes.size(); ++i) p[static_cast<int64_t>(i) * k + classes[i]] = T(1);
  });
  return seed;
}

// The input gradient of the class scores, with whatever backward overrides the caller holds.
InputGradients input_gradient(const std::string& who, nn::Module& model, const Tensor& images,
                              const std::vector<int64_t>& requested) {
  check_images(who, images);
  InspectionGuard inspecting(model);
  EnableGradGuard grad_mode;
  Tensor x = images.detach().clone();
  x.set_requires_grad(true);
  Tensor logits = model(x);
  check_logits(who, logits, images.size(0));
  InputGradients out;
  out.classes = resolve_classes(who, logits, requested);
  out.logits = logits.detach();
  if (logits.requires_grad()) logits.backward(score_seed(logits, out.classes));
  out.gradient = x.grad().defined() ? x.grad() : Tensor::zeros(x.shape(), x.dtype());
  return out;
}

}  // namespace

std::vector<int64_t> resolve_classes(const std::string& who, const Tensor& logits,
                                     const std::vector<int64_t>& requested) {
  CNNLAB_CHECK(logits.dim() == 2, ShapeError, who, ": expected logits [N, K], got ",
               logits.shape().str());
  const int64_t n = logits.size(0), k = logits.size(1);
  CNNLAB_CHECK(
      requested.empty() || requested.size() == 1 || static_cast<int64_t>(requested.size()) == n,
      ValueError, who, ": expected no class, one class or one per image (", n, "), got ",
      requested.size());
  for (int64_t c : requested) {
    CNNLAB_CHECK(c >= 0 && c < k, ValueError, who, ": expected a class index in [0, ", k, "), got ",
                 c);
  }
  if (requested.size() == static_cast<size_t>(n)) return requested;
  if (requested.size() == 1) return std::vector<int64_t>(static_cast<size_t>(n), requested[0]);
  const Tensor predicted = ops::argmax(logits.detach(), 1);
  const int64_t* p = predicted.data<int64_t>();
  return std::vector<int64_t>(p, p + n);
}

InputGradients saliency(nn::Module& model, const Tensor& images,
                        const std::vector<int64_t>& classes) {
  InputGradients out = input_gradient("viz::saliency", model, images, classes);
  NoGradGuard no_grad;
  out.saliency = ops::max(ops::abs(out.gradient), 1).values;
  return out;
}

InputGradients guided_backprop(nn::Module& model, const Tensor& images,
                               const std::vector<int64_t>& classes) {
  // The ordinary rule dy * (x > 0), then only positive gradients pass.
  autograd::BackwardOverride guided("relu", [](const Tensor& dy, const autograd::Node& node) {
    return std::vector<Tensor>{ops::relu(node.apply(dy)[0])};
  });
  return input_gradient("viz::guided_backprop", model, images, classes);
}

InputGradients deconvnet(nn::Module& model, const Tensor& images,
                         const std::vector<int64_t>& classes) {
  // Zeiler & Fergus's "rectification" of the reconstruction: a ReLU of the gradient, whatever
  // the forward input was.
  autograd::BackwardOverride deconv("relu", [](const Tensor& dy, const autograd::Node&) {
    return std::vector<Tensor>{ops::relu(dy)};
  });
  return input_gradient("viz::deconvnet", model, images, classes);
}

GradCam grad_cam(nn::Module& model, const Tensor& images, const std::string& layer,
                 const std::vector<int64_t>& requested) {
  const std::string who = "viz::grad_cam";
  check_images(who, images);
  nn::Module& module = find_layer(model, layer, who);
  InspectionGuard inspecting(model);
  EnableGradGuard grad_mode;
  LeafAtLayer leaf(module);
  // NOTE: the input needs no gradient: with the parameters frozen, nothing before the layer
  // records a graph, and backward stops at the layer's output.
  Tensor logits = model(images.detach());
  check_logits(who, logits, images.size(0));
  const Tensor& a = leaf.output();
  CNNLAB_CHECK(a.defined(), StateError, who, ": layer '", layer,
               "' did not run in the forward pass");
  if (a.dim() != 4 || a.size(0) != images.size(0)) {
    std::string convs;
    for (const std::string& name : conv_layer_names(model)) {
      convs += (convs.empty() ? "" : ", ") + name;
    }
    throw ValueError(detail::concat(
        who,
        ": expected a layer with a 4-D (N, C, H, W) output such as a conv layer (conv "
        "layers: ",
        convs.empty() ? "none" : convs, "), got '", layer, "' (", module.type_name(),
        ") with output ", a.shape().str()));
  }
  GradCam out;
  out.layer = layer;
  out.classes = resolve_classes(who, logits, requested);
  out.logits = logits.detach();
  if (logits.requires_grad()) logits.backward(score_seed(logits, out.classes));

  NoGradGuard no_grad;
  const Tensor grad = a.grad().defined() ? a.grad() : Tensor::zeros(a.shape(), a.dtype());
  const Tensor activations = a.detach();
  out.weights = ops::mean(grad, {2, 3});  // (N, K)
  const int64_t n = a.size(0), k = a.size(1);
  out.raw_cam = ops::relu(ops::sum(activations * out.weights.reshape({n, k, 1, 1}), {1}));
  const int64_t height = images.size(2), width = images.size(3);
  std::vector<Tensor> maps;
  for (int64_t i = 0; i < n; ++i) {
    // NOTE: upsampling, io::resize_image is PyTorch's F.interpolate(mode="bilinear",
    // align_corners=False); its antialiasing acts only when shrinking (a layer larger than the
    // input, where it matches antialias=True).
    Tensor up = io::resize_image(out.raw_cam.narrow(0, i, 1), height, width);
    const double top = ops::max(up).item();
    maps.push_back(top > 0 ? up / top : Tensor::zeros(up.shape(), up.dtype()));
  }
  out.cam = ops::cat(maps, 0);
  return out;
}

Tensor rescale_each(const Tensor& batch) {
  CNNLAB_CHECK(batch.defined() && batch.dim() >= 1 && batch.size(0) >= 1, ShapeError,
               "viz::rescale_each: expected a batch (N, ...), got ",
               batch.defined() ? batch.shape().str() : "an undefined tensor");
  std::vector<Tensor> each;
  for (int64_t i = 0; i < batch.size(0); ++i) {
    each.push_back(rescale_to_unit(batch.narrow(0, i, 1)).to(Dtype::kFloat32));
  }
  return ops::cat(each, 0);
}

}  // namespace cnnlab::viz
