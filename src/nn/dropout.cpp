// Dropout module: draws its masks from its own Rng through ops::dropout.
#include "cnnlab/nn/dropout.hpp"

#include <cmath>

#include "cnnlab/core/check.hpp"
#include "cnnlab/ops/dropout.hpp"
#include "detail/python_repr.hpp"

namespace cnnlab::nn {

using detail::python_float;

Dropout::Dropout(const DropoutOptions& options, Rng& rng)
    : Module("Dropout"), options_(options), rng_(rng.next_u64()) {
  CNNLAB_CHECK(options_.p >= 0.0 && options_.p <= 1.0, ValueError,
               "Dropout: expected p in [0, 1], got ", options_.p);
}

Tensor Dropout::forward(const Tensor& input) {
  return ops::dropout(input, options_.p, is_training(), rng_);
}

std::string Dropout::repr() const {
  return "Dropout(p=" + python_float(options_.p) + ", inplace=False)";
}

}  // namespace cnnlab::nn
