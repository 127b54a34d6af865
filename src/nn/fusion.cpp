// nn::conv_bn_relu and its parts: the fusion conditions, BatchNorm folding, and the fused call.
#include "cnnlab/nn/fusion.hpp"

#include <cmath>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/profiler.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/ops/conv.hpp"

namespace cnnlab::nn {
namespace {

// W' = W * s and b' = (b - mean) * s + beta per output channel, s = gamma / sqrt(var + eps).
// Accumulates in double, as the reference batch-norm kernel does.
template <typename T>
void fold(T* w_out, T* b_out, const Conv2d& conv, const BatchNormBase& bn) {
  const Tensor& w = conv.weight();
  const int64_t oc = w.size(0), per_channel = w.numel() / oc;
  const T* wp = w.data<T>();
  const T* conv_b = conv.bias().defined() ? conv.bias().data<T>() : nullptr;
  const T* mean = bn.running_mean().data<T>();
  const T* var = bn.running_var().data<T>();
  const T* gamma = bn.weight().defined() ? bn.weight().data<T>() : nullptr;
  const T* beta = bn.bias().defined() ? bn.bias().data<T>() : nullptr;
  const double eps = bn.options().eps;
  for (int64_t o = 0; o < oc; ++o) {
    const double s = (gamma ? double(gamma[o]) : 1.0) / std::sqrt(double(var[o]) + eps);
    for (int64_t k = 0; k < per_channel; ++k) {
      w_out[o * per_channel + k] = static_cast<T>(double(wp[o * per_channel + k]) * s);
    }
    const double b = conv_b ? double(conv_b[o]) : 0.0;
    b_out[o] = static_cast<T>((b - double(mean[o])) * s + (beta ? double(beta[o]) : 0.0));
  }
}

}  // namespace

bool can_fuse(const Conv2d& conv, const BatchNormBase* bn, const ReLU* relu) {
  if (bn == nullptr && relu == nullptr) return false;
  // NOTE: an ONNX export traces the model (autograd/trace.hpp) and wants each layer as itself.
  if (autograd::is_grad_enabled() || autograd::is_tracing() || conv.has_forward_hooks()) {
    return false;
  }
  if (relu != nullptr && relu->has_forward_hooks()) return false;
  if (bn == nullptr) return true;
  return !bn->is_training() && bn->options().track_running_stats && !bn->has_forward_hooks() &&
         bn->options().num_features == conv.options().out_channels &&
         bn->running_mean().dtype() == conv.weight().dtype();
}

Tensor fused_conv_bn_relu(Conv2d& conv, const BatchNormBase* bn, const ReLU* relu,
                          const Tensor& x) {
  CNNLAB_CHECK(can_fuse(conv, bn, relu), StateError,
               "conv_bn_relu: expected a fusable chain (no grad mode, BatchNorm in eval mode with "
               "running statistics of the conv's channels and dtype, no forward hooks), got ",
               conv.repr(), bn ? " -> " : "", bn ? bn->repr() : "", relu ? " -> ReLU()" : "");
  autograd::ModuleScope profile(conv);  // the fused chain is the convolution's profiler row
  Tensor weight = conv.weight(), bias = conv.bias();
  if (bn != nullptr) {
    weight = Tensor::empty(conv.weight().shape(), conv.weight().dtype());
    bias = Tensor::empty({conv.options().out_channels}, conv.weight().dtype());
    dispatch_float(weight.dtype(), "conv_bn_relu", [&](auto tag) {
      using T = decltype(tag);
      fold<T>(weight.data<T>(), bias.data<T>(), conv, *bn);
    });
  }
  Tensor y = relu != nullptr ? ops::conv2d_relu(x, weight, bias, conv.params())
                             : ops::conv2d(x, weight, bias, conv.params());
  profile.set_output(y);
  return y;
}

Tensor conv_bn_relu(Conv2d& conv, BatchNormBase* bn, ReLU* relu, const Tensor& x) {
  if (can_fuse(conv, bn, relu)) return fused_conv_bn_relu(conv, bn, relu, x);
  Tensor y = conv(x);
  if (bn != nullptr) y = (*bn)(y);
  if (relu != nullptr) y = (*relu)(y);
  return y;
}

}  // namespace cnnlab::nn
