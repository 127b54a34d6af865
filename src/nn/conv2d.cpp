// nn::Conv2d: option checks, PyTorch's default initialisation, forward through ops::conv2d, and
// repr in torch.nn.Conv2d's print format.
#include "cnnlab/nn/conv2d.hpp"

#include "cnnlab/core/check.hpp"
#include "cnnlab/nn/init.hpp"
#include "cnnlab/ops/conv.hpp"

namespace cnnlab::nn {
namespace {

// PyTorch prints every pair of Conv2d as a tuple: (5, 5).
std::string tuple_text(const Size2& s) { return detail::concat("(", s.h, ", ", s.w, ")"); }

}  // namespace

Conv2d::Conv2d(const Conv2dOptions& options, Rng& rng) : Module("Conv2d"), options_(options) {
  const Conv2dOptions& o = options_;
  CNNLAB_CHECK(o.in_channels > 0 && o.out_channels > 0, ValueError,
               "Conv2d: expected in_channels > 0 and out_channels > 0, got in_channels=",
               o.in_channels, ", out_channels=", o.out_channels);
  CNNLAB_CHECK(o.kernel_size.h > 0 && o.kernel_size.w > 0, ValueError,
               "Conv2d: expected kernel_size > 0, got ", tuple_text(o.kernel_size));
  CNNLAB_CHECK(o.stride.h > 0 && o.stride.w > 0, ValueError, "Conv2d: expected stride > 0, got ",
               tuple_text(o.stride));
  CNNLAB_CHECK(o.padding.h >= 0 && o.padding.w >= 0, ValueError,
               "Conv2d: expected padding >= 0, got ", tuple_text(o.padding));
  CNNLAB_CHECK(o.dilation.h > 0 && o.dilation.w > 0, ValueError,
               "Conv2d: expected dilation > 0, got ", tuple_text(o.dilation));
  CNNLAB_CHECK(o.groups > 0, ValueError, "Conv2d: expected groups > 0, got ", o.groups);
  CNNLAB_CHECK(o.in_channels % o.groups == 0 && o.out_channels % o.groups == 0, ValueError,
               "Conv2d: expected groups=", o.groups, " to divide in_channels=", o.in_channels,
               " and out_channels=", o.out_channels);

  const int64_t fan_in = (o.in_channels / o.groups) * o.kernel_size.h * o.kernel_size.w;
  weight_ = register_parameter(
      "weight", init::kaiming_uniform_default(
                    {o.out_channels, o.in_channels / o.groups, o.kernel_size.h, o.kernel_size.w},
                    fan_in, rng));
  if (o.bias) {
    bias_ = register_parameter("bias", init::bias_uniform_default({o.out_channels}, fan_in, rng));
  }
}

Tensor Conv2d::forward(const Tensor& input) { return ops::conv2d(input, weight_, bias_, params()); }

ops::Conv2dParams Conv2d::params() const {
  return {.stride = options_.stride,
          .padding = options_.padding,
          .dilation = options_.dilation,
          .groups = options_.groups};
}

std::string Conv2d::repr() const {
  const Conv2dOptions& o = options_;
  std::string s = detail::concat("Conv2d(", o.in_channels, ", ", o.out_channels,
                                 ", kernel_size=", tuple_text(o.kernel_size),
                                 ", stride=", tuple_text(o.stride));
  if (!(o.padding == Size2(0))) s += ", padding=" + tuple_text(o.padding);
  if (!(o.dilation == Size2(1))) s += ", dilation=" + tuple_text(o.dilation);
  if (o.groups != 1) s += detail::concat(", groups=", o.groups);
  if (!o.bias) s += ", bias=False";
  return s + ")";
}

}  // namespace cnnlab::nn
