// Parameter initialisers with PyTorch's defaults (torch.nn.init), each drawing from an explicit
// Rng.
#pragma once

#include "cnnlab/core/rng.hpp"
#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::nn::init {

/// Uniform in [lo, hi).
Tensor uniform(const Shape& shape, double lo, double hi, Rng& rng, Dtype dtype = Dtype::kFloat32);

/// PyTorch's default for Conv2d and Linear weights: kaiming_uniform_(a = sqrt(5)), which is
/// uniform in [-b, b] with b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)); this works
/// out to b = 1 / sqrt(fan_in). fan_in = in_features, or (C_in / groups) * KH * KW.
Tensor kaiming_uniform_default(const Shape& shape, int64_t fan_in, Rng& rng,
                               Dtype dtype = Dtype::kFloat32);

/// PyTorch's default bias of Conv2d and Linear: uniform in [-1/sqrt(fan_in), 1/sqrt(fan_in)].
Tensor bias_uniform_default(const Shape& shape, int64_t fan_in, Rng& rng,
                            Dtype dtype = Dtype::kFloat32);

/// He et al. 2015, normal with std = gain / sqrt(fan), gain = sqrt(2) (ReLU): kaiming_normal_
/// with mode fan_out as torchvision's ResNet uses, or fan_in.
Tensor kaiming_normal(const Shape& shape, int64_t fan, Rng& rng, Dtype dtype = Dtype::kFloat32);

/// Glorot & Bengio 2010: uniform in [-b, b], b = sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform(const Shape& shape, int64_t fan_in, int64_t fan_out, Rng& rng,
                      Dtype dtype = Dtype::kFloat32);

}  // namespace cnnlab::nn::init
