// Inference-time fusion of Conv2d -> BatchNorm2d -> ReLU chains: BatchNorm folded into the
// convolution's weight and bias, ReLU run as the convolution's post-op (ops::conv2d_relu).
// Sequential applies it to adjacent children; model blocks (ResNet) call conv_bn_relu.
//
// It applies only where it cannot change anything a user sees: no gradient is being recorded
// (NoGradGuard: eval, predict, forward, bench), no op trace is active (ONNX export), the
// BatchNorm is in eval mode with running statistics, and none of the modules has a forward hook
// (so feature-map and DeepDream hooks see each layer's own output). Otherwise the modules run one
// by one, as written. Under the profiler a fused chain appears as its convolution's row.
// docs/fast_backend.md ("Fusion").
#pragma once

#include "cnnlab/nn/activations.hpp"
#include "cnnlab/nn/batch_norm.hpp"
#include "cnnlab/nn/conv2d.hpp"

namespace cnnlab::nn {

/// Whether conv -> bn -> relu can run fused now (see above); bn and relu may be nullptr (absent),
/// and fusing needs at least one of them. False, rather than an error, for a BatchNorm whose
/// channel count or dtype does not match the convolution's: the unfused chain then reports it.
bool can_fuse(const Conv2d& conv, const BatchNormBase* bn, const ReLU* relu);

/// relu(bn(conv(x))), with bn and relu optional (nullptr), as one convolution with
///   s = weight_bn / sqrt(running_var + eps),   W' = W * s (per output channel),
///   b' = (b_conv - running_mean) * s + bias_bn,
/// (weight_bn = 1 and bias_bn = 0 without affine; b_conv = 0 without a conv bias) and the ReLU
/// as its post-op. W' and b' are recomputed at each call (O(parameters), never stale).
/// Requires can_fuse(conv, bn, relu) (throws StateError otherwise).
Tensor fused_conv_bn_relu(Conv2d& conv, const BatchNormBase* bn, const ReLU* relu, const Tensor& x);

/// The fused convolution when can_fuse(conv, bn, relu), else conv, bn and relu through their
/// operator() (hooks, profiler scopes, autograd). The same function of x either way, up to float
/// rounding (tests/unit/nn/fusion_test.cpp).
Tensor conv_bn_relu(Conv2d& conv, BatchNormBase* bn, ReLU* relu, const Tensor& x);

}  // namespace cnnlab::nn
