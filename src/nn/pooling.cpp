// Pooling modules: constructor checks of the options (so a bad model fails when it is built) and
// forward through the ops in src/ops/pool.cpp.
#include "cnnlab/nn/pooling.hpp"

#include "cnnlab/core/check.hpp"
#include "cnnlab/ops/pool.hpp"

namespace cnnlab::nn {
namespace {

// The ops' argument rules that do not depend on the input: kernel > 0, stride >= 0,
// 0 <= padding <= kernel / 2, dilation > 0.
void check_pool_options(const char* name, Size2 kernel, Size2 stride, Size2 padding,
                        Size2 dilation) {
  CNNLAB_CHECK(kernel.h > 0 && kernel.w > 0, ValueError, name, ": expected kernel_size > 0, got ",
               kernel);
  CNNLAB_CHECK(stride.h >= 0 && stride.w >= 0, ValueError, name,
               ": expected stride >= 0 (0 means kernel_size), got ", stride);
  CNNLAB_CHECK(padding.h >= 0 && padding.w >= 0, ValueError, name, ": expected padding >= 0, got ",
               padding);
  CNNLAB_CHECK(padding.h <= kernel.h / 2 && padding.w <= kernel.w / 2, ValueError, name,
               ": expected padding at most half the kernel size, got padding=", padding,
               " with kernel_size=", kernel);
  CNNLAB_CHECK(dilation.h > 0 && dilation.w > 0, ValueError, name, ": expected dilation > 0, got ",
               dilation);
}

// PyTorch's stride=None: the stride equals the kernel size.
Size2 effective_stride(Size2 stride, Size2 kernel) {
  return {stride.h == 0 ? kernel.h : stride.h, stride.w == 0 ? kernel.w : stride.w};
}

const char* python_bool(bool b) { return b ? "True" : "False"; }

}  // namespace

MaxPool2d::MaxPool2d(const MaxPool2dOptions& options) : Module("MaxPool2d"), options_(options) {
  check_pool_options("MaxPool2d", options_.kernel_size, options_.stride, options_.padding,
                     options_.dilation);
}

Tensor MaxPool2d::forward(const Tensor& input) {
  const auto& o = options_;
  return ops::max_pool2d(input, {.kernel = o.kernel_size,
                                 .stride = o.stride,
                                 .padding = o.padding,
                                 .dilation = o.dilation,
                                 .ceil_mode = o.ceil_mode});
}

std::string MaxPool2d::repr() const {
  const auto& o = options_;
  return detail::concat("MaxPool2d(kernel_size=", o.kernel_size,
                        ", stride=", effective_stride(o.stride, o.kernel_size),
                        ", padding=", o.padding, ", dilation=", o.dilation,
                        ", ceil_mode=", python_bool(o.ceil_mode), ")");
}

AvgPool2d::AvgPool2d(const AvgPool2dOptions& options) : Module("AvgPool2d"), options_(options) {
  check_pool_options("AvgPool2d", options_.kernel_size, options_.stride, options_.padding, 1);
}

Tensor AvgPool2d::forward(const Tensor& input) {
  const auto& o = options_;
  return ops::avg_pool2d(input, {.kernel = o.kernel_size,
                                 .stride = o.stride,
                                 .padding = o.padding,
                                 .ceil_mode = o.ceil_mode,
                                 .count_include_pad = o.count_include_pad});
}

std::string AvgPool2d::repr() const {
  const auto& o = options_;
  // PyTorch's AvgPool2d prints only these three
  return detail::concat("AvgPool2d(kernel_size=", o.kernel_size,
                        ", stride=", effective_stride(o.stride, o.kernel_size),
                        ", padding=", o.padding, ")");
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(const AdaptiveAvgPool2dOptions& options)
    : Module("AdaptiveAvgPool2d"), options_(options) {
  CNNLAB_CHECK(options_.output_size.h > 0 && options_.output_size.w > 0, ValueError,
               "AdaptiveAvgPool2d: expected output_size > 0, got ", options_.output_size);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) {
  return ops::adaptive_avg_pool2d(input, options_.output_size);
}

std::string AdaptiveAvgPool2d::repr() const {
  return detail::concat("AdaptiveAvgPool2d(output_size=", options_.output_size, ")");
}

}  // namespace cnnlab::nn
