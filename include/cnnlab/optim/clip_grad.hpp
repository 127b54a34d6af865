// Gradient-norm clipping, as torch.nn.utils.clip_grad_norm_: scales all gradients together so
// that their joint norm is at most max_norm.
#pragma once

#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::optim {

/// Computes the norm of all the parameters' gradients taken together (as if concatenated into
/// one vector; parameters without a gradient are skipped) and, if
///   clip_coef = max_norm / (total_norm + 1e-6)
/// is below 1, multiplies every gradient by clip_coef in place. norm_type is p >= 1 of the
/// p-norm, or infinity for the largest absolute value. Returns total_norm (0 when no parameter
/// has a gradient).
/// NOTE: as in PyTorch (error_if_nonfinite=False), a NaN total norm makes every gradient NaN
/// and an infinite one scales them by 0; the caller's non-finite loss check then stops.
/// Throws ValueError on max_norm < 0 or NaN, or norm_type < 1 or NaN.
double clip_grad_norm(const std::vector<Tensor>& parameters, double max_norm,
                      double norm_type = 2.0);

}  // namespace cnnlab::optim
