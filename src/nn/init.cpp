// Initialisers; formulas in include/cnnlab/nn/init.hpp.
#include "cnnlab/nn/init.hpp"

#include <cmath>

namespace cnnlab::nn::init {

Tensor uniform(const Shape& shape, double lo, double hi, Rng& rng, Dtype dtype) {
  return Tensor::uniform(shape, lo, hi, rng, dtype);
}

Tensor kaiming_uniform_default(const Shape& shape, int64_t fan_in, Rng& rng, Dtype dtype) {
  CNNLAB_CHECK(fan_in > 0, ValueError, "kaiming_uniform: expected fan_in > 0, got ", fan_in);
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in));
  return Tensor::uniform(shape, -bound, bound, rng, dtype);
}

Tensor bias_uniform_default(const Shape& shape, int64_t fan_in, Rng& rng, Dtype dtype) {
  CNNLAB_CHECK(fan_in > 0, ValueError, "bias init: expected fan_in > 0, got ", fan_in);
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return Tensor::uniform(shape, -bound, bound, rng, dtype);
}

Tensor kaiming_normal(const Shape& shape, int64_t fan, Rng& rng, Dtype dtype) {
  CNNLAB_CHECK(fan > 0, ValueError, "kaiming_normal: expected fan > 0, got ", fan);
  return Tensor::normal(shape, 0.0, std::sqrt(2.0 / static_cast<double>(fan)), rng, dtype);
}

Tensor xavier_uniform(const Shape& shape, int64_t fan_in, int64_t fan_out, Rng& rng, Dtype dtype) {
  CNNLAB_CHECK(fan_in + fan_out > 0, ValueError, "xavier_uniform: expected positive fans");
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return Tensor::uniform(shape, -bound, bound, rng, dtype);
}

}  // namespace cnnlab::nn::init
