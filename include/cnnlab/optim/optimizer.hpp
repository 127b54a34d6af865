// Optimizer: the base of SGD, Adam and the rest. Holds the parameters it updates, and saves and
// restores its state as named tensors (PyTorch's optimizer state_dict, flattened) for checkpoints.
//
// Contract: step() reads each parameter's grad() (parameters without a gradient are skipped, as
// in PyTorch) and updates the parameter in place, outside the graph. zero_grad() drops the
// gradients (PyTorch's set_to_none=True), so the next backward starts from nothing.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::optim {

/// An optimizer's state as named tensors. Keys follow PyTorch's optimizer.state_dict() with the
/// nesting flattened by dots (one parameter group, parameters numbered in constructor order):
///   "param_groups.0.params"          int64 [n]: 0, 1, ..., n-1 (gives the parameter count)
///   "param_groups.0.<hyper-parameter>" float64 0-d (booleans as 0/1; Adam's betas as [2])
///   "state.<i>.<buffer>"             shaped like parameter i, in its dtype
///                                    (momentum_buffer, exp_avg, exp_avg_sq, max_exp_avg_sq)
///   "state.<i>.step"                 int64 0-d (per parameter, as in PyTorch)
/// A parameter that has not been stepped yet has no "state.<i>.*" entries.
using StateDict = std::map<std::string, Tensor>;

class Optimizer {
 public:
  /// Throws ValueError if `parameters` is empty or holds a tensor that does not require grad.
  explicit Optimizer(std::vector<Tensor> parameters);
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient.
  ///   requires: each defined grad() has its parameter's shape and dtype (float32 or float64).
  ///   ensures:  parameters are changed in place (same storage); gradients are left as they are.
  /// Throws ValueError on a gradient of the wrong shape or dtype.
  virtual void step() = 0;
  void zero_grad();
  const std::vector<Tensor>& parameters() const { return parameters_; }
  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;

  /// The optimizer's state and hyper-parameters (keys: see StateDict). Tensors are copies, so
  /// later steps do not change a saved state dict.
  virtual StateDict state_dict() const = 0;
  /// Restores a state dict written by state_dict() of the same kind of optimizer over
  /// parameters of the same shapes. The hyper-parameters are taken from the state dict, as
  /// PyTorch does; buffers are converted to each parameter's dtype. After loading, step()
  /// continues bit-identically to the optimizer that was saved.
  /// Throws ValueError naming the key on a missing, unexpected, mis-shaped or invalid entry or a
  /// different parameter count, before changing anything.
  virtual void load_state_dict(const StateDict& state) = 0;

 protected:
  /// The entries every optimizer writes ("param_groups.0.params").
  StateDict base_state_dict() const;
  /// Throws ValueError naming `who` if parameter i's gradient has another shape or dtype.
  void check_grad(const char* who, size_t i, const Tensor& grad) const;

  std::vector<Tensor> parameters_;
};

/// Reads a StateDict for Optimizer::load_state_dict, one entry at a time, and checks each one
/// against the optimizer's parameters; finish() rejects the entries that nobody read. Errors
/// are ValueError "<who>::load_state_dict: ..." naming the key. Keeps references to `state` and
/// `parameters`, so it must not outlive them (use it inside load_state_dict only).
class StateDictReader {
 public:
  /// Checks "param_groups.0.params" against the parameter count.
  StateDictReader(std::string who, const StateDict& state, const std::vector<Tensor>& parameters);

  /// The 0-d floating tensor "param_groups.0.<name>".
  double hyper(const std::string& name);
  /// The 1-D floating tensor "param_groups.0.<name>" of n values.
  std::vector<double> hyper_vector(const std::string& name, int64_t n);
  /// True if the state dict holds "state.<i>.<name>".
  bool has_state(size_t i, const std::string& name) const;
  /// "state.<i>.<name>", shaped like parameter i, as a fresh copy in the parameter's dtype.
  Tensor buffer(size_t i, const std::string& name);
  /// "state.<i>.<name>" as a step count: a 0-d int64, or a 0-d float holding an integer (as
  /// PyTorch 1.13 saves it), >= 1.
  int64_t step(size_t i, const std::string& name = "step");
  /// Throws on any key that was not read (including state of a parameter index >= n).
  void finish() const;

 private:
  const Tensor& get(const std::string& key);
  std::string where() const { return who_ + "::load_state_dict: "; }

  std::string who_;
  const StateDict& state_;
  const std::vector<Tensor>& parameters_;
  std::set<std::string> read_;
};

}  // namespace cnnlab::optim
