// Local response normalization across channels: argument checks, the reference kernel, and the
// autograd node "local_response_norm" (backward: docs/derivations/lrn_backward.md).
#include "cnnlab/ops/lrn.hpp"

#include "cnnlab/autograd/node.hpp"
#include "kernels/lrn.hpp"

namespace cnnlab::ops {

Tensor local_response_norm(const Tensor& input, const LrnParams& params) {
  CNNLAB_CHECK(
      input.dim() >= 3, ShapeError,
      "local_response_norm: expected an input (N, C, H, W) with at least 3 dims, got shape ",
      input.shape());
  CNNLAB_CHECK(params.size > 0, ValueError, "local_response_norm: expected size > 0, got ",
               params.size);
  kernels::LrnGeometry g;
  g.n = input.size(0);
  g.c = input.size(1);
  for (int64_t d = 2; d < input.dim(); ++d) g.s *= input.size(d);
  g.size = params.size;
  g.alpha = params.alpha;
  g.beta = params.beta;
  g.k = params.k;

  Tensor y = Tensor::empty(input.shape(), input.dtype());
  Tensor scale = Tensor::empty(input.shape(), input.dtype());
  dispatch_float(input.dtype(), "local_response_norm", [&](auto tag) {
    using T = decltype(tag);
    kernels::lrn_forward<T>(y.data<T>(), scale.data<T>(), input.data<T>(), g);
  });

  if (autograd::needs_grad({input})) {
    autograd::record(
        "local_response_norm", {input}, y, [x = input.detach(), scale, g](const Tensor& dy) {
          Tensor dx = Tensor::zeros(x.shape(), dy.dtype());
          dispatch_float(dy.dtype(), "local_response_norm", [&](auto tag) {
            using T = decltype(tag);
            kernels::lrn_backward<T>(dx.data<T>(), dy.data<T>(), x.data<T>(), scale.data<T>(), g);
          });
          return std::vector<Tensor>{dx};
        });
  }
  return y;
}

}  // namespace cnnlab::ops
