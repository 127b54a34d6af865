// Batch normalization: argument checks, the statistics (batch or running), the running-stat
// update, and the autograd node "batch_norm" whose backward is the hand-written kernel
// (docs/derivations/batch_norm_backward.md); the kernels of the selected backend.
#include "cnnlab/ops/norm.hpp"

#include <cmath>
#include <vector>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "cnnlab/core/backend.hpp"
#include "kernels/batch_norm.hpp"
#include "kernels/fast/batch_norm.hpp"

namespace cnnlab::ops {
namespace {

bool fast() { return backend() == Backend::kFast; }

// A per-channel vector argument: undefined, or shape [C] of the input's dtype (when `same_dtype`).
void check_channel_vector(const Tensor& t, const char* name, const Tensor& input, bool same_dtype) {
  if (!t.defined()) return;
  const int64_t c = input.size(1);
  CNNLAB_CHECK(t.dim() == 1 && t.size(0) == c, ShapeError, "batch_norm: expected ", name,
               " of shape [", c, "] (the channels of input ", input.shape(), "), got ", t.shape());
  if (same_dtype) {
    CNNLAB_CHECK(t.dtype() == input.dtype(), ValueError, "batch_norm: expected ", name,
                 " of the input's dtype ", input.dtype(), ", got ", t.dtype());
  } else {
    CNNLAB_CHECK(is_floating(t.dtype()), ValueError, "batch_norm: expected a float32 or float64 ",
                 name, ", got ", t.dtype());
  }
}

kernels::BatchNormGeometry geometry(const Shape& s) {
  kernels::BatchNormGeometry g;
  g.n = s[0];
  g.c = s[1];
  for (size_t d = 2; d < s.size(); ++d) g.s *= s[d];
  return g;
}

}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, const BatchNormParams& params) {
  CNNLAB_CHECK(input.dim() >= 2, ShapeError,
               "batch_norm: expected an input (N, C) or (N, C, H, W), got shape ", input.shape());
  CNNLAB_CHECK(is_floating(input.dtype()), ValueError,
               "batch_norm: expected a float32 or float64 input, got ", input.dtype());
  check_channel_vector(weight, "weight", input, true);
  check_channel_vector(bias, "bias", input, true);
  check_channel_vector(running_mean, "running_mean", input, false);
  check_channel_vector(running_var, "running_var", input, false);
  CNNLAB_CHECK(running_mean.defined() == running_var.defined(), ValueError,
               "batch_norm: expected both running_mean and running_var or neither, got only ",
               running_mean.defined() ? "running_mean" : "running_var");
  if (running_mean.defined()) {
    CNNLAB_CHECK(running_mean.dtype() == running_var.dtype(), ValueError,
                 "batch_norm: expected running_mean and running_var of one dtype, got ",
                 running_mean.dtype(), " and ", running_var.dtype());
  }
  CNNLAB_CHECK(params.training || running_mean.defined(), ValueError,
               "batch_norm: expected running_mean and running_var in eval mode (training = "
               "false), got undefined tensors");
  CNNLAB_CHECK(params.eps >= 0.0, ValueError, "batch_norm: expected eps >= 0, got ", params.eps);
  CNNLAB_CHECK(params.momentum >= 0.0 && params.momentum <= 1.0, ValueError,
               "batch_norm: expected momentum in [0, 1], got ", params.momentum);

  const kernels::BatchNormGeometry g = geometry(input.shape());
  CNNLAB_CHECK(!params.training || g.count() > 1, ShapeError,
               "batch_norm: expected more than 1 value per channel when training, got input shape ",
               input.shape());

  // Statistics in double: the batch's (training) or the running ones (eval).
  const auto uc = static_cast<size_t>(g.c);
  std::vector<double> mean(uc), var(uc), inv_std(uc);
  if (params.training) {
    dispatch_float(input.dtype(), "batch_norm", [&](auto tag) {
      using T = decltype(tag);
      (fast() ? kernels::fast::batch_norm_stats<T>
              : kernels::batch_norm_stats<T>)(mean.data(), var.data(), input.data<T>(), g);
    });
  } else {
    mean = running_mean.to_vector();
    var = running_var.to_vector();
  }
  for (size_t c = 0; c < uc; ++c) inv_std[c] = 1.0 / std::sqrt(var[c] + params.eps);

  Tensor y = Tensor::empty(input.shape(), input.dtype());
  dispatch_float(input.dtype(), "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    (fast() ? kernels::fast::batch_norm_apply<T>
            : kernels::batch_norm_apply<T>)(y.data<T>(), input.data<T>(), mean.data(),
                                            inv_std.data(),
                                            weight.defined() ? weight.data<T>() : nullptr,
                                            bias.defined() ? bias.data<T>() : nullptr, g);
  });

  // In-place running-stat update (not recorded; the buffers are not differentiable).
  if (params.training && running_mean.defined()) {
    dispatch_float(running_mean.dtype(), "batch_norm", [&](auto tag) {
      using R = decltype(tag);
      kernels::batch_norm_update_running<R>(running_mean.data<R>(), running_var.data<R>(),
                                            mean.data(), var.data(), params.momentum, g);
    });
  }

  if (autograd::needs_grad({input, weight, bias})) {
    const bool gx = input.requires_grad();
    const bool gw = weight.defined() && weight.requires_grad();
    const bool gb = bias.defined() && bias.requires_grad();
    autograd::record(
        "batch_norm", {input, weight, bias}, y,
        [x = input.detach(), w = weight.defined() ? weight.detach() : Tensor(),
         mean = std::move(mean), inv_std = std::move(inv_std), g, training = params.training, gx,
         gw, gb](const Tensor& dy) {
          // the fast kernel writes a fresh dx outright; the reference one adds into zeros
          Tensor dx = !gx      ? Tensor()
                      : fast() ? Tensor::empty(x.shape(), dy.dtype())
                               : Tensor::zeros(x.shape(), dy.dtype());
          Tensor dw = gw ? Tensor::zeros({g.c}, dy.dtype()) : Tensor();
          Tensor db = gb ? Tensor::zeros({g.c}, dy.dtype()) : Tensor();
          dispatch_float(dy.dtype(), "batch_norm", [&](auto tag) {
            using T = decltype(tag);
            T* dxp = gx ? dx.data<T>() : nullptr;
            T* dwp = gw ? dw.data<T>() : nullptr;
            T* dbp = gb ? db.data<T>() : nullptr;
            const T* wp = w.defined() ? w.data<T>() : nullptr;
            if (fast()) {
              kernels::fast::batch_norm_backward<T>(dxp, dwp, dbp, dy.data<T>(), x.data<T>(),
                                                    mean.data(), inv_std.data(), wp, g, training,
                                                    /*overwrite_dx=*/true);
            } else {
              kernels::batch_norm_backward<T>(dxp, dwp, dbp, dy.data<T>(), x.data<T>(), mean.data(),
                                              inv_std.data(), wp, g, training);
            }
          });
          return std::vector<Tensor>{dx, dw, db};
        });
  }
  if (autograd::is_tracing())
    autograd::trace_op("batch_norm", {input, running_mean, running_var, weight, bias}, y,
                       {{"training", int64_t{params.training}},
                        {"eps", params.eps},
                        {"momentum", params.momentum}});
  return y;
}

}  // namespace cnnlab::ops
