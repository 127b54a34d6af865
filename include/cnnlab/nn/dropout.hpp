// Dropout layer (torch.nn.Dropout): inverted dropout in training mode, the identity in eval mode.
// Srivastava et al. 2014; the scaling by 1/(1-p) at training time follows PyTorch.
#pragma once

#include <string>

#include "cnnlab/core/rng.hpp"
#include "cnnlab/nn/module.hpp"

namespace cnnlab::nn {

/// Configuration of Dropout (torch.nn.Dropout).
struct DropoutOptions {
  double p = 0.5;  ///< probability of zeroing an element, in [0, 1]
};

/// input (any shape) -> output of the same shape. In training mode (is_training()) each element
/// is zeroed with probability p and the others are scaled by 1/(1-p); in eval mode forward
/// returns the input itself. The mask comes from the module's own Rng, seeded at construction
/// with rng.next_u64(), so a model built from one seeded Rng drops the same elements every run.
/// No parameters. Throws ValueError from the constructor unless 0 <= p <= 1.
class Dropout final : public Module {
 public:
  Dropout(const DropoutOptions& options, Rng& rng);

  Tensor forward(const Tensor& input) override;
  /// "Dropout(p=0.5, inplace=False)"
  std::string repr() const override;

  const DropoutOptions& options() const { return options_; }
  /// The generator of the masks (to save or restore its state with Rng::state()/restore()).
  Rng& rng() { return rng_; }

 private:
  DropoutOptions options_;
  Rng rng_;
};

}  // namespace cnnlab::nn
