// nn::Module: the base of every layer and model, with PyTorch's vocabulary and parameter names.
//
// Contract (dlib-style):
//   forward(input)   requires: input shaped as the module documents.
//                    ensures:  returns the output; may cache what backward needs and nothing more
//                              (in practice the ops record it in the autograd graph).
//   operator()(x)    runs forward(x), then the forward hooks in registration order; a hook may
//                    replace the output. Containers call children through operator(), so hooks
//                    on any layer fire inside a model. While an autograd::ProfileGuard is
//                    alive on the thread, operator() also times the call and opens the module's
//                    profiler scope (cnnlab/autograd/profiler.hpp); otherwise that costs a branch.
//   train()/eval()   set the mode of this module and all descendants; only Dropout and
//                    BatchNorm behave differently.
//   named_parameters()/named_buffers() return PyTorch's dotted names ("features.0.weight",
//                    "bn1.running_mean") in registration order; state_dict() holds both.
//   Parameters are leaves with requires_grad; backward accumulates into their grad().
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cnnlab/tensor/tensor.hpp"

namespace cnnlab::nn {

class Module;

/// Called after forward with (module, input, output); returns a replacement output or an
/// undefined Tensor to keep it.
using ForwardHook =
    std::function<Tensor(Module& module, const Tensor& input, const Tensor& output)>;

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation; subclasses implement it. Call modules through operator() instead.
  virtual Tensor forward(const Tensor& input) = 0;
  /// forward() followed by the forward hooks.
  Tensor operator()(const Tensor& input);

  /// One-line description in PyTorch's format, e.g. "Conv2d(1, 6, kernel_size=(5, 5), stride=(1,
  /// 1))".
  virtual std::string repr() const { return type_name_ + "()"; }
  /// Multi-line description of the module tree, in PyTorch's print format.
  std::string to_string() const;
  const std::string& type_name() const { return type_name_; }

  // ---- parameters, buffers, children ---------------------------------------------------------
  /// Adds a parameter (marks it requires_grad) and returns it. Throws ValueError on a duplicate
  /// or dotted name.
  Tensor register_parameter(const std::string& name, Tensor value);
  /// Adds a buffer: state saved in state_dict() but not trained (BatchNorm running statistics).
  Tensor register_buffer(const std::string& name, Tensor value);
  /// Adds a child module under `name` and returns it.
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module) {
    add_child(name, module);
    return module;
  }

  /// Every parameter of this module and its descendants, in registration order; a parameter
  /// shared by several modules appears once.
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// This module ("") and every descendant with its dotted path.
  std::vector<std::pair<std::string, Module*>> named_modules();
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }
  /// The descendant at a dotted path ("features.3"); throws ValueError listing the children.
  Module& submodule(const std::string& path);
  /// Total number of parameter elements.
  int64_t num_parameters() const;

  // ---- modes -------------------------------------------------------------------------------
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Drops the gradients of every parameter.
  void zero_grad();

  // ---- state -------------------------------------------------------------------------------
  /// Parameters and buffers by dotted name (handles sharing the module's storage); a shared
  /// parameter appears under each of its names, as in PyTorch.
  std::map<std::string, Tensor> state_dict() const;
  /// Copies values into the module's parameters and buffers. With strict (the default) a
  /// missing or unexpected key is an error; a mis-shaped tensor, or an integer value for a float
  /// entry (or the reverse), is always an error. Values of another float dtype are converted.
  /// Throws ValueError listing the offending keys, before changing anything.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  // ---- hooks -------------------------------------------------------------------------------
  /// Registers a forward hook; returns an id for remove_forward_hook.
  int register_forward_hook(ForwardHook hook);
  void remove_forward_hook(int id);
  /// Whether any forward hook is registered (inference fusion steps aside then: nn/fusion.hpp).
  bool has_forward_hooks() const { return !forward_hooks_.empty(); }

 protected:
  void add_child(const std::string& name, std::shared_ptr<Module> module);

 private:
  void collect(const std::string& prefix, bool parameters,
               std::vector<std::pair<std::string, Tensor>>& out) const;
  void describe(std::string& out, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::vector<std::pair<int, ForwardHook>> forward_hooks_;
  int next_hook_id_ = 0;
};

}  // namespace cnnlab::nn
