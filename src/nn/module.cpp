// nn::Module: registration, traversal in dotted names, modes, state_dict and forward hooks.
#include "cnnlab/nn/module.hpp"

#include <algorithm>
#include <set>

#include "cnnlab/autograd/grad_mode.hpp"
#include "cnnlab/autograd/profiler.hpp"
#include "cnnlab/ops/shape_ops.hpp"

namespace cnnlab::nn {
namespace {

void check_name(const std::string& owner, const std::string& kind, const std::string& name,
                bool taken) {
  CNNLAB_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, owner, ": ", kind,
               " name must be non-empty and contain no '.', got '", name, "'");
  CNNLAB_CHECK(!taken, ValueError, owner, ": a ", kind, " named '", name, "' already exists");
}

template <typename List>
bool has(const List& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// The first kShownKeys entries, then "and N more": a torchvision state dict for another model
// would otherwise print hundreds of names.
constexpr size_t kShownKeys = 5;
std::string first_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < std::min(keys.size(), kShownKeys); ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > kShownKeys)
    out += ", and " + std::to_string(keys.size() - kShownKeys) + " more";
  return out;
}

}  // namespace

Tensor Module::operator()(const Tensor& input) {
  autograd::ModuleScope profile(*this);  // times the call while a Profiler is on; else a branch
  Tensor output = forward(input);
  for (auto& [id, hook] : forward_hooks_) {
    Tensor replaced = hook(*this, input, output);
    if (replaced.defined()) output = replaced;
  }
  profile.set_output(output);
  return output;
}

Tensor Module::register_parameter(const std::string& name, Tensor value) {
  check_name(type_name_, "parameter", name, has(parameters_, name) || has(buffers_, name));
  CNNLAB_CHECK(value.defined() && value.is_leaf(), ValueError, type_name_, ": parameter '", name,
               "' must be a defined leaf tensor");
  value.set_requires_grad(true);
  parameters_.emplace_back(name, value);
  return value;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  check_name(type_name_, "buffer", name, has(parameters_, name) || has(buffers_, name));
  buffers_.emplace_back(name, value);
  return value;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> module) {
  check_name(type_name_, "module", name, has(children_, name));
  CNNLAB_CHECK(module != nullptr, ValueError, type_name_, ": module '", name, "' is null");
  children_.emplace_back(name, std::move(module));
}

void Module::collect(const std::string& prefix, bool parameters,
                     std::vector<std::pair<std::string, Tensor>>& out) const {
  for (const auto& [name, t] : parameters ? parameters_ : buffers_)
    out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", parameters, out);
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> all;
  collect("", true, all);
  // A parameter shared by two modules (tied weights) is listed once, under its first name, so
  // that an optimizer updates it once per step (PyTorch's remove_duplicate=True).
  std::vector<std::pair<std::string, Tensor>> out;
  std::set<const TensorImpl*> seen;
  for (auto& entry : all) {
    if (seen.insert(entry.second.impl_ptr().get()).second) out.push_back(std::move(entry));
  }
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", false, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out{{"", this}};
  for (auto& [name, child] : children_) {
    for (auto& [sub, m] : child->named_modules())
      out.emplace_back(sub.empty() ? name : name + "." + sub, m);
  }
  return out;
}

Module& Module::submodule(const std::string& path) {
  Module* m = this;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto it = std::find_if(m->children_.begin(), m->children_.end(),
                           [&](const auto& c) { return c.first == part; });
    if (it == m->children_.end()) {
      std::vector<std::string> names;
      for (const auto& c : m->children_) names.push_back(c.first);
      throw ValueError(detail::concat("submodule: no module '", part, "' in '", path, "' (",
                                      m->type_name_, " has: ", join_keys(names), ")"));
    }
    m = it->second.get();
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *m;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> all;
  collect("", true, all);  // every name, shared parameters included (as PyTorch)
  collect("", false, all);
  return {all.begin(), all.end()};
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  const std::map<std::string, Tensor> own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name + " (expected " + t.shape().str() + ")");
    } else if (!(it->second.shape() == t.shape())) {
      mismatched.push_back(name + " (expected " + t.shape().str() + ", got " +
                           it->second.shape().str() + ")");
    } else if (is_floating(it->second.dtype()) != is_floating(t.dtype())) {
      mismatched.push_back(name + " (expected " + dtype_name(t.dtype()) + ", got " +
                           dtype_name(it->second.dtype()) + ")");
    }
  }
  for (const auto& [name, t] : state) {
    if (!own.count(name)) unexpected.push_back(name + " (got " + t.shape().str() + ")");
  }
  // One message with every kind of problem, each list cut to its first names (first_keys).
  std::string problems;
  const auto add = [&](const char* what, const std::vector<std::string>& keys) {
    if (!keys.empty()) problems += (problems.empty() ? "" : "; ") + (what + first_keys(keys));
  };
  add("shape or dtype mismatch for ", mismatched);
  if (strict) {
    add("missing keys: ", missing);
    add("unexpected keys: ", unexpected);
  }
  CNNLAB_CHECK(problems.empty(), ValueError, "load_state_dict: ", type_name_, ": ", problems);
  // Everything was validated above: from here on nothing throws, so a bad state dict never
  // leaves the module half loaded.
  NoGradGuard no_grad;
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    const Tensor& src = it->second;
    t.copy_(src.dtype() == t.dtype() ? src : ops::to_dtype(src.detach(), t.dtype()));
  }
}

int Module::register_forward_hook(ForwardHook hook) {
  forward_hooks_.emplace_back(next_hook_id_, std::move(hook));
  return next_hook_id_++;
}

void Module::remove_forward_hook(int id) {
  std::erase_if(forward_hooks_, [id](const auto& h) { return h.first == id; });
}

void Module::describe(std::string& out, int indent) const {
  if (children_.empty()) {
    out += repr();
    return;
  }
  out += type_name_ + "(\n";
  for (const auto& [name, child] : children_) {
    out += std::string(static_cast<size_t>(indent + 2), ' ') + "(" + name + "): ";
    child->describe(out, indent + 2);
    out += "\n";
  }
  out += std::string(static_cast<size_t>(indent), ' ') + ")";
}

std::string Module::to_string() const {
  std::string out;
  describe(out, 0);
  return out;
}

}  // namespace cnnlab::nn
