// Local response normalization across channels: argument checks, the reference kernel, and the
// autograd node "local_response_norm" (backward: docs/derivations/lrn_backward.md). Images are
// independent, so the fast backend runs the same kernel on runs of images in parallel.
#include "cnnlab/ops/lrn.hpp"

#include <algorithm>

#include "cnnlab/autograd/node.hpp"
#include "cnnlab/autograd/trace.hpp"
#include "kernels/fast/parallel.hpp"
#include "kernels/lrn.hpp"

namespace cnnlab::ops {
namespace {

// f(geometry of images [begin, end), element offset of image begin): once over the whole batch
// on the reference backend, per run of images on the fast backend's threads.
template <typename F>
void over_images(const kernels::LrnGeometry& g, F&& f) {
  const int64_t per_image = std::max<int64_t>(g.c * g.s, 1);
  auto run = [&](int64_t begin, int64_t end) {
    kernels::LrnGeometry part = g;
    part.n = end - begin;
    f(part, begin * per_image);
  };
  kernels::fast::parallel_for_backend(
      g.n, std::max<int64_t>(1, kernels::fast::kPointwiseGrain / per_image), run);
}

}  // namespace

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
    over_images(g, [&](const kernels::LrnGeometry& part, int64_t at) {
      kernels::lrn_forward<T>(y.data<T>() + at, scale.data<T>() + at, input.data<T>() + at, part);
    });
  });

  if (autograd::needs_grad({input})) {
    autograd::record("local_response_norm", {input}, y,
                     [x = input.detach(), scale, g](const Tensor& dy) {
                       Tensor dx = Tensor::zeros(x.shape(), dy.dtype());
                       dispatch_float(dy.dtype(), "local_response_norm", [&](auto tag) {
                         using T = decltype(tag);
                         over_images(g, [&](const kernels::LrnGeometry& part, int64_t at) {
                           kernels::lrn_backward<T>(dx.data<T>() + at, dy.data<T>() + at,
                                                    x.data<T>() + at, scale.data<T>() + at, part);
                         });
                       });
                       return std::vector<Tensor>{dx};
                     });
  }
  if (autograd::is_tracing())
    autograd::trace_op(
        "local_response_norm", {input}, y,
        {{"size", params.size}, {"alpha", params.alpha}, {"beta", params.beta}, {"k", params.k}});
  return y;
}

}  // namespace cnnlab::ops
