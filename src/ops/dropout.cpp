// Dropout with inverted scaling: the mask (0 or 1/(1-p)) is drawn from the caller's Rng in
// row-major order, applied in forward, and saved for backward (dx = dy * mask).
#include "cnnlab/ops/dropout.hpp"

#include <vector>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/core/check.hpp"
#include "kernels/dropout.hpp"

namespace cnnlab::ops {

Tensor dropout(const Tensor& input, double p, bool training, Rng& rng) {
  CNNLAB_CHECK(p >= 0.0 && p <= 1.0, ValueError,
               "dropout: expected a probability p in [0, 1], got ", p);
  // NOTE: as in PyTorch, eval mode, p == 0 and an empty input return the input itself and draw
  // nothing from rng.
  if (!training || p == 0.0 || input.numel() == 0) return input;

  Tensor mask = Tensor::empty(input.shape(), input.dtype());
  Tensor y = Tensor::empty(input.shape(), input.dtype());
  dispatch_float(input.dtype(), "dropout", [&](auto tag) {
    using T = decltype(tag);
    kernels::dropout_mask<T>(mask.data<T>(), mask.numel(), p, rng);
    kernels::dropout_forward<T>(y.data<T>(), input.data<T>(), mask.data<T>(), y.numel());
  });

  if (autograd::needs_grad({input})) {
    autograd::record("dropout", {input}, y, [mask](const Tensor& dy) -> std::vector<Tensor> {
      Tensor dx = Tensor::zeros(dy.shape(), dy.dtype());
      dispatch_float(dy.dtype(), "dropout", [&](auto tag) {
        using T = decltype(tag);
        kernels::dropout_backward<T>(dx.data<T>(), dy.data<T>(), mask.data<T>(), dy.numel());
      });
      return {dx};
    });
  }
  return y;
}

}  // namespace cnnlab::ops
